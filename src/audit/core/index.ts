// Public API of the pure audit core: canonical form, hashing, sealing and verification of the chain.
export type { AuditDetailValue, AuditEventContent, ChainHead, SealedAuditEvent } from "./types";
export { canonicalAt, canonicalBody, canonicalEvent, canonicalJson, normalizeFields } from "./canonical";
export { GENESIS_HASH, GENESIS_HEAD, assertChainHead, hashEvent, isHashHex, prepareEvent, sealEvents, sealPrepared } from "./chain";
export type { PreparedAuditEvent } from "./chain";
export {
  ChainBreakError,
  ChainVerifier,
  UNHASHABLE,
  assertChainIntact,
  describeBreak,
  verifyEvents,
  verifyEventsAsync,
} from "./verify";
export type { ChainBreak, ChainBreakReason, VerifyResult } from "./verify";
