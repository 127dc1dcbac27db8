// Verifying a stored chain: a streaming verifier that stops at the first break, and the break's report.
import { GENESIS_HEAD, assertChainHead, hashEvent } from "./chain";
import type { ChainHead, SealedAuditEvent } from "./types";

/**
 * SEQ_GAP: a row is missing, inserted or out of order. PREV_HASH_MISMATCH: a row is not linked to
 * its predecessor. HASH_MISMATCH: a row's content or hash was changed (or, at expectedHead.seq, the
 * whole chain was re-hashed). TRUNCATED: the stream ended before the trusted head.
 */
export type ChainBreakReason = "SEQ_GAP" | "PREV_HASH_MISMATCH" | "HASH_MISMATCH" | "TRUNCATED";

/**
 * `expected` is what the verifier trusts, `found` what is stored. For SEQ_GAP and TRUNCATED they
 * are seq numbers as strings; otherwise hashes.
 */
export interface ChainBreak {
  seq: number;
  reason: ChainBreakReason;
  expected: string;
  found: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Events that verified before the first break (all of them when ok). */
  checked: number;
  firstBadSeq: number | null;
  reason: ChainBreakReason | null;
  expected: string | null;
  found: string | null;
}

/**
 * `expected` of a HASH_MISMATCH whose stored content cannot be canonicalised (say, a nested object
 * written into details): the hash cannot be recomputed, and that is tampering, not a crash.
 */
export const UNHASHABLE = "UNHASHABLE";

/**
 * Checks events one at a time, in seq order, so a whole log can be verified from a cursor in
 * constant memory. After the first break every push returns that same break.
 */
export class ChainVerifier {
  #head: ChainHead;
  #checked = 0;
  #break: ChainBreak | null = null;
  readonly #expectedHead: ChainHead | undefined;

  /**
   * `start` is a head already trusted (genesis by default; a checkpoint for incremental runs).
   * `expectedHead` is a trusted later head: the event at its seq must carry its hash, and
   * finish() reports TRUNCATED if the stream never reaches it.
   */
  constructor(start: ChainHead = GENESIS_HEAD, expectedHead?: ChainHead) {
    assertChainHead(start, "start");
    if (expectedHead !== undefined) {
      assertChainHead(expectedHead, "expectedHead");
      if (expectedHead.seq < start.seq) throw new TypeError("expectedHead.seq must not be before start.seq");
      if (expectedHead.seq === start.seq && expectedHead.hash !== start.hash) {
        this.#break = { seq: start.seq, reason: "HASH_MISMATCH", expected: expectedHead.hash, found: start.hash };
      }
    }
    this.#head = { seq: start.seq, hash: start.hash };
    this.#expectedHead = expectedHead && { seq: expectedHead.seq, hash: expectedHead.hash };
  }

  get checked(): number {
    return this.#checked;
  }

