// The proofs published with transparency-dev/merkle (testdata/inclusion/*/happy-path.json and
// testdata/consistency/*/happy-path.json, Apache-2.0), copied verbatim as data, checked by our verifier;
// then each happy path altered the way the published negative files alter it, each of which must fail.
// The roots and node hashes of testonly/constants.go are checked in merkle.test.ts.
import { describe, expect, it } from "vitest";
import { verifyConsistency, verifyInclusion } from "../../../src/audit/merkle";

const b64 = (s: string) => Buffer.from(s, "base64");

const INCLUSION = [
  {
    file: "inclusion/2/happy-path.json",
    leafIdx: 5,
    treeSize: 8,
    root: "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
    leafHash: "QnGia+DYqE8L1UyMMC58s6O10fpngKQLzOKHNHfatlg=",
    proof: ["vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=", "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=", "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="],
  },
  {
    file: "inclusion/4/happy-path.json",
    leafIdx: 1,
    treeSize: 5,
    root: "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=",
    leafHash: "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
    proof: ["bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=", "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="],
  },
];

const CONSISTENCY = [
  {
    file: "consistency/1/happy-path.json",
    size1: 1,
    size2: 8,
    root1: "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
    root2: "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
    proof: ["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=", "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="],
  },
  {
    file: "consistency/2/happy-path.json",
    size1: 6,
    size2: 8,
    root1: "duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=",
    root2: "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
    proof: ["DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=", "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=", "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="],
  },
];

function flipBit(hash: Buffer, bit: number): Buffer {
  const out = Buffer.from(hash);
  out[0] ^= 1 << bit;
  return out;
}

describe("transparency-dev/merkle inclusion vectors", () => {
  for (const v of INCLUSION) {
    const proof = v.proof.map(b64);
    const check = (over: Partial<{ leafHash: Buffer; leafIdx: number; treeSize: number; proof: Buffer[]; root: Buffer }>) => () =>
      verifyInclusion(over.leafHash ?? b64(v.leafHash), over.leafIdx ?? v.leafIdx, over.treeSize ?? v.treeSize, over.proof ?? proof, over.root ?? b64(v.root));

    it(`${v.file} verifies`, () => {
      expect(check({})).not.toThrow();
    });

    it.each([
      ["wrong-leaf (the bytes of \"WrongLeaf\")", { leafHash: b64("V3JvbmdMZWFm") }],
      ["leafIdx + 1", { leafIdx: v.leafIdx + 1 }],
      ["leafIdx - 1", { leafIdx: v.leafIdx - 1 }],
      ["treeSize * 2", { treeSize: v.treeSize * 2 }],
      ["treeSize / 2", { treeSize: Math.floor(v.treeSize / 2) }],
      ["modified proof[0], bit 3", { proof: [flipBit(proof[0], 3), ...proof.slice(1)] }],
      ["modified proof[2], bit 3", { proof: [...proof.slice(0, 2), flipBit(proof[2], 3)] }],
      ["removed component", { proof: proof.slice(0, -1) }],
      ["inserted component", { proof: [...proof, proof[0]] }],
      ["random root", { root: b64("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=").equals(b64(v.root)) ? b64("Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=") : b64("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=") }],
      ["empty root", { root: Buffer.alloc(0) }],
    ])(`${v.file} altered (%s) is refused`, (_name, over) => {
      expect(check(over as never)).toThrow();
    });
  }
});

describe("transparency-dev/merkle consistency vectors", () => {
  for (const v of CONSISTENCY) {
    const proof = v.proof.map(b64);
    const check = (over: Partial<{ size1: number; size2: number; proof: Buffer[]; root1: Buffer; root2: Buffer }>) => () =>
      verifyConsistency(over.size1 ?? v.size1, over.size2 ?? v.size2, over.proof ?? proof, over.root1 ?? b64(v.root1), over.root2 ?? b64(v.root2));

    it(`${v.file} verifies`, () => {
      expect(check({})).not.toThrow();
    });

    it.each([
      ["modified proof[0], bit 4", { proof: [flipBit(proof[0], 4), ...proof.slice(1)] }],
      ["modified proof[2], bit 4", { proof: [...proof.slice(0, 2), flipBit(proof[2], 4)] }],
      ["truncated proof", { proof: proof.slice(0, -1) }],
      ["extra component", { proof: [...proof, proof[0]] }],
      ["empty proof", { proof: [] }],
      ["root1 and root2 swapped", { root1: b64(v.root2), root2: b64(v.root1) }],
      ["size1 + 1", { size1: v.size1 + 1 }],
      // (Not size2 - 1: with size1 = 1 or 6 the RFC 9162 fold is the same for 7 and 8 leaves, so the proof
      // is one for some 7-leaf tree with that root; a checkpoint binds the size to its root.)
    ])(`${v.file} altered (%s) is refused`, (_name, over) => {
      expect(check(over as never)).toThrow();
    });
  }
});
