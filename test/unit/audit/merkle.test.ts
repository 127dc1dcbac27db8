// RFC 6962 Merkle tree: the known-answer vectors published with transparency-dev/merkle (testonly/constants.go
// and proof_test.go), each cross-checked against a naive recursive implementation written here from the RFC
// text and, for sizes 0–3, against openssl in a shell. Negative cases follow transparency-dev's corruption
// probes: a proof that is modified, truncated, extended, or checked against the wrong index, size or root
// must be refused.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  EMPTY_ROOT,
  MerkleProofError,
  RootMismatchError,
  appendToFrontier,
  consistencyProofFromLeafHashes,
  consistencyRanges,
  eventLeafHash,
  frontierNodes,
  inclusionProofFromLeafHashes,
  inclusionRanges,
  leafHash,
  newNodes,
  nodeHash,
  rangeHash,
  rootFromFrontier,
  rootFromLeafHashes,
  rootFromLeaves,
  verifyConsistency,
  verifyInclusion,
  type MerkleNode,
} from "../../../src/audit/merkle";

const hx = (s: string) => Buffer.from(s, "hex");
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// transparency-dev/merkle testonly/constants.go: LeafInputs().
const LEAF_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(hx);

// transparency-dev/merkle testonly/constants.go: RootHashes(), one per tree size 0..8 (size 0 is
// EmptyRootHash(), SHA-256 of the empty string).
const ROOT_HASHES = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

// transparency-dev/merkle testonly/constants.go: NodeHashes(), every complete subtree of the 8-leaf tree by
// [level][index].
const NODE_HASHES = [
  [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
  ],
  [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
  ],
  ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
  ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

// transparency-dev/merkle proof_test.go: inclusionProofs, {leaf (1-based), size, proof}.
const INCLUSION_VECTORS: Array<[number, number, string[]]> = [
  [1, 1, []],
  [1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
  [6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
  [3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]],
  [2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]],
];

// transparency-dev/merkle proof_test.go: consistencyProofs, {size1, size2, proof}.
const CONSISTENCY_VECTORS: Array<[number, number, string[]]> = [
  [1, 1, []],
  [1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
  [6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
  [2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]],
];

// ---- The naive reference: RFC 6962 §2.1 read literally, recursion on arrays, used only to cross-check. ----
const sha = (...parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), createHash("sha256")).digest();
const k = (n: number) => {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
};
function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return sha(Buffer.from([0]), d[0]);
  const s = k(d.length);
  return sha(Buffer.from([1]), mth(d.slice(0, s)), mth(d.slice(s)));
}
function path(m: number, d: Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const s = k(d.length);
  return m < s ? [...path(m, d.slice(0, s)), mth(d.slice(s))] : [...path(m - s, d.slice(s)), mth(d.slice(0, s))];
}
function subproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const s = k(d.length);
  return m <= s ? [...subproof(m, d.slice(0, s), b), mth(d.slice(s))] : [...subproof(m - s, d.slice(s), false), mth(d.slice(0, s))];
}
const proof = (m: number, d: Buffer[]) => (m === 0 || m === d.length ? [] : subproof(m, d, true));

const LEAF_HASHES = LEAF_INPUTS.map(leafHash);
/** More leaves than the published tree, for exhaustive checks over sizes up to 70. */
const MANY = Array.from({ length: 70 }, (_, i) => Buffer.from(`leaf ${i}`));
const MANY_HASHES = MANY.map(leafHash);

