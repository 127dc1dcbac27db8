// The baseline the append benchmark compares with: the classic hash chain in a trigger. Every inserted row
// locks the one-row chain head (SELECT … FOR UPDATE), hashes sha256(prev_hash ‖ canonical text) with
// PostgreSQL's built-in sha256(), and moves the head, so every writer queues on that row lock until its
// transaction commits (the lock is held across the commit flush).
import type { EntityManager } from "typeorm";
import type { AuditEventContent } from "../../src/audit/core";
import { CONTENT_COLUMNS } from "../../src/audit/journal";

export const BASELINE_SCHEMA = [
  `CREATE TABLE audit_baseline (LIKE audit_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`,
  `CREATE TABLE audit_baseline_head (one boolean PRIMARY KEY DEFAULT true CHECK (one), seq bigint NOT NULL, hash bytea NOT NULL)`,
  `INSERT INTO audit_baseline_head (seq, hash) VALUES (0, decode(repeat('00', 32), 'hex'))`,
  `CREATE FUNCTION audit_baseline_chain() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     head audit_baseline_head;
   BEGIN
     SELECT * INTO head FROM audit_baseline_head WHERE one FOR UPDATE;
     NEW.seq := head.seq + 1;
     NEW.prev_hash := head.hash;
     -- A canonical text of the same content the application hashes (jsonb sorts its keys).
     NEW.hash := sha256(head.hash || convert_to(jsonb_build_object(
       'seq', NEW.seq, 'occurredAt', to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       'actorId', NEW.actor_id, 'actorRole', NEW.actor_role, 'action', NEW.action,
       'resourceType', NEW.resource_type, 'resourceId', NEW.resource_id,
       'fields', to_jsonb(ARRAY(SELECT DISTINCT f FROM unnest(NEW.fields) AS f ORDER BY f)),
       'outcome', NEW.outcome, 'requestId', NEW.request_id, 'operation', NEW.operation,
       'clientAddress', NEW.client_address, 'purpose', NEW.purpose, 'details', NEW.details)::text, 'UTF8'));
     UPDATE audit_baseline_head SET seq = NEW.seq, hash = NEW.hash WHERE one;
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER audit_baseline_chain BEFORE INSERT ON audit_baseline FOR EACH ROW EXECUTE FUNCTION audit_baseline_chain()`,
];

/** One request's events in the baseline: a plain multi-row insert; the trigger chains each row. */
export async function insertBaselineEvents(em: EntityManager, events: readonly AuditEventContent[]): Promise<void> {
  const params: unknown[] = [];
  const tuples = events.map((e) => {
    const values = [e.occurredAt, e.actorId, e.actorRole, e.action, e.resourceType, e.resourceId, e.fields, e.outcome, e.requestId, e.operation, e.clientAddress, e.purpose, JSON.stringify(e.details)];
    const base = params.length;
    params.push(...values);
    // seq, prev_hash and hash are NOT NULL: placeholders the BEFORE trigger overwrites.
    return `(1, '\\x', '\\x', ${values.map((_, i) => `$${base + i + 1}`).join(", ")})`;
  });
  await em.query(`INSERT INTO audit_baseline (seq, prev_hash, hash, ${CONTENT_COLUMNS.join(", ")}) VALUES ${tuples.join(", ")}`, params);
}
