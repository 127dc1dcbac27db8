// Sessions: rotating refresh tokens (stored as SHA-256 hashes, grouped in families) and the per-account
// instant before which every token is void (password change, deactivation).
import type { MigrationInterface, QueryRunner } from "typeorm";

export class SessionsMigration1764330000000 implements MigrationInterface {
  name = "SessionsMigration1764330000000";

  async up(q: QueryRunner): Promise<void> {
    // null = no cut-off. Tokens whose iat (whole seconds) is earlier than this are refused.
    await q.query(`ALTER TABLE staff_user ADD COLUMN tokens_valid_after timestamptz`);
    await q.query(`ALTER TABLE staff_user ADD COLUMN password_changed_at timestamptz`);

    // One row per refresh token ever issued. A family is one login: every rotation adds a row to it, and
    // a revocation marks every row of it. The token itself is never stored, only its SHA-256.
    await q.query(`
      CREATE TABLE refresh_token (
        id uuid PRIMARY KEY,
        family_id uuid NOT NULL,
        staff_id uuid NOT NULL REFERENCES staff_user(id),
        token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL CHECK (expires_at > issued_at),
        used_at timestamptz,
        revoked_at timestamptz,
        revoked_reason text CHECK (revoked_reason IN ('logout','reuse','password_change','disabled')),
        replaced_by uuid REFERENCES refresh_token(id),
        CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
      )`);
    await q.query(`CREATE INDEX refresh_token_family_idx ON refresh_token (family_id)`);
    await q.query(`CREATE INDEX refresh_token_staff_idx ON refresh_token (staff_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refresh_token`);
    await q.query(`ALTER TABLE staff_user DROP COLUMN password_changed_at`);
    await q.query(`ALTER TABLE staff_user DROP COLUMN tokens_valid_after`);
  }
}
