// Storage adapter for audit_merkle_node (migration 1764384000000): the complete subtrees of the RFC 6962 tree
// over the log, written by the sequencer in each seal's transaction, read back for roots and proofs.
// Not part of the pure API in index.ts: an offline verifier never needs it.
import type { DataSource, EntityManager } from "typeorm";
import { eventLeafHash } from "./hasher";
import { consistencyRanges, frontierNodes, inclusionRanges, rangeNodes, type NodeId } from "./geometry";
import { TreeAccumulator, appendToFrontier, foldRight, type MerkleNode } from "./tree";

type Db = DataSource | EntityManager;

/** Nodes the tree should have are missing: it was not backfilled, or rows were removed. */
export class MerkleStoreError extends Error {
  constructor(readonly missing: NodeId[]) {
    super(`audit_merkle_node lacks ${missing.length} node(s), first level ${missing[0]?.level} index ${missing[0]?.idx}`);
    this.name = "MerkleStoreError";
  }
}

export const nodeKey = (n: NodeId) => `${n.level}/${n.idx}`;

/** The stored hashes of those of `ids` that exist, keyed "level/idx", in one query. */
export async function fetchNodes(db: Db, ids: readonly NodeId[]): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  if (ids.length === 0) return found;
  const rows: Array<{ level: number; idx: string; hash: Buffer }> = await db.query(
    `SELECT n.level, n.idx::text AS idx, n.hash FROM audit_merkle_node n
     JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
    [ids.map((n) => n.level), ids.map((n) => n.idx)],
  );
  for (const r of rows) found.set(`${r.level}/${r.idx}`, r.hash);
  return found;
}

/** The stored hashes of `ids`, in one query; throws MerkleStoreError if any is missing. */
export async function readNodes(db: Db, ids: readonly NodeId[]): Promise<Map<string, Buffer>> {
  const found = await fetchNodes(db, ids);
  const missing = ids.filter((n) => !found.has(nodeKey(n)));
  if (missing.length > 0) throw new MerkleStoreError(missing);
  return found;
}

/** The stored frontier of the tree of `size` leaves (what appending and the root need). */
export async function readFrontier(db: Db, size: number): Promise<MerkleNode[]> {
  const ids = frontierNodes(size);
  const hashes = await readNodes(db, ids);
  return ids.map((n) => ({ ...n, hash: hashes.get(nodeKey(n))! }));
}

/** How many leaves the stored tree has (its level-0 nodes are gapless from index 0). */
export async function storedTreeSize(db: Db): Promise<number> {
  const [row] = await db.query(`SELECT coalesce(max(idx) + 1, 0)::text AS size FROM audit_merkle_node WHERE level = 0`);
  return Number(row.size);
}

/**
 * The tree of the first `size` events, ready to grow: from the stored frontier when it is complete, else
 * (the stored tree lags: events were inserted without the sequencer, and no seal has caught up since)
 * recomputed from the events' chain hashes.
 */
export async function treeAt(db: Db, size: number): Promise<TreeAccumulator> {
  const ids = frontierNodes(size);
  const found = await fetchNodes(db, ids);
  if (ids.every((n) => found.has(nodeKey(n)))) return new TreeAccumulator(ids.map((n) => ({ ...n, hash: found.get(nodeKey(n))! })), size);
  const tree = new TreeAccumulator();
  while (tree.size < size) {
    const rows: Array<{ hash: Buffer }> = await db.query(`SELECT hash FROM audit_event WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 50000`, [tree.size, size]);
    if (rows.length === 0) throw new MerkleStoreError([{ level: 0, idx: tree.size }]);
    for (const r of rows) tree.push(eventLeafHash(r.hash));
  }
  return tree;
}

/** The stored root at `size`, or null when the stored tree lacks nodes for it (it lags, or lost rows). */
export async function storedRootIfComplete(db: Db, size: number): Promise<Buffer | null> {
  const ids = frontierNodes(size);
  const found = await fetchNodes(db, ids);
  return ids.every((n) => found.has(nodeKey(n))) ? foldRight(ids.map((n) => found.get(nodeKey(n))!)) : null;
}

/** The root of the stored tree of `size` leaves, from O(log size) stored nodes. */
export async function storedRoot(db: Db, size: number): Promise<Buffer> {
  return foldRight((await readFrontier(db, size)).map((n) => n.hash));
}

/** New complete nodes as parallel arrays, ready for one `unnest($1::smallint[], $2::bigint[], $3::text[])` insert. */
export interface NodeColumns {
  levels: number[];
  idxs: number[];
  /** Lower-case hex, decoded in SQL. */
  hashes: string[];
}

/**
 * Appends nodes through the statement the caller already runs (a data-modifying CTE over these parameters).
 * A node that already exists is left as it is: only a tampered table has one, verification reports it, and
 * sealing must not stop over it.
 */
export const INSERT_NODES_SQL = (levels: string, idxs: string, hashes: string) =>
  `INSERT INTO audit_merkle_node (level, idx, hash)
   SELECT t.level, t.idx, decode(t.hash, 'hex') FROM unnest(${levels}::smallint[], ${idxs}::bigint[], ${hashes}::text[]) AS t(level, idx, hash)
   ON CONFLICT (level, idx) DO NOTHING`;

const NO_NODES: NodeColumns = Object.freeze({ levels: [], idxs: [], hashes: [] }) as NodeColumns;

/** The stored tree cannot follow the chain (it was tampered with, or lost rows): the seal goes on without it. */
export class TreeDivergedError extends Error {
  constructor(readonly headSeq: number, detail: string) {
    super(`audit Merkle tree not extended at seq ${headSeq}: ${detail}`);
    this.name = "TreeDivergedError";
  }
}

/**
 * Computes the nodes that freshly sealed events add to the tree (the sequencer inserts them in its seal
 * statement, under the chain lock). It remembers the frontier it produced, keyed by the new head: when the
 * next seal starts from that very head (that seal committed, or an identical one did), no read is needed;
 * after a rollback or another replica's seal the head differs and the frontier is read back from the table.
 *
 * The tree never stops the chain: if the stored tree cannot be extended from the head (it holds more leaves
 * than the chain has events, because the chain was cut by someone who bypassed the triggers, or nodes are
 * missing), the events are sealed without nodes and `onDiverged` is told. Verification then names the
 * problem, and the checkpointer refuses to sign a root until the tree is repaired.
 */
export class TreeAppender {
  #cached: { size: number; headHash: string; frontier: MerkleNode[] } | null = null;

  constructor(private readonly onDiverged: (error: TreeDivergedError) => void = () => undefined) {}

  /** `head` is the chain head the events were sealed onto; `chainHashes` theirs, in seq order. */
  async nodesFor(em: EntityManager, head: { seq: number; hash: string }, chainHashes: readonly string[]): Promise<NodeColumns> {
    if (chainHashes.length === 0) return NO_NODES;
    const cached = this.#cached;
    this.#cached = null;
    let size = head.seq;
    let frontier: MerkleNode[];
    let leaves = chainHashes.map((h) => eventLeafHash(h));
    if (cached && cached.size === head.seq && cached.headHash === head.hash) {
      frontier = cached.frontier;
    } else {
      const stored = await storedTreeSize(em);
      if (stored > head.seq) return this.#diverged(head.seq, `the tree has ${stored} leaves, the chain ${head.seq} events`);
      if (stored < head.seq) {
        // Events sealed without their nodes (by a replica older than the tree, during a rolling deploy):
        // catch up from their chain hashes, which this seal's lock keeps still. The checkpointer then
        // checks the stored tree against the chain before it signs a root.
        const behind: Array<{ hash: Buffer }> = await em.query(`SELECT hash FROM audit_event WHERE seq > $1 AND seq <= $2 ORDER BY seq`, [stored, head.seq]);
        if (behind.length !== head.seq - stored) return this.#diverged(head.seq, `events after seq ${stored} are missing`);
        leaves = [...behind.map((r) => eventLeafHash(r.hash)), ...leaves];
        size = stored;
      }
      try {
        frontier = await readFrontier(em, size);
      } catch (error) {
        if (error instanceof MerkleStoreError) return this.#diverged(head.seq, error.message);
        throw error;
      }
    }
    const grown = appendToFrontier(frontier, size, leaves);
    this.#cached = { size: grown.size, headHash: chainHashes[chainHashes.length - 1], frontier: grown.frontier };
    return {
      levels: grown.created.map((n) => n.level),
      idxs: grown.created.map((n) => n.idx),
      hashes: grown.created.map((n) => n.hash.toString("hex")),
    };
  }

  #diverged(headSeq: number, detail: string): NodeColumns {
    this.onDiverged(new TreeDivergedError(headSeq, detail));
    return NO_NODES;
  }
}

export interface StoredInclusionProof {
  leafIndex: number;
  treeSize: number;
  leafHash: Buffer;
  proof: Buffer[];
  root: Buffer;
}

/** The inclusion proof of leaf `index` in the tree of `size` leaves, with that tree's root: one query. */
export async function storedInclusionProof(db: Db, index: number, size: number): Promise<StoredInclusionProof> {
  const ranges = inclusionRanges(index, size);
  const leaf: NodeId = { level: 0, idx: index };
  const frontier = frontierNodes(size);
  const hashes = await readNodes(db, [leaf, ...frontier, ...ranges.flatMap(rangeNodes)]);
  const get = (n: NodeId) => hashes.get(nodeKey(n))!;
  return {
    leafIndex: index,
    treeSize: size,
    leafHash: get(leaf),
    proof: ranges.map((r) => foldRight(rangeNodes(r).map(get))),
    root: foldRight(frontier.map(get)),
  };
}

export interface StoredConsistencyProof {
  size1: number;
  size2: number;
  proof: Buffer[];
  root1: Buffer;
  root2: Buffer;
}

/** The consistency proof from the tree of `size1` leaves to that of `size2`, with both roots: one query. */
export async function storedConsistencyProof(db: Db, size1: number, size2: number): Promise<StoredConsistencyProof> {
  const ranges = consistencyRanges(size1, size2);
  const [f1, f2] = [frontierNodes(size1), frontierNodes(size2)];
  const hashes = await readNodes(db, [...f1, ...f2, ...ranges.flatMap(rangeNodes)]);
  const get = (n: NodeId) => hashes.get(nodeKey(n))!;
  return {
    size1,
    size2,
    proof: ranges.map((r) => foldRight(rangeNodes(r).map(get))),
    root1: foldRight(f1.map(get)),
    root2: foldRight(f2.map(get)),
  };
}
