// Merkle tree hashes from leaf hashes: the root of any size (MTH), proofs generated from leaf hashes held
// in memory, and incremental growth from the right-edge frontier (what the sequencer stores per seal).
import { EMPTY_ROOT, assertHash, leafHash, nodeHash } from "./hasher";
import { consistencyRanges, inclusionRanges, rangeNodes, type LeafRange, type NodeId } from "./geometry";

/** A complete node and its hash. */
export interface MerkleNode extends NodeId {
  hash: Buffer;
}

/**
 * Folds the hashes of a range's nodes (rangeNodes order, largest first) into the range's MTH: the last two
 * are joined first, as RFC 6962's recursion does on the right edge. Empty input is the empty tree.
 */
export function foldRight(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) return Buffer.from(EMPTY_ROOT);
  let acc: Buffer = Buffer.from(hashes[hashes.length - 1]);
  for (let i = hashes.length - 2; i >= 0; i -= 1) acc = nodeHash(hashes[i], acc);
  return acc;
}

/** MTH(D[begin:end]) from all leaf hashes, bottom up: each level halves, an odd last node moves up as is. */
function subtreeRoot(leafHashes: readonly Uint8Array[], begin: number, end: number): Buffer {
  if (end === begin) return Buffer.from(EMPTY_ROOT);
  let level: Uint8Array[] = leafHashes.slice(begin, end);
  while (level.length > 1) {
    const up: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) up.push(nodeHash(level[i], level[i + 1]));
    if (level.length % 2 === 1) up.push(level[level.length - 1]);
    level = up;
  }
  return Buffer.from(level[0]);
}

/** MTH of a tree whose leaf hashes are given (size 0 → the empty root). */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Buffer {
  leafHashes.forEach((h, i) => assertHash(h, `leafHashes[${i}]`));
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

/** MTH of a tree of raw leaves (each hashed with the 0x00 prefix first). */
export function rootFromLeaves(leaves: readonly Uint8Array[]): Buffer {
  return rootFromLeafHashes(leaves.map(leafHash));
}

/** The audit path of leaf `index` in the tree of the given leaf hashes (RFC 6962 §2.1.1). */
export function inclusionProofFromLeafHashes(leafHashes: readonly Uint8Array[], index: number): Buffer[] {
  return inclusionRanges(index, leafHashes.length).map((r) => subtreeRoot(leafHashes, r.begin, r.end));
}

/** The consistency proof from the first `size1` leaves to all of them (RFC 6962 §2.1.2). */
export function consistencyProofFromLeafHashes(leafHashes: readonly Uint8Array[], size1: number): Buffer[] {
  return consistencyRanges(size1, leafHashes.length).map((r) => subtreeRoot(leafHashes, r.begin, r.end));
}

/** A proof element's hash from stored complete nodes: look up rangeNodes(range), fold from the right. */
export function rangeHash(range: LeafRange, lookup: (node: NodeId) => Uint8Array): Buffer {
  return foldRight(rangeNodes(range).map(lookup));
}

/**
 * Appends leaf hashes to a tree of `size` leaves whose frontier (frontierNodes(size), with hashes) is
 * given. Returns every complete node the new leaves create (the leaves themselves included, level 0) and
 * the new frontier. The frontier must be in frontierNodes order; nothing else of the tree is needed.
 */
export function appendToFrontier(
  frontier: readonly MerkleNode[],
  size: number,
  leafHashes: readonly Uint8Array[],
): { created: MerkleNode[]; frontier: MerkleNode[]; size: number } {
  const stack = frontier.map((n) => ({ ...n }));
  const created: MerkleNode[] = [];
  let next = size;
  for (const h of leafHashes) {
    assertHash(h, "leaf hash");
    let node: MerkleNode = { level: 0, idx: next, hash: Buffer.from(h) };
    next += 1;
    created.push(node);
    // Binary increment: equal-sized neighbours on the right edge merge into their parent.
    while (stack.length > 0 && stack[stack.length - 1].level === node.level) {
      const left = stack.pop()!;
      node = { level: node.level + 1, idx: left.idx / 2, hash: nodeHash(left.hash, node.hash) };
      created.push(node);
    }
    stack.push(node);
  }
  return { created, frontier: stack, size: next };
}

/** The root of a tree from its frontier. */
export function rootFromFrontier(frontier: readonly MerkleNode[]): Buffer {
  return foldRight(frontier.map((n) => n.hash));
}

/**
 * Grows a tree one leaf at a time in O(log n) memory (its frontier only): what sealing and verification use
 * to recompute the root at each checkpoint from the events they stream, without a full rebuild.
 */
export class TreeAccumulator {
  #frontier: MerkleNode[];
  #size: number;

  /** Starts from a tree of `size` leaves with the given frontier (frontierNodes(size) order), or empty. */
  constructor(frontier: readonly MerkleNode[] = [], size = 0) {
    this.#frontier = frontier.map((n) => ({ ...n }));
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  push(leafHash: Uint8Array): void {
    assertHash(leafHash, "leaf hash");
    let node: MerkleNode = { level: 0, idx: this.#size, hash: Buffer.from(leafHash) };
    this.#size += 1;
    while (this.#frontier.length > 0 && this.#frontier[this.#frontier.length - 1].level === node.level) {
      const left = this.#frontier.pop()!;
      node = { level: node.level + 1, idx: left.idx / 2, hash: nodeHash(left.hash, node.hash) };
    }
    this.#frontier.push(node);
  }

  root(): Buffer {
    return rootFromFrontier(this.#frontier);
  }
}
