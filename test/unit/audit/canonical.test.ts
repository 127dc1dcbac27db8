// RFC 8785 canonical JSON and the canonical form of an audit event.
import { describe, it, expect } from "vitest";
import { canonicalEvent, canonicalJson, normalizeFields } from "../../../src/audit/core";
import type { AuditEventContent } from "../../../src/audit/core";

const baseEvent = (): AuditEventContent => ({
  occurredAt: "2026-11-28T10:58:38.123Z",
  actorId: "5b0c2f7e-3d1a-4c8e-9f21-6a7b8c9d0e1f",
  actorRole: "AGENT",
  action: "customer.read",
  resourceType: "customer",
  resourceId: "9d2e4f60-1b3c-4a5d-8e7f-0a1b2c3d4e5f",
  fields: [],
  outcome: "SUCCESS",
  requestId: "req-1",
  operation: "CustomerById",
  clientAddress: "203.0.113.7",
  purpose: null,
  details: {},
});

describe("canonicalJson", () => {
  it("sorts keys by UTF-16 code units, not by insertion order or locale", () => {
    expect(canonicalJson({ b: 1, a: 2, B: 3, "10": 4, "9": 5, "": 6 })).toBe('{"":6,"10":4,"9":5,"B":3,"a":2,"b":1}');
  });

  it("orders a supplementary character by its surrogates, before U+FB01 (code point order would not)", () => {
    expect(canonicalJson({ "\uFB01": 1, "\u{1F600}": 2, "é": 3 })).toBe('{"é":3,"\u{1F600}":2,"\uFB01":1}');
  });

  // testdata/weird.json and values.json from cyberphone/json-canonicalization, the RFC 8785 reference suite.
  it("matches the RFC 8785 reference vectors", () => {
    const weird = JSON.parse(
      '{"\\u20ac":"Euro Sign","1":"One","\\u0080":"Control\\u007f","\\ud83d\\ude02":"Smiley",' +
        '"\\u00f6":"Latin Small Letter O With Diaeresis","\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
        '"</script>":"Browser Challenge"}',
    );
    expect(canonicalJson(weird)).toBe(
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\u{1F602}":"Smiley","\uFB33":"Hebrew Letter Dalet With Dagesh"}',
    );
    const values = JSON.parse(
      '{"numbers":[1E30,4.50,333333333.33333329,2e-3,0.000000000000000000000000001],' +
        '"escaping":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(values)).toBe(
      String.raw`{"escaping":"€$\u000f\nA'B\"\\\\\"/","literals":[null,true,false],"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}`,
    );
  });

  it("canonicalises nested objects and keeps array order", () => {
    const value = { z: [3, 1, { y: null, x: [true, false] }], a: { d: { c: "deep", b: [] }, a: {} } };
    expect(canonicalJson(value)).toBe('{"a":{"a":{},"d":{"b":[],"c":"deep"}},"z":[3,1,{"x":[true,false],"y":null}]}');
  });

  it("escapes only what JCS escapes", () => {
    expect(canonicalJson("\u0000\u0008\u0009\u000a\u000c\u000d\u001f")).toBe(String.raw`"\u0000\b\t\n\f\r\u001f"`);
    // DEL, U+2028/2029, "/" and non-ASCII stay literal; quote and backslash are escaped.
    expect(canonicalJson('\u007f\u2028\u2029/é🔒"\\')).toBe('"\u007f\u2028\u2029/é🔒\\"\\\\"');
  });

  it("escapes a lone surrogate as \\uXXXX, so the canonical text is always valid UTF-8", () => {
    expect(canonicalJson("a\uD800b\uDFFF")).toBe(String.raw`"a\ud800b\udfff"`);
  });

  it("writes numbers in ECMAScript shortest form", () => {
    expect(canonicalJson([0, -0, 1, -1.5, 0.1, 1e21, 1e-7, 1e-6, 5e-324, 1.7976931348623157e308, 9007199254740992])).toBe(
      "[0,0,1,-1.5,0.1,1e+21,1e-7,0.000001,5e-324,1.7976931348623157e+308,9007199254740992]",
    );
  });

  it.each([
    ["undefined", undefined],
    ["an undefined property", { a: 1, b: undefined }],
    ["undefined in an array", [1, undefined]],
    ["a hole in an array", [1, , 3]],
    ["NaN", NaN],
    ["Infinity", { n: Infinity }],
    ["-Infinity", [-Infinity]],
    ["a bigint", { n: 1n }],
    ["a function", { f: () => 1 }],
    ["a symbol", Symbol("s")],
    ["a Date", { at: new Date(0) }],
    ["a Map", new Map()],
  ])("rejects %s with a TypeError", (_label, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it("rejects a cycle but accepts the same object twice side by side", () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"k":1},"b":{"k":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
  });

  it("accepts null-prototype objects", () => {
    const o = Object.assign(Object.create(null) as object, { b: 1, a: 2 });
    expect(canonicalJson(o)).toBe('{"a":2,"b":1}');
  });
});

describe("canonicalEvent", () => {
  it("produces the versioned object with every property, sorted", () => {
    const e = { ...baseEvent(), details: { caseRef: "CASE-1", count: 2, masked: true, prior: null } };
    expect(canonicalEvent(7, e)).toBe(
      '{"action":"customer.read","actorId":"5b0c2f7e-3d1a-4c8e-9f21-6a7b8c9d0e1f","actorRole":"AGENT",' +
        '"clientAddress":"203.0.113.7","details":{"caseRef":"CASE-1","count":2,"masked":true,"prior":null},' +
        '"fields":[],"occurredAt":"2026-11-28T10:58:38.123Z","operation":"CustomerById","outcome":"SUCCESS",' +
        '"purpose":null,"requestId":"req-1","resourceId":"9d2e4f60-1b3c-4a5d-8e7f-0a1b2c3d4e5f",' +
        '"resourceType":"customer","seq":7,"v":1}',
    );
  });

  it("sorts and de-duplicates fields, so their order never changes the form", () => {
    const a = canonicalEvent(1, { ...baseEvent(), fields: ["phone", "email", "phone", "Address", "email"] });
    const b = canonicalEvent(1, { ...baseEvent(), fields: ["Address", "email", "phone"] });
    expect(a).toContain('"fields":["Address","email","phone"]');
    expect(a).toBe(b);
    expect(normalizeFields(["b", "a", "b"])).toEqual(["a", "b"]);
  });

  it("does not mutate the caller's fields", () => {
    const fields = ["b", "a", "b"];
    canonicalEvent(1, { ...baseEvent(), fields });
    expect(fields).toEqual(["b", "a", "b"]);
  });

  it("ignores properties outside the event shape", () => {
    const withExtra = { ...baseEvent(), nationalId: "should-never-be-hashed" } as AuditEventContent;
    expect(canonicalEvent(1, withExtra)).toBe(canonicalEvent(1, baseEvent()));
    expect(canonicalEvent(1, withExtra)).not.toContain("nationalId");
  });

  it.each([
    "2026-11-28T10:58:38Z",
    "2026-11-28T10:58:38.12Z",
    "2026-11-28T10:58:38.1234Z",
    "2026-11-28T10:58:38.123+00:00",
    "2026-11-28 10:58:38.123Z",
    "2026-11-28T10:58:38.123z",
    "2026-02-30T10:00:00.000Z",
    "2026-11-28T24:00:00.000Z",
    "",
  ])("rejects occurredAt %j", (occurredAt) => {
    expect(() => canonicalEvent(1, { ...baseEvent(), occurredAt })).toThrow(TypeError);
  });

  it("rejects a non-string occurredAt", () => {
    const e = { ...baseEvent(), occurredAt: new Date("2026-11-28T10:58:38.123Z") } as unknown as AuditEventContent;
    expect(() => canonicalEvent(1, e)).toThrow(TypeError);
  });

  it.each([0, -1, 1.5, NaN, Infinity, 2 ** 53])("rejects seq %s", (seq) => {
    expect(() => canonicalEvent(seq, baseEvent())).toThrow(TypeError);
  });

  it.each([
    ["actorId undefined", { actorId: undefined }],
    ["action null", { action: null }],
    ["resourceId a number", { resourceId: 42 }],
    ["fields not an array", { fields: "email" }],
    ["fields with a non-string", { fields: ["email", 1] }],
    ["details null", { details: null }],
    ["details an array", { details: [] }],
    ["a nested details object", { details: { nested: { a: 1 } } }],
    ["a NaN detail", { details: { n: NaN } }],
    ["an undefined detail", { details: { n: undefined } }],
  ])("rejects %s", (_label, patch) => {
    expect(() => canonicalEvent(1, { ...baseEvent(), ...patch } as unknown as AuditEventContent)).toThrow(TypeError);
  });

  it("names the bad property but never echoes its value", () => {
    const secret = "Jane Doe 1980-01-01";
    let message = "";
    try {
      canonicalEvent(1, { ...baseEvent(), occurredAt: secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/occurredAt/);
    expect(message).not.toContain(secret);
  });
});
