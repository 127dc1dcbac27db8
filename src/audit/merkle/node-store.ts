// Storage adapter for audit_merkle_node (migrations 1764384000000 and 1764400000000): the complete subtrees of
// the RFC 6962 tree over the log from level TILE_LEVEL up, each complete tile of TILE_WIDTH leaves carrying
// its leaf hashes, written by the sequencer in each seal's transaction, read back for roots and proofs.
// Nodes below the tile level are hashed from the tile's leaves (or, in the last, incomplete tile, from the
// events' chain hashes) when a proof needs them. Not part of the pure API in index.ts: an offline verifier
// never needs it.
import type { DataSource, EntityManager } from "typeorm";
import { HASH_BYTES, eventLeafHash, nodeHash } from "./hasher";
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

/**
 * Nodes below this level are not rows of their own: a tile of TILE_WIDTH leaves is one row, its
 * level-TILE_LEVEL node, which also holds the tile's leaf hashes (C2SP tlog-tiles uses the same height).
 * A seal then writes about one row per 128 events instead of two per event.
 */
export const TILE_LEVEL = 8;
export const TILE_WIDTH = 2 ** TILE_LEVEL;
const TILE_BYTES = TILE_WIDTH * HASH_BYTES;

/**
 * The hashes of those of `ids` the stored tree has, keyed "level/idx". Nodes at TILE_LEVEL and above are
 * read (one query); nodes below it are hashed from their tile's stored leaf hashes, or, in a tile that is not
 * complete yet, from the events' chain hashes (one more query each when needed). A log older than tiles
 * stored every level; its rows are used as they are.
 */
