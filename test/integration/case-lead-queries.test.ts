// Team-lead views with hand-checked counts (injected clock): open cases by clock state, workload per
// agent with the duty flag, cases due within N hours in due order; a lead of another line sees nothing of
// this line, compliance sees every line, agents none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOUR_MS } from "../../src/clock";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { createCustomer, errorCode } from "./api-helpers";

const T0 = "2026-11-02T09:00:00.000Z";
const at = (offsetMs: number) => new Date(Date.parse(T0) + offsetMs);
const iso = (offsetMs: number) => at(offsetMs).toISOString();

let server: TestServer;
let lead: StaffLogin;
let agents: StaffLogin[];
let otherLead: StaffLogin;
let compliance: StaffLogin;
const ids: Record<string, string> = {};

async function ok(query: string, variables: Record<string, unknown>, token: string) {
  const res = await server.gql(query, variables, { token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

async function open(who: StaffLogin, complexity: "COMMON" | "COMPLEX"): Promise<string> {
  const customerId = (await createCustomer(server, who.token)).id;
  const i = { customerId, channel: "EMAIL", kind: "SERVICE_REQUEST", category: "loan.terms", complexity, businessLine: who.businessLine, summary: "Question about loan terms" };
  return (await ok(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`, { i }, who.token)).openCase.id;
}

beforeAll(async () => {
  server = await createTestServer();
  lead = await server.staff("TEAM_LEAD", "CORPORATE_FINANCE");
  agents = [await server.staff("AGENT", "CORPORATE_FINANCE"), await server.staff("AGENT", "CORPORATE_FINANCE")];
  otherLead = await server.staff("TEAM_LEAD", "SECURITIES");
  await server.staff("AGENT", "SECURITIES");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  server.clock.set(T0);
  ids.breached = await open(lead, "COMMON"); // resolution due T0 + 24 h
  ids.paused = await open(lead, "COMMON");
  await ok(`mutation($c: ID!) { startCaseWork(caseId: $c) { id } }`, { c: ids.paused }, lead.token);
  await ok(`mutation($c: ID!) { awaitCustomer(caseId: $c, reason: DOCUMENTS_REQUESTED) { id } }`, { c: ids.paused }, lead.token);
  ids.securities = await open(otherLead, "COMMON");
  server.clock.set(at(5 * HOUR_MS));
  await relogin();
  ids.warned = await open(lead, "COMMON"); // resolution due T0 + 29 h, warned from T0 + 23 h
  ids.onTime = await open(lead, "COMPLEX"); // first response due T0 + 53 h, callback T0 + 77 h
  server.clock.set(at(25 * HOUR_MS));
  await relogin();
}, 60_000);

/** Access tokens expire while the clock moves on: everyone logs in again. */
async function relogin(): Promise<void> {
  for (const who of [lead, otherLead, compliance, ...agents]) {
    const res = await server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: who.email, p: who.password });
    who.token = res.data!.login.accessToken;
  }
}
afterAll(() => server?.stop());

const BY_STATE = `query($l: BusinessLine) { openCasesByClockState(businessLine: $l) { total states { state count cases { id status } } } }`;
const WORKLOAD = `query($l: BusinessLine) { agentWorkload(businessLine: $l) { staffId role onDuty openCases awaitingCustomer escalated } }`;
const DUE = `query($h: Int!) { casesDueWithin(hours: $h) { dueAt clockKind case { id } } }`;

const summary = (r: { total: number; states: Array<{ state: string; count: number; cases: Array<{ id: string }> }> }) => ({
  total: r.total,
  ...Object.fromEntries(r.states.map((s) => [s.state, s.cases.map((c) => c.id).sort()])),
  counts: Object.fromEntries(r.states.map((s) => [s.state, s.count])),
});

describe("openCasesByClockState", () => {
  it("counts and lists the lead's open cases by their worst running clock (at T0 + 25 h)", async () => {
    const { openCasesByClockState } = await ok(BY_STATE, {}, lead.token);
    expect(summary(openCasesByClockState)).toEqual({
      total: 4,
      ON_TIME: [ids.onTime],
      WARNED: [ids.warned].sort(),
      BREACHED: [ids.breached],
      PAUSED: [ids.paused],
      counts: { ON_TIME: 1, WARNED: 1, BREACHED: 1, PAUSED: 1 },
    });
  });

  it("isolates lines: the other line's lead sees only theirs, and nothing when asking for this line", async () => {
    const mine = (await ok(BY_STATE, {}, otherLead.token)).openCasesByClockState;
    expect(summary(mine)).toMatchObject({ total: 1, BREACHED: [ids.securities], counts: { ON_TIME: 0, WARNED: 0, BREACHED: 1, PAUSED: 0 } });
    const theirs = (await ok(BY_STATE, { l: "CORPORATE_FINANCE" }, otherLead.token)).openCasesByClockState;
    expect(summary(theirs)).toMatchObject({ total: 0, counts: { ON_TIME: 0, WARNED: 0, BREACHED: 0, PAUSED: 0 } });
  });

  it("gives compliance every line, filterable; agents are refused", async () => {
    expect((await ok(BY_STATE, {}, compliance.token)).openCasesByClockState.total).toBe(5);
    expect(summary((await ok(BY_STATE, { l: "CORPORATE_FINANCE" }, compliance.token)).openCasesByClockState).counts).toEqual({ ON_TIME: 1, WARNED: 1, BREACHED: 1, PAUSED: 1 });
    expect(errorCode(await server.gql(BY_STATE, {}, { token: agents[0].token }))).toBe("FORBIDDEN");
  });
});

describe("agentWorkload", () => {
  it("counts open cases per person of the line, with the duty flag; other lines see none of them", async () => {
    await ok(`mutation($s: ID!) { setAgentOnDuty(staffId: $s, onDuty: false) { onDuty } }`, { s: agents[1].id }, lead.token);
    const rows = (await ok(WORKLOAD, {}, lead.token)).agentWorkload as Array<{ staffId: string; role: string; onDuty: boolean; openCases: number; awaitingCustomer: number }>;
    const byId = new Map(rows.map((r) => [r.staffId, r]));
    expect([...byId.keys()].sort()).toEqual([lead.id, ...agents.map((a) => a.id)].sort());
    // Four cases spread over two agents by fewest-open-cases: two each; one of them waits for the customer.
    expect(agents.map((a) => byId.get(a.id)!.openCases)).toEqual([2, 2]);
    expect(agents.reduce((n, a) => n + byId.get(a.id)!.awaitingCustomer, 0)).toBe(1);
    expect(byId.get(lead.id)).toMatchObject({ role: "TEAM_LEAD", openCases: 0 });
    expect(byId.get(agents[0].id)!.onDuty).toBe(true);
    expect(byId.get(agents[1].id)!.onDuty).toBe(false);

    const other = (await ok(WORKLOAD, {}, otherLead.token)).agentWorkload as Array<{ staffId: string }>;
    expect(other.some((r) => byId.has(r.staffId))).toBe(false);
    expect((await ok(WORKLOAD, { l: "CORPORATE_FINANCE" }, otherLead.token)).agentWorkload).toEqual([]);
    expect(errorCode(await server.gql(WORKLOAD, {}, { token: agents[0].token }))).toBe("FORBIDDEN");
  });
});

describe("casesDueWithin", () => {
  it("lists open cases with a running clock due in the window, soonest first (paused and past-due excluded)", async () => {
    const due = async (h: number, token = lead.token) => (await ok(DUE, { h }, token)).casesDueWithin.map((d: { dueAt: string; clockKind: string; case: { id: string } }) => [d.case.id, d.clockKind, d.dueAt]);
    expect(await due(3)).toEqual([]);
    expect(await due(5)).toEqual([[ids.warned, "RESOLUTION", iso(29 * HOUR_MS)]]);
    expect(await due(24)).toEqual([
      [ids.warned, "RESOLUTION", iso(29 * HOUR_MS)],
      [ids.breached, "FIRST_RESPONSE", iso(48 * HOUR_MS)],
    ]);
    expect(await due(30)).toEqual([
      [ids.warned, "RESOLUTION", iso(29 * HOUR_MS)],
      [ids.breached, "FIRST_RESPONSE", iso(48 * HOUR_MS)],
      [ids.onTime, "FIRST_RESPONSE", iso(53 * HOUR_MS)],
    ]);
    expect(await due(30, otherLead.token)).toEqual([[ids.securities, "FIRST_RESPONSE", iso(48 * HOUR_MS)]]);
    expect(errorCode(await server.gql(DUE, { h: 0 }, { token: lead.token }))).toBe("BAD_USER_INPUT");
    expect(errorCode(await server.gql(DUE, { h: 24 }, { token: agents[0].token }))).toBe("FORBIDDEN");
  });
});
