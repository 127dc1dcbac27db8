import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { blindIndex, keyedReference, normalizeForIndex } from "../../../src/crypto/blind-index";

const key = randomBytes(32);

describe("normalizeForIndex", () => {
  it.each([
    ["email", " A@B.com ", "a@b.com"],
    ["email", "Agent.Smith@Example.ORG", "agent.smith@example.org"],
    ["phone", " +33 (6) 12-34-56-78 ", "+33612345678"],
    ["phone", "06 12 34 56 78", "0612345678"],
    ["phone", "06+12", "0612"],
    ["nationalId", " ab 12 3456 c ", "AB123456C"],
    ["nationalId", "ab\t12", "AB12"],
  ] as const)("%s %j → %j", (field, input, expected) => {
    expect(normalizeForIndex(field, input)).toBe(expected);
  });

  it("treats composed and decomposed accents alike", () => {
    expect(normalizeForIndex("email", "zo\u00eb@x.fr")).toBe(normalizeForIndex("email", "zoe\u0308@x.fr"));
  });
});

describe("blindIndex", () => {
  it("is HMAC-SHA256(key, field ‖ 0x00 ‖ normalized), 32 bytes", () => {
    const expected = createHmac("sha256", key).update(Buffer.from("email\u0000a@b.com", "utf8")).digest();
    const index = blindIndex(key, "email", " A@B.com ");
    expect(index.length).toBe(32);
    expect(index.equals(expected)).toBe(true);
  });

  it("is deterministic and equal across normalisation variants", () => {
    expect(blindIndex(key, "email", "a@b.com").equals(blindIndex(key, "email", " A@B.com "))).toBe(true);
    expect(blindIndex(key, "phone", "+33 6 12").equals(blindIndex(key, "phone", "+33-6-12"))).toBe(true);
  });

  it("differs by field, by value and by key", () => {
    const base = blindIndex(key, "phone", "123456789");
    expect(base.equals(blindIndex(key, "nationalId", "123456789"))).toBe(false);
    expect(base.equals(blindIndex(key, "phone", "123456780"))).toBe(false);
    expect(base.equals(blindIndex(randomBytes(32), "phone", "123456789"))).toBe(false);
  });

  it("refuses a short key and an unknown field", () => {
    expect(() => blindIndex(randomBytes(16), "email", "a@b.com")).toThrow(TypeError);
    expect(() => blindIndex(key, "name" as "email", "x")).toThrow(TypeError);
  });
});

describe("keyedReference", () => {
  it("is a stable hex HMAC, separated by purpose and from blind indexes", () => {
    const ref = keyedReference(key, "login.email", "a@b.com");
    expect(ref).toMatch(/^[0-9a-f]{64}$/);
    expect(keyedReference(key, "login.email", "a@b.com")).toBe(ref);
    expect(keyedReference(key, "other", "a@b.com")).not.toBe(ref);
    expect(keyedReference(key, "email", "a@b.com")).not.toBe(blindIndex(key, "email", "a@b.com").toString("hex"));
    expect(keyedReference(randomBytes(32), "login.email", "a@b.com")).not.toBe(ref);
  });

  it("refuses a purpose that could make the encoding ambiguous", () => {
    expect(() => keyedReference(key, "a\u0000b", "x")).toThrow(TypeError);
    expect(() => keyedReference(key, "", "x")).toThrow(TypeError);
  });
});
