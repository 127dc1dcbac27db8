// Risk models (issue 8, item 2): each training run stores one versioned, append-only row per target with
// everything needed to score and to explain a score (docs/risk-model.md). No PII: names, numbers, metrics.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class RiskModel1764398000000 implements MigrationInterface {
  name = "RiskModel1764398000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE risk_model (
        id bigserial PRIMARY KEY,
        target text NOT NULL CHECK (target IN ('CASE_ADVERSE','CUSTOMER_CHURN')),
        version integer NOT NULL CHECK (version > 0),
        algorithm text NOT NULL,
        label_definition text NOT NULL,
        feature_names text[] NOT NULL,
        feature_means double precision[] NOT NULL,
        feature_scales double precision[] NOT NULL,
        intercept double precision NOT NULL,
        coefficients double precision[] NOT NULL,
        l2 double precision NOT NULL CHECK (l2 >= 0),
        split text NOT NULL CHECK (split IN ('TIME','RANDOM')),
        training_size integer NOT NULL CHECK (training_size >= 0),
        holdout_size integer NOT NULL CHECK (holdout_size >= 0),
        metrics jsonb NOT NULL,
        trained_at timestamptz NOT NULL,
        data_as_of timestamptz NOT NULL,
        CONSTRAINT risk_model_version_key UNIQUE (target, version),
        CONSTRAINT risk_model_shapes CHECK (
          cardinality(feature_names) = cardinality(coefficients)
          AND cardinality(feature_means) = cardinality(coefficients)
          AND cardinality(feature_scales) = cardinality(coefficients))
      )`);
    // Append-only like the audit tables: a served score names a version, so a version must never change.
    // The trigger holds for every role; the REVOKE is the application role's privilege (when it exists).
    await q.query(`
      CREATE FUNCTION risk_model_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'risk_model is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER risk_model_no_update_delete BEFORE UPDATE OR DELETE ON risk_model FOR EACH ROW EXECUTE FUNCTION risk_model_refuse_change()`);
    await q.query(`CREATE TRIGGER risk_model_no_truncate BEFORE TRUNCATE ON risk_model FOR EACH STATEMENT EXECUTE FUNCTION risk_model_refuse_change()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON risk_model FROM PUBLIC`);
    await q.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custos_app') THEN
          REVOKE UPDATE, DELETE, TRUNCATE ON risk_model FROM custos_app;
        END IF;
      END $$`);
  }

  async down(): Promise<void> {
    throw new Error("RiskModel cannot be reverted: served scores name its versions");
  }
}