export async function fetchNodes(db: Db, ids: readonly NodeId[]): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  if (ids.length === 0) return found;
  const rows: Array<{ level: number; idx: string; hash: Buffer }> = await db.query(
    `SELECT n.level, n.idx::text AS idx, n.hash FROM audit_merkle_node n
     JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
    [ids.map((n) => n.level), ids.map((n) => n.idx)],
  );
  for (const r of rows) found.set(`${r.level}/${r.idx}`, r.hash);
  const inside = ids.filter((n) => n.level < TILE_LEVEL && !found.has(nodeKey(n)));
  if (inside.length > 0) await hashInsideTiles(db, inside, found);
  return found;
}

const tileOf = (n: NodeId) => Math.floor((n.idx * 2 ** n.level) / TILE_WIDTH);

/** Nodes below the tile level, from their tiles' leaf hashes; a node with a leaf not yet on the chain stays absent. */
async function hashInsideTiles(db: Db, nodes: readonly NodeId[], found: Map<string, Buffer>): Promise<void> {
  const tiles = [...new Set(nodes.map(tileOf))];
  const leaves = new Map<number, Array<Buffer | undefined>>();
  const stored: Array<{ idx: string; leaves: Buffer }> = await db.query(
    `SELECT n.idx::text AS idx, n.leaves FROM audit_merkle_node n JOIN unnest($1::bigint[]) AS w(idx) ON n.level = ${TILE_LEVEL} AND n.idx = w.idx
     WHERE n.leaves IS NOT NULL`,
    [tiles],
  );
  for (const r of stored) {
    if (r.leaves.length !== TILE_BYTES) continue;
    leaves.set(Number(r.idx), Array.from({ length: TILE_WIDTH }, (_, i) => r.leaves.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
  }
  const open = tiles.filter((t) => !leaves.has(t));
  if (open.length > 0) {
    const events: Array<{ seq: string; hash: Buffer }> = await db.query(
      `SELECT e.seq::text AS seq, e.hash FROM unnest($1::bigint[]) AS w(tile)
       JOIN audit_event e ON e.seq > w.tile * ${TILE_WIDTH} AND e.seq <= (w.tile + 1) * ${TILE_WIDTH}`,
      [open],
    );
    for (const e of events) {
      const leaf = Number(e.seq) - 1;
      const tile = Math.floor(leaf / TILE_WIDTH);
      if (!leaves.has(tile)) leaves.set(tile, new Array(TILE_WIDTH));
      leaves.get(tile)![leaf % TILE_WIDTH] = eventLeafHash(e.hash);
    }
  }
  // Bottom up within each tile, each node hashed once however many of the requested nodes share it.
  const memo = new Map<string, Buffer | undefined>();
  const hashOf = (level: number, idx: number): Buffer | undefined => {
    if (level === 0) return leaves.get(Math.floor(idx / TILE_WIDTH))?.[idx % TILE_WIDTH];
    const key = `${level}/${idx}`;
    if (memo.has(key)) return memo.get(key);
    const left = hashOf(level - 1, 2 * idx);
    const right = left && hashOf(level - 1, 2 * idx + 1);
    const hash = left && right ? nodeHash(left, right) : undefined;
    memo.set(key, hash);
    return hash;
  };
  for (const n of nodes) {
    const hash = hashOf(n.level, n.idx);
    if (hash) found.set(nodeKey(n), hash);
  }
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

/**
 * How many leaves the stored tiles cover (a multiple of TILE_WIDTH): the leaves after them are in the last,
 * incomplete tile, which lives in the events' chain hashes until it fills up.
 */
export async function storedTreeSize(db: Db): Promise<number> {
  const [row] = await db.query(`SELECT coalesce(max(idx) + 1, 0)::text AS tiles FROM audit_merkle_node WHERE level = ${TILE_LEVEL}`);
  return Number(row.tiles) * TILE_WIDTH;
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

/** New stored nodes as parallel arrays, ready for one `unnest` insert (INSERT_NODES_SQL). */
export interface NodeColumns {
  levels: number[];
  idxs: number[];
  /** Lower-case hex, decoded in SQL. */
  hashes: string[];
  /** A tile's TILE_WIDTH leaf hashes, concatenated, in hex, on its level-TILE_LEVEL node; null above. */
  leaves: Array<string | null>;
}

/**
 * Appends nodes through the statement the caller already runs (a data-modifying CTE over these parameters),
 * only where `guard` holds when one is given.
 * A node that already exists is left as it is: only a tampered table has one, verification reports it, and
 * sealing must not stop over it.
 */
export const INSERT_NODES_SQL = (levels: string, idxs: string, hashes: string, leaves: string, guard: string | null = null) =>
  `INSERT INTO audit_merkle_node (level, idx, hash, leaves)
   SELECT t.level, t.idx, decode(t.hash, 'hex'), decode(t.leaves, 'hex')
   FROM unnest(${levels}::smallint[], ${idxs}::bigint[], ${hashes}::text[], ${leaves}::text[]) AS t(level, idx, hash, leaves)
   ${guard === null ? "" : `WHERE ${guard}`}
   ON CONFLICT (level, idx) DO NOTHING`;

const NO_NODES: NodeColumns = Object.freeze({ levels: [], idxs: [], hashes: [], leaves: [] }) as NodeColumns;

/** The stored tree cannot follow the chain (it was tampered with, or lost rows): the seal goes on without it. */
export class TreeDivergedError extends Error {
  constructor(readonly headSeq: number, detail: string) {
    super(`audit Merkle tree not extended at seq ${headSeq}: ${detail}`);
    this.name = "TreeDivergedError";
  }
}

/**
 * Computes the nodes that freshly sealed events add to the stored tree (the sequencer inserts them in its
 * seal statement, under the chain lock): every new complete node from TILE_LEVEL up, the level-TILE_LEVEL
 * one with its tile's leaf hashes. It remembers the frontier it produced and the leaves of the incomplete
 * last tile, keyed by the new head: when the next seal starts from that very head (that seal committed, or
 * an identical one did), no read is needed; after a rollback or another replica's seal the head differs and
 * both are read back (the stored frontier of the complete tiles, the chain hashes of the last tile's events).
 *
 * The tree never stops the chain: if the stored tree cannot be extended from the head (its tiles cover more
 * leaves than the chain has events, because the chain was cut by someone who bypassed the triggers, or
 * nodes are missing), the events are sealed without nodes and `onDiverged` is told. Verification then names
 * the problem, and the checkpointer refuses to sign a root until the tree is repaired.
 */
export class TreeAppender {
  #cached: { size: number; headHash: string; frontier: MerkleNode[]; tileLeaves: Buffer[] } | null = null;

  constructor(private readonly onDiverged: (error: TreeDivergedError) => void = () => undefined) {}

  /** `head` is the chain head the events were sealed onto; `chainHashes` theirs, in seq order. */
  async nodesFor(em: EntityManager, head: { seq: number; hash: string }, chainHashes: readonly string[]): Promise<NodeColumns> {
    return this.#extend(head, chainHashes) ?? (await this.#extendFromStore(em, head, chainHashes));
  }

  /**
   * nodesFor without reading the database: null unless `head` is the one the last extension left (the
   * sequencer's speculative rounds, docs/audit-sequencer.md, whose head is not committed yet: reading the
   * stored tree there would find it behind and wrongly report it diverged).
   */
  nodesFromCache(head: { seq: number; hash: string }, chainHashes: readonly string[]): NodeColumns | null {
    return this.#extend(head, chainHashes);
  }

  #extend(head: { seq: number; hash: string }, chainHashes: readonly string[]): NodeColumns | null {
    if (chainHashes.length === 0) return NO_NODES;
    const cached = this.#cached;
    if (!cached || cached.size !== head.seq || cached.headHash !== head.hash) return null;
    return this.#grow(cached.size, cached.frontier, cached.tileLeaves, chainHashes.map((h) => eventLeafHash(h)), chainHashes);
  }

  async #extendFromStore(em: EntityManager, head: { seq: number; hash: string }, chainHashes: readonly string[]): Promise<NodeColumns> {
    this.#cached = null;
    const covered = await storedTreeSize(em);
    if (covered > head.seq) return this.#diverged(head.seq, `the tree's tiles cover ${covered} leaves, the chain has ${head.seq} events`);
    // From the last stored tile boundary: the incomplete tile's events, and, if the tiles lag (events sealed
    // by a replica older than the tree, during a rolling deploy), whole tiles to catch up on. Their chain
    // hashes are what this seal's lock keeps still; the checkpointer checks the stored tree before it signs.
    const behind: Array<{ hash: Buffer }> = await em.query(`SELECT hash FROM audit_event WHERE seq > $1 AND seq <= $2 ORDER BY seq`, [covered, head.seq]);
    if (behind.length !== head.seq - covered) return this.#diverged(head.seq, `events after seq ${covered} are missing`);
    let frontier: MerkleNode[];
    try {
      frontier = await readFrontier(em, covered);
    } catch (error) {
      if (error instanceof MerkleStoreError) return this.#diverged(head.seq, error.message);
      throw error;
    }
    const leaves = [...behind.map((r) => eventLeafHash(r.hash)), ...chainHashes.map((h) => eventLeafHash(h))];
    return this.#grow(covered, frontier, [], leaves, chainHashes);
  }

  /**
   * Appends `leaves` to the tree of `size` leaves with `frontier`; `tileLeaves` are the leaves already in it
   * since the last tile boundary (they go into the next tile row). Remembers the result under the new head.
   */
  #grow(size: number, frontier: MerkleNode[], tileLeaves: Buffer[], leaves: Buffer[], chainHashes: readonly string[]): NodeColumns {
    const grown = appendToFrontier(frontier, size, leaves);
    // Every leaf from the tile boundary before `size` on: base is a multiple of TILE_WIDTH.
    const base = size - tileLeaves.length;
    const fromBase = [...tileLeaves, ...leaves];
    const out: NodeColumns = { levels: [], idxs: [], hashes: [], leaves: [] };
    for (const n of grown.created) {
      if (n.level < TILE_LEVEL) continue;
      out.levels.push(n.level);
      out.idxs.push(n.idx);
      out.hashes.push(n.hash.toString("hex"));
      const first = n.idx * TILE_WIDTH - base;
      out.leaves.push(n.level === TILE_LEVEL ? Buffer.concat(fromBase.slice(first, first + TILE_WIDTH)).toString("hex") : null);
    }
    const lastBoundary = grown.size - (grown.size % TILE_WIDTH);
    this.#cached = { size: grown.size, headHash: chainHashes[chainHashes.length - 1], frontier: grown.frontier, tileLeaves: fromBase.slice(lastBoundary - base) };
    return out;
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

/** The inclusion proof of leaf `index` in the tree of `size` leaves, with that tree's root (fetchNodes: one to three queries). */
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

/** The consistency proof from the tree of `size1` leaves to that of `size2`, with both roots (fetchNodes: one to three queries). */
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
