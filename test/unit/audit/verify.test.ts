// Tamper detection: every way of editing a stored chain is reported at the right seq with the right reason.
import { describe, it, expect } from "vitest";
import {
  ChainBreakError,
  ChainVerifier,
  GENESIS_HEAD,
  UNHASHABLE,
  assertChainIntact,
  describeBreak,
  hashEvent,
  sealEvents,
  verifyEvents,
  verifyEventsAsync,
} from "../../../src/audit/core";
import type { AuditEventContent, SealedAuditEvent } from "../../../src/audit/core";

const N = 10;

function content(i: number): AuditEventContent {
  return {
    occurredAt: new Date(Date.UTC(2026, 10, 28, 10, 0, i)).toISOString(),
    actorId: "5b0c2f7e-3d1a-4c8e-9f21-6a7b8c9d0e1f",
    actorRole: "AGENT",
    action: i % 2 ? "customer.read" : "case.update",
    resourceType: i % 2 ? "customer" : "case",
    resourceId: `res-${i}`,
    fields: i % 2 ? ["email", "phone"] : ["status"],
    outcome: "SUCCESS",
    requestId: `req-${i}`,
    operation: "Op",
    clientAddress: "203.0.113.7",
    purpose: "complaint handling",
    details: { n: i },
  };
}

const CHAIN: readonly SealedAuditEvent[] = sealEvents(GENESIS_HEAD, Array.from({ length: N }, (_, i) => content(i + 1)));
const HEAD = { seq: N, hash: CHAIN[N - 1].hash };
const copy = (): SealedAuditEvent[] => structuredClone(CHAIN) as SealedAuditEvent[];
const at = (seq: number) => CHAIN[seq - 1];

