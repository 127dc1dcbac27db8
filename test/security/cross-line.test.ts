// Cross-line access: an agent or team lead of one business line must learn nothing about another line's
// cases — not by id, not in lists or counts, not through a customer lookup, not through a customer both
// lines serve — and a refused id must answer byte for byte like an id that does not exist.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceLogin } from "../support/service-client-helpers";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, createCustomer, errorCode, type CustomerInput } from "../integration/api-helpers";

const LINE_A = "PERSONAL_BANKING";
const LINE_B = "CORPORATE_FINANCE";
const READ_CASE = `query ReadCase($id: ID!) { case(id: $id) { id reference businessLine customerId summary } }`;
const OPEN = `mutation OpenCase($i: OpenCaseInput!) { openCase(input: $i) { id reference businessLine } }`;
const CASES = `query Cases($f: CaseFilter) { cases(filter: $f, first: 100) { totalCount edges { node { id businessLine } } } }`;
const LOOKUP = `query Lookup($f: CustomerFilter) { customers(filter: $f) { totalCount edges { node { id } } } }`;
const CUSTOMER_CASES = `query CustomerCases($id: ID!) {
  customer(id: $id) { id businessLines cases(first: 100) { totalCount edges { node { id businessLine } } } }
}`;

let server: TestServer;
let agentA: StaffLogin;
let leadA: StaffLogin;
let agentB: StaffLogin;
let compliance: StaffLogin;
let app: { id: string; token: string }; // an internal app that records cases in every line
let bCustomer: { id: string; input: CustomerInput }; // a customer only line B serves
let bCase: { id: string; reference: string };
let shared: { id: string; aCase: string; bCase: string }; // a customer both lines serve, one case in each

function caseInput(customerId: string, businessLine: string) {
  return { customerId, channel: "EMAIL", kind: "SERVICE_REQUEST", category: "account.statement", complexity: "COMMON", businessLine, summary: "Needs a statement for a visa" };
}

async function open(token: string, customerId: string, businessLine: string) {
  const res = await server.gql(OPEN, { i: caseInput(customerId, businessLine) }, { token });
  expect(res.errors).toBeUndefined();
  expect(res.data!.openCase.businessLine).toBe(businessLine);
  return res.data!.openCase as { id: string; reference: string };
}

/**
 * The raw HTTP answer, for byte-level comparison. Each answer carries the receipts of its own audit events
 * (extensions.auditReceipts: seq and leaf hash, different for every request by nature): their values are
 * blanked, their number and place in the body are compared like everything else.
 */
async function rawPost(token: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-custos-purpose": "CASE_HANDLING" },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  expect(text).toMatch(/"auditReceipts":\[\{"seq":\d+,"leafHash":"[0-9a-f]{64}"\}/);
  const body = text.replace(/"seq":\d+,"leafHash":"[0-9a-f]{64}"/g, '"seq":0,"leafHash":""');
  return { status: res.status, contentType: res.headers.get("content-type"), body };
}

beforeAll(async () => {
  server = await createTestServer();
  agentA = await server.staff("AGENT", LINE_A);
  leadA = await server.staff("TEAM_LEAD", LINE_A);
  agentB = await server.staff("AGENT", LINE_B);
  compliance = await server.staff("COMPLIANCE_OFFICER");
  app = await serviceLogin(server, ["customers:read", "cases:write"]);

  bCustomer = await createCustomer(server, agentB.token);
  bCase = await open(agentB.token, bCustomer.id, LINE_B);
  // Some of line A's own cases, so that lists are not trivially empty.
  for (let i = 0; i < 2; i++) await open(agentA.token, (await createCustomer(server, agentA.token)).id, LINE_A);

  const both = await createCustomer(server, agentA.token);
  const aCase = await open(agentA.token, both.id, LINE_A);
  // Line A's agents cannot open a case in line B; an internal app records it, which makes the customer B's too.
  const bOfShared = await open(app.token, both.id, LINE_B);
  shared = { id: both.id, aCase: aCase.id, bCase: bOfShared.id };
});
afterAll(() => server?.stop());

