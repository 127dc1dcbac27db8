// Checks one run of audit rows as PostgreSQL sends them in binary COPY format: each row's hash over its
// prev_hash and content, its link to the row before it, and any signed checkpoint at its seq. Pure (node:crypto
// and the audit core only) so that a worker thread can load it; verify-copy-reader.ts stitches the runs.
import { hash as digest } from "node:crypto";
import { UNHASHABLE } from "./core/verify";

/**
 * The columns verification reads, by name and in this order (never `*`: the table may gain columns or be
 * partitioned). The casts pin each wire type the decoder expects; on today's schema they are all no-ops.
 */
export const VERIFY_COLUMNS = [
  "seq::int8",
  "prev_hash::bytea",
  "hash::bytea",
  "occurred_at::timestamptz",
  "actor_id::uuid",
  "actor_role::text",
  "action::text",
  "resource_type::text",
  "resource_id::text",
  "fields::text[]",
  "outcome::text",
  "request_id::text",
  "operation::text",
  "client_address::text",
  "purpose::text",
  "details::jsonb",
] as const;

/** What a run of rows found: the same values ChainVerifier would report for the first of them that fails. */
export interface RowFinding {
  seq: number;
  reason: "SEQ_GAP" | "PREV_HASH_MISMATCH" | "HASH_MISMATCH" | "CHECKPOINT_MISMATCH";
  expected: string;
  found: string;
}

export interface ChunkResult {
  rows: number;
  /** Stored seq and prev_hash of the first row: the caller checks them against the previous run's end. */
  firstSeq: number;
  firstPrevHash: string;
  /** Stored seq and hash of the last row: the head after this run when it has no finding. */
  lastSeq: number;
  lastHash: string;
  /** Rows whose chain checks passed before the finding (all rows when none). */
  checked: number;
  /** Signed checkpoint heads matched before the finding. */
  checkpointsChecked: number;
  /** The first problem inside the run; links across runs are the caller's. */
  finding: RowFinding | null;
}

const FIELD_COUNT = VERIFY_COLUMNS.length;
/** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
const MAX_DATE_MS = 8.64e15;
const OCCURRED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Stored content that canonicalEvent would refuse: the row is reported as HASH_MISMATCH / UNHASHABLE. */
class Unhashable extends Error {}

