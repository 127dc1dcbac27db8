// Token signing-key rotation: a new Ed25519 key becomes current, the previous one retires (it verifies
// for a grace period), and keys retired for longer than the grace plus a day leave the key file.
import { DAY_MS } from "../clock";
import { generateSigningKey, loadOrCreateKeyFile, replaceKeyFile, type KeyMaterial, type SigningKeyEntry } from "./key-material";

/** Retired keys stay in the file this long after their grace ends: slack for slow replicas and audits. */
export const RETIRED_KEY_EXTRA_KEEP_MS = DAY_MS;

export interface SigningRotation {
  material: KeyMaterial;
  newKid: string;
  retiredKid: string;
  /** kids removed from the file because they were retired for longer than the grace plus a day. */
  dropped: string[];
}

/** Pure: the key material after making `next` current at `now`. */
export function rotateSigningMaterial(
  material: KeyMaterial,
  next: { kid: string; privateJwk: SigningKeyEntry["privateJwk"] },
  opts: { now: Date; graceSeconds: number },
): SigningRotation {
  if (!(opts.now instanceof Date) || Number.isNaN(opts.now.getTime())) throw new TypeError("opts.now must be a valid Date");
  if (!Number.isFinite(opts.graceSeconds) || opts.graceSeconds < 0) throw new TypeError("opts.graceSeconds must be >= 0");
  const { tokenSigning } = material;
  if (tokenSigning.keys.some((k) => k.kid === next.kid)) throw new TypeError("the new signing key's kid is already in the key file");
  const now = opts.now.getTime();
  const keepUntil = (k: SigningKeyEntry) => Date.parse(k.retiredAt!) + opts.graceSeconds * 1000 + RETIRED_KEY_EXTRA_KEEP_MS;
  const dropped: string[] = [];
  const kept: SigningKeyEntry[] = [];
  for (const key of tokenSigning.keys) {
    if (key.kid === tokenSigning.current) kept.push({ ...key, retiredAt: opts.now.toISOString() });
    else if (key.retiredAt !== undefined && now > keepUntil(key)) dropped.push(key.kid);
    // A non-current key without retiredAt (a file written before rotation existed) retires now.
    else kept.push({ ...key, retiredAt: key.retiredAt ?? opts.now.toISOString() });
  }
  return {
    material: { ...material, tokenSigning: { current: next.kid, keys: [...kept, { kid: next.kid, privateJwk: next.privateJwk }] } },
    newKid: next.kid,
    retiredKid: tokenSigning.current,
    dropped,
  };
}

/**
 * Rotates the signing key in an existing key file (never creates one) and replaces the file
 * atomically with mode 0600. Returns the material before, so a caller can put it back.
 */
export async function rotateSigningKeyFile(
  file: string,
  opts: { now: Date; graceSeconds: number },
): Promise<SigningRotation & { previous: KeyMaterial }> {
  const { material: previous } = await loadOrCreateKeyFile(file, { create: false });
  const rotation = rotateSigningMaterial(previous, await generateSigningKey(), opts);
  await replaceKeyFile(file, rotation.material);
  return { ...rotation, previous };
}
