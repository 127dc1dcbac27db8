// Known-answer vectors for the hash chain, and a cross-check against a naive reference implementation.
import { createHash } from "node:crypto";
import { describe, it, expect } from "vitest";
import { GENESIS_HASH, GENESIS_HEAD, canonicalEvent, hashEvent, sealEvents } from "../../../src/audit/core";
import type { AuditDetailValue, AuditEventContent } from "../../../src/audit/core";

const ACTOR = "5b0c2f7e-3d1a-4c8e-9f21-6a7b8c9d0e1f";

const EVENTS: AuditEventContent[] = [
  {
    occurredAt: "2026-11-28T10:58:38.123Z",
    actorId: ACTOR,
    actorRole: "AGENT",
    action: "auth.login",
    resourceType: "session",
    resourceId: null,
    fields: [],
    outcome: "SUCCESS",
    requestId: "req-0001",
    operation: "Login",
    clientAddress: "203.0.113.7",
    purpose: null,
    details: { method: "password" },
  },
  {
    occurredAt: "2026-11-28T10:59:01.500Z",
    actorId: ACTOR,
    actorRole: "AGENT",
    action: "customer.read",
    resourceType: "customer",
    resourceId: "9d2e4f60-1b3c-4a5d-8e7f-0a1b2c3d4e5f",
    fields: ["phone", "fullName", "email", "phone"],
    outcome: "SUCCESS",
    requestId: "req-0002",
    operation: "CustomerById",
    clientAddress: "203.0.113.7",
    purpose: "Réclamation — dossier 42",
    details: { masked: false, count: 3, caseRef: "CASE-2026-0042", Zone: "EU" },
  },
  {
    occurredAt: "2026-11-28T11:00:00.000Z",
    actorId: null,
    actorRole: null,
    action: "auth.login",
    resourceType: "session",
    resourceId: null,
    fields: [],
    outcome: "FAILURE",
    requestId: "req-0003",
    operation: null,
    clientAddress: "198.51.100.23",
    purpose: null,
    details: {
      usernameHmac: "c0ffee00c0ffee00c0ffee00c0ffee00",
      reason: "bad_password",
      note: 'tab\there "quoted" back\\slash\u0001',
      big: 1e21,
      tiny: 1e-7,
      ratio: 0.1,
      negZero: -0,
    },
  },
  {
    occurredAt: "2026-11-28T11:02:03.004Z",
    actorId: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    actorRole: "TEAM_LEAD",
    action: "case.open",
    resourceType: "case",
    resourceId: "CASE-2026-0042",
    fields: ["status"],
    outcome: "DENIED",
    requestId: null,
    operation: "OpenCase",
    clientAddress: null,
    purpose: "🔒 lock",
    // UTF-16 order puts U+1F600 (D83D DE00) before U+FB01; code point order would not.
    details: { "\uFB01": "ligature-key", "\u{1F600}": "emoji-key", "é": true },
  },
];

