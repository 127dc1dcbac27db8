// The workflow and the service clocks connected, through the API with an injected clock: intake starts
// the clocks, waiting for the customer pauses them, resuming moves the due instants by the paused time,
// the scheduler warns at 75 % and at breach escalates the case itself (status ESCALATED, reason
// CLOCK_BREACH) exactly once; contacts, resolution, closure and reopen stop and restart clocks; a team
// lead extends a regulatory deadline to 30 and 60 days only with reason and approval. All audited.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../../src/clock";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, createCustomer, errorCode } from "./api-helpers";
import { schedulerOf } from "./case-clocks-support";

const T0 = "2026-11-02T09:00:00.000Z";
const at = (offsetMs: number) => new Date(Date.parse(T0) + offsetMs);
const iso = (offsetMs: number) => at(offsetMs).toISOString();

let server: TestServer;
let agent: StaffLogin;
let lead: StaffLogin;
let compliance: StaffLogin;
let customer: string;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "INSURANCE");
  lead = await server.staff("TEAM_LEAD", "INSURANCE");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  customer = (await createCustomer(server, agent.token)).id;
});
afterAll(() => server?.stop());

/** Moves the clock and logs everyone in again (access tokens expire as time passes). */
async function setClock(t: string | Date): Promise<void> {
  server.clock.set(t);
  for (const who of [agent, lead, compliance]) {
    const res = await server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: who.email, p: who.password });
    who.token = res.data!.login.accessToken;
  }
}

