// Cases through the API: intake clocks and assignment, line scoping, notes, resolution, and what each
// role sees of a case's narrative.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BusinessLine } from "../../src/domain/enums";
import { createTestServer, type GraphQLResponse, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, createCustomer, errorCode, type Connection } from "./api-helpers";

const CASE_FIELDS = `id reference customerId businessLine status assigneeId kind complexity category
  receivedAt firstResponseDueAt resolutionDueAt callbackDueAt regulatoryDueAt resolvedAt summary`;
const OPEN = `mutation OpenCase($i: OpenCaseInput!) { openCase(input: $i) { ${CASE_FIELDS} } }`;
const READ = `query ReadCase($id: ID!) { case(id: $id) { ${CASE_FIELDS} } }`;
const COUNT = `query { cases(first: 1) { totalCount } }`;
const T0 = "2026-11-02T09:00:00.000Z"; // the ManualClock's start; nothing in this file moves it

let server: TestServer;
let agent: StaffLogin; // PERSONAL_BANKING
let cfAgent: StaffLogin; // CORPORATE_FINANCE
let compliance: StaffLogin;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  cfAgent = await server.staff("AGENT", "CORPORATE_FINANCE");
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

interface CaseOptions {
  kind?: "INQUIRY" | "SERVICE_REQUEST" | "COMPLAINT";
  complexity?: "COMMON" | "COMPLEX";
  businessLine?: BusinessLine;
  summary?: string;
}

function caseInput(customerId: string, businessLine: BusinessLine, o: CaseOptions = {}) {
  return {
    customerId,
    channel: "PHONE",
    kind: o.kind ?? "SERVICE_REQUEST",
    category: "card.replacement",
    complexity: o.complexity ?? "COMMON",
    businessLine: o.businessLine ?? businessLine,
    summary: o.summary ?? "Customer reports a lost debit card and asks for a replacement",
  };
}

/** Opens a case as `who` for a new customer of their line, failing the test if that does not work. */
async function openCase(who: StaffLogin, o: CaseOptions = {}, customerId?: string) {
  const customer = customerId ?? (await createCustomer(server, who.token)).id;
  const res = await server.gql(OPEN, { i: caseInput(customer, who.businessLine!, o) }, { token: who.token });
  expect(res.errors).toBeUndefined();
  return res.data!.openCase;
}

