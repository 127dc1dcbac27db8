// Verifies the stored audit log against its signed checkpoints: streams the events once (binary COPY checked on
// worker threads, or keyset batches checked in order), checks the chain and every checkpoint head it passes,
// and names the first bad position.
import type { DataSource, EntityManager } from "typeorm";
import { collectCheckpoints, firstFinding, type AuditVerifyReason, type Finding } from "./checkpoint-check";
import type { CheckpointVerificationKey } from "./checkpoint-jws";
import type { CheckpointSink } from "./checkpoint-sink";
import { listStoredCheckpoints, storedEventHash, storedHeadSeq, streamEvents } from "./checkpoint-store";
import { ChainVerifier, GENESIS_HEAD, describeBreak, type ChainBreakReason, type ChainHead } from "./core";
import { isPgClient, type PgClientLike } from "./verify-copy";
import { checkRangeByCopy, type CopyRangeOptions, type RangeOutcome } from "./verify-copy-range";
import { checkTreeRoots } from "./merkle/tree-check";

export interface CheckpointSources {
  /** Keys that may have signed checkpoints (the published key set). */
  keys: readonly CheckpointVerificationKey[];
  /** The outside copy; null when none is configured. */
  sink: CheckpointSink | null;
}

export interface AuditLogReport {
  ok: boolean;
  /** Events whose chain links and hashes were recomputed (after `startSeq` only, for incremental runs). */
  checked: number;
  firstBadSeq: number | null;
  reason: AuditVerifyReason | null;
  expected: string | null;
  found: string | null;
  message: string | null;
  /** Distinct checkpoint positions whose signed head matched the stored event. */
  checkpointsChecked: number;
  /** v2 checkpoints whose signed Merkle root matched the tree recomputed from the events and the stored nodes. */
  rootsChecked: number;
  /** The trusted head verification started from: 0 for a full run, a checkpoint's seq for an incremental one. */
  startSeq: number;
  /** The head as of the start; events appended while verifying are for the next run. */
  headSeq: number;
  /** Worker threads that checked the rows; 0 when they were checked on the calling thread. */
  parallelism: number;
}

export interface VerifyLogOptions {
  /** Start from the last checkpoint whose database and outside copies agree (both signed), not from genesis. */
  sinceCheckpoint?: boolean;
  onProgress?: (verifiedSeq: number, headSeq: number) => void;
  /**
   * "copy" (default): binary COPY, rows checked in parallel on worker threads (verify-copy-range.ts).
   * "keyset": the sequential reference, ChainVerifier over keyset batches; also the fallback when the
   * database client cannot COPY.
   */
  reader?: "copy" | "keyset";
  /** Keyset batch size (reader "keyset"). */
  batch?: number;
  copy?: Omit<CopyRangeOptions, "onProgress">;
}

export async function verifyAuditLog(db: DataSource | EntityManager, sources: CheckpointSources, opts: VerifyLogOptions = {}): Promise<AuditLogReport> {
  // Checkpoints first, then the head: a checkpoint sealed meanwhile can then never lie beyond the head read.
  const stored = await listStoredCheckpoints(db);
  const outside = sources.sink ? await sources.sink.list() : null;
  const headSeq = await storedHeadSeq(db);
  const set = await collectCheckpoints(stored, outside, sources.keys);

  let start: ChainHead = GENESIS_HEAD;
  const startFindings: Finding[] = [];
  if (opts.sinceCheckpoint) {
    const from = [...set.agreed].reverse().find((seq) => seq <= headSeq);
    if (from !== undefined) {
      start = { seq: from, hash: set.heads.get(from)! };
      // The stored event must still carry the trusted hash; the next event's prevHash is checked by the chain.
      const stored = await storedEventHash(db, from);
      if (stored !== start.hash) {
        startFindings.push({ seq: from, reason: stored === null ? "SEQ_GAP" : "CHECKPOINT_MISMATCH", expected: start.hash, found: stored ?? "missing" });
      }
    }
  }

  // Stop reading once past a problem already known: nothing later can be reported first.
  const knownFirst = firstFinding([...startFindings, ...set.findings]);
  const upto = knownFirst ? Math.min(headSeq, knownFirst.seq) : headSeq;
  const onProgress = opts.onProgress && ((seq: number) => opts.onProgress!(seq, headSeq));
  const range =
    opts.reader === "keyset"
      ? await checkRangeByKeyset(db, start, upto, set.heads, { batch: opts.batch, onProgress })
      : await withPgClient(db, (client) =>
          client
            ? checkRangeByCopy(client, start, upto, set.heads, { ...opts.copy, onProgress })
            : checkRangeByKeyset(db, start, upto, set.heads, { batch: opts.batch, onProgress }),
        );
  let streamFinding: Finding | null = range.finding;
  if (!streamFinding && !knownFirst) {
    const end = range.head.seq;
    if (end < headSeq) {
      // Rows vanished between reading the head and streaming; SEQ_GAP names the first missing one.
      streamFinding = { seq: end + 1, reason: "SEQ_GAP", expected: String(end + 1), found: "missing" };
    }
  }
  // A signed checkpoint beyond the last stored event: the tail was cut off.
  const truncated: Finding | null =
    set.maxSeq > range.head.seq && !streamFinding
      ? { seq: range.head.seq + 1, reason: "TRUNCATED", expected: String(set.maxSeq), found: String(range.head.seq) }
      : null;
  // The Merkle tree over the prefix the chain check found intact: each signed root, recomputed and stored.
  const treeUpto = Math.min(range.head.seq, knownFirst ? knownFirst.seq : Number.POSITIVE_INFINITY);
  const tree = await checkTreeRoots(db, set.roots, start.seq, treeUpto);
  const first = firstFinding([streamFinding, ...startFindings, truncated, tree.finding, ...set.findings]);
  const base = {
    checked: range.checked,
    checkpointsChecked: range.checkpointsChecked,
    rootsChecked: tree.rootsChecked,
    startSeq: start.seq,
    headSeq,
    parallelism: range.parallelism,
  };
  if (!first) return { ok: true, firstBadSeq: null, reason: null, expected: null, found: null, message: null, ...base };
  return { ok: false, firstBadSeq: first.seq, reason: first.reason, expected: first.expected, found: first.found, message: describeFinding(first), ...base };
}

