// The key file: its JSON shape, generation of fresh keys, strict parsing, and safe creation on disk (mode 0600).
import { createPrivateKey, createPublicKey, randomBytes, randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { errno, syncDirectory } from "../durable-file";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { CryptoError } from "./errors";

/** Ed25519 private key as a JWK (RFC 8037); x and d are base64url of 32 bytes each. */
export interface Ed25519PrivateJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  d: string;
}

export interface TokenSigningMaterial {
  /** kid of the key that signs new tokens; the others only verify (rotation without downtime). */
  current: string;
  keys: SigningKeyEntry[];
}

export interface SigningKeyEntry {
  kid: string;
  privateJwk: Ed25519PrivateJwk;
  /**
   * ISO 8601 instant the key stopped signing. It still verifies for a grace period (the access-token
   * lifetime) after that, then it is refused; `keys rotate-signing` drops it a day later.
   */
  retiredAt?: string;
}

export interface KeyMaterial {
  version: 1;
  /** AES-256 master keys by version ("1", "2", …), each base64 of 32 bytes. */
  masterKeys: { current: number; keys: Record<string, string> };
  /**
   * HMAC key for blind indexes, base64 of 32 bytes: blind-index version 1, and the key of the audit log's
   * keyed references (which do not rotate, so references stay linkable across a blind-index rotation).
   */
  blindIndexKey: string;
  /**
   * Versioned blind-index keys, written by `custos keys rotate-blind-index`. Absent: version 1 only, which
   * is `blindIndexKey`. When present and holding version 1, that entry must equal `blindIndexKey`.
   */
  blindIndexKeys?: { current: number; keys: Record<string, string> };
  tokenSigning: TokenSigningMaterial;
  /**
   * Ed25519 key that signs audit checkpoints (docs/audit-checkpoints.md). Its own key and kid, never a
   * token key: verifiers of the log trust it for a different claim. Generated for development; a key
   * file without it starts only outside production (checkpoints are then off).
   */
  checkpointSigning?: CheckpointSigningMaterial;
}

export interface CheckpointSigningMaterial {
  kid: string;
  privateJwk: Ed25519PrivateJwk;
  /** When it became current (`keys rotate-checkpoint`); absent for the first key. */
  activatedAt?: string;
  /**
   * Earlier checkpoint keys, PUBLIC halves only: old checkpoints stay verifiable forever, and a copy of
   * this file cannot sign a checkpoint under a retired kid. A checkpoint of a retired kid must have
   * been issued within [activatedAt, retiredAt].
   */
  retired?: RetiredCheckpointKey[];
}

export interface Ed25519PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}

export interface RetiredCheckpointKey {
  kid: string;
  publicJwk: Ed25519PublicJwk;
  activatedAt?: string;
  retiredAt: string;
}

const KEY_BYTES = 32;
// Versions end up in an int4 column next to each wrapped key.
const MAX_KEY_VERSION = 2_147_483_647;
const KID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

const bad = (what: string) => new CryptoError("BAD_KEY_MATERIAL", `key material: ${what}`);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export const isValidKeyVersion = (v: unknown): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 1 && v <= MAX_KEY_VERSION;

/**
 * Decodes canonical base64 of exactly 32 bytes. Buffer.from(…, "base64") silently skips junk,
 * so the round trip is what makes a truncated or hand-edited key fail here rather than later.
 */
export function decodeKey32(value: unknown, what: string, encoding: "base64" | "base64url" = "base64"): Buffer {
  if (typeof value !== "string") throw bad(`${what} must be a string`);
  const bytes = Buffer.from(value, encoding);
  if (bytes.length !== KEY_BYTES || bytes.toString(encoding) !== value) {
    throw bad(`${what} must be ${encoding} of ${KEY_BYTES} bytes`);
  }
  return bytes;
}

/** Checks that x is the public half of d, so a hand-edited file cannot publish a key that never verifies. */
export function assertEd25519Jwk(value: unknown, what: string): Ed25519PrivateJwk {
  if (!isRecord(value) || value.kty !== "OKP" || value.crv !== "Ed25519") {
    throw bad(`${what} must be an Ed25519 OKP JWK`);
  }
  decodeKey32(value.x, `${what}.x`, "base64url");
  decodeKey32(value.d, `${what}.d`, "base64url");
  const jwk: Ed25519PrivateJwk = { kty: "OKP", crv: "Ed25519", x: value.x as string, d: value.d as string };
  let derivedX: unknown;
  try {
    derivedX = createPublicKey(createPrivateKey({ key: { ...jwk }, format: "jwk" })).export({ format: "jwk" }).x;
  } catch {
    throw bad(`${what} is not a usable Ed25519 key`);
  }
  if (derivedX !== jwk.x) throw bad(`${what}.x does not match its private key`);
  return jwk;
}

