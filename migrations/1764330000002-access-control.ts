// Access control in depth: auditors with a time window, compliance training records, service clients.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class AccessControl1764330000002 implements MigrationInterface {
  name = "AccessControl1764330000002";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE staff_user DROP CONSTRAINT staff_user_role_check`);
    await q.query(`ALTER TABLE staff_user ADD CONSTRAINT staff_user_role_check
      CHECK (role IN ('AGENT','TEAM_LEAD','COMPLIANCE_OFFICER','SECURITY_ANALYST','ADMIN','AUDITOR'))`);
    // External auditors get access for a window that ends by itself.
    await q.query(`ALTER TABLE staff_user ADD COLUMN access_expires_at timestamptz`);
    await q.query(`ALTER TABLE staff_user ADD CONSTRAINT staff_auditor_window CHECK ((role = 'AUDITOR') = (access_expires_at IS NOT NULL))`);

    await q.query(`
      CREATE TABLE staff_training (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        staff_id uuid NOT NULL REFERENCES staff_user(id),
        course text NOT NULL,
        completed_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        recorded_by uuid REFERENCES staff_user(id),
        recorded_at timestamptz NOT NULL,
        CHECK (expires_at > completed_at)
      )`);
    await q.query(`CREATE INDEX staff_training_staff_course_idx ON staff_training (staff_id, course, expires_at DESC)`);

    // Machine identities of internal apps: client credentials (argon2 hash of the secret) and scopes.
    await q.query(`
      CREATE TABLE service_client (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client_id text NOT NULL UNIQUE,
        name text NOT NULL,
        secret_hash text NOT NULL,
        scopes text[] NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(): Promise<void> {
    throw new Error("AccessControl cannot be reverted");
  }
}