// Each vector's JSON was written by hand from the definition in docs/audit-canonical-form.md, and
// its hash computed with coreutils, never with our code. Reproduce with bash in a UTF-8 locale.
const VECTORS = [
  {
    // { head -c 32 /dev/zero; printf '%s' '<json>'; } | sha256sum
    json: String.raw`{"action":"auth.login","actorId":"5b0c2f7e-3d1a-4c8e-9f21-6a7b8c9d0e1f","actorRole":"AGENT","clientAddress":"203.0.113.7","details":{"method":"password"},"fields":[],"occurredAt":"2026-11-28T10:58:38.123Z","operation":"Login","outcome":"SUCCESS","purpose":null,"requestId":"req-0001","resourceId":null,"resourceType":"session","seq":1,"v":1}`,
    hash: "ac8770212e254ddd28524deb9958c05d955c4e122ff7880803cceecd430a8841",
  },
  {
    // { printf '%s' ac8770212e254ddd28524deb9958c05d955c4e122ff7880803cceecd430a8841 | xxd -r -p; printf '%s' '<json>'; } | sha256sum
    json: String.raw`{"action":"customer.read","actorId":"5b0c2f7e-3d1a-4c8e-9f21-6a7b8c9d0e1f","actorRole":"AGENT","clientAddress":"203.0.113.7","details":{"Zone":"EU","caseRef":"CASE-2026-0042","count":3,"masked":false},"fields":["email","fullName","phone"],"occurredAt":"2026-11-28T10:59:01.500Z","operation":"CustomerById","outcome":"SUCCESS","purpose":"Réclamation — dossier 42","requestId":"req-0002","resourceId":"9d2e4f60-1b3c-4a5d-8e7f-0a1b2c3d4e5f","resourceType":"customer","seq":2,"v":1}`,
    hash: "97d0f1f28a3884f9dedb2dcb7196a422ef92572c4307f45acf7d9ea335eaf791",
  },
  {
    // { printf '%s' 97d0f1f28a3884f9dedb2dcb7196a422ef92572c4307f45acf7d9ea335eaf791 | xxd -r -p; printf '%s' '<json>'; } | sha256sum
    json: String.raw`{"action":"auth.login","actorId":null,"actorRole":null,"clientAddress":"198.51.100.23","details":{"big":1e+21,"negZero":0,"note":"tab\there \"quoted\" back\\slash\u0001","ratio":0.1,"reason":"bad_password","tiny":1e-7,"usernameHmac":"c0ffee00c0ffee00c0ffee00c0ffee00"},"fields":[],"occurredAt":"2026-11-28T11:00:00.000Z","operation":null,"outcome":"FAILURE","purpose":null,"requestId":"req-0003","resourceId":null,"resourceType":"session","seq":3,"v":1}`,
    hash: "4cc2973a3913619dedf8e1fdb69b43c281e74d32452b398deb95c0291ce87795",
  },
  {
    // { printf '%s' 4cc2973a3913619dedf8e1fdb69b43c281e74d32452b398deb95c0291ce87795 | xxd -r -p; printf '%s' '<json>'; } | sha256sum
    // Same digest from a second toolchain:
    // { perl -e 'print pack("H*", $ARGV[0])' 4cc2973a3913619dedf8e1fdb69b43c281e74d32452b398deb95c0291ce87795; printf '%s' '<json>'; } | openssl dgst -sha256 -r
    json: String.raw`{"action":"case.open","actorId":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0","actorRole":"TEAM_LEAD","clientAddress":null,"details":{"é":true,"😀":"emoji-key","ﬁ":"ligature-key"},"fields":["status"],"occurredAt":"2026-11-28T11:02:03.004Z","operation":"OpenCase","outcome":"DENIED","purpose":"🔒 lock","requestId":null,"resourceId":"CASE-2026-0042","resourceType":"case","seq":4,"v":1}`,
    hash: "a63522ac6daba6bcec74afbf0bb4fcb2d4f4edb0ff1eae5e223f5d865bee8b0b",
  },
];

describe("known-answer vectors", () => {
  it("GENESIS_HASH is 32 zero bytes in hex", () => {
    expect(GENESIS_HASH).toBe("0000000000000000000000000000000000000000000000000000000000000000");
    expect(GENESIS_HEAD).toEqual({ seq: 0, hash: GENESIS_HASH });
  });

  it.each(VECTORS.map((v, i) => [i + 1, v] as const))("event %i has the expected canonical form and hash", (seq, v) => {
    const prevHash = seq === 1 ? GENESIS_HASH : VECTORS[seq - 2].hash;
    expect(canonicalEvent(seq, EVENTS[seq - 1])).toBe(v.json);
    expect(hashEvent(prevHash, seq, EVENTS[seq - 1])).toBe(v.hash);
  });

  it("sealEvents chains the vectors from genesis", () => {
    const sealed = sealEvents(GENESIS_HEAD, EVENTS);
    expect(sealed.map((e) => [e.seq, e.prevHash, e.hash])).toEqual([
      [1, GENESIS_HASH, VECTORS[0].hash],
      [2, VECTORS[0].hash, VECTORS[1].hash],
      [3, VECTORS[1].hash, VECTORS[2].hash],
      [4, VECTORS[2].hash, VECTORS[3].hash],
    ]);
  });

  it("sealEvents continues from a non-genesis head", () => {
    const sealed = sealEvents({ seq: 2, hash: VECTORS[1].hash }, EVENTS.slice(2));
    expect(sealed.map((e) => e.seq)).toEqual([3, 4]);
    expect(sealed[1].hash).toBe(VECTORS[3].hash);
  });
});

