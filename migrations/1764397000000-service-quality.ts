// Service quality (issue 8, item 1; docs/service-quality.md): the instant a customer's relationship with
// the bank ended (churn needs it; nothing in Custos closes a relationship yet, a core-banking feed will
// set it), and the alerts raised when a metric breaches its target, once per metric, period and cut.
import type { MigrationInterface, QueryRunner } from "typeorm";

const METRICS = `'FIRST_RESPONSE_ON_TIME','RESOLUTION_ON_TIME','REGULATORY_DEADLINE_COMPLIANCE','SATISFACTION_RATE','REOPEN_RATE','REPEAT_COMPLAINT_RATE','CHURN_RATE'`;
const CUTS = `'NONE','BUSINESS_LINE','CHANNEL','CATEGORY','TEAM','AGENT'`;

export class ServiceQuality1764397000000 implements MigrationInterface {
  name = "ServiceQuality1764397000000";

  async up(q: QueryRunner): Promise<void> {
    // Nullable: existing CLOSED customers have no known closing instant and count in no churn figure.
    await q.query(`ALTER TABLE customer ADD COLUMN relationship_closed_at timestamptz`);
    await q.query(`CREATE INDEX customer_relationship_closed_idx ON customer (relationship_closed_at) WHERE relationship_closed_at IS NOT NULL`);
    // No PII: metric names, instants, counts, a cut value (a line, channel, category code or a staff/team id).
    await q.query(`
      CREATE TABLE quality_alert (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        metric text NOT NULL CHECK (metric IN (${METRICS})),
        period_from timestamptz NOT NULL,
        period_to timestamptz NOT NULL,
        cut_kind text NOT NULL CHECK (cut_kind IN (${CUTS})),
        -- '' for the whole bank (cut NONE), so the unique key below holds without NULLs
        cut_value text NOT NULL,
        numerator integer NOT NULL CHECK (numerator >= 0),
        denominator integer NOT NULL CHECK (denominator > 0 AND numerator <= denominator),
        value double precision NOT NULL,
        target double precision NOT NULL,
        status text NOT NULL CHECK (status = 'BREACHED'),
        raised_at timestamptz NOT NULL,
        raised_by uuid,
        acknowledged_by uuid REFERENCES staff_user(id),
        acknowledged_at timestamptz,
        CONSTRAINT quality_alert_period CHECK (period_from < period_to),
        CONSTRAINT quality_alert_ack_pair CHECK ((acknowledged_by IS NULL) = (acknowledged_at IS NULL)),
        CONSTRAINT quality_alert_key UNIQUE (metric, period_from, period_to, cut_kind, cut_value)
      )`);
    await q.query(`CREATE INDEX quality_alert_open_idx ON quality_alert (raised_at DESC, id) WHERE acknowledged_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS quality_alert`);
    await q.query(`ALTER TABLE customer DROP COLUMN IF EXISTS relationship_closed_at`);
  }
}
