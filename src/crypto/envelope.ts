// Envelope encryption: per-customer data keys wrapped by the versioned master key, and AES-256-GCM field ciphertexts.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { CryptoError } from "./errors";
import type { MasterKeyring } from "./keyring";

const CIPHER = "aes-256-gcm";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FIELD_FORMAT_V1 = 0x01;
const WRAPPED_BYTES = IV_BYTES + KEY_BYTES + TAG_BYTES;
// The prefixes separate the two uses of GCM: a wrapped key can never be read as a field, nor the reverse.
const DEK_AAD_PREFIX = "custos.dek.v1|";
const FIELD_AAD_PREFIX = "custos.field.v1|";

const decryptFailed = () => new CryptoError("DECRYPT_FAILED", "decryption failed");

function assertKey(key: unknown, name: string): asserts key is Buffer {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) throw new TypeError(`${name} must be a ${KEY_BYTES}-byte Buffer`);
}

// An empty context would let ciphertexts of different rows share one, which the AAD exists to prevent.
function assertAad(aad: unknown): asserts aad is string {
  if (typeof aad !== "string" || aad.length === 0) throw new TypeError("aad must be a non-empty string");
}

function seal(key: Buffer, plaintext: Buffer, aad: string): { iv: Buffer; body: Buffer; tag: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, body, tag: cipher.getAuthTag() };
}

/** Any failure, of any kind, becomes DECRYPT_FAILED: the caller must not learn which check failed. */
function open(key: Buffer, iv: Buffer, body: Buffer, tag: Buffer, aad: string): Buffer {
  try {
    const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw decryptFailed();
  }
}

/** A fresh data key for one customer. */
export function generateDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Wraps under the current master key. `aad` is the customer id, so the wrapped key is bound to its row. */
export function wrapDataKey(keyring: MasterKeyring, dek: Buffer, aad: string): { version: number; wrapped: Buffer } {
  assertKey(dek, "dek");
  assertAad(aad);
  const masterKey = keyring.keys.get(keyring.current);
  if (!masterKey) throw new CryptoError("UNKNOWN_KEY_VERSION", `master key version ${keyring.current} is not in the keyring`);
  const { iv, body, tag } = seal(masterKey, dek, DEK_AAD_PREFIX + aad);
  return { version: keyring.current, wrapped: Buffer.concat([iv, body, tag]) };
}

/**
 * `wrapped` null or empty means the customer's key was erased (crypto-shredding): that is
 * KEY_DESTROYED, so callers can tell "erased on purpose" from "corrupt or tampered".
 */
export function unwrapDataKey(keyring: MasterKeyring, version: number, wrapped: Buffer | null, aad: string): Buffer {
  assertAad(aad);
  if (wrapped !== null && !Buffer.isBuffer(wrapped)) throw new TypeError("wrapped must be a Buffer or null");
  if (wrapped === null || wrapped.length === 0) throw new CryptoError("KEY_DESTROYED", "the data key was destroyed");
  const masterKey = keyring.keys.get(version);
  if (!masterKey) throw new CryptoError("UNKNOWN_KEY_VERSION", `master key version ${String(version)} is not in the keyring`);
  if (wrapped.length !== WRAPPED_BYTES) throw decryptFailed();
  return open(
    masterKey,
    wrapped.subarray(0, IV_BYTES),
    wrapped.subarray(IV_BYTES, WRAPPED_BYTES - TAG_BYTES),
    wrapped.subarray(WRAPPED_BYTES - TAG_BYTES),
    DEK_AAD_PREFIX + aad,
  );
}

/**
 * Format: 0x01 ‖ IV (12) ‖ ciphertext ‖ tag (16). `aad` names the exact cell, e.g.
 * `customer:<id>:phone`, so a ciphertext copied to another row or column fails to decrypt.
 * A random 96-bit IV per call is safe here because each data key encrypts only one customer's fields.
 */
export function encryptField(dek: Buffer, plaintext: string, aad: string): Buffer {
  assertKey(dek, "dek");
  assertAad(aad);
  if (typeof plaintext !== "string") throw new TypeError("plaintext must be a string");
  const { iv, body, tag } = seal(dek, Buffer.from(plaintext, "utf8"), FIELD_AAD_PREFIX + aad);
  return Buffer.concat([Buffer.of(FIELD_FORMAT_V1), iv, body, tag]);
}

export function decryptField(dek: Buffer, blob: Buffer, aad: string): string {
  assertKey(dek, "dek");
  assertAad(aad);
  if (!Buffer.isBuffer(blob) || blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== FIELD_FORMAT_V1) {
    throw decryptFailed();
  }
  const plaintext = open(
    dek,
    blob.subarray(1, 1 + IV_BYTES),
    blob.subarray(1 + IV_BYTES, blob.length - TAG_BYTES),
    blob.subarray(blob.length - TAG_BYTES),
    FIELD_AAD_PREFIX + aad,
  );
  return plaintext.toString("utf8");
}