describe("known-answer vectors (transparency-dev/merkle)", () => {
  it.each(ROOT_HASHES.map((root, size) => [size, root] as const))("the root of the reference tree of size %i", (size, root) => {
    expect(hex(rootFromLeaves(LEAF_INPUTS.slice(0, size)))).toBe(root);
    expect(hex(mth(LEAF_INPUTS.slice(0, size)))).toBe(root);
  });

  it("reproduces sizes 0–3 in a shell with printf and openssl (the commands an auditor can run)", () => {
    const H = "openssl dgst -sha256 -binary";
    const leaf0 = `printf '\\000' | ${H}`; // SHA-256(0x00 ‖ "")
    const leaf1 = `printf '\\000\\000' | ${H}`; // SHA-256(0x00 ‖ 0x00)
    const leaf2 = `printf '\\000\\020' | ${H}`; // SHA-256(0x00 ‖ 0x10)
    const node01 = `{ printf '\\001'; ${leaf0}; ${leaf1}; } | ${H}`;
    const commands = [
      `printf '' | ${H}`,
      leaf0,
      node01,
      `{ printf '\\001'; ${node01}; ${leaf2}; } | ${H}`,
    ];
    commands.forEach((cmd, size) => {
      const out = execFileSync("sh", ["-c", `${cmd} | od -An -tx1 | tr -d ' \\n'`], { encoding: "utf8" });
      expect(out, cmd).toBe(ROOT_HASHES[size]);
    });
  });

  it("every complete subtree of the 8-leaf tree, as the incremental frontier creates it", () => {
    const { created } = appendToFrontier([], 0, LEAF_HASHES);
    const byLevel: string[][] = [];
    for (const n of created) (byLevel[n.level] ??= [])[n.idx] = hex(n.hash);
    expect(byLevel).toEqual(NODE_HASHES);
    expect(created.map((n) => `${n.level}/${n.idx}`).sort()).toEqual(newNodes(0, 8).map((n) => `${n.level}/${n.idx}`).sort());
  });

  it.each(INCLUSION_VECTORS)("inclusion proof of leaf %i in the tree of size %i", (leaf, size, expected) => {
    const index = leaf - 1;
    const leaves = LEAF_HASHES.slice(0, size);
    expect(inclusionProofFromLeafHashes(leaves, index).map(hex)).toEqual(expected);
    expect(path(index, LEAF_INPUTS.slice(0, size)).map(hex)).toEqual(expected);
    expect(() => verifyInclusion(LEAF_HASHES[index], index, size, expected.map(hx), hx(ROOT_HASHES[size]))).not.toThrow();
  });

  it.each(CONSISTENCY_VECTORS)("consistency proof from size %i to size %i", (size1, size2, expected) => {
    expect(consistencyProofFromLeafHashes(LEAF_HASHES.slice(0, size2), size1).map(hex)).toEqual(expected);
    expect(proof(size1, LEAF_INPUTS.slice(0, size2)).map(hex)).toEqual(expected);
    expect(() => verifyConsistency(size1, size2, expected.map(hx), hx(ROOT_HASHES[size1]), hx(ROOT_HASHES[size2]))).not.toThrow();
  });

  it("the empty tree's root is SHA-256 of nothing, and the leaf of an event is SHA-256(0x00 ‖ its chain hash)", () => {
    expect(hex(EMPTY_ROOT)).toBe(ROOT_HASHES[0]);
    expect(hex(rootFromLeafHashes([]))).toBe(ROOT_HASHES[0]);
    const chainHash = "ac8770212e254ddd28524deb9958c05d955c4e122ff7880803cceecd430a8841"; // docs/audit-canonical-form.md §5
    // printf '\000' > l; printf ac87…8841 | xxd -r -p >> l; openssl dgst -sha256 l
    expect(hex(eventLeafHash(chainHash))).toBe(hex(sha(Buffer.from([0]), hx(chainHash))));
    expect(eventLeafHash(hx(chainHash))).toEqual(eventLeafHash(chainHash));
    expect(() => eventLeafHash(chainHash.toUpperCase())).toThrow(TypeError);
  });
});

