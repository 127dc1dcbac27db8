// Immutability enforced by the database: the application's sessions work as custos_app, which may only
// INSERT and SELECT the audit tables; triggers refuse every change for everyone else too, except inside a
// break-glass transaction, which is itself recorded and journalled onto the chain.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditPrivilegeProblems } from "../../src/db/app-role";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

let server: TestServer;
let compliance: StaffLogin;

beforeAll(async () => {
  server = await createTestServer();
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

const appQuery = (sql: string) => server.custos.ds.query(sql);

describe("the application's database role", () => {
  it("is custos_app, not a superuser, and cannot rewrite the audit log by privilege", async () => {
    const [who] = await appQuery(`SELECT current_user AS role, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser`);
    expect(who).toEqual({ role: "custos_app", superuser: false });
    expect(await auditPrivilegeProblems(server.custos.ds)).toEqual([]);
  });

  it.each([
    ["UPDATE audit_event", `UPDATE audit_event SET action = 'forged'`],
    ["DELETE audit_event", `DELETE FROM audit_event`],
    ["TRUNCATE audit_event", `TRUNCATE audit_event`],
    ["UPDATE audit_checkpoint", `UPDATE audit_checkpoint SET kid = 'x'`],
    ["DELETE audit_checkpoint", `DELETE FROM audit_checkpoint`],
    ["UPDATE audit_pending", `UPDATE audit_pending SET action = 'forged'`],
    ["TRUNCATE audit_pending", `TRUNCATE audit_pending`],
    ["open break-glass", `SELECT custos_break_glass('INC-1')`],
    ["write a partition directly", `INSERT INTO audit_event_default (seq, prev_hash, hash, occurred_at, action, resource_type, outcome) VALUES (999999, '\\x00', '\\x00', now(), 'forged', 'x', 'SUCCESS')`],
  ])("is refused %s with permission denied", async (_name, sql) => {
    await expect(appQuery(sql)).rejects.toMatchObject({ driverError: { code: "42501" } });
  });

  it("still reads and appends: the API works as it (a login and an audited query)", async () => {
    const r = await server.gql(`{ verifyAuditChain { ok } }`, {}, { token: compliance.token });
    expect(r.data).toEqual({ verifyAuditChain: { ok: true } });
  });
});

describe("break-glass", () => {
  it("refuses a superuser who is not a member of custos_break_glass", async () => {
    // Superusers are members of every role, so make a plain login role for this check.
    await server.sql(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dba_without_glass') THEN CREATE ROLE dba_without_glass; END IF; END $$`);
    await server.sql(`GRANT SELECT, UPDATE, DELETE ON audit_event TO dba_without_glass`);
    await server.sql(`BEGIN`);
    try {
      await server.sql(`SET LOCAL SESSION AUTHORIZATION dba_without_glass`);
      await expect(server.sql(`SELECT custos_break_glass('INC-2')`)).rejects.toMatchObject({ code: "42501" });
    } finally {
      await server.sql(`ROLLBACK`);
    }
    await server.sql(`BEGIN`);
    try {
      await server.sql(`SET LOCAL SESSION AUTHORIZATION dba_without_glass`);
      await expect(server.sql(`DELETE FROM audit_event WHERE seq = 1`)).rejects.toMatchObject({ code: "42501" });
    } finally {
      await server.sql(`ROLLBACK`);
    }
  });

  it("allows a member's change inside the break-glass transaction only, recorded and sealed onto the chain", async () => {
    const [{ n: before }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event`);
    await server.sql(`BEGIN`);
    let opened: string;
    try {
      [{ opened }] = await server.sql<{ opened: string }>(`SELECT custos_break_glass('INC-2026-0042')::text AS opened`);
      await server.sql(`UPDATE audit_event SET purpose = 'RECTIFIED' WHERE seq = 1`);
      await server.sql(`COMMIT`);
    } catch (error) {
      await server.sql(`ROLLBACK`);
      throw error;
    }
    // The next transaction is back under the triggers.
    await expect(server.sql(`UPDATE audit_event SET purpose = 'AGAIN' WHERE seq = 1`)).rejects.toMatchObject({ code: "42501" });
    const [record] = await server.sql(`SELECT db_user, ticket FROM audit_break_glass WHERE id = $1`, [opened]);
    expect(record).toEqual({ db_user: "postgres", ticket: "INC-2026-0042" });
    await expect(server.sql(`DELETE FROM audit_break_glass`)).rejects.toMatchObject({ code: "42501" });
    await server.custos.services.sequencer.drain();
    const [sealed] = await server.sql(`SELECT action, resource_id, details FROM audit_event WHERE seq > $1 AND action = 'audit.break_glass'`, [before]);
    expect(sealed).toEqual({ action: "audit.break_glass", resource_id: opened, details: { dbUser: "postgres", ticket: "INC-2026-0042" } });
    // The change itself broke the chain at seq 1, as it should: verification names it.
    const r = await server.gql(`{ verifyAuditChain { ok firstBadSeq reason } }`, {}, { token: compliance.token });
    expect(r.data).toEqual({ verifyAuditChain: { ok: false, firstBadSeq: 1, reason: "HASH_MISMATCH" } });
  });

  it("refuses a ticket that is not a short reference (it goes into the audit log)", async () => {
    await server.sql(`BEGIN`);
    try {
      await expect(server.sql(`SELECT custos_break_glass('customer Jane Doe asked')`)).rejects.toMatchObject({ code: "23514" });
    } finally {
      await server.sql(`ROLLBACK`);
    }
  });
});

describe("partitions", () => {
  it("audit_event is partitioned by month with a default partition, each refusing TRUNCATE by name", async () => {
    const parts = await server.sql<{ name: string }>(`SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'audit_event'::regclass ORDER BY 1`);
    const names = parts.map((p) => p.name);
    expect(names).toContain("audit_event_default");
    const [{ month }] = await server.sql<{ month: string }>(`SELECT to_char(now(), 'YYYY_MM') AS month`);
    expect(names).toContain(`audit_event_p${month}`);
    expect(names.length).toBeGreaterThanOrEqual(4);
    await expect(server.sql(`TRUNCATE audit_event_p${month}`)).rejects.toMatchObject({ code: "42501" });
    await expect(server.sql(`TRUNCATE audit_event_default`)).rejects.toMatchObject({ code: "42501" });
  });

  it("ensure_partitions makes months ahead once, skipping those already there", async () => {
    const made = await server.custos.services.sequencer.ensurePartitions();
    expect(made).toBe(0); // the migration made this month and the next two
    const [{ n }] = await server.sql<{ n: number }>(`SELECT audit_event_ensure_partitions((now() + interval '3 months')::date, 1)::int AS n`);
    expect(n).toBe(1);
    const [{ again }] = await server.sql<{ again: number }>(`SELECT audit_event_ensure_partitions((now() + interval '3 months')::date, 1)::int AS again`);
    expect(again).toBe(0);
  });
});
