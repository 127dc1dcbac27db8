// Blind indexes (keyed HMAC-SHA256) for exact-match lookup of encrypted fields, and keyed references for the audit log.
import { createHmac } from "node:crypto";

export const BLIND_INDEXED_FIELDS = ["nationalId", "phone", "email"] as const;
export type BlindIndexedField = (typeof BLIND_INDEXED_FIELDS)[number];

// Shorter keys weaken the HMAC below the 256-bit level the rest of the layer assumes.
const MIN_KEY_BYTES = 32;
// Keyed references are domain-separated from blind indexes, so an audit reference of an
// e-mail never equals the customers table's index of that e-mail (no join across the two).
const REFERENCE_DOMAIN = "custos.ref.v1";

function assertKey(key: unknown): asserts key is Buffer {
  if (!Buffer.isBuffer(key) || key.length < MIN_KEY_BYTES) throw new TypeError(`key must be a Buffer of at least ${MIN_KEY_BYTES} bytes`);
}

/**
 * The form that is indexed: values a person would call "the same" must normalise equally.
 * NFC first, so precomposed and decomposed accents match. Changing any rule here invalidates
 * every stored index, so it needs a reindex migration. Format validation is the caller's job:
 * a phone with letters keeps only its digits here.
 */
export function normalizeForIndex(field: BlindIndexedField, value: string): string {
  if (typeof value !== "string") throw new TypeError("value must be a string");
  const text = value.normalize("NFC").trim();
  switch (field) {
    case "email":
      return text.toLowerCase();
    case "phone":
      return (text.startsWith("+") ? "+" : "") + text.replace(/[^0-9]/g, "");
    case "nationalId":
      return text.replace(/\s+/g, "").toUpperCase();
    default:
      throw new TypeError(`unknown blind-indexed field ${String(field)}`);
  }
}

/**
 * HMAC-SHA256(key, field ‖ 0x00 ‖ normalized), all 32 bytes. The field name separates domains
 * (the same digits as phone and as national id give different indexes); the 0x00 cannot occur
 * in a field name, so the encoding is unambiguous.
 */
export function blindIndex(key: Buffer, field: BlindIndexedField, value: string): Buffer {
  assertKey(key);
  const normalized = normalizeForIndex(field, value);
  return createHmac("sha256", key).update(field, "utf8").update(Buffer.of(0)).update(normalized, "utf8").digest();
}

/**
 * Hex HMAC-SHA256(key, "custos.ref.v1" ‖ 0x00 ‖ purpose ‖ 0x00 ‖ value) for the audit log, e.g.
 * the e-mail of a failed login: equal inputs are linkable, the input is not recoverable without
 * the key. `value` is used as given; normalise it first if variants should match.
 */
export function keyedReference(key: Buffer, purpose: string, value: string): string {
  assertKey(key);
  if (typeof purpose !== "string" || purpose.length === 0 || purpose.includes("\0")) {
    throw new TypeError("purpose must be a non-empty string without NUL");
  }
  if (typeof value !== "string") throw new TypeError("value must be a string");
  return createHmac("sha256", key)
    .update(REFERENCE_DOMAIN, "utf8")
    .update(Buffer.of(0))
    .update(purpose, "utf8")
    .update(Buffer.of(0))
    .update(value, "utf8")
    .digest("hex");
}