describe("sealEvents", () => {
  it("returns nothing for nothing", () => {
    expect(sealEvents(GENESIS_HEAD, [])).toEqual([]);
  });

  it("stores fields as hashed and is not affected by later mutation of the input", () => {
    const input = structuredClone(EVENTS[1]);
    const [sealed] = sealEvents({ seq: 1, hash: VECTORS[0].hash }, [input]);
    expect(sealed.fields).toEqual(["email", "fullName", "phone"]);
    input.details.count = 999;
    input.fields.push("nationalId");
    expect(sealed.details.count).toBe(3);
    expect(hashEvent(sealed.prevHash, sealed.seq, sealed)).toBe(VECTORS[1].hash);
  });

  it("does not copy properties outside the event shape", () => {
    const input = { ...EVENTS[0], nationalId: "X" } as AuditEventContent;
    const [sealed] = sealEvents(GENESIS_HEAD, [input]);
    expect(sealed).not.toHaveProperty("nationalId");
  });

  it.each([
    ["a negative seq", { seq: -1, hash: GENESIS_HASH }],
    ["a fractional seq", { seq: 1.5, hash: GENESIS_HASH }],
    ["an upper-case hash", { seq: 0, hash: GENESIS_HASH.replace(/0/g, "A") }],
    ["a short hash", { seq: 0, hash: "00" }],
  ])("rejects a head with %s", (_label, head) => {
    expect(() => sealEvents(head, EVENTS)).toThrow(TypeError);
  });
});

describe("hashEvent", () => {
  it.each(["", "00", GENESIS_HASH.toUpperCase().replace(/0/g, "F"), `${GENESIS_HASH}00`, `0x${GENESIS_HASH.slice(2)}`])(
    "rejects prevHash %j",
    (prevHash) => {
      expect(() => hashEvent(prevHash, 1, EVENTS[0])).toThrow(TypeError);
    },
  );

  it("changes when any single property changes", () => {
    const base = hashEvent(GENESIS_HASH, 1, EVENTS[0]);
    const variants: Partial<AuditEventContent>[] = [
      { occurredAt: "2026-11-28T10:58:38.124Z" },
      { actorId: null },
      { actorRole: "ADMIN" },
      { action: "auth.logout" },
      { resourceType: "case" },
      { resourceId: "x" },
      { fields: ["email"] },
      { outcome: "DENIED" },
      { requestId: null },
      { operation: "login" },
      { clientAddress: "203.0.113.8" },
      { purpose: "" },
      { details: { method: "passkey" } },
      { details: { method: "password", extra: null } },
    ];
    for (const patch of variants) expect(hashEvent(GENESIS_HASH, 1, { ...EVENTS[0], ...patch })).not.toBe(base);
    expect(hashEvent(GENESIS_HASH, 2, EVENTS[0])).not.toBe(base);
    expect(hashEvent(VECTORS[0].hash, 1, EVENTS[0])).not.toBe(base);
  });
});

// ---- Naive reference: fixed key order by string concatenation, its own string escaper, one-shot hash.

function refString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0c) out += "\\f";
    else if (c === 0x0d) out += "\\r";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += ch + s[i + 1];
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += "\\u" + c.toString(16);
    else out += ch;
  }
  return out + '"';
}

