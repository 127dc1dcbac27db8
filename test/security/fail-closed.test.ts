// Fail-closed: when the audit store refuses appends, no customer or case data leaves, no write
// survives, no token is issued, and the error says AUDIT_UNAVAILABLE and nothing more.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_CHAIN_LOCK } from "../../src/audit/append";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

const PII = { fullName: "Octavia Failclosed-Brennan", nationalId: "FC99887766", phone: "+44 7700 900123", email: "octavia.fc@example.net", address: "9 Shuttered Row" };
const SUMMARY = "periwinkle mortgage escrow grievance";
const FORBIDDEN_TEXT = ["audit store down", "stacktrace", "QueryFailedError", "SELECT ", "INSERT ", "audit_event", "at /", "plpgsql"];

let server: TestServer;
let agent: StaffLogin;
let otherLineAgent: StaffLogin;
let compliance: StaffLogin;
let customerId: string;
let caseId: string;
let auditRowsBeforeOutage: number;

/** POSTs a GraphQL operation and returns the raw body too, to search it for leaks. */
async function post(query: string, variables: Record<string, unknown>, token?: string) {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-custos-purpose": "CASE_HANDLING", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  const body = JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> };
  return { text, data: body.data ?? null, codes: (body.errors ?? []).map((e) => e.extensions?.code) };
}

function expectRefused(r: { text: string; codes: unknown[] }) {
  expect(r.codes).toEqual(["AUDIT_UNAVAILABLE"]);
  for (const needle of [...Object.values(PII), SUMMARY, ...FORBIDDEN_TEXT]) expect(r.text).not.toContain(needle);
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [{ n }] = await server.sql<{ n: number }>(`SELECT (${sql})::int AS n`, params);
  return n;
}

/** One at a time: server.sql shares a single connection. */
async function countAll(tables: string[]): Promise<number[]> {
  const counts: number[] = [];
  for (const t of tables) counts.push(await count(`SELECT count(*) FROM ${t}`));
  return counts;
}

// The audit store is down: neither the journal (where writes put their events, in their transaction) nor
// the chain (where reads' events are sealed directly) takes inserts. The chain alone refusing, with the
// journal up, is test/security/fail-closed-sealer.test.ts.
// The chain lock first in each: a seal round takes it before it touches audit_event, so the DDL cannot
// deadlock with a round's lock upgrade (read, then insert) on the table.
const installOutage = () =>
  server.sql(`
    BEGIN; SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK});
    CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store down'; END $$;
    CREATE TRIGGER audit_down BEFORE INSERT ON audit_pending FOR EACH ROW EXECUTE FUNCTION fail_audit();
    CREATE TRIGGER audit_down BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION fail_audit();
    COMMIT;`);
const endOutage = () =>
  server.sql(`BEGIN; SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK});
    DROP TRIGGER audit_down ON audit_pending; DROP TRIGGER audit_down ON audit_event; DROP FUNCTION fail_audit(); COMMIT;`);

beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  otherLineAgent = await server.staff("AGENT", "INSURANCE");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  const created = await post(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, { i: PII }, agent.token);
  customerId = (created.data!.createCustomer as { id: string }).id;
  const i = { customerId, channel: "EMAIL", kind: "COMPLAINT", category: "mortgage", complexity: "COMPLEX", businessLine: "PERSONAL_BANKING", summary: SUMMARY };
  caseId = ((await post(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`, { i }, agent.token)).data!.openCase as { id: string }).id;
  auditRowsBeforeOutage = await count(`SELECT count(*) FROM audit_event`);
  await installOutage();
});
afterAll(() => server?.stop());

describe("while the audit store refuses appends", () => {
  it("a customer read returns no data and AUDIT_UNAVAILABLE", async () => {
    const r = await post(`query($id: ID!) { customer(id: $id) { id reference fullName nationalId phone email address } }`, { id: customerId }, agent.token);
    expect(r.data).toBeNull();
    expectRefused(r);
  });

  it("a case read (with its customer) returns no data and AUDIT_UNAVAILABLE", async () => {
    const r = await post(`query($id: ID!) { case(id: $id) { id summary customer { fullName } } }`, { id: caseId }, agent.token);
    expect(r.data).toBeNull();
    expectRefused(r);
  });

  it("a list returns no rows and AUDIT_UNAVAILABLE", async () => {
    const customers = await post(`{ customers { totalCount edges { node { id fullName } } } }`, {}, compliance.token);
    expect(customers.data).toBeNull();
    expectRefused(customers);
    const cases = await post(`{ cases { totalCount edges { node { id summary } } } }`, {}, agent.token);
    expect(cases.data).toBeNull();
    expectRefused(cases);
  });

  it("a lookup by identifier returns no rows and AUDIT_UNAVAILABLE", async () => {
    const r = await post(`query($f: CustomerFilter) { customers(filter: $f) { totalCount edges { node { id } } } }`, { f: { nationalId: PII.nationalId } }, agent.token);
    expect(r.data).toBeNull();
    expectRefused(r);
  });

  it("a denied read is not answered NOT_FOUND when the denial cannot be recorded", async () => {
    const r = await post(`query($id: ID!) { customer(id: $id) { id } }`, { id: customerId }, otherLineAgent.token);
    expect(r.data).toBeNull();
    expectRefused(r);
  });

  it("createCustomer is refused and leaves no customer, key or audit row behind", async () => {
    const nid = "FC11223344";
    const before = await count(`SELECT count(*) FROM customer`);
    const keysBefore = await count(`SELECT count(*) FROM customer_key`);
    const r = await post(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id fullName } }`, { i: { ...PII, nationalId: nid } }, agent.token);
    expect(r.data).toBeNull();
    expectRefused(r);
    expect(await count(`SELECT count(*) FROM customer`)).toBe(before);
    expect(await count(`SELECT count(*) FROM customer_key`)).toBe(keysBefore);
    const bidx = server.custos.services.cipher.blindIndex("nationalId", nid);
    expect(await count(`SELECT count(*) FROM customer WHERE national_id_bidx = $1`, [bidx])).toBe(0);
  });

  it("openCase and addCaseNote are refused and leave no case, note or timeline row", async () => {
    const tables = ["support_case", "case_note", "case_event"];
    const before = await countAll(tables);
    const i = { customerId, channel: "PHONE", kind: "INQUIRY", category: "general", complexity: "COMMON", businessLine: "PERSONAL_BANKING", summary: SUMMARY };
    const opened = await post(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id summary } }`, { i }, agent.token);
    expect(opened.data).toBeNull();
    expectRefused(opened);
    const noted = await post(`mutation($c: ID!, $b: String!) { addCaseNote(caseId: $c, body: $b) { id body } }`, { c: caseId, b: SUMMARY }, agent.token);
    expect(noted.data).toBeNull();
    expectRefused(noted);
    expect(await countAll(tables)).toEqual(before);
  });

  it("login is refused with AUDIT_UNAVAILABLE instead of a token, for good and bad passwords", async () => {
    const login = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`;
    const good = await post(login, { e: agent.email, p: agent.password });
    expect(good.data).toBeNull();
    expectRefused(good);
    expect(good.text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT anywhere in the body
    const bad = await post(login, { e: agent.email, p: "not the password at all" });
    expectRefused(bad);
  });

  it("the outage was real: neither the chain nor the journal grew", async () => {
    expect(await count(`SELECT count(*) FROM audit_event`)).toBe(auditRowsBeforeOutage);
    expect(await count(`SELECT count(*) FROM audit_pending`)).toBe(0);
  });
});

describe("after the audit store recovers", () => {
  it("reads work again and the chain verifies with no gap", async () => {
    await endOutage();
    const read = await post(`query($id: ID!) { customer(id: $id) { fullName } }`, { id: customerId }, agent.token);
    expect(read.codes).toEqual([]);
    expect(read.data).toEqual({ customer: { fullName: PII.fullName } });
    const verified = await post(`{ verifyAuditChain { ok checked firstBadSeq reason } }`, {}, compliance.token);
    expect(verified.codes).toEqual([]);
    const [{ head }] = await server.sql<{ head: number }>(`SELECT max(seq)::int AS head FROM audit_event`);
    expect(verified.data).toEqual({ verifyAuditChain: { ok: true, checked: head - 1, firstBadSeq: null, reason: null } });
  });

  it("the recovered read was itself audited", async () => {
    expect(await count(`SELECT count(*) FROM audit_event WHERE resource_id = $1 AND action = 'customer.read' AND actor_id = $2 AND outcome = 'SUCCESS'`, [customerId, agent.id])).toBeGreaterThan(0);
  });
});
