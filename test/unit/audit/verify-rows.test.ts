// checkChunk (the worker's check of binary COPY rows) against the reference ChainVerifier: identical findings on
// valid, edited and unhashable rows, and a canonical form identical to canonicalEvent for awkward content.
import { describe, expect, it } from "vitest";
import { ChainVerifier, GENESIS_HEAD, UNHASHABLE, sealEvents, type AuditEventContent, type SealedAuditEvent } from "../../../src/audit/core";
import { checkChunk, tupleEnd, type ChunkResult } from "../../../src/audit/verify-rows";

const PG_EPOCH_MS = 946_684_800_000;

/** Stored form of one row as binary COPY would send it; `raw` overrides let a test store what the app never would. */
interface Raw {
  fields?: Array<string | null> | string[][];
  details?: unknown;
  extraMicros?: number;
  nulls?: Array<"action" | "outcome">;
}

function field(bytes: Buffer | null): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(bytes ? bytes.length : -1);
  return bytes ? Buffer.concat([len, bytes]) : len;
}
const text = (s: string | null) => field(s === null ? null : Buffer.from(s, "utf8"));

function textArray(values: Array<string | null> | string[][]): Buffer {
  if (values.length && Array.isArray(values[0])) {
    const rows = values as string[][];
    const head = Buffer.alloc(28);
    head.writeInt32BE(2, 0);
    head.writeInt32BE(0, 4);
    head.writeInt32BE(25, 8);
    head.writeInt32BE(rows.length, 12);
    head.writeInt32BE(1, 16);
    head.writeInt32BE(rows[0].length, 20);
    head.writeInt32BE(1, 24);
    return field(Buffer.concat([head, ...rows.flat().map(text)]));
  }
  const flat = values as Array<string | null>;
  if (flat.length === 0) return field(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25]));
  const head = Buffer.alloc(20);
  head.writeInt32BE(1, 0);
  head.writeInt32BE(flat.includes(null) ? 1 : 0, 4);
  head.writeInt32BE(25, 8);
  head.writeInt32BE(flat.length, 12);
  head.writeInt32BE(1, 16);
  return field(Buffer.concat([head, ...flat.map(text)]));
}

function encodeRow(e: SealedAuditEvent, raw: Raw = {}): Buffer {
  const count = Buffer.alloc(2);
  count.writeInt16BE(16);
  const seq = Buffer.alloc(8);
  seq.writeBigInt64BE(BigInt(e.seq));
  const ts = Buffer.alloc(8);
  ts.writeBigInt64BE(BigInt(Date.parse(e.occurredAt) - PG_EPOCH_MS) * 1000n + BigInt(raw.extraMicros ?? 0));
  const uuid = e.actorId === null ? null : Buffer.from(e.actorId.replace(/-/g, ""), "hex");
  const details = Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(raw.details ?? e.details), "utf8")]);
  const nul = (k: "action" | "outcome", v: string) => (raw.nulls?.includes(k) ? null : v);
  return Buffer.concat([
    count,
    field(seq),
    field(Buffer.from(e.prevHash, "hex")),
    field(Buffer.from(e.hash, "hex")),
    field(ts),
    field(uuid),
    text(e.actorRole),
    text(nul("action", e.action)),
    text(e.resourceType),
    text(e.resourceId),
    textArray(raw.fields ?? e.fields),
    text(nul("outcome", e.outcome)),
    text(e.requestId),
    text(e.operation),
    text(e.clientAddress),
    text(e.purpose),
    field(details),
  ]);
}

const base: AuditEventContent = {
  occurredAt: "2026-11-28T10:58:38.123Z",
  actorId: "0d7f0c4e-6a9b-4c1e-9a55-1f2e3d4c5b6a",
  actorRole: "AGENT",
  action: "customer.read",
  resourceType: "customer",
  resourceId: "c-1",
  fields: ["phone", "fullName"],
  outcome: "SUCCESS",
  requestId: "r-1",
  operation: "Customer",
  clientAddress: "10.0.0.1",
  purpose: "CASE_HANDLING",
  details: {},
};

/** Content that exercises every escape and ordering rule of the canonical form. */
const awkward: AuditEventContent[] = [
  base,
  { ...base, actorId: null, actorRole: null, resourceId: null, requestId: null, operation: null, clientAddress: null, purpose: null, fields: [] },
  { ...base, resourceId: 'quote " backslash \\ tab \t newline \n nul-ish \u0001 del \u007f', operation: "é ü ß 中文 😀" },
  { ...base, resourceId: "only a back\\slash", requestId: "only\ta tab", operation: "ümlaut only", clientAddress: "ctl\u001f" },
  { ...base, fields: ["b", "a", "b", "Z", "é", "😀", "\uffff", "a\"b"], details: { z: 1, a: "x", m: null, t: true, f: false, n: -0.5, big: 1e21, u: "😀\u2028" } },
  { ...base, details: { "": "empty key", "é": 2, "😀": 3, "\uffff": 4, __proto__x: 5 } },
  { ...base, occurredAt: "1969-12-31T23:59:59.999Z" },
  { ...base, occurredAt: "0000-01-01T00:00:00.000Z" },
  { ...base, occurredAt: "9999-12-31T23:59:59.999Z" },
  { ...base, occurredAt: "2000-01-01T00:00:00.000Z" },
  { ...base, occurredAt: "2024-02-29T12:00:00.007Z", action: "x".repeat(5000) },
];

