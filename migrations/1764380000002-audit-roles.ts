// Immutability enforced by the database (docs/audit-immutability.md):
// - the application works as role custos_app, which may only INSERT and SELECT the audit tables (and
//   DELETE journal entries the chain already holds, for the sequencer);
// - triggers refuse UPDATE, DELETE and TRUNCATE for everyone, except inside a break-glass transaction
//   opened with custos_break_glass(ticket) by a member of role custos_break_glass, which is recorded in
//   audit_break_glass and journalled onto the chain itself.
// Roles are cluster-wide: they are created where this migration may (CREATEROLE), else the README says
// what an administrator runs on a managed server.
import type { MigrationInterface, QueryRunner } from "typeorm";

const AUDIT_TABLES = ["audit_event", "audit_checkpoint", "audit_break_glass"];

export class AuditRoles1764380000002 implements MigrationInterface {
  name = "AuditRoles1764380000002";

  async up(q: QueryRunner): Promise<void> {
    for (const role of ["custos_app", "custos_break_glass"]) {
      await q.query(`
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
            CREATE ROLE ${role} NOLOGIN;
          END IF;
        EXCEPTION WHEN insufficient_privilege THEN
          RAISE NOTICE 'role ${role} not created (no CREATEROLE): see the README, "Database roles"';
        END $$`);
    }

    await q.query(`
      CREATE TABLE audit_break_glass (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        opened_at timestamptz NOT NULL DEFAULT now(),
        db_user text NOT NULL,
        ticket text NOT NULL CHECK (ticket ~ '^[A-Za-z0-9][A-Za-z0-9:_./-]{0,63}$'),
        txid bigint NOT NULL
      )`);
    // The record of a break-glass is never itself editable, break-glass or not.
    await q.query(`
      CREATE TRIGGER audit_break_glass_append_only BEFORE UPDATE OR DELETE ON audit_break_glass
      FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_break_glass_no_truncate BEFORE TRUNCATE ON audit_break_glass
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()`);

    // Opens break-glass for the current transaction only: recorded here and journalled as an audit event,
    // both committing (or vanishing) with whatever the transaction then does.
    await q.query(`
      CREATE FUNCTION custos_break_glass(ticket text) RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE
        opened bigint;
      BEGIN
        IF NOT pg_has_role(session_user, 'custos_break_glass', 'MEMBER') THEN
          RAISE EXCEPTION 'break-glass needs membership in role custos_break_glass' USING ERRCODE = 'insufficient_privilege';
        END IF;
        INSERT INTO audit_break_glass (db_user, ticket, txid) VALUES (session_user, ticket, txid_current()) RETURNING id INTO opened;
        INSERT INTO audit_pending (occurred_at, action, resource_type, resource_id, outcome, details)
        VALUES (now(), 'audit.break_glass', 'audit_log', opened::text, 'SUCCESS',
                jsonb_build_object('dbUser', session_user::text, 'ticket', ticket));
        PERFORM set_config('custos.break_glass', txid_current()::text, true);
        RETURN opened;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION custos_break_glass(text) FROM PUBLIC`);

    // The one refusal function every audit table's triggers use: refuses, unless this transaction opened
    // break-glass (then the change is allowed; the opening is already on record).
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME <> 'audit_break_glass'
           AND current_setting('custos.break_glass', true) = txid_current()::text
           AND pg_has_role(session_user, 'custos_break_glass', 'MEMBER') THEN
          IF TG_LEVEL = 'STATEMENT' THEN RETURN NULL; END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END IF;
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);

    // The grants, as a function an administrator can run again once the roles exist (managed servers).
    await q.query(`
      CREATE FUNCTION custos_grant_app_role() RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE p record;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custos_app') THEN RETURN false; END IF;
        GRANT USAGE ON SCHEMA public TO custos_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO custos_app;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO custos_app;
        REVOKE UPDATE, DELETE, TRUNCATE ON ${AUDIT_TABLES.join(", ")} FROM custos_app;
        REVOKE INSERT ON audit_break_glass FROM custos_app;
        REVOKE UPDATE, TRUNCATE ON audit_pending FROM custos_app;
        -- Partitions are made by the sequencer through a SECURITY DEFINER function (as its owner); rows
        -- reach them through the parent, whose privileges are the ones checked.
        FOR p IN SELECT inhrelid::regclass AS part FROM pg_inherits WHERE inhparent = 'audit_event'::regclass LOOP
          EXECUTE format('REVOKE ALL ON %s FROM custos_app', p.part);
        END LOOP;
        -- Tables of later migrations are the application's to read and write, unless revoked there.
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO custos_app;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO custos_app;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custos_break_glass') THEN
          GRANT EXECUTE ON FUNCTION custos_break_glass(text) TO custos_break_glass;
        END IF;
        RETURN true;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION custos_grant_app_role() FROM PUBLIC`);
    await q.query(`SELECT custos_grant_app_role()`);
  }

  async down(): Promise<void> {
    throw new Error("AuditRoles cannot be reverted");
  }
}
