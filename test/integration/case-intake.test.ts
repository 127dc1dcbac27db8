// Intake and ownership through the API: idempotency keys (retries, concurrent retries, a reused key),
// reference numbers, assignment rules with skills and the duty roster, recusal, the unassigned queue
// and reassignment by team leads — each write checked in the audit log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, createCustomer, errorCode } from "./api-helpers";

const OPEN = `mutation($i: OpenCaseInput!) { openCase(input: $i) { id reference status assigneeId teamId recusedStaffIds summary } }`;
const REASSIGN = `mutation($c: ID!, $a: ID!, $r: ReassignmentReason!) { reassignCase(caseId: $c, assigneeId: $a, reason: $r) { status assigneeId } }`;
const DUTY = `mutation($s: ID!, $d: Boolean!) { setAgentOnDuty(staffId: $s, onDuty: $d) { onDuty } }`;

let server: TestServer;
let compliance: StaffLogin;
beforeAll(async () => {
  server = await createTestServer();
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

function intake(customerId: string, over: Record<string, unknown> = {}) {
  return { customerId, channel: "APP", kind: "COMPLAINT", category: "card.dispute", complexity: "COMMON", businessLine: "CORPORATE_FINANCE", summary: "Charged twice for one invoice payment", ...over };
}

describe("idempotent intake", () => {
  let lead: StaffLogin;
  let customer: string;
  beforeAll(async () => {
    lead = await server.staff("TEAM_LEAD", "CORPORATE_FINANCE");
    await server.staff("AGENT", "CORPORATE_FINANCE");
    customer = (await createCustomer(server, lead.token)).id;
  });

  it("returns the first case for a retried intake with the same key, and records the retry", async () => {
    const i = intake(customer, { idempotencyKey: "retry-key-0001" });
    const first = await server.gql(OPEN, { i }, { token: lead.token });
    const again = await server.gql(OPEN, { i }, { token: lead.token });
    expect(first.errors).toBeUndefined();
    expect(again.errors).toBeUndefined();
    expect(again.data!.openCase).toEqual(first.data!.openCase);
    expect(first.data!.openCase.reference).toMatch(/^CS-2026-\d{6}$/);
    const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM support_case WHERE idempotency_key = 'retry-key-0001'`);
    expect(n).toBe(1);
    const replays = await auditEvents(server, compliance.token, { action: "case.open.replay", resourceId: first.data!.openCase.id });
    expect(replays).toHaveLength(1);
  });

  it("creates exactly one case when retries of one key race", async () => {
    const i = intake(customer, { idempotencyKey: "race-key-000001", channel: "ONLINE_CHAT" });
    const results = await Promise.all(Array.from({ length: 6 }, () => server.gql(OPEN, { i }, { token: lead.token })));
    expect(results.map((r) => r.errors)).toEqual(Array(6).fill(undefined));
    expect(new Set(results.map((r) => r.data!.openCase.id)).size).toBe(1);
    const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM support_case WHERE idempotency_key = 'race-key-000001'`);
    expect(n).toBe(1);
  });

  it("refuses a reused key with a different payload (CONFLICT, IDEMPOTENCY_KEY_REUSED) and audits the failure", async () => {
    await server.gql(OPEN, { i: intake(customer, { idempotencyKey: "reused-key-0001" }) }, { token: lead.token });
    const res = await server.gql(OPEN, { i: intake(customer, { idempotencyKey: "reused-key-0001", summary: "A different complaint" }) }, { token: lead.token });
    expect(errorCode(res)).toBe("CONFLICT");
    expect(res.errors![0].extensions!.rule).toBe("IDEMPOTENCY_KEY_REUSED");
    const failures = (await auditEvents(server, compliance.token, { action: "case.open", actorId: lead.id })).filter((e) => e.outcome === "FAILURE");
    expect(failures.at(-1)!.details).toMatchObject({ code: "CONFLICT" });
  });

  it("scopes keys to the caller: another caller's same key opens its own case", async () => {
    const other = await server.staff("TEAM_LEAD", "CORPORATE_FINANCE");
    const i = intake(customer, { idempotencyKey: "shared-key-0001" });
    const a = await server.gql(OPEN, { i }, { token: lead.token });
    const b = await server.gql(OPEN, { i }, { token: other.token });
    expect(a.data!.openCase.id).not.toBe(b.data!.openCase.id);
  });

  it("takes every channel and gives unique, increasing references", async () => {
    const refs: string[] = [];
    for (const channel of ["PHONE", "EMAIL", "ONLINE_CHAT", "BRANCH", "APP", "REGULATOR_REFERRAL"]) {
      const res = await server.gql(OPEN, { i: intake(customer, { channel }) }, { token: lead.token });
      expect(res.errors).toBeUndefined();
      refs.push(res.data!.openCase.reference);
    }
    expect(new Set(refs).size).toBe(6);
    expect([...refs].sort()).toEqual(refs);
  });

  it("refuses a malformed key with BAD_USER_INPUT", async () => {
    const res = await server.gql(OPEN, { i: intake(customer, { idempotencyKey: "short" }) }, { token: lead.token });
    expect(errorCode(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].extensions!.field).toBe("idempotencyKey");
  });
});

describe("assignment rules, skills, duty and recusal", () => {
  // INSURANCE: the migration routes policy.misselling to agents with the "misselling" skill.
  let lead: StaffLogin;
  let a: StaffLogin;
  let b: StaffLogin;
  let customer: string;
  beforeAll(async () => {
    lead = await server.staff("TEAM_LEAD", "INSURANCE");
    a = await server.staff("AGENT", "INSURANCE");
    b = await server.staff("AGENT", "INSURANCE");
    customer = (await createCustomer(server, lead.token)).id;
  });
  const open = async (over: Record<string, unknown> = {}) => {
    const res = await server.gql(OPEN, { i: intake(customer, { businessLine: "INSURANCE", category: "claim.delay", ...over }) }, { token: lead.token });
    expect(res.errors).toBeUndefined();
    return res.data!.openCase;
  };

  it("queues a case no agent has the skill for (NEW, unassigned) and the lead assigns it", async () => {
    const queued = await open({ category: "policy.misselling" });
    expect(queued).toMatchObject({ status: "NEW", assigneeId: null });
    const [event] = await server.sql<{ data: Record<string, unknown> }>(`SELECT data FROM case_event WHERE case_id = $1 AND type = 'QUEUED'`, [queued.id]);
    expect(event.data).toMatchObject({ reason: "NO_ELIGIBLE_AGENT", skill: "misselling" });

    const assigned = await server.gql(REASSIGN, { c: queued.id, a: a.id, r: "SKILL" }, { token: lead.token });
    expect(assigned.data!.reassignCase).toEqual({ status: "ASSIGNED", assigneeId: a.id });
    const audited = await auditEvents(server, compliance.token, { action: "case.reassign", resourceId: queued.id });
    expect(audited).toEqual([expect.objectContaining({ outcome: "SUCCESS", actorId: lead.id, details: expect.objectContaining({ assigneeId: a.id, reason: "SKILL" }) })]);
  });

  it("routes a skilled category to the agent with the skill even when another has fewer cases", async () => {
    await server.sql(`INSERT INTO staff_skill (staff_id, skill) VALUES ($1, 'misselling')`, [b.id]);
    for (let i = 0; i < 3; i++) await open(); // spread over a and b
    const skilled = await open({ category: "policy.misselling" });
    expect(skilled.assigneeId).toBe(b.id);
  });

  it("never assigns an agent who is off duty", async () => {
    const off = await server.gql(DUTY, { s: a.id, d: false }, { token: lead.token });
    expect(off.data!.setAgentOnDuty.onDuty).toBe(false);
    const opened = await Promise.all([open(), open(), open()]);
    expect(opened.map((c) => c.assigneeId)).toEqual([b.id, b.id, b.id]);
    await server.gql(DUTY, { s: a.id, d: true }, { token: a.token });
    const audited = await auditEvents(server, compliance.token, { action: "staff.duty", resourceId: a.id });
    expect(audited.map((e) => [e.actorId, e.details.onDuty])).toEqual([[lead.id, false], [a.id, true]]);
  });

  it("never assigns a person named in the complaint, records the recusal and refuses their writes", async () => {
    // b has the fewer open cases now (a was off duty); naming b sends the case to a.
    const [{ pick }] = await server.sql<{ pick: string }>(
      `SELECT assignee_id AS pick FROM support_case WHERE assignee_id = ANY($1) AND status NOT IN ('RESOLVED','CLOSED') GROUP BY assignee_id ORDER BY count(*), assignee_id LIMIT 1`,
      [[a.id, b.id]],
    );
    const named = pick;
    const other = named === a.id ? b.id : a.id;
    const opened = await open({ involvedStaffIds: [named] });
    expect(opened.assigneeId).toBe(other);
    expect(opened.recusedStaffIds).toEqual([named]);
    const recusal = await auditEvents(server, compliance.token, { action: "case.recusal", resourceId: opened.id });
    expect(recusal[0].details).toEqual({ staffIds: named });

    const toNamed = await server.gql(REASSIGN, { c: opened.id, a: named, r: "WORKLOAD" }, { token: lead.token });
    expect(errorCode(toNamed)).toBe("CONFLICT");
    expect(toNamed.errors![0].extensions!.rule).toBe("RECUSED");
    const namedToken = named === a.id ? a.token : b.token;
    const note = await server.gql(`mutation($c: ID!) { addCaseNote(caseId: $c, body: "looking into it") { id } }`, { c: opened.id }, { token: namedToken });
    expect(errorCode(note)).toBe("FORBIDDEN");
  });

  it("queues the case when every eligible agent is named", async () => {
    const opened = await open({ involvedStaffIds: [a.id, b.id] });
    expect(opened).toMatchObject({ status: "NEW", assigneeId: null });
  });

  it("lets only team leads reassign, with FORBIDDEN for the agent, audited as DENIED", async () => {
    const opened = await open();
    const res = await server.gql(REASSIGN, { c: opened.id, a: opened.assigneeId === a.id ? b.id : a.id, r: "WORKLOAD" }, { token: a.token });
    expect(errorCode(res)).toBe("FORBIDDEN");
    const denied = await auditEvents(server, compliance.token, { action: "case.reassign", actorId: a.id });
    expect(denied.map((e) => e.outcome)).toEqual(["DENIED"]);
  });

  it("refuses an agent putting someone else off duty", async () => {
    const res = await server.gql(DUTY, { s: b.id, d: false }, { token: a.token });
    expect(errorCode(res)).toBe("FORBIDDEN");
  });
});
