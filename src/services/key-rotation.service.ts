// The operator's signing-key rotation (`custos keys rotate-signing`): the key file changes and the audit
// log records it, or neither does.
import type { Clock } from "../clock";
import { replaceKeyFile, rotateSigningKeyFile, type KeyMaterial, type SigningRotation } from "../crypto";
import type { AuditActor, AuditedStore } from "../store/audited-store";

export interface KeyRotationDeps {
  store: AuditedStore;
  clock: Clock;
  keysFile: string;
  /** How long a retired key keeps verifying: the access-token lifetime. */
  graceSeconds: number;
}

const ACTION = "keys.rotate_signing";

/**
 * Makes a fresh Ed25519 key current, retires the previous one and drops long-retired ones, then records
 * `keys.rotate_signing` with both kids. Running servers pick the new key set up from the file.
 */
export async function rotateSigningKeys(deps: KeyRotationDeps, actor: AuditActor): Promise<SigningRotation> {
  let previous: KeyMaterial | null = null;
  try {
    return await deps.store.run(actor, { action: ACTION, resourceType: "signing_key" }, async (uow) => {
      const rotation = await rotateSigningKeyFile(deps.keysFile, { now: uow.now, graceSeconds: deps.graceSeconds });
      previous = rotation.previous;
      uow.record({
        action: ACTION,
        resourceType: "signing_key",
        resourceId: rotation.newKid,
        outcome: "SUCCESS",
        details: { newKid: rotation.newKid, retiredKid: rotation.retiredKid, dropped: rotation.dropped.join(",") },
      });
      return { material: rotation.material, newKid: rotation.newKid, retiredKid: rotation.retiredKid, dropped: rotation.dropped };
    });
  } catch (error) {
    // The file was replaced but the event did not commit: put the previous keys back (fail-closed).
    if (previous) await replaceKeyFile(deps.keysFile, previous);
    throw error;
  }
}
