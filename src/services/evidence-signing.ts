// What signed evidence (export bundles, regulators' reports) shares: the checkpoint it is anchored to, and
// a signature by the current checkpoint key taken under the key-rotation lock.
import type { DataSource } from "typeorm";
import type { AnchorCheckpoint } from "../audit/bundle-builder";
import { checkpointPayload } from "../audit/bundle-builder";
import { selectCheckpointsFrom } from "../audit/bundle-store";
import type { CheckpointSigningKey } from "../audit/checkpoint-jws";
import { isCryptoError } from "../crypto/errors";
import { CustosError } from "../errors";
import { CHECKPOINT_KEY_ROTATION_LOCK, type CheckpointKeys, type CheckpointService } from "./checkpoint.service";

/**
 * The first checkpoint committing to the Merkle tree (v2) at or after `fromSeq`; sealed now if there is
 * none yet. `what` names the evidence in the errors ("a bundle", "a signed report").
 */
export async function anchorCheckpoint(ds: DataSource, checkpoints: CheckpointService, fromSeq: number, what: string): Promise<AnchorCheckpoint> {
  const find = async () => {
    for (const cp of await selectCheckpointsFrom(ds, Math.max(1, fromSeq), 100)) {
      const p = checkpointPayload(cp.jws);
      if (p.v === 2 && typeof p.rootHash === "string") return { seq: cp.seq, rootHash: p.rootHash, jws: cp.jws };
    }
    return null;
  };
  const found = await find();
  if (found) return found;
  try {
    await checkpoints.checkpointNow({ force: true });
  } catch (error) {
    if (isCryptoError(error, "BAD_KEY_MATERIAL")) throw new CustosError("CONFLICT", `Audit checkpoints are off: ${what} needs the checkpoint signing key`);
    throw error;
  }
  const sealed = await find();
  if (!sealed) throw new CustosError("CONFLICT", `No checkpoint commits to the Merkle tree after the data of ${what}`);
  return sealed;
}

/**
 * Runs `sign` with the current checkpoint key, re-read from the key source under the shared rotation lock
 * (as sealing does), so evidence is never signed with a key retired a moment earlier. The evidence was
 * built naming `expectedKid`; a rotation in between means building it again, not signing with another kid.
 * Returns the signature and the keys as refreshed.
 */
export async function signWithCurrentKey(
  ds: DataSource,
  keys: CheckpointKeys,
  expectedKid: string,
  what: string,
  sign: (key: CheckpointSigningKey) => Promise<string>,
): Promise<{ signature: string; keys: CheckpointKeys }> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock_shared($1)`, [CHECKPOINT_KEY_ROTATION_LOCK]);
    try {
      const current = (await keys.refresh?.()) ?? keys;
      if (current.current.kid !== expectedKid) throw new CustosError("CONFLICT", `The checkpoint key was rotated while building ${what}; run it again`);
      return { signature: await sign(current.current), keys: current };
    } finally {
      await runner.query(`SELECT pg_advisory_unlock_shared($1)`, [CHECKPOINT_KEY_ROTATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}
