// Verifies a seq range read with binary COPY: cuts the stream into chunks of whole rows, has them checked in
// parallel (verify-pool.ts), and stitches the results in seq order, checking the link between chunks. Every
// row's check needs only the stored seq and hash of the row before it, so the first finding is exactly the
// one a sequential ChainVerifier would report.
import type { ChainHead } from "./core";
import { copyOut, type PgClientLike } from "./verify-copy";
import { createChunkChecker } from "./verify-pool";
import { VERIFY_COLUMNS, tupleEnd, type ChunkResult, type RowFinding } from "./verify-rows";

export interface CopyRangeOptions {
  /** Worker threads; 0 checks on the calling thread. Default: one per CPU, or 0 for ranges under minParallelRows. */
  workers?: number;
  /** Ranges shorter than this are checked on the calling thread unless `workers` is given. */
  minParallelRows?: number;
  /** A chunk is handed out at this many bytes or `chunkRows` rows, whichever comes first. */
  chunkBytes?: number;
  chunkRows?: number;
  /** Seq span of one COPY statement: bounds the work read past a finding before reading stops. */
  segmentSeqs?: number;
  onProgress?: (verifiedSeq: number) => void;
}

export interface RangeOutcome {
  finding: RowFinding | null;
  checked: number;
  checkpointsChecked: number;
  /** The last verified row (or the start): where an intact range ends. */
  head: ChainHead;
  /** Worker threads used; 0 when checked on the calling thread. */
  parallelism: number;
}

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/** Checks the rows with start.seq < seq ≤ uptoSeq, in seq order, through `client` (which may be in a transaction). */
export async function checkRangeByCopy(
  client: PgClientLike,
  start: ChainHead,
  uptoSeq: number,
  signed: ReadonlyMap<number, string>,
  opts: CopyRangeOptions = {},
): Promise<RangeOutcome> {
  const small = uptoSeq - start.seq < (opts.minParallelRows ?? 20_000);
  const checker = createChunkChecker({ workers: opts.workers ?? (small ? 0 : undefined), signed });
  const chunkBytes = opts.chunkBytes ?? 1 << 20;
  const chunkRows = opts.chunkRows ?? Number.POSITIVE_INFINITY;
  const segment = opts.segmentSeqs ?? 250_000;
  const maxInFlight = Math.max(2, checker.parallelism * 3);
  const out: RangeOutcome = { finding: null, checked: 0, checkpointsChecked: 0, head: { seq: start.seq, hash: start.hash }, parallelism: checker.parallelism };

  let stopped = false;
  let failure: unknown = null;
  let tail: Promise<void> = Promise.resolve();
  let outstanding = 0;
  let current: ReturnType<typeof copyOut> | null = null;

  // The link into each chunk, then the chunk's own first finding, strictly in chunk order.
  const stitch = (r: ChunkResult) => {
    if (stopped) return;
    const head = out.head;
    if (r.firstSeq !== head.seq + 1) {
      out.finding = { seq: head.seq + 1, reason: "SEQ_GAP", expected: String(head.seq + 1), found: String(r.firstSeq) };
    } else if (r.firstPrevHash !== head.hash) {
      out.finding = { seq: r.firstSeq, reason: "PREV_HASH_MISMATCH", expected: head.hash, found: r.firstPrevHash };
    } else {
      out.checked += r.checked;
      out.checkpointsChecked += r.checkpointsChecked;
      out.finding = r.finding;
      if (!r.finding) {
        out.head = { seq: r.lastSeq, hash: r.lastHash };
        opts.onProgress?.(r.lastSeq);
      }
    }
    if (out.finding) stop();
  };
  const stop = () => {
    stopped = true;
    current?.resume(); // drain the statement; its data is ignored from now on
  };
  const dispatch = (chunk: Uint8Array) => {
    const result = checker.check(chunk);
    result.catch(() => {}); // observed through `tail`
    outstanding += 1;
    if (outstanding >= maxInFlight) current?.pause();
    tail = tail.then(async () => {
      try {
        if (!stopped) stitch(await result);
      } catch (error) {
        failure ??= error;
        stop();
      } finally {
        outstanding -= 1;
        if (outstanding < maxInFlight && !stopped) current?.resume();
      }
    });
  };

  // The reassembly buffer: each chunk gets a fresh ArrayBuffer so it can be transferred, not copied.
  const capacity = Math.min(chunkBytes, 64 << 20) + (64 << 10);
  let acc = new Uint8Array(capacity);
  let len = 0;
  let scan = 0;
  let rows = 0;
  let headerDone = false;
  let trailerSeen = false;
  const flush = () => {
    if (scan === 0) return;
    const chunk = acc.subarray(0, scan);
    const rest = acc.subarray(scan, len);
    acc = new Uint8Array(Math.max(capacity, rest.length * 2));
    acc.set(rest);
    len = rest.length;
    scan = 0;
    rows = 0;
    dispatch(chunk);
  };
  const onData = (data: Buffer) => {
    if (stopped || trailerSeen) return;
    if (len + data.length > acc.length) {
      const grown = new Uint8Array((len + data.length) * 2);
      grown.set(acc.subarray(0, len));
      acc = grown;
    }
    acc.set(data, len);
    len += data.length;
    if (!headerDone) {
      if (len < 19) return;
      if (Buffer.compare(Buffer.from(acc.buffer, 0, 11), SIGNATURE) !== 0) throw new Error("audit verify: not a binary COPY stream");
      const skip = 19 + ((acc[15] << 24) | (acc[16] << 16) | (acc[17] << 8) | acc[18]);
      if (len < skip) return;
      acc.copyWithin(0, skip, len);
      len -= skip;
      headerDone = true;
    }
    for (;;) {
      const end = tupleEnd(acc, scan, len);
      if (end === -1) break;
      if (end === -2) {
        trailerSeen = true;
        len = scan;
        break;
      }
      scan = end;
      rows += 1;
      if (scan >= chunkBytes || rows >= chunkRows) flush();
    }
  };

  try {
    for (let lo = start.seq; lo < uptoSeq && !stopped; lo = Math.min(uptoSeq, lo + segment)) {
      const hi = Math.min(uptoSeq, lo + segment);
      headerDone = false;
      trailerSeen = false;
      // Integers we computed, not input: safe to inline (COPY takes no parameters).
      const sql = `COPY (SELECT ${VERIFY_COLUMNS.join(", ")} FROM audit_event WHERE seq > ${int(lo)} AND seq <= ${int(hi)} ORDER BY seq) TO STDOUT (FORMAT binary)`;
      current = copyOut(client, sql, onData);
      if (outstanding >= maxInFlight) current.pause();
      await current.done;
      current = null;
      if (!stopped) {
        if (len !== scan) throw new Error("audit verify: COPY stream ended inside a row");
        flush();
      }
    }
    await tail;
    if (failure) throw failure;
    return out;
  } finally {
    await tail.catch(() => {});
    await checker.close();
  }
}

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new TypeError("audit verify: seq bounds must be safe integers");
  return String(n);
}
