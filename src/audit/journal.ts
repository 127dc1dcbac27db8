// The journal side of an append: a request's events go into audit_pending inside the request's own
// transaction, with no lock, so concurrent requests commit in parallel (docs/audit-sequencer.md).
import type { EntityManager } from "typeorm";
import type { AuditEventContent } from "./core";

/** The content columns, shared by the journal and the chain (same names, same types). */
export const CONTENT_COLUMNS = [
  "occurred_at",
  "actor_id",
  "actor_role",
  "action",
  "resource_type",
  "resource_id",
  "fields",
  "outcome",
  "request_id",
  "operation",
  "client_address",
  "purpose",
  "details",
] as const;

/** A row of the content columns as pg returns it (journal and chain alike). */
export interface AuditContentRow {
  occurred_at: Date;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  fields: string[];
  outcome: string;
  request_id: string | null;
  operation: string | null;
  client_address: string | null;
  purpose: string | null;
  details: AuditEventContent["details"];
}

/** The event content of a stored row, exactly as it is hashed. */
export function rowToContent(r: AuditContentRow): AuditEventContent {
  return {
    occurredAt: r.occurred_at.toISOString(),
    actorId: r.actor_id,
    actorRole: r.actor_role,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    fields: r.fields,
    outcome: r.outcome,
    requestId: r.request_id,
    operation: r.operation,
    clientAddress: r.client_address,
    purpose: r.purpose,
    details: r.details,
  };
}

const CHUNK = 4_000; // 13 parameters per row, well under PostgreSQL's 65,535

/**
 * Writes `events` to the journal in the transaction `em` belongs to and returns their journal ids, in
 * order. The caller's commit makes them durable; the sequencer seals them onto the chain afterwards.
 */
export async function journalAuditEvents(em: EntityManager, events: readonly AuditEventContent[]): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < events.length; start += CHUNK) {
    const rows = events.slice(start, start + CHUNK);
    const params: unknown[] = [];
    const tuples = rows.map((e) => {
      const values = [
        e.occurredAt,
        e.actorId,
        e.actorRole,
        e.action,
        e.resourceType,
        e.resourceId,
        e.fields,
        e.outcome,
        e.requestId,
        e.operation,
        e.clientAddress,
        e.purpose,
        JSON.stringify(e.details),
      ];
      const base = params.length;
      params.push(...values);
      return `(${values.map((_, i) => `$${base + i + 1}`).join(", ")})`;
    });
    // A multi-row VALUES keeps its order in RETURNING for a plain INSERT.
    const inserted: Array<{ id: string }> = await em.query(
      `INSERT INTO audit_pending (${CONTENT_COLUMNS.join(", ")}) VALUES ${tuples.join(", ")} RETURNING id::text AS id`,
      params,
    );
    for (const r of inserted) ids.push(Number(r.id));
  }
  return ids;
}