  /** The last verified position; pass it as `start` next time to verify only what was appended. */
  get head(): ChainHead {
    return { seq: this.#head.seq, hash: this.#head.hash };
  }

  get broken(): ChainBreak | null {
    return this.#break;
  }

  push(e: SealedAuditEvent): ChainBreak | null {
    if (this.#break) return this.#break;
    // pg returns bigint columns as strings; comparing "5" with 5 would report a bogus gap.
    if (typeof e.seq !== "number") throw new TypeError("ChainVerifier.push: seq must be a number (convert bigint columns first)");
    const head = this.#head;
    const nextSeq = head.seq + 1;
    if (e.seq !== nextSeq) {
      return this.#fail({ seq: nextSeq, reason: "SEQ_GAP", expected: String(nextSeq), found: String(e.seq) });
    }
    if (e.prevHash !== head.hash) {
      return this.#fail({ seq: e.seq, reason: "PREV_HASH_MISMATCH", expected: head.hash, found: String(e.prevHash) });
    }
    let recomputed: string;
    try {
      recomputed = hashEvent(head.hash, e.seq, e);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      return this.#fail({ seq: e.seq, reason: "HASH_MISMATCH", expected: UNHASHABLE, found: String(e.hash) });
    }
    if (e.hash !== recomputed) {
      return this.#fail({ seq: e.seq, reason: "HASH_MISMATCH", expected: recomputed, found: String(e.hash) });
    }
    const trusted = this.#expectedHead;
    if (trusted && trusted.seq === e.seq && trusted.hash !== e.hash) {
      // The chain is internally consistent yet differs from the trusted head: re-hashed after an edit
      // somewhere at or before this seq. Only an earlier checkpoint can narrow down where.
      return this.#fail({ seq: e.seq, reason: "HASH_MISMATCH", expected: trusted.hash, found: e.hash });
    }
    this.#head = { seq: e.seq, hash: e.hash };
    this.#checked += 1;
    return null;
  }

  /** Call when the stream ends: a stream that stops short of expectedHead was truncated. */
  finish(): ChainBreak | null {
    if (this.#break) return this.#break;
    const trusted = this.#expectedHead;
    if (trusted && this.#head.seq < trusted.seq) {
      return this.#fail({
        seq: this.#head.seq + 1,
        reason: "TRUNCATED",
        expected: String(trusted.seq),
        found: String(this.#head.seq),
      });
    }
    return null;
  }

  #fail(b: ChainBreak): ChainBreak {
    this.#break = b;
    return b;
  }
}

/**
 * Verifies events in seq order. Without `expectedHead`, deleting rows at the tail (or re-hashing
 * the whole chain after an edit) is invisible: pass a trusted head from a checkpoint to catch both.
 */
export function verifyEvents(
  events: Iterable<SealedAuditEvent>,
  start?: ChainHead,
  expectedHead?: ChainHead,
): VerifyResult {
  const verifier = new ChainVerifier(start, expectedHead);
  for (const e of events) {
    if (verifier.push(e)) break;
  }
  return toResult(verifier);
}

/** As verifyEvents; stopping early calls the iterator's return(), which releases a DB cursor. */
export async function verifyEventsAsync(
  events: AsyncIterable<SealedAuditEvent>,
  start?: ChainHead,
  expectedHead?: ChainHead,
): Promise<VerifyResult> {
  const verifier = new ChainVerifier(start, expectedHead);
  for await (const e of events) {
    if (verifier.push(e)) break;
  }
  return toResult(verifier);
}

function toResult(verifier: ChainVerifier): VerifyResult {
  const b = verifier.finish();
  if (!b) return { ok: true, checked: verifier.checked, firstBadSeq: null, reason: null, expected: null, found: null };
  return { ok: false, checked: verifier.checked, firstBadSeq: b.seq, reason: b.reason, expected: b.expected, found: b.found };
}

/** For callers that prefer throwing; carries the same values as the ChainBreak. */
export class ChainBreakError extends Error {
  readonly seq: number;
  readonly reason: ChainBreakReason;
  readonly expected: string;
  readonly found: string;

  constructor(b: ChainBreak) {
    super(describeBreak(b));
    this.name = "ChainBreakError";
    this.seq = b.seq;
    this.reason = b.reason;
    this.expected = b.expected;
    this.found = b.found;
  }
}

/** Throws ChainBreakError when `result` is not ok. */
export function assertChainIntact(result: VerifyResult): void {
  if (result.ok) return;
  throw new ChainBreakError({
    seq: result.firstBadSeq as number,
    reason: result.reason as ChainBreakReason,
    expected: result.expected as string,
    found: result.found as string,
  });
}

/** One line for logs and operators. Never event content: only seq numbers and abbreviated hashes. */
export function describeBreak(b: ChainBreak): string {
  const ex = abbreviate(b.expected);
  const fo = abbreviate(b.found);
  switch (b.reason) {
    case "SEQ_GAP":
      return `seq ${b.seq}: expected seq ${ex} but found seq ${fo} (rows missing, inserted or reordered)`;
    case "PREV_HASH_MISMATCH":
      return `seq ${b.seq}: stored prevHash does not match the previous event's hash (expected ${ex}, found ${fo})`;
    case "HASH_MISMATCH":
      if (b.expected === UNHASHABLE) {
        return `seq ${b.seq}: stored content is not in canonical form, its hash cannot be recomputed (found ${fo})`;
      }
      return `seq ${b.seq}: stored hash does not match the recomputed or trusted hash (expected ${ex}, found ${fo})`;
    case "TRUNCATED":
      return `seq ${b.seq}: the log ends at seq ${fo} but the trusted head is at seq ${ex} (tail truncated)`;
  }
}

// Stored values are untrusted: keep them short and printable so a message stays one content-free line.
function abbreviate(value: string): string {
  const safe = value.replace(/[^\x21-\x7e]/g, "?");
  return safe.length > 12 ? `${safe.slice(0, 12)}…` : safe;
}
