// Signed checkpoints of the audit chain (docs/audit-checkpoints.md): one row per sealed head, append-only
// like audit_event. The JWS is the record; seq, head_hash and issued_at are copies for queries.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class AuditCheckpoints1764350000000 implements MigrationInterface {
  name = "AuditCheckpoints1764350000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_checkpoint (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        head_hash bytea NOT NULL CHECK (octet_length(head_hash) = 32),
        issued_at timestamptz NOT NULL,
        kid text NOT NULL,
        jws text NOT NULL
      )`);
    // Same refusal as audit_event: a checkpoint, once sealed, is never edited or removed.
    await q.query(`
      CREATE TRIGGER audit_checkpoint_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoint
      FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoint FROM PUBLIC`);
  }

  async down(): Promise<void> {
    throw new Error("AuditCheckpoints cannot be reverted");
  }
}
