// Storage adapter for appends: seals events onto the chain head and inserts them in the caller's transaction.
import type { EntityManager } from "typeorm";
import { GENESIS_HEAD, sealEvents, type AuditEventContent, type ChainHead, type SealedAuditEvent } from "./core";

/**
 * Advisory-lock key that serialises appends: the head is read and extended under it, and the lock
 * is held until the caller's transaction ends, so seq stays gapless and the chain linear. (The
 * group-commit sequencer that lifts this bottleneck is the audit-ledger issue's work.)
 */
export const AUDIT_CHAIN_LOCK = 0x637573746f73; // "custos"

const COLUMNS = [
  "seq",
  "prev_hash",
  "hash",
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
const CHUNK = 2_000; // 16 parameters per row, well under PostgreSQL's 65,535

export async function readChainHead(em: EntityManager): Promise<ChainHead> {
  const rows: Array<{ seq: string; hash: string }> = await em.query(
    `SELECT seq::text AS seq, encode(hash, 'hex') AS hash FROM audit_event ORDER BY audit_event.seq DESC LIMIT 1`,
  );
  return rows.length === 0 ? GENESIS_HEAD : { seq: Number(rows[0].seq), hash: rows[0].hash };
}

/** Appends events in the transaction that `em` belongs to; the caller's commit makes them durable. */
export async function appendAuditEvents(em: EntityManager, events: readonly AuditEventContent[]): Promise<SealedAuditEvent[]> {
  if (events.length === 0) return [];
  await em.query(`SELECT pg_advisory_xact_lock($1)`, [AUDIT_CHAIN_LOCK]);
  const sealed = sealEvents(await readChainHead(em), events);
  for (let start = 0; start < sealed.length; start += CHUNK) {
    await insertRows(em, sealed.slice(start, start + CHUNK));
  }
  return sealed;
}

async function insertRows(em: EntityManager, rows: readonly SealedAuditEvent[]): Promise<void> {
  const params: unknown[] = [];
  const tuples = rows.map((e) => {
    const values = [
      e.seq,
      Buffer.from(e.prevHash, "hex"),
      Buffer.from(e.hash, "hex"),
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
  await em.query(`INSERT INTO audit_event (${COLUMNS.join(", ")}) VALUES ${tuples.join(", ")}`, params);
}

export interface AuditEventRow {
  seq: string;
  prev_hash: Buffer;
  hash: Buffer;
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
  details: Record<string, string | number | boolean | null>;
}

export const AUDIT_SELECT = `SELECT ${COLUMNS.join(", ")} FROM audit_event`;

export function rowToSealedEvent(r: AuditEventRow): SealedAuditEvent {
  return {
    seq: Number(r.seq),
    prevHash: r.prev_hash.toString("hex"),
    hash: r.hash.toString("hex"),
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
