// Only events sealed from the journal (writes) carry a pending_id; reads' events, the bulk of the log, are
// submitted straight to the sequencer and have none. Indexing them was pure cost on every seal.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class AuditPendingIndex1764396000000 implements MigrationInterface {
  name = "AuditPendingIndex1764396000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_event_pending_idx`);
    await q.query(`CREATE UNIQUE INDEX audit_event_pending_idx ON audit_event (pending_id, occurred_at) WHERE pending_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_event_pending_idx`);
    await q.query(`CREATE UNIQUE INDEX audit_event_pending_idx ON audit_event (pending_id, occurred_at)`);
  }
}
