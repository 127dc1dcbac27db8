// The operator's checkpoint-key rotation (`custos keys rotate-checkpoint`): the key file changes and the
// audit log records it, or neither does; no replica seals with the old key once the new one is written.
import type { DataSource } from "typeorm";
import { latestStoredCheckpoint } from "../audit/checkpoint-store";
import { replaceKeyFile, rotateCheckpointKeyFile, type CheckpointRotation, type KeyMaterial } from "../crypto";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { CHECKPOINT_KEY_ROTATION_LOCK } from "./checkpoint.service";

export interface CheckpointKeyRotationDeps {
  ds: DataSource;
  store: AuditedStore;
  keysFile: string;
}

const ACTION = "keys.rotate_checkpoint";

/**
 * Makes a fresh Ed25519 checkpoint key current and retires the previous one (public half only), then records
 * `keys.rotate_checkpoint` with both kids. Holds the rotation lock exclusively from before the file changes
 * until after it is final (or put back): seals in progress finish first with the old key, and every later
 * seal re-reads the file under the lock. The retirement instant is never earlier than the last checkpoint's
 * issuedAt, so a replica's clock running ahead of ours cannot make an honest old checkpoint look forged.
 */
export async function rotateCheckpointKeys(deps: CheckpointKeyRotationDeps, actor: AuditActor): Promise<CheckpointRotation & { retiredAt: string }> {
  const runner = deps.ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock($1)`, [CHECKPOINT_KEY_ROTATION_LOCK]);
    let previous: KeyMaterial | null = null;
    try {
      return await deps.store.run(actor, { action: ACTION, resourceType: "checkpoint_key" }, async (uow) => {
        const last = await latestStoredCheckpoint(uow.em);
        const at = new Date(Math.max(uow.now.getTime(), last ? Date.parse(last.issuedAt) : 0));
        const rotation = await rotateCheckpointKeyFile(deps.keysFile, at);
        previous = rotation.previous;
        uow.record({
          action: ACTION,
          resourceType: "checkpoint_key",
          resourceId: rotation.newKid,
          outcome: "SUCCESS",
          details: { newKid: rotation.newKid, retiredKid: rotation.retiredKid, retiredAt: at.toISOString() },
        });
        return { material: rotation.material, newKid: rotation.newKid, retiredKid: rotation.retiredKid, retiredAt: at.toISOString() };
      });
    } catch (error) {
      // The file was replaced but the event did not commit: put the previous keys back, still under the lock.
      if (previous) await replaceKeyFile(deps.keysFile, previous);
      throw error;
    } finally {
      await runner.query(`SELECT pg_advisory_unlock($1)`, [CHECKPOINT_KEY_ROTATION_LOCK]).catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}
