// The hash chain: how one event's hash binds it to its predecessor, and sealing a batch onto a head.
import { createHash } from "node:crypto";
import { canonicalAt, canonicalEvent, canonicalParts, pickContent } from "./canonical";
import type { AuditEventContent, ChainHead, SealedAuditEvent } from "./types";

/** The prevHash of seq 1: 32 zero bytes, so every event is hashed the same way with no special case. */
export const GENESIS_HASH = "0".repeat(64);

/** The head of an empty log. */
export const GENESIS_HEAD: Readonly<ChainHead> = Object.freeze({ seq: 0, hash: GENESIS_HASH });

const HASH_HEX = /^[0-9a-f]{64}$/;

/** Lower-case only: two spellings of one hash would let a stored row differ from its recomputation. */
export function isHashHex(value: unknown): value is string {
  return typeof value === "string" && HASH_HEX.test(value);
}

/**
 * SHA-256(prevHash as 32 raw bytes ‖ UTF-8 of canonicalEvent(seq, e)), lower-case hex.
 * The fixed-length raw prefix needs no separator: the JSON always starts at byte 32.
 */
export function hashEvent(prevHash: string, seq: number, e: AuditEventContent): string {
  if (!isHashHex(prevHash)) throw new TypeError("hashEvent: prevHash must be 64 lower-case hex characters");
  return hashCanonical(prevHash, canonicalEvent(seq, e));
}

function hashCanonical(prevHash: string, canonical: string): string {
  return createHash("sha256").update(Buffer.from(prevHash, "hex")).update(canonical, "utf8").digest("hex");
}

/** An event checked and made ready to seal: its own copy of the content and its canonical form but the seq. */
export interface PreparedAuditEvent {
  content: AuditEventContent;
  body: string;
}

/** Checks and copies `e` (TypeError if canonicalEvent would refuse it) and makes its canonical body. */
export function prepareEvent(e: AuditEventContent): PreparedAuditEvent {
  // Checked as given (a copy would turn, say, an array of details into an object), then copied.
  const { body, fields } = canonicalParts(e);
  return { content: pickContent(e, fields), body };
}

export function assertChainHead(head: ChainHead, what = "head"): void {
  if (typeof head !== "object" || head === null) throw new TypeError(`${what} must be { seq, hash }`);
  if (!Number.isSafeInteger(head.seq) || head.seq < 0) {
    throw new TypeError(`${what}.seq must be a non-negative safe integer`);
  }
  if (!isHashHex(head.hash)) throw new TypeError(`${what}.hash must be 64 lower-case hex characters`);
}

/**
 * Seals `events` after `head`, assigning seq head.seq+1, head.seq+2, … . Pure: persisting the
 * result (and making sure `head` really is the stored head) is the storage adapter's job.
 */
export function sealEvents(head: ChainHead, events: readonly AuditEventContent[]): SealedAuditEvent[] {
  return sealPrepared(head, events.map(prepareEvent));
}

/** sealEvents for events prepared beforehand (prepareEvent): what is left is the seq and one SHA-256 each. */
export function sealPrepared(head: ChainHead, events: readonly PreparedAuditEvent[]): SealedAuditEvent[] {
  assertChainHead(head);
  const sealed: SealedAuditEvent[] = [];
  let prevHash = head.hash;
  let seq = head.seq;
  for (const e of events) {
    seq += 1;
    const hash = hashCanonical(prevHash, canonicalAt(e.body, seq));
    sealed.push({ seq, prevHash, hash, ...e.content });
    prevHash = hash;
  }
  return sealed;
}
