// Checkpoint signing-key rotation: a new Ed25519 key becomes current; the previous one keeps only its PUBLIC
// half, with the instant it retired, so every checkpoint it ever signed stays verifiable and none after.
import { generateSigningKey, loadOrCreateKeyFile, replaceKeyFile, type KeyMaterial, type RetiredCheckpointKey, type Ed25519PrivateJwk } from "./key-material";
import { CryptoError } from "./errors";

export interface CheckpointRotation {
  material: KeyMaterial;
  newKid: string;
  retiredKid: string;
}

/**
 * Pure: the key material after making `next` the checkpoint key at `now`. The private half of the old
 * key is dropped, never kept: a retired checkpoint key has nothing left to sign, and a copy of the file
 * (a backup, a leak) must not be able to forge checkpoints under it. Verification needs only the public half.
 */
export function rotateCheckpointMaterial(material: KeyMaterial, next: { kid: string; privateJwk: Ed25519PrivateJwk }, now: Date): CheckpointRotation {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError("now must be a valid Date");
  const current = material.checkpointSigning;
  if (!current) throw new CryptoError("BAD_KEY_MATERIAL", "key material has no checkpointSigning key to rotate");
  const retired = current.retired ?? [];
  if (next.kid === current.kid || retired.some((r) => r.kid === next.kid)) throw new TypeError("the new checkpoint key's kid is already in the key file");
  const at = now.toISOString();
  if (current.activatedAt !== undefined && current.activatedAt > at) throw new CryptoError("BAD_KEY_MATERIAL", "the current checkpoint key was activated after now: is the clock wrong?");
  const outgoing: RetiredCheckpointKey = {
    kid: current.kid,
    publicJwk: { kty: "OKP", crv: "Ed25519", x: current.privateJwk.x },
    ...(current.activatedAt !== undefined ? { activatedAt: current.activatedAt } : {}),
    retiredAt: at,
  };
  return {
    material: { ...material, checkpointSigning: { kid: next.kid, privateJwk: next.privateJwk, activatedAt: at, retired: [...retired, outgoing] } },
    newKid: next.kid,
    retiredKid: current.kid,
  };
}

/** Rotates the checkpoint key of an existing key file (never creates one), replaced atomically with mode 0600. */
export async function rotateCheckpointKeyFile(file: string, now: Date): Promise<CheckpointRotation & { previous: KeyMaterial }> {
  const { material: previous } = await loadOrCreateKeyFile(file, { create: false });
  const rotation = rotateCheckpointMaterial(previous, await generateSigningKey(), now);
  await replaceKeyFile(file, rotation.material);
  return { ...rotation, previous };
}
