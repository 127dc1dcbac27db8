// Versioned blind-index (HMAC) keys: the keyring a server indexes and searches with, and the pure
// key-file edits of `custos keys rotate-blind-index` / `retire-blind-index` (the caller writes the file).
import { randomBytes } from "node:crypto";
import { CryptoError } from "./errors";
import { decodeKey32, isValidKeyVersion, type KeyMaterial } from "./key-material";

/** HMAC keys by version. `current` indexes new and rebuilt rows; every version in `keys` is searched. */
export interface BlindIndexKeyring {
  readonly current: number;
  readonly keys: ReadonlyMap<number, Buffer>;
}

export type BlindIndexKeySet = { current: number; keys: Record<string, string> };

/**
 * The blind-index versions of a key file. A file from before rotation existed has only the single
 * `blindIndexKey`: that is version 1, so rows indexed before the upgrade (bidx_version 1) still match.
 */
export function blindIndexKeySet(material: KeyMaterial): BlindIndexKeySet {
  return material.blindIndexKeys ?? { current: 1, keys: { "1": material.blindIndexKey } };
}

export function decodeBlindIndexKeyring(material: KeyMaterial): BlindIndexKeyring {
  const set = blindIndexKeySet(material);
  const keys = new Map<number, Buffer>();
  for (const [version, encoded] of Object.entries(set.keys)) keys.set(Number(version), decodeKey32(encoded, `blindIndexKeys.keys["${version}"]`));
  if (!keys.has(set.current)) throw new CryptoError("BAD_KEY_MATERIAL", `blind-index key version ${set.current} (current) is missing`);
  return Object.freeze({ current: set.current, keys });
}

/** A one-version keyring around a bare key (tests, and callers that predate versioning). */
export function singleBlindIndexKeyring(key: Buffer): BlindIndexKeyring {
  return Object.freeze({ current: 1, keys: new Map([[1, Buffer.from(key)]]) });
}

export const blindIndexKeyringShape = (k: BlindIndexKeyring) => `${k.current}|${[...k.keys.keys()].sort((a, b) => a - b).join(",")}`;

const versionsOf = (set: BlindIndexKeySet) => Object.keys(set.keys).map(Number);

/** A version newer than current: added by an interrupted rotation, not yet promoted. */
export function pendingBlindIndexVersion(material: KeyMaterial): number | null {
  const set = blindIndexKeySet(material);
  const newer = versionsOf(set).filter((v) => v > set.current);
  return newer.length ? Math.max(...newer) : null;
}

/** Adds a fresh 32-byte HMAC key as the next version; `current` does not move (servers learn it first). */
export function addBlindIndexVersion(material: KeyMaterial): { material: KeyMaterial; version: number } {
  const set = blindIndexKeySet(material);
  const version = Math.max(...versionsOf(set)) + 1;
  if (!isValidKeyVersion(version)) throw new TypeError("no blind-index key version left");
  const keys = { ...set.keys, [String(version)]: randomBytes(32).toString("base64") };
  return { material: { ...material, blindIndexKeys: { current: set.current, keys } }, version };
}

export function promoteBlindIndexKey(material: KeyMaterial, version: number): KeyMaterial {
  const set = blindIndexKeySet(material);
  if (!(String(version) in set.keys)) throw new TypeError(`blind-index key version ${version} is not in the key file`);
  return { ...material, blindIndexKeys: { current: version, keys: { ...set.keys } } };
}

export function removeBlindIndexVersion(material: KeyMaterial, version: number): KeyMaterial {
  const set = blindIndexKeySet(material);
  if (version === set.current) throw new TypeError("the current blind-index key cannot be removed");
  if (!(String(version) in set.keys)) throw new TypeError(`blind-index key version ${version} is not in the key file`);
  const keys = { ...set.keys };
  delete keys[String(version)];
  return { ...material, blindIndexKeys: { current: set.current, keys } };
}