const int32 = (b: Uint8Array, p: number) => (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
const uint32 = (b: Uint8Array, p: number) => int32(b, p) >>> 0;

/**
 * The position just past the tuple starting at `p`, -1 if the buffer ends inside it, or -2 for the file
 * trailer. Used by the reader to cut the stream at tuple boundaries.
 */
export function tupleEnd(b: Uint8Array, p: number, end: number): number {
  if (p + 2 > end) return -1;
  const n = (b[p] << 8) | b[p + 1];
  if (n === 0xffff) return -2;
  let q = p + 2;
  for (let i = 0; i < n; i++) {
    if (q + 4 > end) return -1;
    const len = int32(b, q);
    q += 4 + (len > 0 ? len : 0);
  }
  return q <= end ? q : -1;
}

/** Checks `buf`, whole tuples only. `signed` maps seq → head hash of every trusted checkpoint. */
export function checkChunk(buf: Uint8Array, signed: ReadonlyMap<number, string>): ChunkResult {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = b.length;
  const starts = new Int32Array(FIELD_COUNT);
  const lens = new Int32Array(FIELD_COUNT);
  const scratch = { buf: Buffer.allocUnsafe(4096) };
  const result: ChunkResult = { rows: 0, firstSeq: 0, firstPrevHash: "", lastSeq: 0, lastHash: "", checked: 0, checkpointsChecked: 0, finding: null };
  let p = 0;
  let prevSeq = 0;
  let prevHashAt = -1;
  let prevHashLen = 0;
  while (p < end) {
    const n = (b[p] << 8) | b[p + 1];
    if (n !== FIELD_COUNT) throw new Error(`audit verify: COPY tuple has ${n} fields, expected ${FIELD_COUNT}`);
    p += 2;
    for (let i = 0; i < FIELD_COUNT; i++) {
      const len = int32(b, p);
      starts[i] = p + 4;
      lens[i] = len;
      p += 4 + (len > 0 ? len : 0);
    }
    if (lens[0] !== 8 || lens[1] < 0 || lens[2] < 0) throw new Error("audit verify: seq, prev_hash and hash must be present");
    const seq = int32(b, starts[0]) * 4294967296 + uint32(b, starts[0] + 4);
    const prevAt = starts[1];
    const hashAt = starts[2];
    if (result.rows === 0) {
      result.firstSeq = seq;
      result.firstPrevHash = b.toString("hex", prevAt, prevAt + lens[1]);
    } else {
      // The same order of checks as ChainVerifier.push, against the stored values of the row before.
      if (seq !== prevSeq + 1) {
        result.finding = { seq: prevSeq + 1, reason: "SEQ_GAP", expected: String(prevSeq + 1), found: String(seq) };
        break;
      }
      if (!bytesEqual(b, prevAt, lens[1], b, prevHashAt, prevHashLen)) {
        result.finding = { seq, reason: "PREV_HASH_MISMATCH", expected: b.toString("hex", prevHashAt, prevHashAt + prevHashLen), found: b.toString("hex", prevAt, prevAt + lens[1]) };
        break;
      }
    }
    result.rows += 1;
    const found = b.toString("hex", hashAt, hashAt + lens[2]);
    const expected = recomputeHash(b, seq, starts, lens, scratch);
    if (expected === null || !bytesEqual(b, hashAt, lens[2], expected, 0, 32)) {
      result.finding = { seq, reason: "HASH_MISMATCH", expected: expected === null ? UNHASHABLE : expected.toString("hex"), found };
      break;
    }
    result.checked += 1;
    const trusted = signed.get(seq);
    if (trusted !== undefined) {
      if (trusted !== found) {
        result.finding = { seq, reason: "CHECKPOINT_MISMATCH", expected: trusted, found };
        break;
      }
      result.checkpointsChecked += 1;
    }
    prevSeq = seq;
    prevHashAt = hashAt;
    prevHashLen = lens[2];
    result.lastSeq = seq;
    result.lastHash = found;
  }
  return result;
}

function bytesEqual(a: Uint8Array, ai: number, alen: number, b: Uint8Array, bi: number, blen: number): boolean {
  if (alen !== blen) return false;
  for (let i = 0; i < alen; i++) if (a[ai + i] !== b[bi + i]) return false;
  return true;
}

/** SHA-256(prev_hash ‖ canonical JSON), or null when canonicalEvent would throw for this content. */
function recomputeHash(b: Buffer, seq: number, starts: Int32Array, lens: Int32Array, scratch: { buf: Buffer }): Buffer | null {
  if (lens[1] !== 32) return null; // hashEvent refuses a prevHash that is not 32 bytes
  let json: string;
  try {
    json = canonicalRow(b, seq, starts, lens);
  } catch (error) {
    if (error instanceof Unhashable || error instanceof SyntaxError) return null;
    throw error;
  }
  const need = 32 + json.length * 3;
  if (scratch.buf.length < need) scratch.buf = Buffer.allocUnsafe(need * 2);
  const out = scratch.buf;
  b.copy(out, 0, starts[1], starts[1] + 32);
  const n = out.write(json, 32, "utf8");
  return digest("sha256", out.subarray(0, 32 + n), "buffer");
}

const text = (b: Buffer, starts: Int32Array, lens: Int32Array, i: number): string | null =>
  lens[i] < 0 ? null : b.toString("utf8", starts[i], starts[i] + lens[i]);

function required(value: string | null): string {
  if (value === null) throw new Unhashable();
  return JSON.stringify(value);
}

const nullable = (value: string | null): string => (value === null ? "null" : JSON.stringify(value));

/**
 * Byte for byte canonicalEvent(seq, rowToSealedEvent(row)) for a row decoded from binary COPY, and Unhashable
 * wherever that would throw a TypeError. Keys in JCS order: action, actorId, actorRole, clientAddress,
 * details, fields, occurredAt, operation, outcome, purpose, requestId, resourceId, resourceType, seq, v.
 * test/unit/audit/verify-rows.test.ts cross-checks it against canonicalEvent.
 */
function canonicalRow(b: Buffer, seq: number, starts: Int32Array, lens: Int32Array): string {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new Unhashable();
  const occurredAt = decodeTimestamp(b, starts[3], lens[3]);
  const actorId = lens[4] < 0 ? null : decodeUuid(b, starts[4], lens[4]);
  const details = decodeDetails(b, starts[15], lens[15]);
  const fields = decodeFields(b, starts[9], lens[9]);
  return (
    `{"action":${required(text(b, starts, lens, 6))},"actorId":${nullable(actorId)},"actorRole":${nullable(text(b, starts, lens, 5))}` +
    `,"clientAddress":${nullable(text(b, starts, lens, 13))},"details":${details},"fields":${fields}` +
    `,"occurredAt":${JSON.stringify(occurredAt)},"operation":${nullable(text(b, starts, lens, 12))},"outcome":${required(text(b, starts, lens, 10))}` +
    `,"purpose":${nullable(text(b, starts, lens, 14))},"requestId":${nullable(text(b, starts, lens, 11))},"resourceId":${nullable(text(b, starts, lens, 8))}` +
    `,"resourceType":${required(text(b, starts, lens, 7))},"seq":${seq},"v":1}`
  );
}

/**
 * timestamptz is int64 microseconds since 2000-01-01 UTC. pg's text parser keeps whole milliseconds (the
 * fraction truncated), i.e. floor(µs / 1000); computed without BigInt and exact over the Date range.
 */
function decodeTimestamp(b: Buffer, p: number, len: number): string {
  if (len !== 8) throw new Unhashable();
  const hi = int32(b, p);
  const lo = uint32(b, p + 4);
  // µs = hi·2³² + lo and 2³² = 4,294,967·1000 + 296, so ⌊µs/1000⌋ = hi·4,294,967 + ⌊(hi·296 + lo)/1000⌋.
  const ms = hi * 4_294_967 + Math.floor((hi * 296 + lo) / 1000) + PG_EPOCH_MS;
  if (!(Math.abs(ms) <= MAX_DATE_MS)) throw new Unhashable();
  const iso = new Date(ms).toISOString();
  if (!OCCURRED_AT.test(iso)) throw new Unhashable();
  return iso;
}

function decodeUuid(b: Buffer, p: number, len: number): string {
  if (len !== 16) throw new Unhashable();
  const h = b.toString("hex", p, p + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** text[] in binary array format; one dimension of non-null strings, sorted and de-duplicated (normalizeFields). */
function decodeFields(b: Buffer, p: number, len: number): string {
  if (len < 12) throw new Unhashable();
  const ndim = int32(b, p);
  if (ndim === 0) return "[]";
  if (ndim !== 1) throw new Unhashable();
  const count = int32(b, p + 12);
  let q = p + 20;
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    const l = int32(b, q);
    q += 4;
    if (l < 0) throw new Unhashable();
    values.push(b.toString("utf8", q, q + l));
    q += l;
  }
  const sorted = values.length > 1 ? [...new Set(values)].sort() : values;
  let out = "[";
  for (let i = 0; i < sorted.length; i++) out += (i ? "," : "") + JSON.stringify(sorted[i]);
  return `${out}]`;
}

/** jsonb in binary is a version byte (1) and its text; details must be a flat object of JSON scalars. */
function decodeDetails(b: Buffer, p: number, len: number): string {
  if (len < 1 || b[p] !== 1) throw new Unhashable();
  const raw = b.toString("utf8", p + 1, p + len);
  if (raw === "{}") return raw;
  const d: unknown = JSON.parse(raw);
  if (typeof d !== "object" || d === null || Array.isArray(d)) throw new Unhashable();
  const keys = Object.keys(d).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const v = (d as Record<string, unknown>)[keys[i]];
    let s: string;
    if (v === null) s = "null";
    else if (typeof v === "string") s = JSON.stringify(v);
    else if (typeof v === "boolean") s = v ? "true" : "false";
    else if (typeof v === "number" && Number.isFinite(v)) s = JSON.stringify(v);
    else throw new Unhashable();
    out += `${i ? "," : ""}${JSON.stringify(keys[i])}:${s}`;
  }
  return `${out}}`;
}