const refNullable = (s: string | null) => (s === null ? "null" : refString(s));
const refScalar = (v: AuditDetailValue) =>
  v === null ? "null" : typeof v === "string" ? refString(v) : typeof v === "number" ? String(v) : v ? "true" : "false";
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function refCanonical(seq: number, e: AuditEventContent): string {
  const details = Object.keys(e.details)
    .sort(byCodeUnits)
    .map((k) => refString(k) + ":" + refScalar(e.details[k]))
    .join(",");
  const fields = Array.from(new Set(e.fields)).sort(byCodeUnits).map(refString).join(",");
  return (
    '{"action":' + refString(e.action) +
    ',"actorId":' + refNullable(e.actorId) +
    ',"actorRole":' + refNullable(e.actorRole) +
    ',"clientAddress":' + refNullable(e.clientAddress) +
    ',"details":{' + details + "}" +
    ',"fields":[' + fields + "]" +
    ',"occurredAt":' + refString(e.occurredAt) +
    ',"operation":' + refNullable(e.operation) +
    ',"outcome":' + refString(e.outcome) +
    ',"purpose":' + refNullable(e.purpose) +
    ',"requestId":' + refNullable(e.requestId) +
    ',"resourceId":' + refNullable(e.resourceId) +
    ',"resourceType":' + refString(e.resourceType) +
    ',"seq":' + String(seq) +
    ',"v":1}'
  );
}

function refHash(prevHex: string, seq: number, e: AuditEventContent): string {
  const bytes = Buffer.concat([Buffer.from(prevHex, "hex"), Buffer.from(refCanonical(seq, e), "utf8")]);
  return createHash("sha256").update(bytes).digest("hex");
}

// mulberry32: seeded, so a failure reproduces.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [..."aZ09 -_.:/@", '"', "\\", "\u0000", "\u0001", "\b", "\t", "\n", "\f", "\r", "\u001f", "\u007f",
  "é", "ß", "€", "漢", "\u2028", "\u2029", "\uFB01", "🔒", "😀", "\uD800", "\uDFFF"];

function randomEvent(rand: () => number): AuditEventContent {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const str = (max = 12) => Array.from({ length: Math.floor(rand() * max) }, () => pick(ALPHABET)).join("");
  const maybe = () => (rand() < 0.3 ? null : str());
  const num = () => pick([0, -0, 1, -1, 0.1, 1e21, 1e-7, 5e-324, 2 ** 53, (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20)]);
  const details: Record<string, AuditDetailValue> = {};
  for (let i = Math.floor(rand() * 6); i > 0; i--) {
    details[str(6)] = pick([() => str(), num, () => rand() < 0.5, () => null])();
  }
  const at = new Date(Date.UTC(2000, 0, 1) + Math.floor(rand() * 2 ** 40)).toISOString();
  return {
    occurredAt: at,
    actorId: maybe(),
    actorRole: maybe(),
    action: str(),
    resourceType: str(),
    resourceId: maybe(),
    fields: Array.from({ length: Math.floor(rand() * 5) }, () => pick(["email", "phone", "fullName", str(4)])),
    outcome: pick(["SUCCESS", "DENIED", "NOT_FOUND", "FAILURE"]),
    requestId: maybe(),
    operation: maybe(),
    clientAddress: maybe(),
    purpose: maybe(),
    details,
  };
}

describe("reference implementation", () => {
  it("agrees with the vectors", () => {
    let prev = GENESIS_HASH;
    EVENTS.forEach((e, i) => {
      expect(refCanonical(i + 1, e)).toBe(VECTORS[i].json);
      prev = refHash(prev, i + 1, e);
      expect(prev).toBe(VECTORS[i].hash);
    });
  });

  it("agrees with hashEvent on 200 random events", () => {
    const rand = prng(0x5eed);
    let prev = GENESIS_HASH;
    for (let i = 0; i < 200; i++) {
      const seq = i < 100 ? i + 1 : 1 + Math.floor(rand() * Number.MAX_SAFE_INTEGER);
      const e = randomEvent(rand);
      expect(canonicalEvent(seq, e)).toBe(refCanonical(seq, e));
      const hash = hashEvent(prev, seq, e);
      expect(hash).toBe(refHash(prev, seq, e));
      prev = hash;
    }
  });
});