describe("against the naive reference, exhaustively for sizes up to 70", () => {
  it("roots, inclusion proofs and consistency proofs agree and verify", () => {
    for (let size = 0; size <= MANY.length; size += 1) {
      const d = MANY.slice(0, size);
      const root = mth(d);
      expect(rootFromLeafHashes(MANY_HASHES.slice(0, size))).toEqual(root);
      for (let m = 0; m < size; m += 1) {
        const p = inclusionProofFromLeafHashes(MANY_HASHES.slice(0, size), m);
        expect(p).toEqual(path(m, d));
        verifyInclusion(MANY_HASHES[m], m, size, p, root);
      }
      for (let m = 0; m <= size; m += 1) {
        const p = consistencyProofFromLeafHashes(MANY_HASHES.slice(0, size), m);
        expect(p).toEqual(proof(m, d));
        verifyConsistency(m, size, p, mth(d.slice(0, m)), root);
      }
    }
  });

  it("the frontier grown in batches of any size gives every root, and stored nodes give every proof", () => {
    const store = new Map<string, Buffer>();
    let frontier: MerkleNode[] = [];
    let size = 0;
    for (const batch of [1, 2, 1, 5, 3, 8, 13, 1, 1, 21, 14]) {
      const before = frontierNodes(size).map((n) => `${n.level}/${n.idx}`);
      expect(frontier.map((n) => `${n.level}/${n.idx}`)).toEqual(before);
      const grown = appendToFrontier(frontier, size, MANY_HASHES.slice(size, size + batch));
      expect(grown.created.map((n) => `${n.level}/${n.idx}`).sort()).toEqual(newNodes(size, size + batch).map((n) => `${n.level}/${n.idx}`).sort());
      for (const n of grown.created) store.set(`${n.level}/${n.idx}`, n.hash);
      ({ frontier, size } = grown);
      expect(rootFromFrontier(frontier)).toEqual(mth(MANY.slice(0, size)));
    }
    expect(size).toBe(MANY.length);
    const lookup = (n: { level: number; idx: number }) => store.get(`${n.level}/${n.idx}`)!;
    for (let s = 1; s <= size; s += 1) {
      expect(rangeHash({ begin: 0, end: s }, lookup)).toEqual(mth(MANY.slice(0, s)));
    }
  });
});

// ---- Negative cases: transparency-dev's corruption probes, all of which must be refused. ----
const SOME_HASH = hx("abacaba0".repeat(8));
const flip = (b: Buffer) => {
  const c = Buffer.from(b);
  c[0] ^= 8;
  return c;
};

interface InclusionProbe {
  desc: string;
  index: number;
  size: number;
  root: Buffer;
  leaf: Buffer;
  proof: Buffer[];
}

function inclusionProbes(index: number, size: number, p: Buffer[], root: Buffer, leaf: Buffer): InclusionProbe[] {
  const probes: InclusionProbe[] = [
    { desc: "leafIndex + 1", index: index + 1, size, root, leaf, proof: p },
    { desc: "leafIndex ^ 2", index: index ^ 2, size, root, leaf, proof: p },
    { desc: "size * 2", index, size: size * 2, root, leaf, proof: p },
    { desc: "size / 2", index, size: Math.floor(size / 2), root, leaf, proof: p },
    { desc: "wrong leaf", index, size, root, leaf: leafHash(Buffer.from("WrongLeaf")), proof: p },
    { desc: "empty root", index, size, root: EMPTY_ROOT, leaf, proof: p },
    { desc: "random root", index, size, root: SOME_HASH, leaf, proof: p },
    { desc: "trailing garbage", index, size, root, leaf, proof: [...p, SOME_HASH] },
    { desc: "trailing root", index, size, root, leaf, proof: [...p, root] },
    { desc: "preceding garbage", index, size, root, leaf, proof: [SOME_HASH, ...p] },
    { desc: "preceding root", index, size, root, leaf, proof: [root, ...p] },
  ];
  if (index > 0) probes.push({ desc: "leafIndex - 1", index: index - 1, size, root, leaf, proof: p });
  p.forEach((_, i) => {
    probes.push({ desc: `modified proof[${i}] bit 3`, index, size, root, leaf, proof: p.map((x, j) => (j === i ? flip(x) : x)) });
    probes.push({ desc: `removed proof[${i}]`, index, size, root, leaf, proof: p.filter((_, j) => j !== i) });
  });
  if (p.length > 0) probes.push({ desc: "truncated (last removed)", index, size, root, leaf, proof: p.slice(0, -1) });
  if (p.length > 1) probes.push({ desc: "inserted component", index, size, root, leaf, proof: [p[0], SOME_HASH, ...p.slice(1)] });
  if (p.length > 1) probes.push({ desc: "swapped components", index, size, root, leaf, proof: [p[1], p[0], ...p.slice(2)] });
  return probes;
}

interface ConsistencyProbe {
  desc: string;
  size1: number;
  size2: number;
  root1: Buffer;
  root2: Buffer;
  proof: Buffer[];
}

