// The crypto layer's public surface: keys are always passed in; src/main.ts loads them through a KeyProvider.
export { CRYPTO_ERROR_CODES, CryptoError, isCryptoError, type CryptoErrorCode } from "./errors";
export { createKeyring, LocalKeyProvider, type KeyProvider, type MasterKeyring } from "./keyring";
export {
  generateKeyMaterial,
  loadOrCreateKeyFile,
  parseKeyMaterial,
  type Ed25519PrivateJwk,
  type KeyMaterial,
  type TokenSigningMaterial,
} from "./key-material";
export { decryptField, encryptField, generateDataKey, unwrapDataKey, wrapDataKey } from "./envelope";
export { BLIND_INDEXED_FIELDS, blindIndex, keyedReference, normalizeForIndex, type BlindIndexedField } from "./blind-index";
export {
  DEFAULT_PASSWORD_PARAMS,
  hashPassword,
  needsRehash,
  PasswordVerifier,
  verifyPassword,
  type PasswordParams,
} from "./passwords";
export {
  ACCESS_TOKEN_TYPE,
  importSigningKeys,
  issueAccessToken,
  publicJwks,
  TokenError,
  verifyAccessToken,
  type AccessTokenClaims,
  type SigningKeySet,
  type TokenErrorReason,
  type VerificationKey,
  type VerifiedToken,
} from "./tokens";
