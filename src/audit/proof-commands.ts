// The command-line side of Merkle proofs: `custos proof inclusion --seq N --tree-size M` and
// `custos proof consistency --from A --to B`. Prints the proof as one JSON object on stdout, checks it
// (against the signed checkpoint at that size when there is one) and says so on stderr; exit 1 if it fails.
import { parseArgs } from "node:util";
import type { CustosCore } from "../main";
import { readConsistencyProof, readInclusionProof } from "../services/audit-proof.service";
import type { AuditActor } from "../store/audited-store";
import { CheckpointError, verifyCheckpoint, type CheckpointVerificationKey } from "./checkpoint-jws";
import { MerkleProofError, hexToHash, verifyConsistency, verifyInclusion } from "./merkle";

export class ProofUsageError extends Error {}

function positive(value: string | undefined, flag: string, min: number): number {
  const n = value === undefined ? Number.NaN : Number(value);
  if (!/^\d+$/.test(value ?? "") || !Number.isSafeInteger(n) || n < min) throw new ProofUsageError(`${flag} must be an integer ≥ ${min}`);
  return n;
}

/** The root a signed checkpoint commits to, or a reason it cannot vouch for `root`. */
async function checkAgainstCheckpoint(jws: string | null, size: number, root: string, keys: readonly CheckpointVerificationKey[]): Promise<string> {
  if (jws === null) return `no signed checkpoint at tree size ${size}: checked against the stored root only`;
  try {
    const cp = await verifyCheckpoint(jws, keys);
    if (cp.rootHash === undefined) return `the checkpoint at ${size} predates the Merkle tree (v1): checked against the stored root only`;
    if (cp.rootHash !== root) throw new MerkleProofError("ROOT_MISMATCH", `the signed checkpoint at ${size} names root ${cp.rootHash}, the stored tree ${root}`);
    return `root matches the signed checkpoint at ${size} (kid ${cp.kid})`;
  } catch (error) {
    if (error instanceof CheckpointError) throw new MerkleProofError("ROOT_MISMATCH", `the checkpoint at ${size} does not verify: ${error.reason}`);
    throw error;
  }
}

export async function proofCommand(core: CustosCore, argv: string[], actor: AuditActor, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind !== "inclusion" && kind !== "consistency") throw new ProofUsageError("unknown proof command (try: proof inclusion, proof consistency)");
  const { values } = parseArgs({
    args: rest,
    options: kind === "inclusion" ? { seq: { type: "string" }, "tree-size": { type: "string" } } : { from: { type: "string" }, to: { type: "string" } },
    strict: true,
  }) as { values: Record<string, string | undefined> };
  const keys = core.services.checkpoints.sources().keys;
  const em = core.ds.manager;
  let view: object;
  let verdict: string;
  try {
    if (kind === "inclusion") {
      const seq = positive(values.seq, "--seq", 1);
      const treeSize = positive(values["tree-size"], "--tree-size", 1);
      await record(core, actor, { kind, seq, treeSize });
      const p = await readInclusionProof(em, seq, treeSize);
      view = p;
      verifyInclusion(hexToHash(p.leafHash), p.leafIndex, p.treeSize, p.proof.map((h) => hexToHash(h)), hexToHash(p.rootHash));
      verdict = `inclusion of seq ${seq} in tree size ${treeSize} verified; ${await checkAgainstCheckpoint(p.checkpoint, treeSize, p.rootHash, keys)}`;
    } else {
      const fromSize = positive(values.from, "--from", 0);
      const toSize = positive(values.to, "--to", 1);
      await record(core, actor, { kind, fromSize, toSize });
      const p = await readConsistencyProof(em, fromSize, toSize);
      view = p;
      verifyConsistency(fromSize, toSize, p.proof.map((h) => hexToHash(h)), hexToHash(p.fromRootHash), hexToHash(p.toRootHash));
      const from = fromSize > 0 ? await checkAgainstCheckpoint(p.fromCheckpoint, fromSize, p.fromRootHash, keys) : "size 0 is the empty tree";
      verdict = `consistency of tree size ${fromSize} → ${toSize} verified; ${from}; ${await checkAgainstCheckpoint(p.toCheckpoint, toSize, p.toRootHash, keys)}`;
    }
  } catch (error) {
    if (!(error instanceof MerkleProofError)) throw error;
    err.write(`proof FAILED: ${error.message}\n`);
    return 1;
  }
  out.write(`${JSON.stringify(view)}\n`);
  err.write(`${verdict}\n`);
  return 0;
}

/** Asking for a proof is itself recorded, before anything is read (fail-closed). */
async function record(core: CustosCore, actor: AuditActor, details: Record<string, string | number>): Promise<void> {
  await core.services.store.recordStandalone(actor, [{ action: "audit.proof", resourceType: "audit", resourceId: null, outcome: "SUCCESS", details }]);
}
