// Inclusion proofs for many events at once from the stored Merkle tree: the nodes every proof of a batch needs
// are read together (neighbouring leaves share most of their paths; fetchNodes reads stored nodes, tile leaves
// and the open tile's events in up to three queries), then each proof is folded in memory. The per-event proofs
// of src/audit/merkle/node-store.ts read theirs per call.
import type { DataSource, EntityManager } from "typeorm";
import { foldRight, inclusionRanges, rangeNodes, type NodeId } from "./merkle";
import { nodeKey, readNodes } from "./merkle/node-store";

type Db = DataSource | EntityManager;

/** The audit paths (hashes, nearest sibling first) of leaves `indexes` in the stored tree of `treeSize` leaves. */
export async function batchInclusionProofs(db: Db, indexes: readonly number[], treeSize: number): Promise<Buffer[][]> {
  const perLeaf = indexes.map((i) => inclusionRanges(i, treeSize).map(rangeNodes));
  const wanted = new Map<string, NodeId>();
  for (const ranges of perLeaf) for (const nodes of ranges) for (const n of nodes) wanted.set(nodeKey(n), n);
  const hashes = await readNodes(db, [...wanted.values()]);
  return perLeaf.map((ranges) => ranges.map((nodes) => foldRight(nodes.map((n) => hashes.get(nodeKey(n))!))));
}