function consistencyProbes(size1: number, size2: number, p: Buffer[], root1: Buffer, root2: Buffer): ConsistencyProbe[] {
  const probes: ConsistencyProbe[] = [
    { desc: "size1 - 1", size1: size1 - 1, size2, root1, root2, proof: p },
    { desc: "size1 + 1", size1: size1 + 1, size2, root1, root2, proof: p },
    { desc: "size1 ^ 2", size1: size1 ^ 2, size2, root1, root2, proof: p },
    { desc: "size2 * 2", size1, size2: size2 * 2, root1, root2, proof: p },
    { desc: "size2 / 2", size1, size2: Math.floor(size2 / 2), root1, root2, proof: p },
    { desc: "wrong root1", size1, size2, root1: SOME_HASH, root2, proof: p },
    { desc: "wrong root2", size1, size2, root1, root2: SOME_HASH, proof: p },
    { desc: "swapped roots", size1, size2, root1: root2, root2: root1, proof: p },
    { desc: "empty proof", size1, size2, root1, root2, proof: [] },
    { desc: "trailing garbage", size1, size2, root1, root2, proof: [...p, SOME_HASH] },
    { desc: "trailing root", size1, size2, root1, root2, proof: [...p, root2] },
    { desc: "preceding garbage", size1, size2, root1, root2, proof: [SOME_HASH, ...p] },
  ];
  p.forEach((_, i) => {
    probes.push({ desc: `modified proof[${i}] bit 3`, size1, size2, root1, root2, proof: p.map((x, j) => (j === i ? flip(x) : x)) });
    probes.push({ desc: `removed proof[${i}]`, size1, size2, root1, root2, proof: p.filter((_, j) => j !== i) });
  });
  if (p.length > 1) probes.push({ desc: "truncated (last removed)", size1, size2, root1, root2, proof: p.slice(0, -1) });
  return probes;
}

