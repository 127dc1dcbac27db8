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
    const expected = recomputeHash(b, seq, starts, lens, scratch);
    if (expected === null || !bytesEqual(b, hashAt, lens[2], expected, 0, 32)) {
      const found = b.toString("hex", hashAt, hashAt + lens[2]);
      result.finding = { seq, reason: "HASH_MISMATCH", expected: expected === null ? UNHASHABLE : expected.toString("hex"), found };
      break;
    }
    result.checked += 1;
    const trusted = signed.get(seq);
    if (trusted !== undefined) {
      const found = b.toString("hex", hashAt, hashAt + lens[2]);
      if (trusted !== found) {
        result.finding = { seq, reason: "CHECKPOINT_MISMATCH", expected: trusted, found };
        break;
      }
      result.checkpointsChecked += 1;
    }
    prevSeq = seq;
    prevHashAt = hashAt;
    prevHashLen = lens[2];
  }
  if (prevHashAt >= 0) {
    result.lastSeq = prevSeq;
    result.lastHash = b.toString("hex", prevHashAt, prevHashAt + prevHashLen);
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
  // Worst case: every byte of every value escaped as \u00XX (6 bytes), plus the keys and punctuation.
  let need = 512;
  for (let i = 3; i < FIELD_COUNT; i++) if (lens[i] > 0) need += lens[i] * 6;
  if (scratch.buf.length < need) scratch.buf = Buffer.allocUnsafe(need * 2);
  const out = scratch.buf;
  let n: number;
  try {
    n = writeCanonicalRow(out, b, seq, starts, lens);
  } catch (error) {
    if (error instanceof Unhashable || error instanceof SyntaxError) return null;
    throw error;
  }
  return digest("sha256", out.subarray(0, n), "buffer");
}

const ascii = (s: string) => Buffer.from(s, "latin1");
const K_ACTION = ascii('{"action":');
const K_ACTOR_ID = ascii(',"actorId":');
const K_ACTOR_ROLE = ascii(',"actorRole":');
const K_CLIENT_ADDRESS = ascii(',"clientAddress":');
const K_DETAILS = ascii(',"details":');
const K_FIELDS = ascii(',"fields":');
const K_OCCURRED_AT = ascii(',"occurredAt":');
const K_OPERATION = ascii(',"operation":');
const K_OUTCOME = ascii(',"outcome":');
const K_PURPOSE = ascii(',"purpose":');
const K_REQUEST_ID = ascii(',"requestId":');
const K_RESOURCE_ID = ascii(',"resourceId":');
const K_RESOURCE_TYPE = ascii(',"resourceType":');
const K_SEQ = ascii(',"seq":');
const K_END = ascii(',"v":1}');
const NULL = ascii("null");
const HEX = ascii("0123456789abcdef");

function put(out: Buffer, o: number, lit: Uint8Array): number {
  for (let i = 0; i < lit.length; i++) out[o + i] = lit[i];
  return o + lit.length;
}

/**
 * Writes prev_hash ‖ canonicalEvent(seq, rowToSealedEvent(row)) into `out` straight from the COPY bytes, and
 * throws Unhashable wherever canonicalEvent would throw a TypeError. Keys in JCS order: action, actorId,
 * actorRole, clientAddress, details, fields, occurredAt, operation, outcome, purpose, requestId, resourceId,
 * resourceType, seq, v. test/unit/audit/verify-rows.test.ts cross-checks it against canonicalEvent.
 */
function writeCanonicalRow(out: Buffer, b: Buffer, seq: number, starts: Int32Array, lens: Int32Array): number {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new Unhashable();
  b.copy(out, 0, starts[1], starts[1] + 32);
  let o = put(out, 32, K_ACTION);
  o = putText(out, o, b, starts[6], lens[6], true);
  o = put(out, o, K_ACTOR_ID);
  o = lens[4] < 0 ? put(out, o, NULL) : putUuid(out, o, b, starts[4], lens[4]);
  o = put(out, o, K_ACTOR_ROLE);
  o = putText(out, o, b, starts[5], lens[5], false);
  o = put(out, o, K_CLIENT_ADDRESS);
  o = putText(out, o, b, starts[13], lens[13], false);
  o = put(out, o, K_DETAILS);
  o = putDetails(out, o, b, starts[15], lens[15]);
  o = put(out, o, K_FIELDS);
  o = putFields(out, o, b, starts[9], lens[9]);
  o = put(out, o, K_OCCURRED_AT);
  o = putTimestamp(out, o, b, starts[3], lens[3]);
  o = put(out, o, K_OPERATION);
  o = putText(out, o, b, starts[12], lens[12], false);
  o = put(out, o, K_OUTCOME);
  o = putText(out, o, b, starts[10], lens[10], true);
  o = put(out, o, K_PURPOSE);
  o = putText(out, o, b, starts[14], lens[14], false);
  o = put(out, o, K_REQUEST_ID);
  o = putText(out, o, b, starts[11], lens[11], false);
  o = put(out, o, K_RESOURCE_ID);
  o = putText(out, o, b, starts[8], lens[8], false);
  o = put(out, o, K_RESOURCE_TYPE);
  o = putText(out, o, b, starts[7], lens[7], true);
  o = put(out, o, K_SEQ);
  o += out.write(String(seq), o, "latin1");
  return put(out, o, K_END);
}