async function ok(query: string, variables: Record<string, unknown>, token: string = agent.token) {
  const res = await server.gql(query, variables, { token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

const CLOCKS = `clocks { kind state dueAt warnAt pausedMs elapsedMs durationMs startedAt stoppedAt extensions }`;
type Clock = { kind: string; state: string; dueAt: string | null; warnAt: string | null; pausedMs: number; elapsedMs: number; durationMs: number; startedAt: string; stoppedAt: string | null; extensions: number };

async function open(kind: "SERVICE_REQUEST" | "COMPLAINT", complexity: "COMMON" | "COMPLEX" = "COMMON"): Promise<string> {
  const i = { customerId: customer, channel: "PHONE", kind, category: "claim.status", complexity, businessLine: "INSURANCE", summary: "Claim status unclear" };
  return (await ok(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`, { i })).openCase.id;
}

async function caseNow(id: string, token = lead.token): Promise<{ status: string; clocks: Record<string, Clock> }> {
  const { case: c } = await ok(`query($id: ID!) { case(id: $id) { status ${CLOCKS} } }`, { id }, token);
  return { status: c.status, clocks: Object.fromEntries((c.clocks as Clock[]).map((k) => [k.kind, k])) };
}

const cmd = (name: string, args = "") => `mutation($c: ID!) { ${name}(caseId: $c${args}) { status } }`;

describe("intake → pause → resume → warn → breach → escalation", () => {
  it("runs the whole path on the case's own clocks, escalates once, and leaves it all in the audit log", async () => {
    await setClock(T0);
    const id = await open("SERVICE_REQUEST");
    let c = await caseNow(id);
    expect(c.clocks.FIRST_RESPONSE).toMatchObject({ state: "ON_TIME", dueAt: iso(48 * HOUR_MS), warnAt: iso(36 * HOUR_MS), pausedMs: 0, elapsedMs: 0 });
    expect(c.clocks.RESOLUTION).toMatchObject({ state: "ON_TIME", dueAt: iso(24 * HOUR_MS), warnAt: iso(18 * HOUR_MS) });
    expect(Object.keys(c.clocks).sort()).toEqual(["FIRST_RESPONSE", "RESOLUTION"]);

    await setClock(at(HOUR_MS));
    await ok(cmd("startCaseWork"), { c: id });
    await setClock(at(2 * HOUR_MS));
    await ok(cmd("awaitCustomer", ", reason: DOCUMENTS_REQUESTED"), { c: id });
    await setClock(at(12 * HOUR_MS));
    c = await caseNow(id);
    expect(c.clocks.RESOLUTION).toMatchObject({ state: "PAUSED", dueAt: null, pausedMs: 10 * HOUR_MS, elapsedMs: 2 * HOUR_MS });
    await ok(cmd("resumeCase"), { c: id });
    // 10 h paused: resolution due at T0 + 34 h (warn at T0 + 28 h), first response at T0 + 58 h.
    c = await caseNow(id);
    expect(c.clocks.RESOLUTION).toMatchObject({ state: "ON_TIME", dueAt: iso(34 * HOUR_MS), warnAt: iso(28 * HOUR_MS), pausedMs: 10 * HOUR_MS });
    expect(c.clocks.FIRST_RESPONSE).toMatchObject({ dueAt: iso(58 * HOUR_MS) });

    const { scheduler, notifier } = schedulerOf(server.custos, server.clock);
    const sweep = async (offset: number) => {
      await setClock(at(offset));
      const r = await scheduler.runDueOnce(at(offset));
      expect(r.failed).toBe(0);
      return r.outcomes;
    };
    expect(await sweep(28 * HOUR_MS - 1)).toEqual({});
    expect(await sweep(28 * HOUR_MS)).toEqual({ WARNED: 1 });
    c = await caseNow(id);
    expect(c).toMatchObject({ status: "IN_PROGRESS", clocks: { RESOLUTION: { state: "WARNED" } } });

    expect(await sweep(34 * HOUR_MS)).toEqual({ ESCALATED: 1 });
    c = await caseNow(id);
    expect(c).toMatchObject({ status: "ESCALATED", clocks: { RESOLUTION: { state: "BREACHED", dueAt: iso(34 * HOUR_MS) } } });
    // The first response breaches later: notified, but the case is escalated already (once).
    expect(await sweep(46 * HOUR_MS)).toEqual({ WARNED: 1 }); // 75 % of 48 h, 10 h later for the pause
    expect((await sweep(58 * HOUR_MS)).ESCALATED).toBe(1);
    expect((await caseNow(id)).status).toBe("ESCALATED");
    expect(notifier.delivered.filter((n) => n.caseId === id).map((n) => `${n.kind}:${n.clockKind}`)).toEqual([
      "CLOCK_WARNING:RESOLUTION",
      "CLOCK_BREACH_ESCALATION:RESOLUTION",
      "CLOCK_WARNING:FIRST_RESPONSE",
      "CLOCK_BREACH_ESCALATION:FIRST_RESPONSE",
    ]);

    const { caseTimeline } = await ok(`query($c: ID!) { caseTimeline(caseId: $c) { type actorId details } }`, { c: id }, lead.token);
    const escalation = caseTimeline.filter((e: { type: string; details: Record<string, unknown> }) => e.type === "STATUS_CHANGED" && e.details.command === "escalate");
    expect(escalation).toEqual([{ type: "STATUS_CHANGED", actorId: null, details: { command: "escalate", from: "IN_PROGRESS", to: "ESCALATED", reason: "CLOCK_BREACH", clockKind: "RESOLUTION" } }]);

    const trail = (await auditEvents(server, compliance.token, { resourceId: id })).filter((e) => e.outcome === "SUCCESS" && !e.action.endsWith(".read"));
    expect(trail.map((e) => `${e.action}${e.details.clockKind ? `:${e.details.clockKind}` : ""}`)).toEqual([
      "case.open",
      "case.clock.started:FIRST_RESPONSE",
      "case.clock.started:RESOLUTION",
      "case.assign",
      "case.start",
      "case.await_customer",
      "case.clock.paused:FIRST_RESPONSE",
      "case.clock.paused:RESOLUTION",
      "case.resume",
      "case.clock.resumed:FIRST_RESPONSE",
      "case.clock.resumed:RESOLUTION",
      "case.clock.warn:RESOLUTION",
      "case.clock.breach:RESOLUTION",
      "case.escalate:RESOLUTION",
      "case.clock.warn:FIRST_RESPONSE",
      "case.clock.breach:FIRST_RESPONSE",
    ]);
    const escalate = trail.find((e) => e.action === "case.escalate")!;
    expect(escalate.details).toMatchObject({ from: "IN_PROGRESS", to: "ESCALATED", reason: "CLOCK_BREACH", clockKind: "RESOLUTION" });
    expect(escalate.actorId ?? null).toBeNull();
  });

  it("escalating a case that waits for the customer resumes its clocks", async () => {
    await setClock(T0);
    const id = await open("SERVICE_REQUEST");
    await ok(cmd("startCaseWork"), { c: id });
    await ok(cmd("awaitCustomer", ", reason: CUSTOMER_UNREACHABLE"), { c: id });
    await setClock(at(3 * HOUR_MS));
    await ok(cmd("escalateCase", ", reason: VULNERABLE_CUSTOMER"), { c: id }, lead.token);
    const c = await caseNow(id);
    expect(c.status).toBe("ESCALATED");
    expect(c.clocks.RESOLUTION).toMatchObject({ state: "ON_TIME", pausedMs: 3 * HOUR_MS, dueAt: iso(27 * HOUR_MS) });
  });
});

describe("goals met stop their clocks; closure stops all; a reopen restarts resolution", () => {
  it("stops first response at the reply, callback at the call, resolution at resolve, all at close, then restarts on reopen", async () => {
    await setClock(T0);
    const id = await open("SERVICE_REQUEST", "COMPLEX");
    await setClock(at(5 * HOUR_MS));
    await ok(`mutation($c: ID!, $t: DateTimeISO!) { recordCustomerContact(caseId: $c, input: { kind: CALL, direction: OUTBOUND, outcome: REACHED, occurredAt: $t }) { id } }`, { c: id, t: iso(4 * HOUR_MS) });
    let c = await caseNow(id);
    expect(c.clocks.FIRST_RESPONSE).toMatchObject({ state: "MET", stoppedAt: iso(4 * HOUR_MS) });
    expect(c.clocks.CALLBACK).toMatchObject({ state: "MET", stoppedAt: iso(4 * HOUR_MS) });

    const common = await open("SERVICE_REQUEST");
    await ok(cmd("startCaseWork"), { c: common });
    await setClock(at(6 * HOUR_MS));
    await ok(`mutation($c: ID!) { resolveCase(caseId: $c, resolution: "Explained", details: { outcome: UPHELD, rootCauseCode: "PROCESS_ERROR" }) { status } }`, { c: common });
    c = await caseNow(common);
    expect(c.clocks.RESOLUTION).toMatchObject({ state: "MET", stoppedAt: iso(6 * HOUR_MS) });
    expect(c.clocks.FIRST_RESPONSE.stoppedAt).toBeNull();
    await ok(cmd("closeCase"), { c: common });
    c = await caseNow(common);
    expect(Object.values(c.clocks).every((k) => k.stoppedAt !== null)).toBe(true);
    expect(c.clocks.FIRST_RESPONSE).toMatchObject({ state: "MET", stoppedAt: iso(6 * HOUR_MS) });

    await setClock(at(2 * DAY_MS));
    await ok(cmd("reopenCase", ", reason: CUSTOMER_DISAGREES"), { c: common });
    c = await caseNow(common);
    expect(c.status).toBe("REOPENED");
    expect(c.clocks.RESOLUTION).toMatchObject({ state: "ON_TIME", startedAt: iso(2 * DAY_MS), dueAt: iso(3 * DAY_MS), stoppedAt: null });
    expect(c.clocks.FIRST_RESPONSE.state).toBe("MET");
    const jobs = await server.sql<{ action: string; run_at: Date }>(`SELECT action, run_at FROM clock_job WHERE case_id = $1 AND status = 'PENDING' ORDER BY run_at`, [common]);
    expect(jobs).toEqual([{ action: "WARN", run_at: at(2 * DAY_MS + 18 * HOUR_MS) }, { action: "BREACH", run_at: at(3 * DAY_MS) }]);
  });
});

describe("regulatory deadline extensions (extendRegulatoryDeadline)", () => {
  const EXTEND = `mutation($c: ID!, $i: RegulatoryExtensionInput!) { extendRegulatoryDeadline(caseId: $c, input: $i) { id ${CLOCKS} } }`;
  it("needs a team lead, a reason for 30 days and head-office approval for 60; each refusal is coded and audited", async () => {
    await setClock(T0);
    const id = await open("COMPLAINT");
    await setClock(at(10 * DAY_MS));
    const informed = iso(10 * DAY_MS - HOUR_MS);
    const extend = (i: Record<string, unknown>, token = lead.token) => server.gql(EXTEND, { c: id, i: { customerInformedAt: informed, ...i } }, { token });

    expect(errorCode(await extend({ toDays: 30, reason: "THIRD_PARTY_EVIDENCE" }, agent.token))).toBe("FORBIDDEN");
    let res = await extend({ toDays: 30, reason: "" });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", rule: "EXTENSION_REASON_REQUIRED" });
    res = await extend({ toDays: 30, reason: "THIRD_PARTY_EVIDENCE", customerInformedAt: iso(11 * DAY_MS) });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", rule: "CUSTOMER_NOT_INFORMED" });
    res = await extend({ toDays: 45, reason: "THIRD_PARTY_EVIDENCE" }); // refused before any unit of work
    expect(errorCode(res)).toBe("BAD_USER_INPUT");

    const thirty = (await ok(EXTEND, { c: id, i: { toDays: 30, reason: "THIRD_PARTY_EVIDENCE", customerInformedAt: informed } }, lead.token)).extendRegulatoryDeadline;
    expect(thirty.clocks.find((k: Clock) => k.kind === "REGULATORY_DECISION")).toMatchObject({ state: "ON_TIME", dueAt: iso(30 * DAY_MS), durationMs: 30 * DAY_MS, extensions: 1 });

    res = await extend({ toDays: 60, reason: "COMPLEX_INVESTIGATION" });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", rule: "HEAD_OFFICE_APPROVAL_REQUIRED" });
    const sixty = (await ok(EXTEND, { c: id, i: { toDays: 60, reason: "COMPLEX_INVESTIGATION", approverRef: "HO-2026-0117", customerInformedAt: informed } }, lead.token))
      .extendRegulatoryDeadline;
    expect(sixty.clocks.find((k: Clock) => k.kind === "REGULATORY_DECISION")).toMatchObject({ dueAt: iso(60 * DAY_MS), durationMs: 60 * DAY_MS, extensions: 2 });

    const { caseTimeline } = await ok(`query($c: ID!) { caseTimeline(caseId: $c) { type details } }`, { c: id }, lead.token);
    expect(caseTimeline.filter((e: { type: string }) => e.type === "DEADLINE_EXTENDED").map((e: { details: Record<string, unknown> }) => e.details)).toEqual([
      { clockKind: "REGULATORY_DECISION", toDays: 30, reason: "THIRD_PARTY_EVIDENCE", approverRef: null },
      { clockKind: "REGULATORY_DECISION", toDays: 60, reason: "COMPLEX_INVESTIGATION", approverRef: "HO-2026-0117" },
    ]);
    const audited = (await auditEvents(server, compliance.token, { resourceId: id })).filter((e) => e.action === "case.clock.extended");
    expect(audited.map((e) => [e.outcome, e.details.code ?? e.details.approverRef ?? null])).toEqual([
      ["DENIED", null],
      ["FAILURE", "BAD_USER_INPUT"],
      ["FAILURE", "BAD_USER_INPUT"],
      ["SUCCESS", null],
      ["FAILURE", "BAD_USER_INPUT"],
      ["SUCCESS", "HO-2026-0117"],
    ]);
  });
});