/** A fresh Ed25519 token-signing key; its kid is the RFC 7638 thumbprint of the public half. */
export async function generateSigningKey(): Promise<{ kid: string; privateJwk: Ed25519PrivateJwk }> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const exported = await exportJWK(privateKey);
  const privateJwk: Ed25519PrivateJwk = { kty: "OKP", crv: "Ed25519", x: exported.x!, d: exported.d! };
  // The thumbprint covers only the public members, so the kid can be published with the JWKS.
  const kid = await calculateJwkThumbprint({ kty: "OKP", crv: "Ed25519", x: privateJwk.x });
  return { kid, privateJwk };
}

export async function generateKeyMaterial(): Promise<KeyMaterial> {
  const signing = await generateSigningKey();
  return {
    version: 1,
    masterKeys: { current: 1, keys: { "1": randomBytes(KEY_BYTES).toString("base64") } },
    blindIndexKey: randomBytes(KEY_BYTES).toString("base64"),
    tokenSigning: { current: signing.kid, keys: [signing] },
    checkpointSigning: await generateSigningKey(),
  };
}

function parseMasterKeys(value: unknown): KeyMaterial["masterKeys"] {
  if (!isRecord(value)) throw bad("masterKeys must be an object");
  if (!isValidKeyVersion(value.current)) throw bad("masterKeys.current must be a positive integer");
  if (!isRecord(value.keys)) throw bad("masterKeys.keys must be an object");
  const keys: Record<string, string> = {};
  for (const [name, encoded] of Object.entries(value.keys)) {
    // The name is not echoed: a malformed file may have anything in that position.
    if (!/^[1-9][0-9]{0,9}$/.test(name) || !isValidKeyVersion(Number(name))) {
      throw bad("masterKeys.keys has a name that is not a positive integer version");
    }
    decodeKey32(encoded, `masterKeys.keys["${name}"]`);
    keys[name] = encoded as string;
  }
  if (!(String(value.current) in keys)) throw bad("masterKeys.current names a version that is not in masterKeys.keys");
  return { current: value.current, keys };
}

function parseBlindIndexKeys(value: unknown, masterKeys: KeyMaterial["masterKeys"], legacy: Buffer): NonNullable<KeyMaterial["blindIndexKeys"]> {
  if (!isRecord(value) || !isRecord(value.keys)) throw bad("blindIndexKeys must be an object with keys");
  if (!isValidKeyVersion(value.current)) throw bad("blindIndexKeys.current must be a positive integer");
  const masters = Object.values(masterKeys.keys).map((m) => decodeKey32(m, "masterKeys"));
  const keys: Record<string, string> = {};
  for (const [name, encoded] of Object.entries(value.keys)) {
    if (!/^[1-9][0-9]{0,9}$/.test(name) || !isValidKeyVersion(Number(name))) throw bad("blindIndexKeys.keys has a name that is not a positive integer version");
    const key = decodeKey32(encoded, `blindIndexKeys.keys["${name}"]`);
    if (masters.some((m) => m.equals(key))) throw bad("blind-index keys must differ from every master key");
    // Rows indexed before versioning carry bidx_version 1 under blindIndexKey: another v1 would orphan them.
    if (name === "1" && !key.equals(legacy)) throw bad("blindIndexKeys.keys[\"1\"] must equal blindIndexKey");
    keys[name] = encoded as string;
  }
  if (!(String(value.current) in keys)) throw bad("blindIndexKeys.current names a version that is not in blindIndexKeys.keys");
  return { current: value.current, keys };
}

/** Only the canonical form Date#toISOString writes, so a hand edit cannot smuggle in a local-time reading. */
function parseInstant(value: unknown, what: string): string {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value)) throw bad(`${what} must be an ISO 8601 UTC instant`);
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== value) throw bad(`${what} must be an ISO 8601 UTC instant`);
  return value;
}