/**
 * A JSON string. Printable ASCII without `"` or `\` is its own JSON.stringify form, byte for byte; anything
 * else (escapes, non-ASCII, which must also be valid UTF-8) goes through decoding and JSON.stringify.
 */
function putText(out: Buffer, o: number, b: Buffer, s: number, len: number, required: boolean): number {
  if (len < 0) {
    if (required) throw new Unhashable();
    return put(out, o, NULL);
  }
  for (let i = s; i < s + len; i++) {
    const c = b[i];
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return o + out.write(JSON.stringify(b.toString("utf8", s, s + len)), o, "utf8");
  }
  out[o++] = 0x22;
  for (let i = s; i < s + len; i++) out[o++] = b[i];
  out[o++] = 0x22;
  return o;
}

function putUuid(out: Buffer, o: number, b: Buffer, s: number, len: number): number {
  if (len !== 16) throw new Unhashable();
  out[o++] = 0x22;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out[o++] = 0x2d;
    out[o++] = HEX[b[s + i] >> 4];
    out[o++] = HEX[b[s + i] & 15];
  }
  out[o++] = 0x22;
  return o;
}

function put2(out: Buffer, o: number, v: number): number {
  out[o] = 0x30 + ((v / 10) | 0);
  out[o + 1] = 0x30 + (v % 10);
  return o + 2;
}

/**
 * timestamptz is int64 microseconds since 2000-01-01 UTC. pg's text parser keeps whole milliseconds (the
 * fraction truncated), i.e. floor(µs / 1000); computed without BigInt and exact over the Date range. Written as
 * Date#toISOString would, and Unhashable outside years 0000–9999, where toISOString's form fails canonicalEvent.
 */
function putTimestamp(out: Buffer, o: number, b: Buffer, s: number, len: number): number {
  if (len !== 8) throw new Unhashable();
  const hi = int32(b, s);
  const lo = uint32(b, s + 4);
  // µs = hi·2³² + lo and 2³² = 4,294,967·1000 + 296, so ⌊µs/1000⌋ = hi·4,294,967 + ⌊(hi·296 + lo)/1000⌋.
  const ms = hi * 4_294_967 + Math.floor((hi * 296 + lo) / 1000) + PG_EPOCH_MS;
  if (!(Math.abs(ms) <= MAX_DATE_MS)) throw new Unhashable();
  const days = Math.floor(ms / 86_400_000);
  let rem = ms - days * 86_400_000;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) throw new Unhashable();
  const hour = Math.floor(rem / 3_600_000);
  rem -= hour * 3_600_000;
  const minute = Math.floor(rem / 60_000);
  rem -= minute * 60_000;
  const second = Math.floor(rem / 1000);
  const milli = rem - second * 1000;
  out[o++] = 0x22;
  o = put2(out, o, Math.floor(year / 100));
  o = put2(out, o, year % 100);
  out[o++] = 0x2d;
  o = put2(out, o, month);
  out[o++] = 0x2d;
  o = put2(out, o, day);
  out[o++] = 0x54;
  o = put2(out, o, hour);
  out[o++] = 0x3a;
  o = put2(out, o, minute);
  out[o++] = 0x3a;
  o = put2(out, o, second);
  out[o++] = 0x2e;
  out[o++] = 0x30 + Math.floor(milli / 100);
  o = put2(out, o, milli % 100);
  out[o++] = 0x5a;
  out[o++] = 0x22;
  return o;
}

/** text[] in binary array format; one dimension of non-null strings, sorted and de-duplicated (normalizeFields). */
function putFields(out: Buffer, o: number, b: Buffer, p: number, len: number): number {
  if (len < 12) throw new Unhashable();
  const ndim = int32(b, p);
  if (ndim === 0) return o + out.write("[]", o, "latin1");
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
  let json = "[";
  for (let i = 0; i < sorted.length; i++) json += (i ? "," : "") + JSON.stringify(sorted[i]);
  return o + out.write(`${json}]`, o, "utf8");
}

/** jsonb in binary is a version byte (1) and its text; details must be a flat object of JSON scalars. */
function putDetails(out: Buffer, o: number, b: Buffer, p: number, len: number): number {
  if (len < 1 || b[p] !== 1) throw new Unhashable();
  if (len === 3 && b[p + 1] === 0x7b && b[p + 2] === 0x7d) return o + out.write("{}", o, "latin1");
  const d: unknown = JSON.parse(b.toString("utf8", p + 1, p + len));
  if (typeof d !== "object" || d === null || Array.isArray(d)) throw new Unhashable();
  const keys = Object.keys(d).sort();
  let json = "{";
  for (let i = 0; i < keys.length; i++) {
    const v = (d as Record<string, unknown>)[keys[i]];
    let s: string;
    if (v === null) s = "null";
    else if (typeof v === "string") s = JSON.stringify(v);
    else if (typeof v === "boolean") s = v ? "true" : "false";
    else if (typeof v === "number" && Number.isFinite(v)) s = JSON.stringify(v);
    else throw new Unhashable();
    json += `${i ? "," : ""}${JSON.stringify(keys[i])}:${s}`;
  }
  return o + out.write(`${json}}`, o, "utf8");
}
