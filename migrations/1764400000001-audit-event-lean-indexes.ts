// Two fewer b-trees for every sealed event (docs/audit-sequencer.md, "What a round does not do"): each seal
// inserts every event into each index of audit_event, and these two earned least.
// - (occurred_at): only time-window lookups use it (a bundle's seq range, a trail with from/to alone), and
//   events arrive in time order, so a BRIN index of block ranges answers them at a fraction of the upkeep.
// - (action, seq): a trail by action alone walks the primary key for common actions and
//   (action, occurred_at), kept for the unusual-access reports, for rare ones.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class AuditEventLeanIndexes1764400000001 implements MigrationInterface {
  name = "AuditEventLeanIndexes1764400000001";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_event_time_idx`);
    await q.query(`DROP INDEX audit_event_action_idx`);
    await q.query(`CREATE INDEX audit_event_time_brin ON audit_event USING brin (occurred_at) WITH (pages_per_range = 32)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_event_time_brin`);
    await q.query(`CREATE INDEX audit_event_action_idx ON audit_event (action, seq)`);
    await q.query(`CREATE INDEX audit_event_time_idx ON audit_event (occurred_at)`);
  }
}