function parseTokenSigning(value: unknown): TokenSigningMaterial {
  if (!isRecord(value)) throw bad("tokenSigning must be an object");
  if (!Array.isArray(value.keys) || value.keys.length === 0) throw bad("tokenSigning.keys must be a non-empty array");
  const seen = new Set<string>();
  const keys = value.keys.map((entry: unknown, i: number) => {
    if (!isRecord(entry) || typeof entry.kid !== "string" || !KID_PATTERN.test(entry.kid)) {
      throw bad(`tokenSigning.keys[${i}].kid must be 1-128 base64url characters`);
    }
    if (seen.has(entry.kid)) throw bad(`tokenSigning.keys[${i}].kid is a duplicate`);
    seen.add(entry.kid);
    const parsed: SigningKeyEntry = { kid: entry.kid, privateJwk: assertEd25519Jwk(entry.privateJwk, `tokenSigning.keys[${i}].privateJwk`) };
    if (entry.retiredAt !== undefined) parsed.retiredAt = parseInstant(entry.retiredAt, `tokenSigning.keys[${i}].retiredAt`);
    return parsed;
  });
  if (typeof value.current !== "string" || !seen.has(value.current)) {
    throw bad("tokenSigning.current must be the kid of one of tokenSigning.keys");
  }
  if (keys.some((k) => k.kid === value.current && k.retiredAt !== undefined)) throw bad("tokenSigning.current must not be retired");
  return { current: value.current, keys };
}

function parseRetiredCheckpointKey(entry: unknown, i: number): RetiredCheckpointKey {
  const what = `checkpointSigning.retired[${i}]`;
  if (!isRecord(entry) || typeof entry.kid !== "string" || !KID_PATTERN.test(entry.kid)) throw bad(`${what}.kid must be 1-128 base64url characters`);
  const jwk = entry.publicJwk;
  // A private half here is refused: retired checkpoint keys must not be able to sign again.
  if (!isRecord(jwk) || jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || jwk.d !== undefined) throw bad(`${what}.publicJwk must be a public Ed25519 OKP JWK`);
  decodeKey32(jwk.x, `${what}.publicJwk.x`, "base64url");
  const retiredAt = parseInstant(entry.retiredAt, `${what}.retiredAt`);
  const parsed: RetiredCheckpointKey = { kid: entry.kid, publicJwk: { kty: "OKP", crv: "Ed25519", x: jwk.x as string }, retiredAt };
  if (entry.activatedAt !== undefined) {
    parsed.activatedAt = parseInstant(entry.activatedAt, `${what}.activatedAt`);
    if (parsed.activatedAt > retiredAt) throw bad(`${what}.activatedAt is after its retiredAt`);
  }
  return parsed;
}

function parseCheckpointSigning(value: unknown, tokenSigning: TokenSigningMaterial): CheckpointSigningMaterial {
  if (!isRecord(value) || typeof value.kid !== "string" || !KID_PATTERN.test(value.kid)) {
    throw bad("checkpointSigning.kid must be 1-128 base64url characters");
  }
  const privateJwk = assertEd25519Jwk(value.privateJwk, "checkpointSigning.privateJwk");
  const parsed: CheckpointSigningMaterial = { kid: value.kid, privateJwk };
  if (value.activatedAt !== undefined) parsed.activatedAt = parseInstant(value.activatedAt, "checkpointSigning.activatedAt");
  if (value.retired !== undefined) {
    if (!Array.isArray(value.retired)) throw bad("checkpointSigning.retired must be an array");
    parsed.retired = value.retired.map(parseRetiredCheckpointKey);
  }
  const all = [{ kid: parsed.kid, x: privateJwk.x }, ...(parsed.retired ?? []).map((r) => ({ kid: r.kid, x: r.publicJwk.x }))];
  if (new Set(all.map((k) => k.kid)).size !== all.length || new Set(all.map((k) => k.x)).size !== all.length) {
    throw bad("checkpointSigning keys must have distinct kids and keys");
  }
  // One key, one purpose: a token key that also signed checkpoints would let either claim pass as the other.
  if (all.some((c) => tokenSigning.keys.some((k) => k.kid === c.kid || k.privateJwk.x === c.x))) {
    throw bad("checkpointSigning must be a key of its own, not a token signing key");
  }
  return parsed;
}

