// The customer 360 view per role: profile at the role's PII level, the first page of transactions, every
// case the caller may see with its clocks, survey answers and risk flags; a security analyst sees the
// structure without any content, an agent of another line nothing; one audit event per object read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOUR_MS } from "../../src/clock";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { createCustomer, errorCode, uniqueCustomer } from "./api-helpers";

const T0 = "2026-11-02T09:00:00.000Z";
const at = (offsetMs: number) => new Date(Date.parse(T0) + offsetMs);

let server: TestServer;
let agent: StaffLogin;
let lead: StaffLogin;
let compliance: StaffLogin;
let security: StaffLogin;
let stranger: StaffLogin;
let customerId: string;
const person = uniqueCustomer({ fullName: "Wen Zhao-Lindqvist" });
const ids: Record<string, string> = {};

async function ok(query: string, variables: Record<string, unknown>, token: string) {
  const res = await server.gql(query, variables, { token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

async function relogin(): Promise<void> {
  for (const who of [agent, lead, compliance, security, stranger]) {
    const res = await server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: who.email, p: who.password });
    who.token = res.data!.login.accessToken;
  }
}

async function open(kind: "COMPLAINT" | "SERVICE_REQUEST", channel = "PHONE"): Promise<string> {
  const i = { customerId, channel, kind, category: "card.dispute", complexity: "COMMON", businessLine: "PERSONAL_BANKING", summary: `Disputed charge reported by ${person.fullName}` };
  return (await ok(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`, { i }, agent.token)).openCase.id;
}

beforeAll(async () => {
  server = await createTestServer();
  server.clock.set(T0);
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  security = await server.staff("SECURITY_ANALYST");
  stranger = await server.staff("AGENT", "INSURANCE");
  customerId = (await createCustomer(server, agent.token, person)).id;
  await server.sql(
    `INSERT INTO customer_transaction (customer_id, business_line, occurred_at, kind, amount_minor, currency, description)
     VALUES ($1, 'PERSONAL_BANKING', $2, 'CARD_PAYMENT', 12999, 'CNY', 'Card payment'), ($1, 'PERSONAL_BANKING', $3, 'TRANSFER', 50000, 'CNY', 'Transfer')`,
    [customerId, at(-2 * HOUR_MS), at(-HOUR_MS)],
  );
  ids.complaint = await open("COMPLAINT");
  ids.referral = await open("COMPLAINT", "REGULATOR_REFERRAL");
  ids.request = await open("SERVICE_REQUEST");
  await ok(`mutation($c: ID!) { resolveCase(caseId: $c, resolution: "Explained the fee", details: { outcome: NOT_UPHELD, rootCauseCode: "PROCESS_ERROR" }) { id } }`, { c: ids.request }, agent.token);
  await ok(`mutation($c: ID!) { closeCase(caseId: $c) { id } }`, { c: ids.request }, agent.token);
  await ok(`mutation($c: ID!) { recordSatisfactionSurvey(caseId: $c, score: 2, comment: "Nobody called me back") { score } }`, { c: ids.request }, agent.token);
  // A day later the open complaints' 24 h resolution clocks have breached.
  server.clock.set(at(25 * HOUR_MS));
  await relogin();
}, 60_000);
afterAll(() => server?.stop());

const VIEW = `query($id: ID!) { customer360(customerId: $id) {
  profile { id fullName nationalId phone }
  transactions { totalCount edges { node { kind amountMinor } } }
  cases { id status summary clocks { kind state } }
  casesTotal
  surveys { caseId score comment }
  riskFlags { code caseIds }
} }`;

describe("customer360", () => {
  it("gives an agent of the line the profile (national id masked), transactions, cases with clocks, surveys and flags", async () => {
    const v = (await ok(VIEW, { id: customerId }, agent.token)).customer360;
    expect(v.profile).toMatchObject({ id: customerId, fullName: person.fullName, phone: person.phone });
    expect(v.profile.nationalId).toMatch(/^\*{4}/);
    expect(v.transactions).toEqual({ totalCount: 2, edges: [{ node: { kind: "TRANSFER", amountMinor: "50000" } }, { node: { kind: "CARD_PAYMENT", amountMinor: "12999" } }] });
    expect(v.casesTotal).toBe(3);
    const cases = Object.fromEntries(v.cases.map((c: { id: string }) => [c.id, c]));
    expect(cases[ids.complaint].summary).toContain(person.fullName);
    expect(cases[ids.complaint].clocks).toEqual(expect.arrayContaining([{ kind: "RESOLUTION", state: "BREACHED" }, { kind: "REGULATORY_DECISION", state: "ON_TIME" }]));
    expect(cases[ids.request]).toMatchObject({ status: "CLOSED" });
    expect(v.surveys).toEqual([{ caseId: ids.request, score: 2, comment: "Nobody called me back" }]);
    const flags = Object.fromEntries(v.riskFlags.map((f: { code: string; caseIds: string[] }) => [f.code, [...f.caseIds].sort()]));
    expect(flags).toEqual({
      OPEN_COMPLAINT: [ids.complaint, ids.referral].sort(),
      REGULATORY_REFERRAL: [ids.referral],
      CLOCK_BREACHED_90D: [ids.complaint, ids.referral].sort(),
      REPEAT_COMPLAINTS_90D: [ids.complaint, ids.referral].sort(),
      DISSATISFIED_SURVEY: [ids.request],
    });
  });

  it("records one audit event per object read: the profile, the transactions, each case, the flags", async () => {
    const res = await server.gql(VIEW, { id: customerId }, { token: lead.token });
    expect(res.errors).toBeUndefined();
    const rows = await server.sql<{ action: string; resource_id: string; fields: string[] }>(
      `SELECT action, resource_id, fields FROM audit_event WHERE actor_id = $1 AND action NOT IN ('auth.login') ORDER BY seq`,
      [lead.id],
    );
    const last = rows.slice(-6).map((r) => `${r.action}:${r.resource_id}`);
    expect(last.sort()).toEqual(
      [`customer.read:${customerId}`, `customer.transactions.read:${customerId}`, `customer.risk_flags.read:${customerId}`, ...Object.values(ids).map((id) => `case.read:${id}`)].sort(),
    );
    expect(rows.slice(-6).find((r) => r.action === "customer.read")!.fields).toEqual(expect.arrayContaining(["fullName", "nationalId", "phone"]));
  });

  it("shows a security analyst the structure and flags without any content", async () => {
    const v = (await ok(VIEW, { id: customerId }, security.token)).customer360;
    expect(v.profile).toEqual({ id: customerId, fullName: null, nationalId: null, phone: null });
    expect(v.transactions).toBeNull();
    expect(v.cases.every((c: { summary: string | null }) => c.summary === null)).toBe(true);
    expect(v.surveys).toEqual([{ caseId: ids.request, score: 2, comment: null }]);
    expect(v.riskFlags.map((f: { code: string }) => f.code)).toContain("OPEN_COMPLAINT");
  });

  it("gives compliance everything in full, an agent of another line NOT_FOUND, admins FORBIDDEN", async () => {
    const v = (await ok(VIEW, { id: customerId }, compliance.token)).customer360;
    expect(v.profile.nationalId).toBe(person.nationalId);
    expect(errorCode(await server.gql(VIEW, { id: customerId }, { token: stranger.token }))).toBe("NOT_FOUND");
    const admin = await server.staff("ADMIN");
    expect(errorCode(await server.gql(VIEW, { id: customerId }, { token: admin.token }))).toBe("FORBIDDEN");
  });
});
