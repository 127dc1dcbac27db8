// Fail-closed behind the journal: when the chain refuses to take sealed events, reads (whose events go
// straight to the sequencer) return AUDIT_UNAVAILABLE and no data; writes, committed with their journalled
// events, stay committed and are sealed once the chain recovers, with the chain verifying and no event lost
// or doubled.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_CHAIN_LOCK } from "../../src/audit/append";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

const PII = { fullName: "Perpetua Sealdown-Okafor", nationalId: "SD55443322", phone: "+44 7700 900456", email: "perpetua.sd@example.net", address: "4 Lockstep Lane" };

let server: TestServer;
let agent: StaffLogin;
let compliance: StaffLogin;
let customerId: string;

const count = async (sql: string, params: unknown[] = []) => (await server.sql<{ n: number }>(`SELECT (${sql})::int AS n`, params))[0].n;

beforeAll(async () => {
  server = await createTestServer({ env: { CUSTOS_AUDIT_SEAL_TIMEOUT_MS: "400" } });
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  const created = await server.gql<{ createCustomer: { id: string } }>(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, { i: PII }, { token: agent.token });
  customerId = created.data!.createCustomer.id;
  await server.sql(`
    CREATE FUNCTION fail_chain() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'chain down'; END $$;
    CREATE TRIGGER chain_down BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION fail_chain();`);
});
afterAll(() => server?.stop());

describe("while the chain refuses sealed events", () => {
  it("a customer read returns no data and AUDIT_UNAVAILABLE when its seal fails", async () => {
    const r = await server.gql(`query($id: ID!) { customer(id: $id) { id fullName } }`, { id: customerId }, { token: agent.token });
    expect(r.data).toBeNull();
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(["AUDIT_UNAVAILABLE"]);
    expect(JSON.stringify(r)).not.toContain(PII.fullName);
  });

  it("a write is committed with its journalled event and acknowledged", async () => {
    const r = await server.gql<{ updateCustomer: { id: string } }>(
      `mutation($id: ID!, $c: UpdateCustomerInput!) { updateCustomer(id: $id, input: $c) { id } }`,
      { id: customerId, c: { address: "5 Lockstep Lane" } },
      { token: agent.token },
    );
    expect(r.errors).toBeUndefined();
    expect(await count(`SELECT count(*) FROM audit_pending WHERE action = 'customer.update' AND resource_id = $1`, [customerId])).toBe(1);
    expect(await count(`SELECT count(*) FROM audit_event WHERE action = 'customer.update'`)).toBe(0);
  });

  it("readiness reports the unsealed backlog and says no once it is older than a read's seal timeout", async () => {
    // An entry journalled a second ago (database time), instead of waiting for one to age.
    await server.sql(
      `INSERT INTO audit_pending (occurred_at, action, resource_type, outcome, journalled_at) VALUES (now(), 'test.backlog', 'test', 'SUCCESS', now() - interval '1 second')`,
    );
    const res = await fetch(server.url.replace(/\/graphql$/, "/readyz"));
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; auditJournal: { pending: number; oldestMs: number } };
    expect(body.status).toBe("audit sealing behind");
    expect(body.auditJournal.pending).toBeGreaterThanOrEqual(2);
    expect(body.auditJournal.oldestMs).toBeGreaterThan(400);
  });

  it("the journal cannot be emptied behind the chain's back, even by a superuser", async () => {
    await expect(server.sql(`DELETE FROM audit_pending`)).rejects.toMatchObject({ code: "42501" });
    await expect(server.sql(`UPDATE audit_pending SET action = 'forged'`)).rejects.toMatchObject({ code: "42501" });
    await expect(server.sql(`TRUNCATE audit_pending`)).rejects.toMatchObject({ code: "42501" });
  });
});

describe("after the chain recovers", () => {
  it("every journalled event is sealed exactly once and the chain verifies", async () => {
    const journalled = await count(`SELECT count(*) FROM audit_pending`);
    expect(journalled).toBeGreaterThanOrEqual(2);
    const chainBefore = await count(`SELECT count(*) FROM audit_event`);
    // The chain lock first: a seal round the sweep retries meanwhile takes it before it touches audit_event,
    // so the DDL cannot deadlock with the round's lock upgrade (read, then insert) on the table.
    await server.sql(`BEGIN; SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK}); DROP TRIGGER chain_down ON audit_event; DROP FUNCTION fail_chain(); COMMIT;`);
    await server.custos.services.sequencer.drain();
    expect(await count(`SELECT count(*) FROM audit_pending`)).toBe(0);
    expect(await count(`SELECT count(*) FROM audit_event`)).toBe(chainBefore + journalled);
    expect(await count(`SELECT count(DISTINCT pending_id) FROM audit_event WHERE pending_id IS NOT NULL`)).toBe(chainBefore + journalled);
    expect(await count(`SELECT count(*) FROM audit_event WHERE action = 'customer.update' AND resource_id = $1 AND outcome = 'SUCCESS'`, [customerId])).toBe(1);
    const verified = await server.gql(`{ verifyAuditChain { ok firstBadSeq } }`, {}, { token: compliance.token });
    expect(verified.errors).toBeUndefined();
    expect(verified.data).toEqual({ verifyAuditChain: { ok: true, firstBadSeq: null } });
  });

  it("reads are served again and the replica is ready", async () => {
    const r = await server.gql(`query($id: ID!) { customer(id: $id) { fullName address } }`, { id: customerId }, { token: agent.token });
    expect(r.data).toEqual({ customer: { fullName: PII.fullName, address: "5 Lockstep Lane" } });
    const res = await fetch(server.url.replace(/\/graphql$/, "/readyz"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; auditJournal: unknown; auditRounds: Record<string, number> };
    expect(body).toMatchObject({ status: "ready", auditJournal: { pending: 0, oldestMs: 0 } });
    // The outage is visible to operators afterwards: the rounds that failed while the chain refused events.
    expect(Object.keys(body.auditRounds).sort()).toEqual(["failed", "locked", "notApplied", "speculative"]);
    expect(body.auditRounds.failed).toBeGreaterThan(0);
    expect(body.auditRounds.locked).toBeGreaterThan(0);
  });
});
