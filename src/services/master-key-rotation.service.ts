// Master-key rotation without downtime (`custos keys rotate`) and retirement (`custos keys retire`):
// servers learn a new version before any row is re-wrapped to it; re-wrapping runs in audited keyset
// batches that a re-run resumes; a version leaves the key file only when no live data key uses it.
import { LocalKeyProvider, loadOrCreateKeyFile, replaceKeyFile, type KeyMaterial } from "../crypto";
import { addMasterKeyVersion, pendingMasterVersion, promoteMasterKey, removeMasterKeyVersion } from "../crypto/rotate-master";
import { CustosError, notFound } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { CustomerCipher } from "../store/customer-cipher";
import { countKeysNotUnder, countKeysUnder, FIRST_UUID, rewrapBatch } from "../store/key-rewrap.store";

export interface MasterRotationDeps {
  store: AuditedStore;
  keysFile: string;
  batchSize?: number;
  /**
   * Resolves once every running server has re-read the key file (the CLI waits out the servers'
   * recheck interval). Called after a version is added and before the final sweep.
   */
  waitForReload(reason: "added" | "promoted"): Promise<void>;
  onProgress?(done: number, total: number): void;
}

export interface MasterRotationResult {
  fromVersion: number;
  toVersion: number;
  /** true when this run continued an interrupted rotation instead of adding a version. */
  resumed: boolean;
  rewrapped: number;
  batches: number;
}

async function readMaterial(file: string): Promise<KeyMaterial> {
  return (await loadOrCreateKeyFile(file, { create: false })).material;
}

async function cipherFor(material: KeyMaterial): Promise<CustomerCipher> {
  const provider = new LocalKeyProvider(material);
  return new CustomerCipher(await provider.masterKeyring(), await provider.blindIndexKey());
}

export async function rotateMasterKey(deps: MasterRotationDeps, actor: AuditActor): Promise<MasterRotationResult> {
  const batchSize = deps.batchSize ?? 500;
  let material = await readMaterial(deps.keysFile);
  const fromVersion = material.masterKeys.current;
  const event = (details: Record<string, string | number | boolean>) =>
    deps.store.recordStandalone(actor, [{ action: "keys.rotate", resourceType: "master_key", resourceId: String(details.toVersion), outcome: "SUCCESS", details }]);
  let resumed = true;
  let pending = pendingMasterVersion(material);
  if (pending === null) {
    const remaining = await deps.store.run(actor, null, (uow) => countKeysNotUnder(uow, fromVersion));
    if (remaining === 0) {
      // Nothing left over from an earlier run: a new rotation. Phase 1: add the version, not current.
      const added = addMasterKeyVersion(material);
      await replaceKeyFile(deps.keysFile, added.material);
      material = added.material;
      pending = added.version;
      resumed = false;
      await event({ phase: "added", fromVersion, toVersion: pending });
      await deps.waitForReload("added");
    }
  } else {
    // Interrupted after phase 1: servers may not have loaded it yet.
    await deps.waitForReload("added");
  }
  if (pending !== null) {
    // Phase 2: every server can unwrap the new version now; make it current and re-wrap to it.
    material = promoteMasterKey(material, pending);
    await replaceKeyFile(deps.keysFile, material);
  }
  const toVersion = material.masterKeys.current;
  const cipher = await cipherFor(material);
  const total = await deps.store.run(actor, null, (uow) => countKeysNotUnder(uow, toVersion));
  await event({ phase: "start", fromVersion, toVersion, remaining: total, resumed });
  let rewrapped = 0;
  let batches = 0;
  const pass = async () => {
    let after = FIRST_UUID;
    let found = 0;
    for (;;) {
      const batch = await deps.store.run(actor, { action: "keys.rewrap", resourceType: "master_key" }, (uow) => rewrapBatch(uow, cipher, after, batchSize));
      if (batch.count === 0) return found;
      found += batch.count;
      rewrapped += batch.count;
      batches++;
      deps.onProgress?.(rewrapped, Math.max(total, rewrapped));
      after = batch.last!;
    }
  };
  await pass();
  // Servers that had not yet seen the promotion may have wrapped new keys under the old version, and
  // keys created meanwhile may sort before the cursor: sweep until a pass finds nothing.
  await deps.waitForReload("promoted");
  while ((await pass()) > 0);
  await event({ phase: "finish", fromVersion, toVersion, rewrapped, batches });
  return { fromVersion, toVersion, resumed, rewrapped, batches };
}

/** Removes a master-key version from the key file, refused while it is current or any live data key uses it. */
export async function retireMasterKey(deps: { store: AuditedStore; keysFile: string }, actor: AuditActor, version: number): Promise<{ removed: number }> {
  const material = await readMaterial(deps.keysFile);
  if (!(String(version) in material.masterKeys.keys)) throw notFound(`Master key version ${version}`);
  if (version === material.masterKeys.current) throw new CustosError("CONFLICT", "The current master key cannot be retired", { rule: "KEY_CURRENT" });
  let written = false;
  try {
    return await deps.store.run(actor, { action: "keys.retire", resourceType: "master_key", resourceId: String(version) }, async (uow) => {
      const inUse = await countKeysUnder(uow, version);
      if (inUse > 0) {
        uow.recordAttempt({ action: "keys.retire", resourceType: "master_key", resourceId: String(version), outcome: "DENIED", details: { inUse } });
        throw new CustosError("CONFLICT", `${inUse} data keys are still wrapped under version ${version}; run keys rotate first`, { rule: "KEY_IN_USE", inUse });
      }
      await replaceKeyFile(deps.keysFile, removeMasterKeyVersion(material, version));
      written = true;
      uow.record({ action: "keys.retire", resourceType: "master_key", resourceId: String(version), outcome: "SUCCESS", details: { version, current: material.masterKeys.current } });
      return { removed: version };
    });
  } catch (error) {
    // The file changed but the event did not commit: put the key back (fail-closed, like rotate-signing).
    if (written) await replaceKeyFile(deps.keysFile, material);
    throw error;
  }
}