/** Validates every part; the result holds only the known members, freshly copied. */
export function parseKeyMaterial(json: string): KeyMaterial {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    // No cause: JSON.parse messages quote the text around the error, which may be key bytes.
    throw bad("not valid JSON");
  }
  if (!isRecord(raw)) throw bad("must be a JSON object");
  if (raw.version !== 1) throw bad("version must be 1");
  const masterKeys = parseMasterKeys(raw.masterKeys);
  const blindIndexKey = decodeKey32(raw.blindIndexKey, "blindIndexKey");
  // One key, one purpose: a blind-index key equal to a master key would tie the two uses together.
  for (const encoded of Object.values(masterKeys.keys)) {
    if (decodeKey32(encoded, "masterKeys").equals(blindIndexKey)) throw bad("blindIndexKey must differ from every master key");
  }
  const tokenSigning = parseTokenSigning(raw.tokenSigning);
  const blindIndexKeys = raw.blindIndexKeys === undefined ? undefined : parseBlindIndexKeys(raw.blindIndexKeys, masterKeys, blindIndexKey);
  return {
    version: 1,
    masterKeys,
    blindIndexKey: raw.blindIndexKey as string,
    ...(blindIndexKeys ? { blindIndexKeys } : {}),
    tokenSigning,
    ...(raw.checkpointSigning === undefined ? {} : { checkpointSigning: parseCheckpointSigning(raw.checkpointSigning, tokenSigning) }),
  };
}


async function readKeyFile(file: string): Promise<KeyMaterial | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, "r");
  } catch (error) {
    if (errno(error) === "ENOENT") return null;
    throw new CryptoError("BAD_KEY_MATERIAL", `key file ${file} cannot be opened (${errno(error) ?? "error"})`);
  }
  try {
    // fstat on the open handle: the file checked is the file read.
    const stat = await handle.stat();
    if (!stat.isFile()) throw new CryptoError("BAD_KEY_MATERIAL", `key file ${file} is not a regular file`);
    // POSIX mode bits mean nothing on Windows; there the directory ACL is the control.
    if (process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
      throw new CryptoError("BAD_KEY_MATERIAL", `key file ${file} must be mode 0600 (group/other bits are set)`);
    }
    return parseKeyMaterial(await handle.readFile("utf8"));
  } finally {
    await handle.close();
  }
}

/**
 * Writes a temp file (0600, fsynced) and hard-links it into place. link() never replaces an
 * existing file, unlike rename(): if two processes race to create keys, the loser reads the
 * winner's file instead of overwriting it, so no process ever encrypts under keys that are lost.
 */
async function createKeyFile(file: string, material: KeyMaterial): Promise<boolean> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(file)}.${randomUUID()}.tmp`);
  const handle = await fs.open(temp, "wx", 0o600);
  try {
    await handle.chmod(0o600); // the umask may only remove bits, but be explicit about the result
    await handle.writeFile(JSON.stringify(material, null, 2) + "\n", "utf8");
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  let created = true;
  try {
    await fs.link(temp, file);
  } catch (error) {
    const code = errno(error);
    if (code === "EEXIST") created = false;
    else if (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS") await fs.rename(temp, file); // no hard links here
    else {
      await fs.rm(temp, { force: true });
      throw error;
    }
  }
  await fs.rm(temp, { force: true });
  await syncDirectory(dir);
  return created;
}


/**
 * Replaces an existing key file atomically (temp file 0600, fsync, rename, directory fsync): a reader
 * sees the old file or the new one, never a mix. The material is validated before anything is written.
 * For explicit operator commands only (`keys rotate-signing`); start-up never rewrites keys.
 */
export async function replaceKeyFile(file: string, material: KeyMaterial): Promise<void> {
  const text = JSON.stringify(material, null, 2) + "\n";
  parseKeyMaterial(text);
  if (!(await readKeyFile(file))) throw new CryptoError("BAD_KEY_MATERIAL", `key file ${file} not found`);
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    const handle = await fs.open(temp, "wx", 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

export async function loadOrCreateKeyFile(
  file: string,
  opts: { create: boolean },
): Promise<{ material: KeyMaterial; created: boolean }> {
  const existing = await readKeyFile(file);
  if (existing) return { material: existing, created: false };
  if (!opts.create) throw new CryptoError("BAD_KEY_MATERIAL", `key file ${file} not found`);
  const created = await createKeyFile(file, await generateKeyMaterial());
  // Read back what is on disk: after a lost race that is the other process's material.
  const material = await readKeyFile(file);
  if (!material) throw new CryptoError("BAD_KEY_MATERIAL", `key file ${file} vanished after creation`);
  return { material, created };
}
