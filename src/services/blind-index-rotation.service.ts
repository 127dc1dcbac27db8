// Blind-index key rotation (`custos keys rotate-blind-index`) and retirement (`retire-blind-index`), in the
// same phases as the master-key rotation: servers learn a version (and search under it) before any row is
// indexed under it; rows are rebuilt in audited keyset batches a re-run resumes; a version leaves the key
// file only when no live row uses it.
import { decodeBlindIndexKeyring, LocalKeyProvider, loadOrCreateKeyFile, replaceKeyFile, type KeyMaterial } from "../crypto";
import { addBlindIndexVersion, blindIndexKeySet, pendingBlindIndexVersion, promoteBlindIndexKey, removeBlindIndexVersion } from "../crypto/blind-index-keyring";
import { CustosError, notFound } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { countIndexedNotUnder, countIndexedUnder, reindexBatch } from "../store/blind-index.store";
import { CustomerCipher } from "../store/customer-cipher";
import { FIRST_UUID } from "../store/key-rewrap.store";

export interface BlindIndexRotationDeps {
  store: AuditedStore;
  keysFile: string;
  batchSize?: number;
  /**
   * Resolves once every running server has re-read the key file (the CLI waits out the recheck interval;
   * tests move the clock). Called after a version is added, after it is promoted, and before the sweep.
   */
  waitForReload(reason: "added" | "promoted" | "rebuilt"): Promise<void>;
  onProgress?(done: number, total: number): void;
}

export interface BlindIndexRotationResult {
  fromVersion: number;
  toVersion: number;
  resumed: boolean;
  rebuilt: number;
  batches: number;
}

async function readMaterial(file: string): Promise<KeyMaterial> {
  return (await loadOrCreateKeyFile(file, { create: false })).material;
}

async function cipherFor(material: KeyMaterial): Promise<CustomerCipher> {
  const provider = new LocalKeyProvider(material);
  return new CustomerCipher(await provider.masterKeyring(), decodeBlindIndexKeyring(material));
}

export async function rotateBlindIndexKey(deps: BlindIndexRotationDeps, actor: AuditActor): Promise<BlindIndexRotationResult> {
  const batchSize = deps.batchSize ?? 500;
  let material = await readMaterial(deps.keysFile);
  const fromVersion = blindIndexKeySet(material).current;
  const event = (details: Record<string, string | number | boolean>) =>
    deps.store.recordStandalone(actor, [{ action: "keys.rotate", resourceType: "blind_index_key", resourceId: String(details.toVersion), outcome: "SUCCESS", details }]);
  let resumed = true;
  let pending = pendingBlindIndexVersion(material);
  if (pending === null) {
    const remaining = await deps.store.run(actor, null, (uow) => countIndexedNotUnder(uow, fromVersion));
    if (remaining === 0) {
      // Phase 1: add the version without making it current. Servers that load it search under it too,
      // so once they all have, rows rebuilt under it stay findable from every server.
      const added = addBlindIndexVersion(material);
      await replaceKeyFile(deps.keysFile, added.material);
      material = added.material;
      pending = added.version;
      resumed = false;
      await event({ phase: "added", fromVersion, toVersion: pending });
    }
  }
  if (pending !== null) {
    // (Also after an interruption right after phase 1: servers may not have loaded it yet.)
    await deps.waitForReload("added");
    // Phase 2: make it current, so new and updated rows are indexed under it, and let servers learn that.
    material = promoteBlindIndexKey(material, pending);
    await replaceKeyFile(deps.keysFile, material);
    await deps.waitForReload("promoted");
  }
  const cipher = await cipherFor(material);
  const toVersion = cipher.blindIndexKeyring.current;
  const total = await deps.store.run(actor, null, (uow) => countIndexedNotUnder(uow, toVersion));
  await event({ phase: "start", fromVersion, toVersion, remaining: total, resumed });
  let rebuilt = 0;
  let batches = 0;
  const pass = async () => {
    let after = FIRST_UUID;
    let found = 0;
    for (;;) {
      const batch = await deps.store.run(actor, { action: "keys.reindex", resourceType: "blind_index_key" }, (uow) => reindexBatch(uow, cipher, after, batchSize));
      if (batch.count === 0) return found;
      found += batch.count;
      rebuilt += batch.count;
      batches++;
      deps.onProgress?.(rebuilt, Math.max(total, rebuilt));
      after = batch.last!;
    }
  };
  await pass();
  // A server that missed the promotion may still have indexed rows under the old version: sweep until clean.
  await deps.waitForReload("rebuilt");
  while ((await pass()) > 0);
  await event({ phase: "finish", fromVersion, toVersion, rebuilt, batches });
  return { fromVersion, toVersion, resumed, rebuilt, batches };
}

/** Removes a blind-index key version, refused while it is current or any live customer is indexed under it. */
export async function retireBlindIndexKey(deps: { store: AuditedStore; keysFile: string }, actor: AuditActor, version: number): Promise<{ removed: number }> {
  const material = await readMaterial(deps.keysFile);
  const set = blindIndexKeySet(material);
  if (!(String(version) in set.keys)) throw notFound(`Blind-index key version ${version}`);
  if (version === set.current) throw new CustosError("CONFLICT", "The current blind-index key cannot be retired", { rule: "KEY_CURRENT" });
  const target = { action: "keys.retire", resourceType: "blind_index_key", resourceId: String(version) };
  let written = false;
  try {
    return await deps.store.run(actor, target, async (uow) => {
      const inUse = await countIndexedUnder(uow, version);
      if (inUse > 0) {
        uow.recordAttempt({ ...target, outcome: "DENIED", details: { inUse } });
        throw new CustosError("CONFLICT", `${inUse} customers are still indexed under version ${version}; run keys rotate-blind-index first`, { rule: "KEY_IN_USE", inUse });
      }
      await replaceKeyFile(deps.keysFile, removeBlindIndexVersion(material, version));
      written = true;
      uow.record({ ...target, outcome: "SUCCESS", details: { version, current: set.current } });
      return { removed: version };
    });
  } catch (error) {
    if (written) await replaceKeyFile(deps.keysFile, material);
    throw error;
  }
}
