// The one error type of the crypto layer: a closed set of codes whose messages never carry plaintext or key bytes.

export const CRYPTO_ERROR_CODES = [
  /** Authentication failed: tampered, truncated, wrong key, wrong context (AAD) or unknown format. */
  "DECRYPT_FAILED",
  /** The ciphertext names a master key version the keyring does not hold. */
  "UNKNOWN_KEY_VERSION",
  /** Key material is malformed, has the wrong length, or its file is unsafe. */
  "BAD_KEY_MATERIAL",
  /** The data key was erased (crypto-shredding): the data is gone by design, not by fault. */
  "KEY_DESTROYED",
] as const;
export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

/**
 * Callers switch on `code`. No `cause` is attached for decryption failures on purpose: the
 * underlying errors add nothing an operator can act on, and some (JSON.parse) quote their input.
 */
export class CryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CryptoError";
  }
}

export const isCryptoError = (error: unknown, code?: CryptoErrorCode): error is CryptoError =>
  error instanceof CryptoError && (code === undefined || error.code === code);
