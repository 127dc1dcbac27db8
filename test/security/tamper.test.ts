// Tampering with the stored audit log: the database refuses edits even from a superuser, and every edit
// a superuser forces through (triggers disabled) is named by verification at the right seq.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AUDIT_SELECT, rowToSealedEvent, type AuditEventRow } from "../../src/audit/append";
import { hashEvent } from "../../src/audit/core";
import { runCli } from "../../src/cli";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

let server: TestServer;
let compliance: StaffLogin;
let head: number;

beforeEach(async () => {
  server = await createTestServer();
  const agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  const i = { fullName: "Tamper Subject", nationalId: "TAMP12345" };
  const created = await server.gql(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, { i }, { token: agent.token });
  for (let n = 0; n < 4; n++) {
    const read = await server.gql(`query($id: ID!) { customer(id: $id) { fullName } }`, { id: created.data!.createCustomer.id }, { token: agent.token });
    expect(read.errors).toBeUndefined();
  }
  [{ head }] = await server.sql<{ head: number }>(`SELECT max(seq)::int AS head FROM audit_event`);
  expect(head).toBeGreaterThanOrEqual(8);
});
afterEach(() => server?.stop());

async function verify() {
  const res = await server.gql(`{ verifyAuditChain { ok firstBadSeq reason message } }`, {}, { token: compliance.token });
  expect(res.errors).toBeUndefined();
  return res.data!.verifyAuditChain as { ok: boolean; firstBadSeq: number | null; reason: string | null; message: string | null };
}

/** As superuser with the append-only triggers off for this session only. */
async function tamper(sql: string, params: unknown[] = []) {
  await server.sql(`SET session_replication_role = replica`);
  try {
    return await server.sql(sql, params);
  } finally {
    await server.sql(`RESET session_replication_role`);
  }
}

async function storedEvent(seq: number) {
  const [row] = await server.sql<AuditEventRow>(`${AUDIT_SELECT} WHERE seq = $1`, [seq]);
  return rowToSealedEvent(row);
}

/** Runs `custos verify` in-process against this test's database. */
async function cliVerify(): Promise<{ code: number; out: string }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-cli-"));
  const env = { NODE_ENV: "test", DATABASE_URL: server.databaseUrl, CUSTOS_DATA_DIR: dataDir, LOG_LEVEL: "silent", CUSTOS_SEED_DEMO: "false" };
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  let out = "";
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await runCli(["verify"]), out };
  } finally {
    write.mockRestore();
    vi.unstubAllEnvs();
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe("the database refuses changes to audit_event, superuser included", () => {
  it.each([
    ["UPDATE", `UPDATE audit_event SET action = 'forged' WHERE seq = 2`],
    ["DELETE", `DELETE FROM audit_event WHERE seq = 2`],
    ["TRUNCATE", `TRUNCATE audit_event`],
  ])("%s fails with insufficient_privilege and changes nothing", async (_op, sql) => {
    const [before] = await server.sql(`SELECT count(*)::int AS n, string_agg(encode(hash, 'hex'), ',' ORDER BY seq) AS hashes, string_agg(action, ',' ORDER BY seq) AS actions FROM audit_event`);
    await expect(server.sql(sql)).rejects.toMatchObject({ code: "42501" });
    const [after] = await server.sql(`SELECT count(*)::int AS n, string_agg(encode(hash, 'hex'), ',' ORDER BY seq) AS hashes, string_agg(action, ',' ORDER BY seq) AS actions FROM audit_event`);
    expect(after).toEqual(before);
    expect((await verify()).ok).toBe(true);
  });
});

describe("verification names the first tampered position", () => {
  it("an intact log verifies, through the API and the CLI", async () => {
    expect(await verify()).toEqual({ ok: true, firstBadSeq: null, reason: null, message: null });
    const cli = await cliVerify();
    expect(cli.code).toBe(0);
  });

  it("an edited field of a middle row → HASH_MISMATCH at that seq", async () => {
    const mid = Math.floor(head / 2);
    await tamper(`UPDATE audit_event SET outcome = 'DENIED' WHERE seq = $1`, [mid]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: mid, reason: "HASH_MISMATCH" });
    const cli = await cliVerify();
    expect(cli.code).toBe(1);
    expect(cli.out).toContain(`seq ${mid} (HASH_MISMATCH)`);
  });

  it("an edited details value of a middle row → HASH_MISMATCH at that seq", async () => {
    const mid = Math.floor(head / 2) + 1;
    await tamper(`UPDATE audit_event SET details = details || '{"forged": true}'::jsonb WHERE seq = $1`, [mid]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: mid, reason: "HASH_MISMATCH" });
  });

  it("an edited row whose own hash was recomputed → PREV_HASH_MISMATCH at the next seq", async () => {
    const mid = Math.floor(head / 2);
    const event = { ...(await storedEvent(mid)), action: "customer.search" };
    const rehashed = hashEvent(event.prevHash, mid, event);
    await tamper(`UPDATE audit_event SET action = $2, hash = $3 WHERE seq = $1`, [mid, event.action, Buffer.from(rehashed, "hex")]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: mid + 1, reason: "PREV_HASH_MISMATCH" });
  });

  it("a deleted middle row → SEQ_GAP at the deleted seq", async () => {
    const mid = Math.floor(head / 2);
    await tamper(`DELETE FROM audit_event WHERE seq = $1`, [mid]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: mid, reason: "SEQ_GAP" });
    const cli = await cliVerify();
    expect(cli.code).toBe(1);
    expect(cli.out).toContain(`seq ${mid} (SEQ_GAP)`);
  });

  it("a forged row after the head with a wrong prevHash → PREV_HASH_MISMATCH at its seq", async () => {
    await server.sql(
      `INSERT INTO audit_event (seq, prev_hash, hash, occurred_at, action, resource_type, outcome)
       VALUES ($1, $2, $2, now(), 'customer.read', 'customer', 'SUCCESS')`,
      [head + 1, Buffer.alloc(32, 7)],
    );
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: head + 1, reason: "PREV_HASH_MISMATCH" });
  });

  it("a forged row after the head linked to it but with a made-up hash → HASH_MISMATCH at its seq", async () => {
    const last = await storedEvent(head);
    await server.sql(
      `INSERT INTO audit_event (seq, prev_hash, hash, occurred_at, action, resource_type, outcome)
       VALUES ($1, $2, $3, now(), 'customer.read', 'customer', 'SUCCESS')`,
      [head + 1, Buffer.from(last.hash, "hex"), Buffer.alloc(32, 9)],
    );
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: head + 1, reason: "HASH_MISMATCH" });
    const cli = await cliVerify();
    expect(cli.code).toBe(1);
    expect(cli.out).toContain(`seq ${head + 1} (HASH_MISMATCH)`);
  });

  it("the report names positions, never event content", async () => {
    const mid = Math.floor(head / 2);
    await tamper(`UPDATE audit_event SET resource_id = 'Tamper Subject' WHERE seq = $1`, [mid]);
    const report = await verify();
    expect(report.firstBadSeq).toBe(mid);
    expect(report.message).not.toContain("Tamper Subject");
  });
});
