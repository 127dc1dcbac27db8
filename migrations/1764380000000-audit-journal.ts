// The audit journal: requests commit their events here, with their writes and without any lock, and one
// sequencer at a time moves them onto the hash chain in audit_event (docs/audit-sequencer.md).
import type { MigrationInterface, QueryRunner } from "typeorm";

export class AuditJournal1764380000000 implements MigrationInterface {
  name = "AuditJournal1764380000000";

  async up(q: QueryRunner): Promise<void> {
    // The content columns of audit_event, same types and checks; the id only orders the sealing.
    await q.query(`
      CREATE TABLE audit_pending (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        actor_id uuid,
        actor_role text,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        fields text[] NOT NULL DEFAULT '{}',
        outcome text NOT NULL CHECK (outcome IN ('SUCCESS','DENIED','NOT_FOUND','FAILURE')),
        request_id text,
        operation text,
        client_address text,
        purpose text,
        details jsonb NOT NULL DEFAULT '{}',
        -- Database time of the journal insert, for the backlog's age (/readyz); not copied to the chain.
        journalled_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Which journal entry a chain event was sealed from: receipts for waiting requests, and the proof
    // the delete guard below asks for. Not part of the hash (bookkeeping, not content).
    await q.query(`ALTER TABLE audit_event ADD COLUMN pending_id bigint`);
    await q.query(`CREATE UNIQUE INDEX audit_event_pending_idx ON audit_event (pending_id) WHERE pending_id IS NOT NULL`);

    // The window between commit and seal is guarded: an entry can be neither edited nor truncated, and
    // deleted only once the chain holds it (checked per statement, over the deleted set as a whole).
    await q.query(`
      CREATE FUNCTION audit_pending_refuse_unsealed_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM gone g WHERE NOT EXISTS (SELECT 1 FROM audit_event e WHERE e.pending_id = g.id)) THEN
          RAISE EXCEPTION 'audit_pending: an entry not yet sealed onto the chain cannot be deleted'
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_pending_delete_only_sealed AFTER DELETE ON audit_pending
      REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION audit_pending_refuse_unsealed_delete()`);
    await q.query(`
      CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending
      FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_pending_no_truncate BEFORE TRUNCATE ON audit_pending
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`REVOKE UPDATE, TRUNCATE ON audit_pending FROM PUBLIC`);
  }

  async down(): Promise<void> {
    throw new Error("AuditJournal cannot be reverted: unsealed events would be lost");
  }
}
