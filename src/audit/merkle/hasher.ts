// RFC 6962 §2.1 hashing: domain-separated leaf and node hashes over SHA-256, and what a leaf of the Custos
// log is (the 32 raw bytes of the event's chain hash, docs/audit-merkle.md §1).
import * as crypto from "node:crypto";

/** Bytes of one SHA-256 output; every leaf hash, node hash and root has this length. */
export const HASH_BYTES = 32;

/**
 * SHA-256 of one buffer: the one-shot crypto.hash where the runtime has it (Node ≥ 20.12, about a third
 * cheaper for these 33- and 65-byte inputs, which the sequencer hashes twice per event), else createHash.
 */
const sha256: (data: Uint8Array) => Buffer =
  typeof crypto.hash === "function"
    ? (data) => crypto.hash("sha256", data, "buffer")
    : (data) => crypto.createHash("sha256").update(data).digest();

/** MTH({}) = SHA-256 of the empty string: the root of a tree with no leaves. */
export const EMPTY_ROOT: Buffer = sha256(new Uint8Array(0));

/** SHA-256(0x00 ‖ leaf): the leaf hash of any leaf data. */
export function leafHash(leaf: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + leaf.byteLength);
  input[0] = 0x00;
  input.set(leaf, 1);
  return sha256(input);
}

/** SHA-256(0x01 ‖ left ‖ right): the hash of an interior node from its children's hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  assertHash(left, "left");
  assertHash(right, "right");
  const input = Buffer.allocUnsafe(1 + 2 * HASH_BYTES);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + HASH_BYTES);
  return sha256(input);
}

/**
 * The leaf hash of audit event `seq` (leaf index seq − 1): SHA-256(0x00 ‖ the 32 raw bytes of the event's
 * chain hash), given as bytes or as the 64 lower-case hex characters the log stores.
 */
export function eventLeafHash(chainHash: Uint8Array | string): Buffer {
  const bytes = typeof chainHash === "string" ? hexToHash(chainHash, "chainHash") : chainHash;
  assertHash(bytes, "chainHash");
  return leafHash(bytes);
}

const HEX_HASH = /^[0-9a-f]{64}$/;

/** Decodes 64 lower-case hex characters (the only spelling Custos writes) into 32 bytes. */
export function hexToHash(hex: string, what = "hash"): Buffer {
  if (typeof hex !== "string" || !HEX_HASH.test(hex)) throw new TypeError(`${what} must be 64 lower-case hex characters`);
  return Buffer.from(hex, "hex");
}

export function hashToHex(hash: Uint8Array): string {
  assertHash(hash, "hash");
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString("hex");
}

export function assertHash(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.byteLength !== HASH_BYTES) throw new TypeError(`${what} must be ${HASH_BYTES} bytes`);
}

/** Constant-time comparison is not needed (nothing here is secret); this is a plain byte comparison. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}
