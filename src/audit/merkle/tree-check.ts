// Verification of the Merkle tree against the signed checkpoints (part of `custos verify`): the root
// recomputed from the stored events' chain hashes must be the root each v2 checkpoint signed, and so must
// the root of the stored nodes that proofs are served from. One pass, O(log n) memory, no rebuild.
import type { DataSource, EntityManager } from "typeorm";
import type { Finding } from "../checkpoint-check";
import { eventLeafHash } from "./hasher";
import { frontierNodes } from "./geometry";
import { fetchNodes, nodeKey } from "./node-store";
import { TreeAccumulator, foldRight, type MerkleNode } from "./tree";

type Db = DataSource | EntityManager;

export interface TreeCheckOutcome {
  finding: Finding | null;
  /** Checkpoints whose signed root matched both the recomputed tree and the stored nodes. */
  rootsChecked: number;
}

/**
 * Checks every signed root at seq in [startSeq, uptoSeq] (`roots`: seq → rootHash of the v2 checkpoints).
 * The recomputation starts from the stored frontier at `startSeq` (0 for a full run), itself checked
 * against the root signed there when there is one. Events are assumed chain-verified up to `uptoSeq`.
 */
export async function checkTreeRoots(
  db: Db,
  roots: ReadonlyMap<number, string>,
  startSeq: number,
  uptoSeq: number,
  opts: { batch?: number } = {},
): Promise<TreeCheckOutcome> {
  const due = [...roots.keys()].filter((s) => s >= startSeq && s <= uptoSeq).sort((a, b) => a - b);
  if (due.length === 0) return { finding: null, rootsChecked: 0 };

  // 1. The stored nodes: each signed root from the frontier of its size, a few hundred sizes per query.
  let storedFinding: Finding | null = null;
  for (let i = 0; i < due.length && !storedFinding; i += 256) {
    const sizes = due.slice(i, i + 256);
    const found = await fetchNodes(db, sizes.flatMap((s) => frontierNodes(s)));
    for (const s of sizes) {
      const ids = frontierNodes(s);
      const hashes = ids.map((n) => found.get(nodeKey(n)));
      const root = hashes.every((h) => h !== undefined) ? foldRight(hashes as Buffer[]).toString("hex") : "missing";
      if (root !== roots.get(s)) {
        storedFinding = { seq: s, reason: "TREE_MISMATCH", expected: roots.get(s)!, found: root };
        break;
      }
    }
  }

  // 2. The recomputed tree: leaves from the events' chain hashes, in keyset batches of (seq, hash) only.
  const last = storedFinding ? storedFinding.seq : due[due.length - 1];
  let tree: TreeAccumulator;
  if (startSeq === 0) {
    tree = new TreeAccumulator();
  } else {
    // A trusted starting point (incremental run): its stored frontier was just checked in step 1 when a
    // root was signed there.
    const ids = frontierNodes(startSeq);
    const found = await fetchNodes(db, ids);
    if (ids.some((n) => !found.has(nodeKey(n)))) {
      return { finding: storedFinding ?? { seq: startSeq, reason: "TREE_MISMATCH", expected: "stored frontier", found: "missing" }, rootsChecked: 0 };
    }
    tree = new TreeAccumulator(ids.map((n): MerkleNode => ({ ...n, hash: found.get(nodeKey(n))! })), startSeq);
  }
  const batch = opts.batch ?? 50_000;
  let rootsChecked = 0;
  let finding: Finding | null = null;
  const compare = () => {
    const signed = roots.get(tree.size);
    if (signed === undefined) return true;
    const root = tree.root().toString("hex");
    if (root !== signed) {
      finding = { seq: tree.size, reason: "ROOT_MISMATCH", expected: signed, found: root };
      return false;
    }
    if (!storedFinding || tree.size < storedFinding.seq) rootsChecked += 1;
    return true;
  };
  let ok = compare();
  while (ok && tree.size < last) {
    const rows: Array<{ seq: string; hash: Buffer }> = await db.query(
      `SELECT seq::text AS seq, hash FROM audit_event WHERE seq > $1 AND seq <= $2 ORDER BY audit_event.seq LIMIT ${batch}`,
      [tree.size, last],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      // A gap is the chain check's finding; the tree cannot be recomputed past it.
      if (Number(r.seq) !== tree.size + 1) return { finding: firstOf(storedFinding, finding), rootsChecked };
      tree.push(eventLeafHash(r.hash));
      if (!(ok = compare())) break;
    }
  }
  return { finding: firstOf(storedFinding, finding), rootsChecked };
}

function firstOf(a: Finding | null, b: Finding | null): Finding | null {
  if (!a) return b;
  if (!b) return a;
  return b.seq <= a.seq ? b : a;
}
