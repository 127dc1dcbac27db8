// The RFC 6962 Merkle tree over the audit log (docs/audit-merkle.md): audit_merkle_node holds every complete
// subtree (level, idx) → hash, leaves included, append-only like the chain; the sequencer extends it in each
// seal's transaction. Existing events are backfilled here, level by level, in SQL.
import type { MigrationInterface, QueryRunner } from "typeorm";

const AUDIT_TABLES = ["audit_event", "audit_checkpoint", "audit_break_glass", "audit_merkle_node"];

export class AuditMerkle1764384000000 implements MigrationInterface {
  name = "AuditMerkle1764384000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_merkle_node (
        level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (octet_length(hash) = 32),
        PRIMARY KEY (level, idx)
      )`);
    await q.query(`
      CREATE TRIGGER audit_merkle_node_append_only BEFORE UPDATE OR DELETE ON audit_merkle_node
      FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_merkle_node_no_truncate BEFORE TRUNCATE ON audit_merkle_node
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()`);

    // The backfill indexes leaves by seq: a chain with gaps must be repaired (or explained) first.
    const [chain] = await q.query(`SELECT count(*)::text AS n, coalesce(max(seq), 0)::text AS head FROM audit_event`);
    if (chain.n !== chain.head) {
      throw new Error(`audit_event holds ${chain.n} events but its head is seq ${chain.head}: run \`custos verify\` before this migration`);
    }
    // Leaves: SHA-256(0x00 ‖ chain hash) at index seq − 1; then each level from the one below, pairs only
    // (an unpaired last node is not a complete subtree and is not stored).
    await q.query(`INSERT INTO audit_merkle_node (level, idx, hash) SELECT 0, seq - 1, sha256('\\x00'::bytea || hash) FROM audit_event`);
    for (let level = 0; level < 62; level += 1) {
      await q.query(
        `INSERT INTO audit_merkle_node (level, idx, hash)
         SELECT $1::smallint + 1, l.idx / 2, sha256('\\x01'::bytea || l.hash || r.hash)
         FROM audit_merkle_node l JOIN audit_merkle_node r ON r.level = $1 AND r.idx = l.idx + 1
         WHERE l.level = $1 AND l.idx % 2 = 0`,
        [level],
      );
      const [{ n }] = await q.query(`SELECT count(*)::int AS n FROM audit_merkle_node WHERE level = $1`, [level + 1]);
      if (n === 0) break;
    }

    // custos_app may only add nodes (the sequencer) and read them; the grant function, which an
    // administrator re-runs on managed servers, learns the new table too.
    await q.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custos_app') THEN
          REVOKE UPDATE, DELETE, TRUNCATE ON audit_merkle_node FROM custos_app;
        END IF;
      END $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION custos_grant_app_role() RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE p record;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custos_app') THEN RETURN false; END IF;
        GRANT USAGE ON SCHEMA public TO custos_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO custos_app;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO custos_app;
        REVOKE UPDATE, DELETE, TRUNCATE ON ${AUDIT_TABLES.join(", ")} FROM custos_app;
        REVOKE INSERT ON audit_break_glass FROM custos_app;
        REVOKE UPDATE, TRUNCATE ON audit_pending FROM custos_app;
        FOR p IN SELECT inhrelid::regclass AS part FROM pg_inherits WHERE inhparent = 'audit_event'::regclass LOOP
          EXECUTE format('REVOKE ALL ON %s FROM custos_app', p.part);
        END LOOP;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO custos_app;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO custos_app;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custos_break_glass') THEN
          GRANT EXECUTE ON FUNCTION custos_break_glass(text) TO custos_break_glass;
        END IF;
        RETURN true;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION custos_grant_app_role() FROM PUBLIC`);
  }

  async down(): Promise<void> {
    throw new Error("AuditMerkle cannot be reverted: checkpoints sealed since then commit to its roots");
  }
}