describe("negative cases", () => {
  const published = INCLUSION_VECTORS.map(([leaf, size, p]) => ({ index: leaf - 1, size, proof: p.map(hx) }));

  it.each(published)("every corruption of the published inclusion proof of index $index in size $size is refused", ({ index, size, proof: p }) => {
    const root = hx(ROOT_HASHES[size]);
    verifyInclusion(LEAF_HASHES[index], index, size, p, root);
    for (const probe of inclusionProbes(index, size, p, root, LEAF_HASHES[index])) {
      expect(() => verifyInclusion(probe.leaf, probe.index, probe.size, probe.proof, probe.root), probe.desc).toThrow(MerkleProofError);
    }
  });

  it.each(CONSISTENCY_VECTORS.filter(([a, b]) => a < b))("every corruption of the published consistency proof %i → %i is refused", (size1, size2, hexProof) => {
    const p = hexProof.map(hx);
    const [root1, root2] = [hx(ROOT_HASHES[size1]), hx(ROOT_HASHES[size2])];
    verifyConsistency(size1, size2, p, root1, root2);
    for (const probe of consistencyProbes(size1, size2, p, root1, root2)) {
      expect(() => verifyConsistency(probe.size1, probe.size2, probe.proof, probe.root1, probe.root2), probe.desc).toThrow(MerkleProofError);
    }
  });

  it("every corruption of every proof of trees up to 40 leaves is refused", () => {
    let refused = 0;
    for (let size = 1; size <= 40; size += 1) {
      const leaves = MANY_HASHES.slice(0, size);
      const root = mth(MANY.slice(0, size));
      for (let m = 0; m < size; m += 1) {
        for (const probe of inclusionProbes(m, size, inclusionProofFromLeafHashes(leaves, m), root, leaves[m])) {
          expect(() => verifyInclusion(probe.leaf, probe.index, probe.size, probe.proof, probe.root), `${probe.desc} (${m}, ${size})`).toThrow(MerkleProofError);
          refused += 1;
        }
      }
      for (let m = 1; m < size; m += 1) {
        const root1 = mth(MANY.slice(0, m));
        for (const probe of consistencyProbes(m, size, consistencyProofFromLeafHashes(leaves, m), root1, root)) {
          expect(() => verifyConsistency(probe.size1, probe.size2, probe.proof, probe.root1, probe.root2), `${probe.desc} (${m}, ${size})`).toThrow(MerkleProofError);
          refused += 1;
        }
      }
    }
    expect(refused).toBeGreaterThan(10_000);
  });

  it("a wrong root is a RootMismatchError naming both roots; a proof of the wrong length is WRONG_PROOF_SIZE", () => {
    const p = INCLUSION_VECTORS[2][2].map(hx);
    try {
      verifyInclusion(LEAF_HASHES[5], 5, 8, p, SOME_HASH);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RootMismatchError);
      expect(error).toMatchObject({ code: "ROOT_MISMATCH", expected: hex(SOME_HASH), computed: ROOT_HASHES[8] });
    }
    expect(() => verifyInclusion(LEAF_HASHES[5], 5, 8, p.slice(0, 2), hx(ROOT_HASHES[8]))).toThrow(expect.objectContaining({ code: "WRONG_PROOF_SIZE" }));
    expect(() => verifyInclusion(LEAF_HASHES[5], 8, 8, p, hx(ROOT_HASHES[8]))).toThrow(expect.objectContaining({ code: "OUT_OF_RANGE" }));
    expect(() => verifyConsistency(1, 1, [SOME_HASH], hx(ROOT_HASHES[1]), hx(ROOT_HASHES[1]))).toThrow(expect.objectContaining({ code: "WRONG_PROOF_SIZE" }));
    expect(() => verifyConsistency(0, 5, [SOME_HASH], EMPTY_ROOT, hx(ROOT_HASHES[5]))).toThrow(expect.objectContaining({ code: "WRONG_PROOF_SIZE" }));
    expect(() => verifyConsistency(5, 5, [], hx(ROOT_HASHES[5]), hx(ROOT_HASHES[6]))).toThrow(RootMismatchError);
    expect(() => verifyConsistency(6, 5, [], hx(ROOT_HASHES[6]), hx(ROOT_HASHES[5]))).toThrow(expect.objectContaining({ code: "OUT_OF_RANGE" }));
  });

  it("malformed input is a programmer's TypeError, not a verdict", () => {
    const root = hx(ROOT_HASHES[8]);
    expect(() => verifyInclusion(LEAF_HASHES[0], 0, 8, [Buffer.alloc(31)], root)).toThrow(TypeError);
    expect(() => verifyInclusion(Buffer.alloc(33), 0, 8, [], root)).toThrow(TypeError);
    expect(() => verifyInclusion(LEAF_HASHES[0], -1, 8, [], root)).toThrow(TypeError);
    expect(() => verifyInclusion(LEAF_HASHES[0], 0, 2 ** 53, [], root)).toThrow(TypeError);
    expect(() => nodeHash(Buffer.alloc(32), Buffer.alloc(0))).toThrow(TypeError);
  });

  it("random trees: a proof for one leaf never verifies another", () => {
    const leaves = Array.from({ length: 37 }, () => leafHash(randomBytes(16)));
    const root = rootFromLeafHashes(leaves);
    for (let m = 0; m < leaves.length; m += 1) {
      const p = inclusionProofFromLeafHashes(leaves, m);
      verifyInclusion(leaves[m], m, leaves.length, p, root);
      const other = (m + 1) % leaves.length;
      expect(() => verifyInclusion(leaves[other], m, leaves.length, p, root)).toThrow(RootMismatchError);
    }
  });
});

describe("large sizes", () => {
  it("geometry and verification work beyond 2^32 leaves (no 32-bit bit operators)", () => {
    // A tree of 2^33 + 5 leaves where every leaf hash is the same: each complete subtree of level L then has
    // the same hash h[L], so the proofs can be built from a table instead of 2^33 leaves.
    const base = leafHash(Buffer.from("x"));
    const h = [base];
    for (let l = 1; l <= 34; l += 1) h.push(nodeHash(h[l - 1], h[l - 1]));
    const lookup = (n: { level: number }) => h[n.level];
    const size = 2 ** 33 + 5;
    const root = rangeHash({ begin: 0, end: size }, lookup);
    for (const index of [0, 2 ** 32, 2 ** 33 - 1, 2 ** 33 + 4]) {
      const p = inclusionRanges(index, size).map((r) => rangeHash(r, lookup));
      verifyInclusion(base, index, size, p, root);
      expect(() => verifyInclusion(base, index, size, p.slice(1), root)).toThrow(MerkleProofError);
    }
    const size1 = 2 ** 32 + 3;
    const p = consistencyRanges(size1, size).map((r) => rangeHash(r, lookup));
    verifyConsistency(size1, size, p, rangeHash({ begin: 0, end: size1 }, lookup), root);
    expect(frontierNodes(size).map((n) => n.level)).toEqual([33, 2, 0]);
  });
});
