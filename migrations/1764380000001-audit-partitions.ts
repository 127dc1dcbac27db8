// audit_event partitioned by month of occurred_at, for retention: an old month can be archived and detached
// as a whole instead of deleting rows (docs/audit-immutability.md). Existing rows are moved in this
// migration; partitions ahead of time are made by audit_event_ensure_partitions(), which the sequencer calls.
import type { MigrationInterface, QueryRunner } from "typeorm";

const SECONDARY_INDEXES = [
  `CREATE INDEX audit_event_resource_idx ON audit_event (resource_type, resource_id, seq)`,
  `CREATE INDEX audit_event_actor_idx ON audit_event (actor_id, seq)`,
  `CREATE INDEX audit_event_action_idx ON audit_event (action, seq)`,
  `CREATE INDEX audit_event_time_idx ON audit_event (occurred_at)`,
  `CREATE INDEX audit_event_action_time_idx ON audit_event (action, occurred_at)`,
  `CREATE INDEX audit_event_actor_time_idx ON audit_event (actor_id, occurred_at)`,
  `CREATE INDEX audit_event_unsuccessful_time_idx ON audit_event (occurred_at) WHERE outcome IN ('DENIED','NOT_FOUND')`,
  // A journal entry is sealed once: its occurred_at is fixed, so a second copy would land in the same partition.
  `CREATE UNIQUE INDEX audit_event_pending_idx ON audit_event (pending_id, occurred_at)`,
];

export class AuditPartitions1764380000001 implements MigrationInterface {
  name = "AuditPartitions1764380000001";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_event RENAME TO audit_event_unpartitioned`);
    await q.query(`ALTER TABLE audit_event_unpartitioned RENAME CONSTRAINT audit_event_pkey TO audit_event_unpartitioned_pkey`);
    // A partitioned table's keys must hold the partition key: seq's uniqueness is the chain's (verify
    // finds a duplicate), and the sequencer is the only writer that assigns it, under the chain lock.
    await q.query(`
      CREATE TABLE audit_event (
        seq bigint NOT NULL CHECK (seq > 0),
        prev_hash bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
        hash bytea NOT NULL CHECK (octet_length(hash) = 32),
        occurred_at timestamptz NOT NULL,
        actor_id uuid,
        actor_role text,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        fields text[] NOT NULL DEFAULT '{}',
        outcome text NOT NULL CHECK (outcome IN ('SUCCESS','DENIED','NOT_FOUND','FAILURE')),
        request_id text,
        operation text,
        client_address text,
        purpose text,
        details jsonb NOT NULL DEFAULT '{}',
        pending_id bigint,
        PRIMARY KEY (seq, occurred_at)
      ) PARTITION BY RANGE (occurred_at)`);
    // Events whose time falls outside every monthly partition (a skewed clock) still have a home.
    await q.query(`CREATE TABLE audit_event_default PARTITION OF audit_event DEFAULT`);
    await q.query(`
      CREATE FUNCTION audit_event_ensure_partitions(first_month date, months int) RETURNS int
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        m date;
        made int := 0;
        part text;
      BEGIN
        FOR i IN 0 .. months - 1 LOOP
          m := (date_trunc('month', first_month) + make_interval(months => i))::date;
          part := format('audit_event_p%s', to_char(m, 'YYYY_MM'));
          CONTINUE WHEN to_regclass(part) IS NOT NULL;
          -- Rows of that month already in the default partition would make the new partition invalid.
          CONTINUE WHEN EXISTS (SELECT 1 FROM audit_event_default
                                WHERE occurred_at >= m::timestamptz AND occurred_at < (m + interval '1 month')::timestamptz);
          EXECUTE format('CREATE TABLE %I PARTITION OF audit_event FOR VALUES FROM (%L) TO (%L)',
                         part, m::timestamptz, (m + interval '1 month')::timestamptz);
          -- TRUNCATE of a partition by name does not fire the parent's statement trigger.
          EXECUTE format('CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON %I
                          FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()', part);
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM PUBLIC', part);
          -- Default privileges would give the application role the new table: it reaches rows through the parent only.
          IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custos_app') THEN
            EXECUTE format('REVOKE ALL ON %I FROM custos_app', part);
          END IF;
          made := made + 1;
        END LOOP;
        RETURN made;
      END $$`);
    // Months of the rows being moved, and the current month and two ahead (database time).
    await q.query(`
      SELECT audit_event_ensure_partitions(first, (extract(year FROM age(last, first)) * 12 + extract(month FROM age(last, first)))::int + 1)
      FROM (SELECT date_trunc('month', LEAST(COALESCE(min(occurred_at), now()), now()))::date AS first,
                   date_trunc('month', GREATEST(COALESCE(max(occurred_at), now()), now() + interval '2 months'))::date AS last
            FROM audit_event_unpartitioned) r`);
    await q.query(`
      INSERT INTO audit_event (seq, prev_hash, hash, occurred_at, actor_id, actor_role, action, resource_type, resource_id,
                               fields, outcome, request_id, operation, client_address, purpose, details, pending_id)
      SELECT seq, prev_hash, hash, occurred_at, actor_id, actor_role, action, resource_type, resource_id,
             fields, outcome, request_id, operation, client_address, purpose, details, pending_id
      FROM audit_event_unpartitioned ORDER BY seq`);
    await q.query(`DROP TABLE audit_event_unpartitioned`);
    for (const sql of SECONDARY_INDEXES) await q.query(sql);
    // Row triggers on the parent are cloned onto every partition, present and future.
    await q.query(`
      CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event
      FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event_default
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_event, audit_event_default FROM PUBLIC`);
    // The journal's delete guard, now pruned to the one partition that can hold each entry.
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_pending_refuse_unsealed_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM gone g WHERE NOT EXISTS (
                     SELECT 1 FROM audit_event e WHERE e.pending_id = g.id AND e.occurred_at = g.occurred_at)) THEN
          RAISE EXCEPTION 'audit_pending: an entry not yet sealed onto the chain cannot be deleted'
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
      END $$`);
  }

  async down(): Promise<void> {
    throw new Error("AuditPartitions cannot be reverted");
  }
}
