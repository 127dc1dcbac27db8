// The shape of an audit event: the content callers record and the sealed form the chain stores.

/** Detail values are flat scalars so the canonical form stays easy to reimplement; never PII. */
export type AuditDetailValue = string | number | boolean | null;

export interface AuditEventContent {
  /** ISO-8601 UTC with exactly millisecond precision, e.g. "2026-11-28T10:58:38.123Z". */
  occurredAt: string;
  /** Staff user id (uuid), or null when nobody is authenticated (e.g. a failed login). */
  actorId: string | null;
  actorRole: string | null;
  /** e.g. "customer.read", "case.open", "auth.login". */
  action: string;
  /** e.g. "customer", "case", "session", "audit". */
  resourceType: string;
  resourceId: string | null;
  /** Fields touched or PII fields decrypted; hashed sorted and de-duplicated. */
  fields: string[];
  /** "SUCCESS" | "DENIED" | "NOT_FOUND" | "FAILURE". */
  outcome: string;
  requestId: string | null;
  /** GraphQL operation name. */
  operation: string | null;
  clientAddress: string | null;
  purpose: string | null;
  /** Never PII: keyed hashes and references only. */
  details: Record<string, AuditDetailValue>;
}

/** Hashes are lower-case hex, 64 characters. */
export interface SealedAuditEvent extends AuditEventContent {
  seq: number;
  prevHash: string;
  hash: string;
}

/** A position in the chain: the last sealed seq and its hash (seq 0 with GENESIS_HASH for an empty log). */
export interface ChainHead {
  seq: number;
  hash: string;
}