describe("verifyEvents", () => {
  it("accepts an intact chain", () => {
    expect(verifyEvents(CHAIN)).toEqual({ ok: true, checked: N, firstBadSeq: null, reason: null, expected: null, found: null });
    expect(verifyEvents(CHAIN, GENESIS_HEAD, HEAD).ok).toBe(true);
  });

  it("accepts an empty log", () => {
    expect(verifyEvents([])).toMatchObject({ ok: true, checked: 0 });
    expect(verifyEvents([], GENESIS_HEAD, GENESIS_HEAD)).toMatchObject({ ok: true, checked: 0 });
  });

  it("reports an edited field as HASH_MISMATCH at that seq", () => {
    const rows = copy();
    rows[4].outcome = "DENIED";
    const r = verifyEvents(rows);
    expect(r).toMatchObject({ ok: false, checked: 4, firstBadSeq: 5, reason: "HASH_MISMATCH", found: at(5).hash });
    expect(r.expected).toBe(hashEvent(at(4).hash, 5, rows[4]));
  });

  it("reports an edited detail or fields list as HASH_MISMATCH", () => {
    const a = copy();
    a[6].details.n = 0;
    expect(verifyEvents(a)).toMatchObject({ firstBadSeq: 7, reason: "HASH_MISMATCH" });
    const b = copy();
    b[6].fields = [];
    expect(verifyEvents(b)).toMatchObject({ firstBadSeq: 7, reason: "HASH_MISMATCH" });
  });

  it("reports a deleted row as SEQ_GAP at the deleted seq", () => {
    const rows = copy();
    rows.splice(4, 1);
    expect(verifyEvents(rows)).toMatchObject({ ok: false, checked: 4, firstBadSeq: 5, reason: "SEQ_GAP", expected: "5", found: "6" });
  });

  it("reports a row inserted with a duplicate seq as SEQ_GAP where the next seq was expected", () => {
    const rows = copy();
    rows.splice(5, 0, { ...structuredClone(at(5)), purpose: "forged" });
    expect(verifyEvents(rows)).toMatchObject({ checked: 5, firstBadSeq: 6, reason: "SEQ_GAP", expected: "6", found: "5" });
  });

  it("reports a row inserted with a greater seq as SEQ_GAP", () => {
    const rows = copy();
    rows.splice(5, 0, { ...structuredClone(at(5)), seq: 42 });
    expect(verifyEvents(rows)).toMatchObject({ checked: 5, firstBadSeq: 6, reason: "SEQ_GAP", expected: "6", found: "42" });
  });

  it("reports a well-forged inserted row, with later rows renumbered, as PREV_HASH_MISMATCH on the row after it", () => {
    const [forged] = sealEvents({ seq: 5, hash: at(5).hash }, [{ ...content(99), action: "customer.export" }]);
    const rows = [...copy().slice(0, 5), forged, ...copy().slice(5).map((e) => ({ ...e, seq: e.seq + 1 }))];
    expect(verifyEvents(rows)).toMatchObject({
      checked: 6,
      firstBadSeq: 7,
      reason: "PREV_HASH_MISMATCH",
      expected: forged.hash,
      found: at(5).hash,
    });
  });

  it("reports two rows swapped in stream order as SEQ_GAP", () => {
    const rows = copy();
    [rows[3], rows[4]] = [rows[4], rows[3]];
    expect(verifyEvents(rows)).toMatchObject({ checked: 3, firstBadSeq: 4, reason: "SEQ_GAP", expected: "4", found: "5" });
  });

  it("reports two rows' contents swapped under their seq numbers as PREV_HASH_MISMATCH", () => {
    const rows = copy();
    [rows[3], rows[4]] = [{ ...rows[4], seq: 4 }, { ...rows[3], seq: 5 }];
    expect(verifyEvents(rows)).toMatchObject({
      checked: 3,
      firstBadSeq: 4,
      reason: "PREV_HASH_MISMATCH",
      expected: at(3).hash,
      found: at(4).hash,
    });
  });

  it("reports a replaced hash as HASH_MISMATCH, including a mere change of case", () => {
    const rows = copy();
    rows[2].hash = rows[2].hash.toUpperCase();
    expect(verifyEvents(rows)).toMatchObject({ firstBadSeq: 3, reason: "HASH_MISMATCH", expected: at(3).hash });
  });

  it("reports stored content that cannot be canonicalised as HASH_MISMATCH, not a crash", () => {
    const rows = copy();
    (rows[1].details as Record<string, unknown>).n = { nested: true };
    expect(verifyEvents(rows)).toMatchObject({ firstBadSeq: 2, reason: "HASH_MISMATCH", expected: UNHASHABLE });
    const late = copy();
    late[1].occurredAt = "2026-11-28T10:00:02.000000Z";
    expect(verifyEvents(late)).toMatchObject({ firstBadSeq: 2, reason: "HASH_MISMATCH", expected: UNHASHABLE });
  });

  // Truncation leaves a valid prefix: only a trusted head (a checkpoint) can tell it was shortened.
  it("cannot see tail truncation alone, but expectedHead reports it as TRUNCATED", () => {
    const rows = copy().slice(0, N - 1);
    expect(verifyEvents(rows)).toMatchObject({ ok: true, checked: N - 1 });
    expect(verifyEvents(rows, GENESIS_HEAD, HEAD)).toEqual({
      ok: false,
      checked: N - 1,
      firstBadSeq: N,
      reason: "TRUNCATED",
      expected: String(N),
      found: String(N - 1),
    });
    expect(verifyEvents([], GENESIS_HEAD, HEAD)).toMatchObject({ firstBadSeq: 1, reason: "TRUNCATED", found: "0" });
  });

  // Re-hashing everything after an edit yields a self-consistent chain; the trusted head no longer
  // matches the stored hash at its seq, which is reported as HASH_MISMATCH at the head's seq
  // (expected = trusted hash, found = stored hash). A mid-chain checkpoint narrows it down.
  it("cannot see a chain re-hashed from an edited event alone; expectedHead reports HASH_MISMATCH at its seq", () => {
    const rewritten = [
      ...CHAIN.slice(0, 2),
      ...sealEvents({ seq: 2, hash: at(2).hash }, [{ ...content(3), outcome: "DENIED" }, ...CHAIN.slice(3)]),
    ];
    expect(verifyEvents(rewritten)).toMatchObject({ ok: true, checked: N });
    expect(verifyEvents(rewritten, GENESIS_HEAD, HEAD)).toEqual({
      ok: false,
      checked: N - 1,
      firstBadSeq: N,
      reason: "HASH_MISMATCH",
      expected: HEAD.hash,
      found: rewritten[N - 1].hash,
    });
    const checkpoint = { seq: 5, hash: at(5).hash };
    expect(verifyEvents(rewritten, GENESIS_HEAD, checkpoint)).toMatchObject({ checked: 4, firstBadSeq: 5, reason: "HASH_MISMATCH" });
    const before = { seq: 2, hash: at(2).hash };
    expect(verifyEvents(rewritten, GENESIS_HEAD, before)).toMatchObject({ ok: true, checked: N });
  });

  it("verifies incrementally from a trusted non-genesis start", () => {
    const start = { seq: 6, hash: at(6).hash };
    expect(verifyEvents(CHAIN.slice(6), start)).toMatchObject({ ok: true, checked: 4 });
    expect(verifyEvents(CHAIN.slice(6), start, HEAD)).toMatchObject({ ok: true, checked: 4 });
    expect(verifyEvents(CHAIN.slice(6), { seq: 6, hash: at(5).hash })).toMatchObject({ firstBadSeq: 7, reason: "PREV_HASH_MISMATCH" });
    expect(verifyEvents(CHAIN, start)).toMatchObject({ checked: 0, firstBadSeq: 7, reason: "SEQ_GAP", expected: "7", found: "1" });
  });

  it("checks an expectedHead equal to the start without any event", () => {
    expect(verifyEvents([], HEAD, HEAD).ok).toBe(true);
    expect(verifyEvents([], HEAD, { seq: N, hash: at(1).hash })).toMatchObject({ firstBadSeq: N, reason: "HASH_MISMATCH" });
  });

  it("rejects malformed start points and an expectedHead before the start as programmer errors", () => {
    expect(() => verifyEvents(CHAIN, { seq: -1, hash: GENESIS_HEAD.hash })).toThrow(TypeError);
    expect(() => verifyEvents(CHAIN, { seq: 0, hash: "abc" })).toThrow(TypeError);
    expect(() => verifyEvents(CHAIN, HEAD, GENESIS_HEAD)).toThrow(TypeError);
  });
});

