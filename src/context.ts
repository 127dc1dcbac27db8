// What every request carries: who is asking (principal and ability) and the metadata the audit log records.
import type { AppAbility, Principal } from "./policies";

export interface RequestMeta {
  readonly requestId: string;
  /** Set once Apollo has resolved the operation. */
  operation: string | null;
  readonly clientAddress: string | null;
  /** The stated purpose of the access (header x-custos-purpose), recorded with every event. */
  readonly purpose: string | null;
  /**
   * Filled by the audited store as this request's events are sealed, and sent back in the response's
   * `extensions.auditReceipts` (docs/audit-merkle.md §5). Absent where nobody collects them (the CLI).
   */
  readonly auditReceipts?: AuditReceiptRef[];
  /**
   * The seals of this request's reads, awaited before the response leaves (src/http/server.ts): one wait
   * per request instead of one per read, fail-closed all the same. Absent outside GraphQL (CLI, token
   * endpoint): each read then waits for its own seal before returning.
   */
  readonly auditSeals?: Promise<void>[];
}

/** Where one of the request's audit events landed: its seq and RFC 6962 leaf hash (lower-case hex). */
export interface AuditReceiptRef {
  seq: number;
  leafHash: string;
}

/** An authenticated caller with its ability; built only from a verified token (or by the CLI). */
export interface Actor {
  readonly principal: Principal;
  readonly ability: AppAbility;
  readonly meta: RequestMeta;
  /** The refresh-token family (`sid`) the bearer token belongs to; what logout ends. */
  readonly sessionId?: string | null;
}

export interface RequestContext {
  readonly actor: Actor | null;
  readonly meta: RequestMeta;
}

const SAFE_HEADER = /^[A-Za-z0-9._:@\/-]{1,128}$/;

/** Accepts a caller-supplied request id or purpose only if it is short and plain (it lands in logs and the audit log). */
export function sanitizeHeaderValue(value: unknown): string | null {
  if (typeof value !== "string") return null;
  return SAFE_HEADER.test(value) ? value : null;
}
