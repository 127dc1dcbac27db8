// Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) specify it, for
// RFC 6962 trees. Verifiers throw a MerkleProofError whose `code` says why; the one that matters most for
// security, a proof that leads to another root, is a RootMismatchError carrying both roots.
import { assertHash, hashToHex, nodeHash, sameHash } from "./hasher";
import { assertSize } from "./geometry";

export type MerkleProofErrorCode =
  /** The leaf index is not below the tree size, or size1 > size2. */
  | "OUT_OF_RANGE"
  /** The proof has the wrong number of elements for these sizes. */
  | "WRONG_PROOF_SIZE"
  /** The proof is well formed and leads to a root other than the expected one. */
  | "ROOT_MISMATCH";

export class MerkleProofError extends Error {
  constructor(
    readonly code: MerkleProofErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "MerkleProofError";
  }
}

export class RootMismatchError extends MerkleProofError {
  constructor(
    /** Lower-case hex of the root the caller trusts. */
    readonly expected: string,
    /** Lower-case hex of the root the proof leads to. */
    readonly computed: string,
    what = "root",
  ) {
    super("ROOT_MISMATCH", `${what} mismatch: expected ${expected}, computed ${computed}`);
    this.name = "RootMismatchError";
  }
}

const lsb = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

function assertProof(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) throw new TypeError("proof must be an array of 32-byte hashes");
  proof.forEach((p, i) => assertHash(p, `proof[${i}]`));
}

/** The root that an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1–5 without the final comparison). */
export function rootFromInclusionProof(leafHash: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[]): Buffer {
  assertHash(leafHash, "leafHash");
  assertSize(index, "index");
  assertSize(treeSize, "treeSize");
  assertProof(proof);
  if (index >= treeSize) throw new MerkleProofError("OUT_OF_RANGE", `leaf index ${index} is not below tree size ${treeSize}`);
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) throw new MerkleProofError("WRONG_PROOF_SIZE", "inclusion proof is longer than the path");
    if (lsb(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new MerkleProofError("WRONG_PROOF_SIZE", "inclusion proof is shorter than the path");
  return r;
}

/** Throws unless `proof` shows the leaf with `leafHash` at `index` in the tree of `treeSize` leaves with `root`. */
export function verifyInclusion(leafHash: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[], root: Uint8Array): void {
  assertHash(root, "root");
  const computed = rootFromInclusionProof(leafHash, index, treeSize, proof);
  if (!sameHash(computed, root)) throw new RootMismatchError(hashToHex(root), hashToHex(computed));
}

/**
 * The two roots a consistency proof leads to (RFC 9162 §2.1.4.2 steps 1–7 without the final comparison),
 * for 0 < size1 < size2. `root1` is needed only when size1 is a power of two (it is then the first node).
 */
export function rootsFromConsistencyProof(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array): [Buffer, Buffer] {
  assertSize(size1, "size1");
  assertSize(size2, "size2");
  assertProof(proof);
  assertHash(root1, "root1");
  if (size1 < 1 || size1 >= size2) throw new MerkleProofError("OUT_OF_RANGE", `a consistency proof needs 0 < size1 < size2 (got ${size1}, ${size2})`);
  if (proof.length === 0) throw new MerkleProofError("WRONG_PROOF_SIZE", "empty consistency proof");
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0]);
  let sr: Buffer = Buffer.from(path[0]);
  for (const c of path.slice(1)) {
    if (sn === 0) throw new MerkleProofError("WRONG_PROOF_SIZE", "consistency proof is longer than needed");
    if (lsb(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new MerkleProofError("WRONG_PROOF_SIZE", "consistency proof is shorter than needed");
  return [fr, sr];
}

/**
 * Throws unless `proof` shows that the tree of `size2` leaves with `root2` extends the tree of `size1`
 * leaves with `root1`. Equal sizes need an empty proof and equal roots; size1 0 needs an empty proof.
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  assertSize(size1, "size1");
  assertSize(size2, "size2");
  assertProof(proof);
  assertHash(root1, "root1");
  assertHash(root2, "root2");
  if (size2 < size1) throw new MerkleProofError("OUT_OF_RANGE", `size2 ${size2} is smaller than size1 ${size1}`);
  if (size1 === size2) {
    if (proof.length > 0) throw new MerkleProofError("WRONG_PROOF_SIZE", "equal sizes need an empty proof");
    if (!sameHash(root1, root2)) throw new RootMismatchError(hashToHex(root1), hashToHex(root2), "root2");
    return;
  }
  if (size1 === 0) {
    // Every tree extends the empty one.
    if (proof.length > 0) throw new MerkleProofError("WRONG_PROOF_SIZE", "size1 0 needs an empty proof");
    return;
  }
  const [fr, sr] = rootsFromConsistencyProof(size1, size2, proof, root1);
  if (!sameHash(fr, root1)) throw new RootMismatchError(hashToHex(root1), hashToHex(fr), "root1");
  if (!sameHash(sr, root2)) throw new RootMismatchError(hashToHex(root2), hashToHex(sr), "root2");
}
