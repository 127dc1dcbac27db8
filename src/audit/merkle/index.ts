// Public API of the RFC 6962 Merkle tree over the audit log: hashing, roots, proof generation and
// verification. Pure (node:crypto only) so that a standalone offline verifier can take this directory as is.
// The database adapter (node-store.ts) is deliberately not exported here.
export { EMPTY_ROOT, HASH_BYTES, eventLeafHash, hashToHex, hexToHash, leafHash, nodeHash } from "./hasher";
export { consistencyRanges, frontierNodes, inclusionRanges, newNodes, rangeNodes, splitPoint } from "./geometry";
export type { LeafRange, NodeId } from "./geometry";
export {
  appendToFrontier,
  consistencyProofFromLeafHashes,
  foldRight,
  inclusionProofFromLeafHashes,
  rangeHash,
  rootFromFrontier,
  rootFromLeafHashes,
  rootFromLeaves,
  TreeAccumulator,
} from "./tree";
export type { MerkleNode } from "./tree";
export { MerkleProofError, RootMismatchError, rootFromInclusionProof, rootsFromConsistencyProof, verifyConsistency, verifyInclusion } from "./verify";
export type { MerkleProofErrorCode } from "./verify";
