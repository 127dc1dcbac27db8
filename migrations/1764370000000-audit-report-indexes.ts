// Indexes for the audit reports (docs/audit-reports.md): reads by action and time, an actor's history by
// time (the volume baseline), and a partial index that holds only the denied and not-found attempts.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class AuditReportIndexes1764370000000 implements MigrationInterface {
  name = "AuditReportIndexes1764370000000";

  async up(q: QueryRunner): Promise<void> {
    // unusualAccess: the window's customer/case reads (unrelated customers, volume, after hours).
    await q.query(`CREATE INDEX audit_event_action_time_idx ON audit_event (action, occurred_at)`);
    // unusualAccess: one actor's reads over the 30 days before the window (their baseline).
    await q.query(`CREATE INDEX audit_event_actor_time_idx ON audit_event (actor_id, occurred_at)`);
    // deniedAccess: a small fraction of the log, so a partial index stays small and append-cheap.
    await q.query(`CREATE INDEX audit_event_unsuccessful_time_idx ON audit_event (occurred_at) WHERE outcome IN ('DENIED','NOT_FOUND')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audit_event_unsuccessful_time_idx`);
    await q.query(`DROP INDEX IF EXISTS audit_event_actor_time_idx`);
    await q.query(`DROP INDEX IF EXISTS audit_event_action_time_idx`);
  }
}
