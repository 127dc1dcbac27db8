// Scheduled service-quality evaluation (docs/service-quality.md, "Scheduled evaluation"): one row per
// business day evaluated (the day's primary key is what makes the evaluation happen once across replicas
// and restarts), and notifications about a raised quality alert in the existing outbox. No PII.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class QualityEvaluation1764399000000 implements MigrationInterface {
  name = "QualityEvaluation1764399000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE quality_evaluation (
        day date PRIMARY KEY,
        time_zone text NOT NULL,
        period_from timestamptz NOT NULL,
        period_to timestamptz NOT NULL,
        evaluated_at timestamptz NOT NULL,
        alerts_raised integer NOT NULL DEFAULT 0 CHECK (alerts_raised >= 0),
        CONSTRAINT quality_evaluation_period CHECK (period_from < period_to)
      )`);
    // A notification is now about a case clock or about a quality alert, never both.
    await q.query(`ALTER TABLE notification_outbox ALTER COLUMN case_id DROP NOT NULL`);
    await q.query(`ALTER TABLE notification_outbox ALTER COLUMN clock_kind DROP NOT NULL`);
    await q.query(`ALTER TABLE notification_outbox ADD COLUMN quality_alert_id uuid REFERENCES quality_alert(id)`);
    await q.query(`ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind_check`);
    await q.query(`
      ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind_check
        CHECK (kind IN ('CLOCK_WARNING','CLOCK_BREACH_ESCALATION','REGULATORY_BREACH_COMPLIANCE','QUALITY_ALERT'))`);
    await q.query(`
      ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_subject CHECK (
        CASE WHEN kind = 'QUALITY_ALERT'
             THEN quality_alert_id IS NOT NULL AND case_id IS NULL AND clock_kind IS NULL
             ELSE quality_alert_id IS NULL AND case_id IS NOT NULL AND clock_kind IS NOT NULL END)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM notification_outbox WHERE kind = 'QUALITY_ALERT'`);
    await q.query(`ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_subject`);
    await q.query(`ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind_check`);
    await q.query(`ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind_check CHECK (kind IN ('CLOCK_WARNING','CLOCK_BREACH_ESCALATION','REGULATORY_BREACH_COMPLIANCE'))`);
    await q.query(`ALTER TABLE notification_outbox DROP COLUMN quality_alert_id`);
    await q.query(`ALTER TABLE notification_outbox ALTER COLUMN clock_kind SET NOT NULL`);
    await q.query(`ALTER TABLE notification_outbox ALTER COLUMN case_id SET NOT NULL`);
    await q.query(`DROP TABLE IF EXISTS quality_evaluation`);
  }
}