describe.each([
  ["an agent", () => agentA],
  ["a team lead", () => leadA],
])("%s of line A", (_who, caller) => {
  it("gets NOT_FOUND for line B's case by id, audited as DENIED", async () => {
    const me = caller();
    const requestId = `cross-read-${randomUUID()}`;
    const res = await server.gql(READ_CASE, { id: bCase.id }, { token: me.token, headers: { "x-request-id": requestId } });
    expect(errorCode(res)).toBe("NOT_FOUND");
    expect(res.data).toBeNull();
    expect(JSON.stringify(res)).not.toContain(bCase.reference);
    const events = (await auditEvents(server, compliance.token, { resourceId: bCase.id, actorId: me.id })).filter((e) => e.requestId === requestId);
    expect(events).toEqual([expect.objectContaining({ action: "case.read", outcome: "DENIED", actorRole: me.role, fields: [] })]);
  });

  it("gets an answer for line B's case byte for byte like the answer for an id that does not exist", async () => {
    const me = caller();
    const refused = await rawPost(me.token, READ_CASE, { id: bCase.id });
    const missing = await rawPost(me.token, READ_CASE, { id: randomUUID() });
    expect(refused).toEqual(missing);
    const body = JSON.parse(refused.body);
    expect(Object.keys(body).sort()).toEqual(["data", "errors", "extensions"]);
    expect(Object.keys(body.extensions)).toEqual(["auditReceipts"]);
    expect(body.errors[0].extensions.code).toBe("NOT_FOUND");
    // A case of their own line, by contrast, reads.
    expect((await server.gql(READ_CASE, { id: shared.aCase }, { token: me.token })).errors).toBeUndefined();
  });

  it("never sees line B's cases in a list or its totalCount, whatever the filter", async () => {
    const me = caller();
    const [{ n: lineACount }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM support_case WHERE business_line = $1`, [LINE_A]);
    const all = await server.gql(CASES, {}, { token: me.token });
    expect(all.errors).toBeUndefined();
    expect(all.data!.cases.totalCount).toBe(lineACount);
    expect(all.data!.cases.edges.map((e: { node: { businessLine: string } }) => e.node.businessLine)).toEqual(Array(lineACount).fill(LINE_A));
    expect(all.data!.cases.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(bCase.id);

    for (const filter of [{ businessLine: LINE_B }, { customerId: bCustomer.id }, { customerId: shared.id, businessLine: LINE_B }]) {
      const res = await server.gql(CASES, { f: filter }, { token: me.token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.cases).toEqual({ totalCount: 0, edges: [] });
    }
    // The same filters do match for compliance: the zeros above are the policy, not an empty database.
    const byCompliance = await server.gql(CASES, { f: { businessLine: LINE_B } }, { token: compliance.token });
    expect(byCompliance.data!.cases.totalCount).toBe(2);
  });

  it("finds no customer only line B serves by phone, e-mail or national id (totalCount 0)", async () => {
    const me = caller();
    const { phone, email, nationalId } = bCustomer.input;
    for (const filter of [{ phone }, { email }, { nationalId }]) {
      const res = await server.gql(LOOKUP, { f: filter }, { token: me.token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.customers).toEqual({ totalCount: 0, edges: [] });
    }
    const byB = await server.gql(LOOKUP, { f: { phone } }, { token: agentB.token });
    expect(byB.data!.customers.totalCount).toBe(1);
  });

  it("sees only line A's cases of a customer both lines serve", async () => {
    const me = caller();
    const res = await server.gql(CUSTOMER_CASES, { id: shared.id }, { token: me.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.customer.businessLines.sort()).toEqual([LINE_B, LINE_A].sort());
    expect(res.data!.customer.cases).toEqual({ totalCount: 1, edges: [{ node: { id: shared.aCase, businessLine: LINE_A } }] });
  });
});

describe("the other way round", () => {
  it("line B's agent sees only line B's case of the shared customer, and compliance sees both", async () => {
    const byB = await server.gql(CUSTOMER_CASES, { id: shared.id }, { token: agentB.token });
    expect(byB.errors).toBeUndefined();
    expect(byB.data!.customer.cases).toEqual({ totalCount: 1, edges: [{ node: { id: shared.bCase, businessLine: LINE_B } }] });
    const byCompliance = await server.gql(CUSTOMER_CASES, { id: shared.id }, { token: compliance.token });
    expect(byCompliance.data!.customer.cases.totalCount).toBe(2);
  });

  it("line A's agent cannot open a case in line B for a customer both lines serve: FORBIDDEN, nothing opened", async () => {
    const [{ n: before }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM support_case`);
    const res = await server.gql(OPEN, { i: caseInput(shared.id, LINE_B) }, { token: agentA.token });
    expect(errorCode(res)).toBe("FORBIDDEN");
    expect(await server.sql(`SELECT count(*)::int AS n FROM support_case`)).toEqual([{ n: before }]);
  });

  it("a customer of line B stays invisible to line A's agent by id too (NOT_FOUND like missing)", async () => {
    const q = `query($id: ID!) { customer(id: $id) { id fullName } }`;
    const refused = await rawPost(agentA.token, q, { id: bCustomer.id });
    const missing = await rawPost(agentA.token, q, { id: randomUUID() });
    expect(refused).toEqual(missing);
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe("NOT_FOUND");
    expect(refused.body).not.toContain(bCustomer.input.fullName);
  });
});
