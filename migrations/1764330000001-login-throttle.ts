// Login throttling state shared by every replica: one row per throttled key (an account's keyed
// reference or a client address), holding its failure count, its growing delay and its lock.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class LoginThrottle1764330000001 implements MigrationInterface {
  name = "LoginThrottle1764330000001";

  async up(q: QueryRunner): Promise<void> {
    // key is "account:<keyed hash of the normalised e-mail>" or "address:<client ip>", never an e-mail.
    await q.query(`
      CREATE TABLE login_throttle (
        key text PRIMARY KEY CHECK (key ~ '^(account|address):.+$' AND length(key) <= 200),
        failures integer NOT NULL CHECK (failures >= 0),
        first_failure_at timestamptz NOT NULL,
        last_failure_at timestamptz NOT NULL,
        next_allowed_at timestamptz,
        locked_until timestamptz
      )`);
    // Lets an operator (or a later sweep) find stale rows without a full scan.
    await q.query(`CREATE INDEX login_throttle_last_failure_idx ON login_throttle (last_failure_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_throttle`);
  }
}
