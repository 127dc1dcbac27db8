// Cross-checks the two copies of the checkpoints (database rows and the outside sink) before the events
// are streamed: which heads are trusted, where the copies disagree, and where incremental runs may start.
import { CheckpointError, verifyCheckpoint, type CheckpointVerificationKey } from "./checkpoint-jws";
import type { SinkEntry } from "./checkpoint-sink";
import type { StoredCheckpoint } from "./checkpoint-store";
import type { ChainBreakReason } from "./core";

/**
 * Beyond the chain's own reasons: CHECKPOINT_MISMATCH, a signed head that the stored log (or the
 * database's copy of the checkpoint) contradicts; CHECKPOINT_INVALID, a checkpoint whose JWS does not
 * verify or does not say what its row or file name says.
 */
export type AuditVerifyReason =
  | ChainBreakReason
  | "CHECKPOINT_MISMATCH"
  | "CHECKPOINT_INVALID"
  /** A v2 checkpoint's Merkle root is not the root recomputed from the stored events (docs/audit-merkle.md). */
  | "ROOT_MISMATCH"
  /** The stored Merkle nodes (what proofs are served from) do not give a v2 checkpoint's signed root. */
  | "TREE_MISMATCH";

export interface Finding {
  seq: number;
  reason: AuditVerifyReason;
  expected: string;
  found: string;
  /** Where the bad checkpoint copy is; for the message only. */
  source?: "database" | "sink";
}

export interface CheckpointSet {
  /** seq → head hash every valid checkpoint vouches for (the outside copy where both exist). */
  heads: Map<number, string>;
  /** seq → Merkle root of every valid v2 checkpoint (the outside copy where both exist). */
  roots: Map<number, string>;
  /** Seqs whose database and outside copies are both valid and equal: safe starting points. */
  agreed: number[];
  /** Problems with the checkpoints themselves, in seq order. */
  findings: Finding[];
  /** Highest seq any valid checkpoint covers (0 when none): the log may not end before it. */
  maxSeq: number;
}

async function verifyCopy(jws: string, keys: readonly CheckpointVerificationKey[]) {
  try {
    return { cp: await verifyCheckpoint(jws, keys), problem: null };
  } catch (error) {
    if (error instanceof CheckpointError) return { cp: null, problem: error.reason };
    throw error;
  }
}

/** `sink` null means no outside copy is configured: database checkpoints are then all there is. */
export async function collectCheckpoints(
  stored: readonly StoredCheckpoint[],
  sink: readonly SinkEntry[] | null,
  keys: readonly CheckpointVerificationKey[],
): Promise<CheckpointSet> {
  const findings: Finding[] = [];
  const fromDb = new Map<number, string>();
  const roots = new Map<number, string>();
  const badInDb = new Set<number>();
  for (const row of stored) {
    const { cp, problem } = await verifyCopy(row.jws, keys);
    if (!cp || cp.seq !== row.seq || cp.headHash !== row.headHash || cp.kid !== row.kid) badInDb.add(row.seq);
    if (!cp) {
      findings.push({ seq: row.seq, reason: "CHECKPOINT_INVALID", expected: "valid signed checkpoint", found: problem!, source: "database" });
    } else if (cp.seq !== row.seq || cp.headHash !== row.headHash || cp.kid !== row.kid) {
      // The signature is fine but the row's columns were edited: the signed payload is what counts.
      findings.push({ seq: row.seq, reason: "CHECKPOINT_INVALID", expected: cp.headHash, found: row.headHash, source: "database" });
    } else {
      fromDb.set(cp.seq, cp.headHash);
      if (cp.rootHash !== undefined) roots.set(cp.seq, cp.rootHash);
    }
  }
  const fromSink = new Map<number, string>();
  for (const entry of sink ?? []) {
    const { cp, problem } = await verifyCopy(entry.jws, keys);
    if (!cp) {
      findings.push({ seq: entry.seq, reason: "CHECKPOINT_INVALID", expected: "valid signed checkpoint", found: problem!, source: "sink" });
    } else if (cp.seq !== entry.seq) {
      findings.push({ seq: entry.seq, reason: "CHECKPOINT_INVALID", expected: String(entry.seq), found: String(cp.seq), source: "sink" });
    } else {
      fromSink.set(cp.seq, cp.headHash);
      if (cp.rootHash !== undefined) roots.set(cp.seq, cp.rootHash);
    }
  }
  const agreed: number[] = [];
  for (const [seq, hash] of fromSink) {
    const dbHash = fromDb.get(seq);
    // Sealing writes the database first, so an outside checkpoint the database lacks was removed from it.
    if (dbHash === undefined && badInDb.has(seq)) continue; // already reported as CHECKPOINT_INVALID
    if (dbHash === undefined) findings.push({ seq, reason: "CHECKPOINT_MISMATCH", expected: hash, found: "missing", source: "database" });
    else if (dbHash !== hash) findings.push({ seq, reason: "CHECKPOINT_MISMATCH", expected: hash, found: dbHash, source: "database" });
    else agreed.push(seq);
  }
  // A database checkpoint not yet copied outside (the sink write failed after commit) still binds the log.
  const heads = new Map<number, string>([...fromDb, ...fromSink]);
  findings.sort((a, b) => a.seq - b.seq);
  agreed.sort((a, b) => a - b);
  let maxSeq = 0;
  for (const seq of heads.keys()) if (seq > maxSeq) maxSeq = seq;
  return { heads, roots, agreed, findings, maxSeq };
}

/** Reasons that come from comparing events, ranked before checkpoint-list problems at the same seq. */
const RANK: Record<AuditVerifyReason, number> = {
  SEQ_GAP: 0,
  PREV_HASH_MISMATCH: 0,
  HASH_MISMATCH: 0,
  TRUNCATED: 1,
  CHECKPOINT_MISMATCH: 2,
  ROOT_MISMATCH: 2,
  TREE_MISMATCH: 2,
  CHECKPOINT_INVALID: 3,
};

/** The first bad position: lowest seq, and at one seq the most specific finding. */
export function firstFinding(findings: ReadonlyArray<Finding | null>): Finding | null {
  let best: Finding | null = null;
  for (const f of findings) {
    if (!f) continue;
    if (!best || f.seq < best.seq || (f.seq === best.seq && RANK[f.reason] < RANK[best.reason])) best = f;
  }
  return best;
}
