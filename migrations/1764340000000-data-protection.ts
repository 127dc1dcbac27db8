// Customer data protection: erasure by crypto-shredding (status ERASED, a destroyed data key, no blind
// indexes left to match), legal holds that block it, and the index the key rotation walks.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class DataProtection1764340000000 implements MigrationInterface {
  name = "DataProtection1764340000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customer DROP CONSTRAINT customer_status_check`);
    await q.query(`ALTER TABLE customer ADD CONSTRAINT customer_status_check CHECK (status IN ('ACTIVE','CLOSED','ERASED'))`);
    await q.query(`ALTER TABLE customer ADD COLUMN erased_at timestamptz`);
    // An erased customer keeps no blind index: a keyed hash of a national id still answers "is this person here?".
    await q.query(`ALTER TABLE customer ALTER COLUMN national_id_bidx DROP NOT NULL`);
    await q.query(`ALTER TABLE customer ADD CONSTRAINT customer_erased_shape CHECK (
      (status = 'ERASED') = (erased_at IS NOT NULL)
      AND (status <> 'ERASED' OR (national_id_bidx IS NULL AND phone_bidx IS NULL AND email_bidx IS NULL))
      AND (status = 'ERASED' OR national_id_bidx IS NOT NULL))`);
    // NULL wrapped_dek = the data key was destroyed (crypto-shredding).
    await q.query(`ALTER TABLE customer_key ALTER COLUMN wrapped_dek DROP NOT NULL`);
    // Rotation walks live keys not yet under the target version, in customer_id order (keyset batches).
    await q.query(`CREATE INDEX customer_key_live_idx ON customer_key (customer_id) WHERE wrapped_dek IS NOT NULL`);

    await q.query(`
      CREATE TABLE legal_hold (
        id uuid PRIMARY KEY,
        customer_id uuid NOT NULL REFERENCES customer(id),
        reason text NOT NULL,
        placed_by uuid NOT NULL REFERENCES staff_user(id),
        placed_at timestamptz NOT NULL,
        released_by uuid REFERENCES staff_user(id),
        released_at timestamptz,
        CHECK ((released_at IS NULL) = (released_by IS NULL))
      )`);
    await q.query(`CREATE INDEX legal_hold_active_idx ON legal_hold (customer_id) WHERE released_at IS NULL`);
  }

  async down(): Promise<void> {
    throw new Error("DataProtection cannot be reverted");
  }
}