describe("ChainVerifier", () => {
  it("tracks checked and head as events arrive", () => {
    const v = new ChainVerifier();
    expect(v.head).toEqual(GENESIS_HEAD);
    for (const e of CHAIN.slice(0, 3)) expect(v.push(e)).toBeNull();
    expect(v.checked).toBe(3);
    expect(v.head).toEqual({ seq: 3, hash: at(3).hash });
    expect(v.finish()).toBeNull();
  });

  it("stops at the first break and keeps returning it", () => {
    const rows = copy();
    rows[1].action = "customer.export";
    const v = new ChainVerifier();
    v.push(rows[0]);
    const first = v.push(rows[1]);
    expect(first).toMatchObject({ seq: 2, reason: "HASH_MISMATCH" });
    expect(v.push(rows[2])).toBe(first);
    expect(v.finish()).toBe(first);
    expect(v.broken).toBe(first);
    expect(v.checked).toBe(1);
    expect(v.head).toEqual({ seq: 1, hash: at(1).hash });
  });

  it("refuses a seq that is not a number (pg returns bigint as a string)", () => {
    const v = new ChainVerifier();
    expect(() => v.push({ ...at(1), seq: "1" as unknown as number })).toThrow(TypeError);
  });
});

describe("verifyEventsAsync", () => {
  async function* stream(rows: readonly SealedAuditEvent[], log: { pulled: number; closed: boolean }) {
    try {
      for (const e of rows) {
        log.pulled += 1;
        yield e;
      }
    } finally {
      log.closed = true;
    }
  }

  it("verifies an async stream", async () => {
    const log = { pulled: 0, closed: false };
    await expect(verifyEventsAsync(stream(CHAIN, log), GENESIS_HEAD, HEAD)).resolves.toMatchObject({ ok: true, checked: N });
  });

  it("stops pulling at the first break and closes the source", async () => {
    const rows = copy();
    rows[2].resourceId = "res-other";
    const log = { pulled: 0, closed: false };
    await expect(verifyEventsAsync(stream(rows, log))).resolves.toMatchObject({ firstBadSeq: 3, reason: "HASH_MISMATCH" });
    expect(log).toEqual({ pulled: 3, closed: true });
  });

  it("reports truncation against expectedHead", async () => {
    const log = { pulled: 0, closed: false };
    const r = await verifyEventsAsync(stream(CHAIN.slice(0, 4), log), GENESIS_HEAD, HEAD);
    expect(r).toMatchObject({ checked: 4, firstBadSeq: 5, reason: "TRUNCATED" });
  });
});

describe("ChainBreakError and describeBreak", () => {
  it("carries the break's values and a one-line message", () => {
    const rows = copy();
    rows[4].purpose = "Jane Doe, IBAN FR76 3000 6000 0112 3456 7890 189";
    const r = verifyEvents(rows);
    let error: unknown;
    try {
      assertChainIntact(r);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChainBreakError);
    const b = error as ChainBreakError;
    expect([b.seq, b.reason, b.expected, b.found]).toEqual([5, "HASH_MISMATCH", r.expected, r.found]);
    expect(b.name).toBe("ChainBreakError");
    expect(b.message).toMatch(/^seq 5: /);
    expect(b.message).toContain(at(5).hash.slice(0, 12));
    expect(b.message).not.toContain(at(5).hash);
    expect(b.message).not.toMatch(/Jane|IBAN|\n/);
  });

  it("does not throw for an intact chain", () => {
    expect(() => assertChainIntact(verifyEvents(CHAIN))).not.toThrow();
  });

  it("describes every reason on one line, keeping untrusted stored text printable", () => {
    const h = at(1).hash;
    const lines = [
      describeBreak({ seq: 5, reason: "SEQ_GAP", expected: "5", found: "6" }),
      describeBreak({ seq: 5, reason: "PREV_HASH_MISMATCH", expected: h, found: "evil\nline\u2028two" }),
      describeBreak({ seq: 5, reason: "HASH_MISMATCH", expected: UNHASHABLE, found: h }),
      describeBreak({ seq: 9, reason: "TRUNCATED", expected: "10", found: "8" }),
    ];
    for (const line of lines) {
      expect(line).toMatch(/^seq \d+: /);
      expect(line).not.toMatch(/[\n\r\u2028]/);
    }
    expect(lines[0]).toContain("expected seq 5 but found seq 6");
    expect(lines[3]).toContain("ends at seq 8");
  });
});
