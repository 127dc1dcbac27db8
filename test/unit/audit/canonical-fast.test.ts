// The event's canonical form written out for its one shape (canonicalBody + canonicalAt) against the general
// RFC 8785 serializer it replaces on the hot path, over generated events full of awkward strings, keys and
// numbers; and sealing prepared events against hashing each event from scratch.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GENESIS_HEAD, canonicalEvent, canonicalJson, hashEvent, normalizeFields, prepareEvent, sealEvents, sealPrepared } from "../../../src/audit/core";
import type { AuditEventContent } from "../../../src/audit/core";
import { pickContent } from "../../../src/audit/core/canonical";
import { seededRandom } from "../../../src/domain/risk-model";

/** The same generated events on every run, many shapes per run. */
const rng = seededRandom;

const AWKWARD = ["", "a", "A", "é", "\u20ac", "\uFB01", "\u{1F600}", "\uD800", "\uDFFF", '"', "\\", "\n", "\u0000", "\u001f", "\u007f", "\u2028", "</script>", "10", "9", "z"];
const NUMBERS = [0, -0, 1, -1.25, 1e21, 1e-7, 123456789.125, Number.MAX_SAFE_INTEGER, -Number.MAX_VALUE, 5e-324];

function generate(random: () => number): AuditEventContent {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const text = () => Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(AWKWARD)).join("");
  const maybe = () => (random() < 0.25 ? null : text());
  const details: Record<string, string | number | boolean | null> = {};
  for (let i = Math.floor(random() * 6); i > 0; i -= 1) {
    const r = random();
    details[text()] = r < 0.3 ? text() : r < 0.6 ? pick(NUMBERS) : r < 0.8 ? random() < 0.5 : null;
  }
  const at = new Date(Date.UTC(1970 + Math.floor(random() * 100), 0, 1) + Math.floor(random() * 3e10));
  return {
    occurredAt: at.toISOString(),
    actorId: maybe(),
    actorRole: maybe(),
    action: text(),
    resourceType: text(),
    resourceId: maybe(),
    fields: Array.from({ length: Math.floor(random() * 5) }, () => pick(AWKWARD.slice(0, 8))),
    outcome: text(),
    requestId: maybe(),
    operation: maybe(),
    clientAddress: maybe(),
    purpose: maybe(),
    details,
  };
}

describe("the event's canonical form, written out", () => {
  it("is byte for byte the general RFC 8785 serialization of { v: 1, seq, …content } for 5,000 generated events", () => {
    const random = rng(20261128);
    for (let i = 0; i < 5_000; i += 1) {
      const e = generate(random);
      const seq = 1 + Math.floor(random() * 1e12);
      expect(canonicalEvent(seq, e)).toBe(canonicalJson({ v: 1, seq, ...pickContent(e) }));
    }
  });

  it("sealing prepared events gives the hashes of hashing each from scratch", () => {
    const random = rng(7);
    const events = Array.from({ length: 300 }, () => generate(random));
    const head = { seq: 41, hash: "ab".repeat(32) };
    const sealed = sealPrepared(head, events.map(prepareEvent));
    let prev = head.hash;
    sealed.forEach((s, i) => {
      const canonical = canonicalJson({ v: 1, seq: head.seq + 1 + i, ...pickContent(events[i]) });
      const expected = createHash("sha256").update(Buffer.from(prev, "hex")).update(canonical, "utf8").digest("hex");
      expect(s).toMatchObject({ seq: head.seq + 1 + i, prevHash: prev, hash: expected });
      expect(hashEvent(prev, s.seq, events[i])).toBe(expected);
      prev = expected;
    });
    expect(sealEvents(head, events)).toEqual(sealed);
  });

  it("a prepared event is a copy: changing the caller's object afterwards changes nothing sealed", () => {
    const e = generate(rng(3));
    e.fields = ["b", "a", "b"];
    e.details = { k: 1 };
    const prepared = prepareEvent(e);
    const before = sealPrepared(GENESIS_HEAD, [prepared]);
    e.fields.push("c");
    e.details.k = 2;
    e.action = "changed";
    expect(sealPrepared(GENESIS_HEAD, [prepared])).toEqual(before);
    expect(before[0]).toMatchObject({ fields: ["a", "b"], details: { k: 1 } });
  });

  it("prepareEvent refuses what canonicalEvent refuses, naming the property and never the value", () => {
    const ok = generate(rng(11));
    const bad: Array<[Partial<Record<keyof AuditEventContent, unknown>>, RegExp]> = [
      [{ occurredAt: "2026-02-30T25:61:00.000Z" }, /occurredAt/],
      [{ occurredAt: "2026-11-28T10:58:38Z" }, /occurredAt/],
      [{ action: 7 }, /action must be a string/],
      [{ actorId: undefined }, /actorId must be a string or null/],
      [{ fields: ["ok", 3] }, /fields must be an array of strings/],
      [{ details: { secret: { nested: true } } }, /details\.secret must be/],
      [{ details: { n: Number.NaN } }, /details\.n must be/],
      [{ details: [] }, /details must be an object/],
    ];
    for (const [change, message] of bad) {
      const e = { ...ok, ...change } as AuditEventContent;
      expect(() => canonicalEvent(1, e)).toThrow(message);
      expect(() => prepareEvent(e)).toThrow(message);
      try {
        prepareEvent(e);
      } catch (error) {
        expect(String(error)).not.toMatch(/nested|NaN/);
      }
    }
    expect(() => canonicalEvent(0, ok)).toThrow(/seq must be a positive safe integer/);
  });

  it("normalizes fields into a fresh array whether or not they came sorted and unique", () => {
    const sorted = ["a", "b", "c"];
    const out = normalizeFields(sorted);
    expect(out).toEqual(sorted);
    expect(out).not.toBe(sorted);
    out.push("d");
    expect(sorted).toEqual(["a", "b", "c"]);
    expect(normalizeFields(["b", "a", "b"])).toEqual(["a", "b"]);
    expect(normalizeFields(["a", "a"])).toEqual(["a"]);
    expect(normalizeFields(["\u{1F600}", "\uFB01"])).toEqual(["\u{1F600}", "\uFB01"]); // UTF-16 order, already sorted
    expect(normalizeFields(["\uFB01", "\u{1F600}"])).toEqual(["\u{1F600}", "\uFB01"]);
  });

  it("an impossible instant is refused right after a valid one (the check remembers only what passed)", () => {
    const ok = generate(rng(5));
    expect(() => prepareEvent({ ...ok, occurredAt: "2026-11-28T10:00:00.000Z" })).not.toThrow();
    expect(() => prepareEvent({ ...ok, occurredAt: "2026-11-28T10:00:00.000Z" })).not.toThrow();
    expect(() => prepareEvent({ ...ok, occurredAt: "2026-02-30T10:00:00.000Z" })).toThrow(/occurredAt is not a valid instant/);
    expect(() => prepareEvent({ ...ok, occurredAt: "2026-11-28T10:00:00.000Z" })).not.toThrow();
  });
});