/** The sequential reference: ChainVerifier over keyset batches, one row after another. */
async function checkRangeByKeyset(
  db: DataSource | EntityManager,
  start: ChainHead,
  uptoSeq: number,
  signed: ReadonlyMap<number, string>,
  opts: { batch?: number; onProgress?: (seq: number) => void },
): Promise<RangeOutcome> {
  const verifier = new ChainVerifier(start);
  let finding: Finding | null = null;
  let checkpointsChecked = 0;
  for await (const e of streamEvents(db, start.seq, uptoSeq, { batch: opts.batch, onBatch: opts.onProgress })) {
    const b = verifier.push(e);
    if (b) {
      finding = b;
      break;
    }
    const trusted = signed.get(e.seq);
    if (trusted !== undefined) {
      if (trusted !== e.hash) {
        // Internally consistent yet not what was signed: re-hashed after an edit at or before this seq.
        finding = { seq: e.seq, reason: "CHECKPOINT_MISMATCH", expected: trusted, found: e.hash };
        break;
      }
      checkpointsChecked += 1;
    }
  }
  return { finding: finding as RangeOutcome["finding"], checked: verifier.checked, checkpointsChecked, head: verifier.head, parallelism: 0 };
}

/** The pg client behind `db` (the transaction's own when `db` is a transaction's manager), or null. */
async function withPgClient<T>(db: DataSource | EntityManager, work: (client: PgClientLike | null) => Promise<T>): Promise<T> {
  const inTransaction = (db as EntityManager).queryRunner;
  const runner = inTransaction ?? ("createQueryRunner" in db ? db.createQueryRunner() : db.connection.createQueryRunner());
  try {
    const client: unknown = await runner.connect();
    return await work(isPgClient(client) ? client : null);
  } finally {
    if (!inTransaction) await runner.release();
  }
}

const CHAIN_REASONS: readonly string[] = ["SEQ_GAP", "PREV_HASH_MISMATCH", "HASH_MISMATCH", "TRUNCATED"];

/** One content-free line: seq numbers, reasons and abbreviated hashes only. */
export function describeFinding(f: Finding): string {
  if (CHAIN_REASONS.includes(f.reason) && !(f.reason === "SEQ_GAP" && f.found === "missing")) {
    return describeBreak({ seq: f.seq, reason: f.reason as ChainBreakReason, expected: f.expected, found: f.found });
  }
  const ex = abbreviate(f.expected);
  const fo = abbreviate(f.found);
  switch (f.reason) {
    case "SEQ_GAP":
      return `seq ${f.seq}: the event is missing (rows deleted)`;
    case "CHECKPOINT_INVALID":
      return `seq ${f.seq}: the ${f.source ?? "stored"} checkpoint is not valid (expected ${ex}, found ${fo})`;
    case "ROOT_MISMATCH":
      return `seq ${f.seq}: the Merkle root recomputed from the stored events is not the signed one (expected ${ex}, found ${fo}; the log was rewritten at or before this seq)`;
    case "TREE_MISMATCH":
      return `seq ${f.seq}: the stored Merkle nodes do not give the signed root (expected ${ex}, found ${fo}; proofs served from them would not verify)`;
    case "CHECKPOINT_MISMATCH":
      return f.source === "database"
        ? `seq ${f.seq}: the database's checkpoint contradicts the outside copy (expected ${ex}, found ${fo})`
        : `seq ${f.seq}: the stored event does not match the signed checkpoint (expected ${ex}, found ${fo}; the log was rewritten at or before this seq)`;
    default:
      return `seq ${f.seq}: ${f.reason} (expected ${ex}, found ${fo})`;
  }
}

function abbreviate(value: string): string {
  const safe = value.replace(/[^\x21-\x7e]/g, "?");
  return safe.length > 12 ? `${safe.slice(0, 12)}…` : safe;
}
