// The crypto layer's public surface: keys are always passed in; src/main.ts loads them through a KeyProvider.
export { CRYPTO_ERROR_CODES, CryptoError, isCryptoError, type CryptoErrorCode } from "./errors";
export { createKeyring, LocalKeyProvider, SIGNING_KEYS_RECHECK_MS, type KeyProvider, type MasterKeyring, type SigningKeyFollow } from "./keyring";
export {
  generateKeyMaterial,
  generateSigningKey,
  loadOrCreateKeyFile,
  parseKeyMaterial,
  replaceKeyFile,
  type Ed25519PrivateJwk,
  type KeyMaterial,
  type SigningKeyEntry,
  type TokenSigningMaterial,
} from "./key-material";
export { rotateCheckpointKeyFile, rotateCheckpointMaterial, type CheckpointRotation } from "./rotate-checkpoint";
export { RETIRED_KEY_EXTRA_KEEP_MS, rotateSigningKeyFile, rotateSigningMaterial, type SigningRotation } from "./rotate-signing";
export { decryptField, encryptField, generateDataKey, unwrapDataKey, wrapDataKey } from "./envelope";
export {
  addBlindIndexVersion,
  blindIndexKeySet,
  decodeBlindIndexKeyring,
  pendingBlindIndexVersion,
  promoteBlindIndexKey,
  removeBlindIndexVersion,
  singleBlindIndexKeyring,
  type BlindIndexKeyring,
} from "./blind-index-keyring";
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
  isKeyUsable,
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