async function totalCases(token: string): Promise<number> {
  const res = await server.gql(COUNT, {}, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.cases.totalCount;
}

describe("intake", () => {
  it("assigns a new case at once to an agent of its line and starts the first-response clock", async () => {
    const opened = await openCase(agent);
    expect(opened.status).toBe("ASSIGNED");
    expect(opened.businessLine).toBe("PERSONAL_BANKING");
    expect(opened.reference).toMatch(/^CS-2026-\d{6}$/);
    expect(opened.receivedAt).toBe(T0);
    expect(opened.firstResponseDueAt).toBe("2026-11-04T09:00:00.000Z");
    const [assignee] = await server.sql<{ role: string; business_line: string; active: boolean }>(
      `SELECT role, business_line, active FROM staff_user WHERE id = $1`,
      [opened.assigneeId],
    );
    expect(assignee).toEqual({ role: "AGENT", business_line: "PERSONAL_BANKING", active: true });
  });

  it.each([
    ["a COMMON service request", { kind: "SERVICE_REQUEST", complexity: "COMMON" }, { resolutionDueAt: "2026-11-03T09:00:00.000Z", callbackDueAt: null, regulatoryDueAt: null }],
    ["a COMPLEX service request", { kind: "SERVICE_REQUEST", complexity: "COMPLEX" }, { resolutionDueAt: null, callbackDueAt: "2026-11-05T09:00:00.000Z", regulatoryDueAt: null }],
    ["a COMMON complaint", { kind: "COMPLAINT", complexity: "COMMON" }, { resolutionDueAt: "2026-11-03T09:00:00.000Z", callbackDueAt: null, regulatoryDueAt: "2026-11-17T09:00:00.000Z" }],
    ["a COMPLEX complaint", { kind: "COMPLAINT", complexity: "COMPLEX" }, { resolutionDueAt: null, callbackDueAt: "2026-11-05T09:00:00.000Z", regulatoryDueAt: "2026-11-17T09:00:00.000Z" }],
  ] as const)("gives %s its deadlines", async (_what, options, due) => {
    const opened = await openCase(agent, options);
    expect(opened).toMatchObject({ receivedAt: T0, firstResponseDueAt: "2026-11-04T09:00:00.000Z", ...due });
  });

  it("assigns each case to the agent of the line with the fewest open cases", async () => {
    const a = await server.staff("AGENT", "SECURITIES");
    const b = await server.staff("AGENT", "SECURITIES");
    const customer = (await createCustomer(server, a.token)).id;
    const first = await openCase(a, {}, customer);
    const second = await openCase(a, {}, customer);
    const third = await openCase(a, {}, customer);
    expect([a.id, b.id]).toContain(first.assigneeId);
    expect(second.assigneeId).not.toBe(first.assigneeId); // 1/0 → the one with none
    expect([a.id, b.id]).toContain(second.assigneeId);
    expect([a.id, b.id]).toContain(third.assigneeId);

    const rows = await server.sql<{ assignee_id: string; n: number }>(
      `SELECT assignee_id, count(*)::int AS n FROM support_case WHERE business_line = 'SECURITIES' GROUP BY assignee_id ORDER BY n`,
    );
    expect(rows.map((r) => r.n)).toEqual([1, 2]);
    expect(rows.map((r) => r.assignee_id).sort()).toEqual([a.id, b.id].sort());
  });

  it("spreads simultaneous intakes evenly over the line's agents", async () => {
    const a = await server.staff("AGENT", "INSURANCE");
    const b = await server.staff("AGENT", "INSURANCE");
    const customer = (await createCustomer(server, a.token)).id;
    const opened = await Promise.all([a, b, a, b, a, b].map((who) => openCase(who, {}, customer)));
    const counts = new Map<string, number>();
    for (const c of opened) counts.set(c.assigneeId, (counts.get(c.assigneeId) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ [a.id]: 3, [b.id]: 3 });
  });

  it("refuses to open a case in another line with FORBIDDEN and audits it DENIED", async () => {
    const opener = await server.staff("AGENT", "PERSONAL_BANKING");
    const customer = (await createCustomer(server, opener.token)).id;
    const res = await server.gql(OPEN, { i: caseInput(customer, "CORPORATE_FINANCE") }, { token: opener.token });
    expect(errorCode(res)).toBe("FORBIDDEN");
    expect(res.data).toBeNull();
    const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM support_case WHERE customer_id = $1`, [customer]);
    expect(n).toBe(0);

    const events = await auditEvents(server, compliance.token, { actorId: opener.id, action: "case.open" });
    expect(events).toEqual([expect.objectContaining({ outcome: "DENIED", actorRole: "AGENT", resourceType: "case" })]);
    expect(events[0].details).toMatchObject({ businessLine: "CORPORATE_FINANCE" });
  });

  it("refuses every case write to a compliance officer with FORBIDDEN", async () => {
    const officer = await server.staff("COMPLIANCE_OFFICER");
    const opened = await openCase(agent);
    const open = await server.gql(OPEN, { i: caseInput(opened.customerId, "PERSONAL_BANKING") }, { token: officer.token });
    expect(errorCode(open)).toBe("FORBIDDEN");
    const note = await server.gql(`mutation($c: ID!) { addCaseNote(caseId: $c, body: "x") { id } }`, { c: opened.id }, { token: officer.token });
    expect(errorCode(note)).toBe("FORBIDDEN");
    const resolve = await server.gql(`mutation($c: ID!) { resolveCase(caseId: $c, resolution: "x") { id } }`, { c: opened.id }, { token: officer.token });
    expect(errorCode(resolve)).toBe("FORBIDDEN");
    const read = await server.gql(READ, { id: opened.id }, { token: officer.token });
    expect(read.data!.case).toMatchObject({ status: "ASSIGNED", resolvedAt: null });
  });
});

describe("line scoping", () => {
  it("counts for an agent only the cases of their line, and for compliance all of them", async () => {
    const before = { pb: await totalCases(agent.token), cf: await totalCases(cfAgent.token), all: await totalCases(compliance.token) };
    await openCase(agent);
    await openCase(agent);
    await openCase(cfAgent);
    const after = { pb: await totalCases(agent.token), cf: await totalCases(cfAgent.token), all: await totalCases(compliance.token) };
    expect(after).toEqual({ pb: before.pb + 2, cf: before.cf + 1, all: before.all + 3 });

    const perLine = await server.sql<{ business_line: string; n: number }>(
      `SELECT business_line, count(*)::int AS n FROM support_case GROUP BY business_line`,
    );
    const byLine = Object.fromEntries(perLine.map((r) => [r.business_line, r.n]));
    expect(after.pb).toBe(byLine.PERSONAL_BANKING);
    expect(after.cf).toBe(byLine.CORPORATE_FINANCE);
    expect(after.all).toBe(perLine.reduce((sum, r) => sum + r.n, 0));
  });

  it("pages an agent's cases without showing another line's", async () => {
    const seen: Array<{ id: string; businessLine: string }> = [];
    let after: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const res: GraphQLResponse<{ cases: Connection<{ id: string; businessLine: string }> }> = await server.gql(
        `query($after: String) { cases(first: 3, after: $after) { totalCount edges { node { id businessLine } } pageInfo { hasNextPage endCursor } } }`,
        { after },
        { token: cfAgent.token },
      );
      expect(res.errors).toBeUndefined();
      seen.push(...res.data!.cases.edges.map((e) => e.node));
      if (!res.data!.cases.pageInfo.hasNextPage) break;
      after = res.data!.cases.pageInfo.endCursor;
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((c) => c.id)).size).toBe(seen.length);
    expect(seen.every((c) => c.businessLine === "CORPORATE_FINANCE")).toBe(true);
    expect(seen.length).toBe(await totalCases(cfAgent.token));
  });

  it("answers NOT_FOUND for a case of another line, as for a missing one", async () => {
    const opened = await openCase(cfAgent);
    const other = await server.gql(READ, { id: opened.id }, { token: agent.token });
    expect(errorCode(other)).toBe("NOT_FOUND");
    expect(other.data).toBeNull();
    const missing = await server.gql(READ, { id: "00000000-0000-4000-8000-000000000000" }, { token: agent.token });
    expect(errorCode(missing)).toBe("NOT_FOUND");

    const note = await server.gql(`mutation($c: ID!) { addCaseNote(caseId: $c, body: "x") { id } }`, { c: opened.id }, { token: agent.token });
    expect(errorCode(note)).toBe("NOT_FOUND");
    const resolve = await server.gql(`mutation($c: ID!) { resolveCase(caseId: $c, resolution: "x") { id } }`, { c: opened.id }, { token: agent.token });
    expect(errorCode(resolve)).toBe("NOT_FOUND");

    const events = await auditEvents(server, compliance.token, { resourceId: opened.id, actorId: agent.id });
    expect(events.map((e) => [e.action, e.outcome])).toEqual([
      ["case.read", "DENIED"],
      ["case.note.add", "DENIED"],
      ["case.resolve", "DENIED"],
    ]);
    const [{ status }] = await server.sql<{ status: string }>(`SELECT status FROM support_case WHERE id = $1`, [opened.id]);
    expect(status).toBe("ASSIGNED");
  });
});

describe("working a case", () => {
  // Several PERSONAL_BANKING agents exist by now, so a case may go to any of them: the team lead, who
  // may work every case of the line, does the work here; agents' limits are tested below.
  it("adds a note that the case then shows", async () => {
    const lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
    const opened = await openCase(agent);
    const added = await server.gql(
      `mutation($c: ID!, $b: String!) { addCaseNote(caseId: $c, body: $b) { id authorId body } }`,
      { c: opened.id, b: "Called the customer back; card blocked" },
      { token: lead.token },
    );
    expect(added.errors).toBeUndefined();
    expect(added.data!.addCaseNote).toMatchObject({ authorId: lead.id, body: "Called the customer back; card blocked" });

    const read = await server.gql(`query($id: ID!) { case(id: $id) { notes { id authorId body } } }`, { id: opened.id }, { token: agent.token });
    expect(read.errors).toBeUndefined();
    expect(read.data!.case.notes).toEqual([{ id: added.data!.addCaseNote.id, authorId: lead.id, body: "Called the customer back; card blocked" }]);
  });

  it("lets an agent work only the cases assigned to them", async () => {
    const a = await server.staff("AGENT", "CORPORATE_FINANCE");
    const b = await server.staff("AGENT", "CORPORATE_FINANCE");
    const byId = new Map([a, b, cfAgent].map((s) => [s.id, s]));
    const opened = await openCase(a);
    const owner = byId.get(opened.assigneeId)!;
    const other = [a, b, cfAgent].find((s) => s.id !== owner.id)!;
    const note = `mutation($c: ID!) { addCaseNote(caseId: $c, body: "checked") { id } }`;
    const refused = await server.gql(note, { c: opened.id }, { token: other.token });
    expect(errorCode(refused)).toBe("FORBIDDEN");
    const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM case_note WHERE case_id = $1`, [opened.id]);
    expect(n).toBe(0);
    const [{ outcome }] = await server.sql<{ outcome: string }>(
      `SELECT outcome FROM audit_event WHERE action = 'case.note.add' AND resource_id = $1 AND actor_id = $2`,
      [opened.id, other.id],
    );
    expect(outcome).toBe("DENIED");
    expect((await server.gql(note, { c: opened.id }, { token: owner.token })).errors).toBeUndefined();
  });

  it("resolves a case once; resolving it again is a CONFLICT", async () => {
    const lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
    const opened = await openCase(agent);
    const resolve = `mutation($c: ID!, $r: String!) { resolveCase(caseId: $c, resolution: $r) { id status resolvedAt } }`;
    const first = await server.gql(resolve, { c: opened.id, r: "Replacement card sent" }, { token: lead.token });
    expect(first.errors).toBeUndefined();
    expect(first.data!.resolveCase).toEqual({ id: opened.id, status: "RESOLVED", resolvedAt: T0 });

    const again = await server.gql(resolve, { c: opened.id, r: "Sent again" }, { token: lead.token });
    expect(errorCode(again)).toBe("CONFLICT");
    const read = await server.gql(READ, { id: opened.id }, { token: agent.token });
    expect(read.data!.case.status).toBe("RESOLVED");
  });

  it("shows the summary to the agent and null to a security analyst", async () => {
    const analyst = await server.staff("SECURITY_ANALYST");
    const opened = await openCase(agent, { summary: "Disputed charge at a petrol station" });
    const asAgent = await server.gql(READ, { id: opened.id }, { token: agent.token });
    expect(asAgent.data!.case.summary).toBe("Disputed charge at a petrol station");

    const asAnalyst = await server.gql(`query($id: ID!) { case(id: $id) { id status summary notes { body } } }`, { id: opened.id }, { token: analyst.token });
    expect(asAnalyst.errors).toBeUndefined();
    expect(asAnalyst.data!.case).toEqual({ id: opened.id, status: "ASSIGNED", summary: null, notes: null });
  });

  it("resolves the case's customer for the agent", async () => {
    const { id: customerId, input } = await createCustomer(server, agent.token);
    const opened = await openCase(agent, {}, customerId);
    const res = await server.gql(`query($id: ID!) { case(id: $id) { id customer { id fullName } } }`, { id: opened.id }, { token: agent.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.case).toEqual({ id: opened.id, customer: { id: customerId, fullName: input.fullName } });
  });
});
