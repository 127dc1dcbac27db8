// The shape of an RFC 6962 tree, as arithmetic on sizes only: which subtrees a proof is made of, which stored
// complete nodes make up such a subtree, and the right-edge frontier of a tree of any size. Plain number
// arithmetic (never 32-bit bit operators), so every size up to 2^53 − 1 works.

/** A complete subtree: `2^level` leaves starting at leaf `idx · 2^level`. Stored nodes are addressed this way. */
export interface NodeId {
  level: number;
  idx: number;
}

/** Leaves [begin, end) of the tree: the subtree whose MTH a proof element is. */
export interface LeafRange {
  begin: number;
  end: number;
}

export function assertSize(n: unknown, what: string): asserts n is number {
  if (!Number.isSafeInteger(n) || (n as number) < 0) throw new TypeError(`${what} must be a non-negative safe integer`);
}

/** k of RFC 6962 §2.1: the largest power of two smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const pow2 = (level: number) => 2 ** level;

/**
 * PATH(m, D[n]) of RFC 6962 §2.1.1 as leaf ranges, in proof order (the sibling nearest the leaf first).
 * Empty for n ≤ 1.
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  assertSize(index, "index");
  assertSize(size, "treeSize");
  if (index >= size) throw new RangeError(`leaf index ${index} is not in a tree of size ${size}`);
  const out: LeafRange[] = [];
  const path = (m: number, lo: number, hi: number): void => {
    if (hi - lo <= 1) return;
    const k = splitPoint(hi - lo);
    if (m < lo + k) {
      path(m, lo, lo + k);
      out.push({ begin: lo + k, end: hi });
    } else {
      path(m, lo + k, hi);
      out.push({ begin: lo, end: lo + k });
    }
  };
  path(index, 0, size);
  return out;
}

/**
 * PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 6962 §2.1.2 as leaf ranges, in proof order. Empty when
 * size1 is 0 or equals size2 (RFC 9162 §2.1.4: nothing to prove).
 */
export function consistencyRanges(size1: number, size2: number): LeafRange[] {
  assertSize(size1, "size1");
  assertSize(size2, "size2");
  if (size1 > size2) throw new RangeError(`size1 ${size1} is larger than size2 ${size2}`);
  const out: LeafRange[] = [];
  if (size1 === 0 || size1 === size2) return out;
  const sub = (m: number, lo: number, hi: number, whole: boolean): void => {
    if (m === hi - lo) {
      if (!whole) out.push({ begin: lo, end: hi });
      return;
    }
    const k = splitPoint(hi - lo);
    if (m <= k) {
      sub(m, lo, lo + k, whole);
      out.push({ begin: lo + k, end: hi });
    } else {
      sub(m - k, lo + k, hi, false);
      out.push({ begin: lo, end: lo + k });
    }
  };
  sub(size1, 0, size2, true);
  return out;
}

/**
 * The complete nodes whose hashes, folded from the right (`foldRight`), give MTH of leaves [begin, end):
 * the binary decomposition of the range, largest first. Only for ranges that are subtrees of some RFC 6962
 * tree (begin a multiple of a power of two ≥ end − begin), which is every range a proof names.
 */
export function rangeNodes(range: LeafRange): NodeId[] {
  const { begin, end } = range;
  assertSize(begin, "begin");
  assertSize(end, "end");
  if (end <= begin) throw new RangeError("an empty leaf range has no nodes");
  const width = end - begin;
  let top = 0;
  while (pow2(top + 1) <= width) top += 1;
  if (begin % pow2(width === pow2(top) ? top : top + 1) !== 0) throw new RangeError(`leaves [${begin}, ${end}) are not a subtree`);
  const out: NodeId[] = [];
  let at = begin;
  for (let level = top; level >= 0; level -= 1) {
    if (end - at >= pow2(level)) {
      out.push({ level, idx: (at / pow2(level)) });
      at += pow2(level);
    }
  }
  return out;
}

/**
 * The right-edge frontier of a tree of `size` leaves: one complete node per set bit of `size`, largest
 * (leftmost) first. Its hashes fold to the root, and appending leaves needs nothing else.
 */
export function frontierNodes(size: number): NodeId[] {
  assertSize(size, "treeSize");
  return size === 0 ? [] : rangeNodes({ begin: 0, end: size });
}

/** The complete nodes that exist once a tree has `size` leaves and did not when it had `from`. */
export function newNodes(from: number, size: number): NodeId[] {
  assertSize(from, "from");
  assertSize(size, "size");
  const out: NodeId[] = [];
  for (let level = 0; pow2(level) <= size; level += 1) {
    const first = Math.floor(from / pow2(level));
    const last = Math.floor(size / pow2(level));
    for (let idx = first; idx < last; idx += 1) out.push({ level, idx });
  }
  return out;
}