function sealed(contents: AuditEventContent[]): SealedAuditEvent[] {
  return sealEvents(GENESIS_HEAD, contents);
}

function check(rows: Buffer[], signed = new Map<number, string>()): ChunkResult {
  const buf = Buffer.concat(rows);
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  return checkChunk(copy, signed);
}

/** What the sequential verifier says about the same stored rows (as rowToSealedEvent would read them). */
function reference(events: SealedAuditEvent[]) {
  const v = new ChainVerifier(GENESIS_HEAD);
  for (const e of events) if (v.push(e)) break;
  return { finding: v.broken, checked: v.checked };
}

describe("checkChunk", () => {
  it("accepts valid rows with awkward content: its canonical form is canonicalEvent's, byte for byte", () => {
    const events = sealed(awkward);
    const r = check(events.map((e) => encodeRow(e)));
    expect(r).toMatchObject({ finding: null, rows: events.length, checked: events.length, firstSeq: 1, firstPrevHash: GENESIS_HEAD.hash, lastSeq: events.length, lastHash: events.at(-1)!.hash });
  });

  it("reports each kind of break exactly as ChainVerifier does", () => {
    const events = sealed(Array.from({ length: 8 }, (_, i) => ({ ...base, resourceId: `c-${i}` })));
    const cases: Array<[string, SealedAuditEvent[]]> = [
      ["edited content", events.map((e, i) => (i === 4 ? { ...e, resourceId: "other" } : e))],
      ["deleted row", events.filter((_, i) => i !== 3)],
      ["swapped rows", events.map((e, i) => (i === 2 ? events[5] : i === 5 ? events[2] : e))],
      ["re-hashed row", events.map((e, i) => (i === 6 ? { ...e, hash: "ab".repeat(32) } : e))],
      ["prev_hash edited", events.map((e, i) => (i === 7 ? { ...e, prevHash: "cd".repeat(32) } : e))],
    ];
    for (const [name, rows] of cases) {
      const ref = reference(rows);
      expect(ref.finding, name).not.toBeNull();
      const r = check(rows.map((e) => encodeRow(e)));
      expect({ finding: r.finding, checked: r.checked }, name).toEqual({ finding: ref.finding, checked: ref.checked });
    }
  });

  it("keeps whole milliseconds as pg's parser does: added microseconds do not change the hash", () => {
    const events = sealed([base, base]);
    expect(check([encodeRow(events[0], { extraMicros: 999 }), encodeRow(events[1])]).finding).toBeNull();
    expect(check([encodeRow(events[0], { extraMicros: 1000 }), encodeRow(events[1])]).finding).toMatchObject({ seq: 1, reason: "HASH_MISMATCH", found: events[0].hash });
  });

  it("reports stored content canonicalEvent refuses as HASH_MISMATCH / UNHASHABLE, not a crash", () => {
    const [e] = sealed([base]);
    const bad: Raw[] = [{ details: { nested: { a: 1 } } }, { details: [1, 2] }, { details: "text" }, { fields: ["a", null] }, { fields: [["a"], ["b"]] }, { nulls: ["action"] }, { nulls: ["outcome"] }];
    for (const raw of bad) {
      expect(check([encodeRow(e, raw)]).finding, JSON.stringify(raw)).toEqual({ seq: 1, reason: "HASH_MISMATCH", expected: UNHASHABLE, found: e.hash });
    }
    const far = { ...e, occurredAt: "9999-12-31T23:59:59.999Z" };
    expect(check([encodeRow(far, { extraMicros: 1000 })]).finding).toMatchObject({ expected: UNHASHABLE });
  });

  it("compares a signed checkpoint head after the row's own checks, and counts matches", () => {
    const events = sealed([base, base, base]);
    const ok = check(events.map((e) => encodeRow(e)), new Map([[2, events[1].hash]]));
    expect(ok).toMatchObject({ finding: null, checkpointsChecked: 1, checked: 3 });
    const bad = check(events.map((e) => encodeRow(e)), new Map([[1, events[0].hash], [3, "ee".repeat(32)]]));
    expect(bad).toMatchObject({ finding: { seq: 3, reason: "CHECKPOINT_MISMATCH", expected: "ee".repeat(32), found: events[2].hash }, checkpointsChecked: 1, checked: 3 });
  });

  it("tupleEnd finds row boundaries, an incomplete row and the trailer", () => {
    const [e] = sealed([base]);
    const row = encodeRow(e);
    const buf = Buffer.concat([row, Buffer.from([0xff, 0xff])]);
    expect(tupleEnd(buf, 0, buf.length)).toBe(row.length);
    expect(tupleEnd(buf, 0, row.length - 1)).toBe(-1);
    expect(tupleEnd(buf, row.length, buf.length)).toBe(-2);
  });
});
