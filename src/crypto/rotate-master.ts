// Master-key rotation in the key file: add a version (not yet current), promote it, and drop a retired
// one. Pure functions over KeyMaterial; the caller writes the file (replaceKeyFile: atomic, mode 0600).
import { randomBytes } from "node:crypto";
import type { KeyMaterial } from "./key-material";

const versionsOf = (m: KeyMaterial) => Object.keys(m.masterKeys.keys).map(Number);

/** A version newer than current: added by an interrupted rotation, not yet promoted. */
export function pendingMasterVersion(material: KeyMaterial): number | null {
  const newer = versionsOf(material).filter((v) => v > material.masterKeys.current);
  return newer.length ? Math.max(...newer) : null;
}

/** Adds a fresh 32-byte master key as the next version; `current` does not move (servers load it first). */
export function addMasterKeyVersion(material: KeyMaterial): { material: KeyMaterial; version: number } {
  const version = Math.max(...versionsOf(material)) + 1;
  const keys = { ...material.masterKeys.keys, [String(version)]: randomBytes(32).toString("base64") };
  return { material: { ...material, masterKeys: { current: material.masterKeys.current, keys } }, version };
}

export function promoteMasterKey(material: KeyMaterial, version: number): KeyMaterial {
  if (!(String(version) in material.masterKeys.keys)) throw new TypeError(`master key version ${version} is not in the key file`);
  return { ...material, masterKeys: { current: version, keys: { ...material.masterKeys.keys } } };
}

export function removeMasterKeyVersion(material: KeyMaterial, version: number): KeyMaterial {
  if (version === material.masterKeys.current) throw new TypeError("the current master key cannot be removed");
  if (!(String(version) in material.masterKeys.keys)) throw new TypeError(`master key version ${version} is not in the key file`);
  const keys = { ...material.masterKeys.keys };
  delete keys[String(version)];
  return { ...material, masterKeys: { current: material.masterKeys.current, keys } };
}
