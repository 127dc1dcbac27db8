// The workflow through the API: transitions and coded refusals, escalation by leads, the timeline
// (notes, contacts, attachments) in order, resolution and closure rules, reopening inside and outside
// the window (ManualClock), and the once-per-case encrypted survey — every step in the audit log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/clock";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, createCustomer, errorCode } from "./api-helpers";

let server: TestServer;
let agent: StaffLogin;
let lead: StaffLogin;
let compliance: StaffLogin;
let security: StaffLogin;
let customer: string;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "SECURITIES");
  lead = await server.staff("TEAM_LEAD", "SECURITIES");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  security = await server.staff("SECURITY_ANALYST");
  customer = (await createCustomer(server, agent.token)).id;
});
afterAll(() => server?.stop());

async function ok(query: string, variables: Record<string, unknown>, token: string = agent.token) {
  const res = await server.gql(query, variables, { token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

async function open(kind = "COMPLAINT"): Promise<string> {
  const i = { customerId: customer, channel: "PHONE", kind, category: "order.execution", complexity: "COMMON", businessLine: "SECURITIES", summary: "Order executed at the wrong price" };
  const { openCase } = await ok(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id status assigneeId } }`, { i });
  expect(openCase).toMatchObject({ status: "ASSIGNED", assigneeId: agent.id });
  return openCase.id;
}

/** Moves the clock; access tokens live 15 minutes, so everyone logs in again. */
async function advance(ms: number): Promise<void> {
  server.clock.advance(ms);
  for (const who of [agent, lead, compliance, security]) {
    const res = await server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: who.email, p: who.password });
    who.token = res.data!.login.accessToken;
  }
}

const cmd = (name: string, args = "") => `mutation($c: ID!) { ${name}(caseId: $c${args}) { status } }`;
const START = cmd("startCaseWork");
const AWAIT = cmd("awaitCustomer", ", reason: DOCUMENTS_REQUESTED");
const RESUME = cmd("resumeCase");
const ESCALATE = cmd("escalateCase", ", reason: REGULATORY_RISK");
const DEESCALATE = cmd("deescalateCase");
const CLOSE = cmd("closeCase");
const REOPEN = `mutation($c: ID!) { reopenCase(caseId: $c, reason: CUSTOMER_DISAGREES) { id status linkedCaseId reference assigneeId } }`;
const RESOLVE = `mutation($c: ID!, $d: CaseResolutionInput) { resolveCase(caseId: $c, resolution: "Price corrected and difference refunded", details: $d) { status resolutionOutcome rootCauseCode redressAmount redressCurrency } }`;
const RECORD = `mutation($c: ID!, $i: CaseResolutionInput!) { recordCaseResolution(caseId: $c, input: $i) { customerAccepted finalResponseSentAt } }`;
const SURVEY = `mutation($c: ID!, $s: Int!, $t: String) { recordSatisfactionSurvey(caseId: $c, score: $s, comment: $t) { score comment } }`;
const FULL = { outcome: "PARTLY_UPHELD", rootCauseCode: "SYSTEM_ERROR", redressAmount: "120.50", redressCurrency: "cny" };

async function resolvedCase(): Promise<string> {
  const id = await open();
  await ok(START, { c: id });
  await ok(RESOLVE, { c: id, d: { ...FULL, finalResponseSentAt: server.clock.now().toISOString() } });
  return id;
}

describe("transitions", () => {
  it("walks NEW→ASSIGNED→IN_PROGRESS⇄AWAITING_CUSTOMER→ESCALATED→IN_PROGRESS→RESOLVED→CLOSED, each audited with from/to", async () => {
    const id = await open();
    expect((await ok(START, { c: id })).startCaseWork.status).toBe("IN_PROGRESS");
    expect((await ok(AWAIT, { c: id })).awaitCustomer.status).toBe("AWAITING_CUSTOMER");
    expect((await ok(RESUME, { c: id })).resumeCase.status).toBe("IN_PROGRESS");
    expect((await ok(ESCALATE, { c: id }, lead.token)).escalateCase.status).toBe("ESCALATED");
    expect((await ok(DEESCALATE, { c: id }, lead.token)).deescalateCase.status).toBe("IN_PROGRESS");
    expect((await ok(RESOLVE, { c: id, d: { ...FULL, finalResponseSentAt: server.clock.now().toISOString() } })).resolveCase).toEqual({
      status: "RESOLVED", resolutionOutcome: "PARTLY_UPHELD", rootCauseCode: "SYSTEM_ERROR", redressAmount: "120.50", redressCurrency: "CNY",
    });
    expect((await ok(CLOSE, { c: id })).closeCase.status).toBe("CLOSED");

    const trail = (await auditEvents(server, compliance.token, { resourceId: id })).filter((e) => e.outcome === "SUCCESS" && e.action !== "case.read");
    // Each transition's clock events are audited with it, in the same unit of work.
    const clock = (action: string, kind: string) => [`case.clock.${action}`, kind, null];
    const all3 = (action: string) => ["FIRST_RESPONSE", "RESOLUTION", "REGULATORY_DECISION"].map((k) => clock(action, k));
    expect(trail.map((e) => [e.action, e.details.from ?? e.details.clockKind ?? null, e.details.to ?? null])).toEqual([
      ["case.open", null, null],
      ...all3("started"),
      ["case.assign", null, null],
      ["case.start", "ASSIGNED", "IN_PROGRESS"],
      ["case.await_customer", "IN_PROGRESS", "AWAITING_CUSTOMER"],
      ...all3("paused"),
      ["case.resume", "AWAITING_CUSTOMER", "IN_PROGRESS"],
      ...all3("resumed"),
      ["case.escalate", "IN_PROGRESS", "ESCALATED"],
      ["case.deescalate", "ESCALATED", "IN_PROGRESS"],
      ["case.resolve", "IN_PROGRESS", "RESOLVED"],
      clock("stopped", "RESOLUTION"),
      clock("stopped", "REGULATORY_DECISION"),
      ["case.close", "RESOLVED", "CLOSED"],
      clock("stopped", "FIRST_RESPONSE"),
    ]);
    expect(trail.find((e) => e.action === "case.await_customer")!.details.reason).toBe("DOCUMENTS_REQUESTED");
  });

  it.each([
    ["resume an ASSIGNED case", RESUME, "ASSIGNED"],
    ["await the customer on an ASSIGNED case", AWAIT, "ASSIGNED"],
    ["close an ASSIGNED case", CLOSE, "ASSIGNED"],
    ["start an IN_PROGRESS case", START, "IN_PROGRESS"],
  ])("refuses to %s with CONFLICT / INVALID_TRANSITION, unchanged and audited", async (_what, query, from) => {
    const id = await open();
    if (from === "IN_PROGRESS") await ok(START, { c: id });
    const res = await server.gql(query, { c: id }, { token: agent.token });
    expect(errorCode(res)).toBe("CONFLICT");
    expect(res.errors![0].extensions).toMatchObject({ rule: "INVALID_TRANSITION", from });
    const [row] = await server.sql<{ status: string }>(`SELECT status FROM support_case WHERE id = $1`, [id]);
    expect(row.status).toBe(from);
    const failures = (await auditEvents(server, compliance.token, { resourceId: id })).filter((e) => e.outcome === "FAILURE");
    expect(failures).toHaveLength(1);
    expect(failures[0].details).toMatchObject({ code: "CONFLICT" });
  });

  it("leaves escalation to team leads: FORBIDDEN for the agent, audited DENIED", async () => {
    const id = await open();
    const res = await server.gql(ESCALATE, { c: id }, { token: agent.token });
    expect(errorCode(res)).toBe("FORBIDDEN");
    expect((await auditEvents(server, compliance.token, { resourceId: id, action: "case.escalate" })).map((e) => e.outcome)).toEqual(["DENIED"]);
  });

  it("refuses to close before the resolution is complete (RESOLUTION_INCOMPLETE), then closes", async () => {
    const id = await open();
    await ok(RESOLVE, { c: id, d: null }); // first-contact resolution from ASSIGNED
    const early = await server.gql(CLOSE, { c: id }, { token: agent.token });
    expect(early.errors![0].extensions).toMatchObject({ code: "CONFLICT", rule: "RESOLUTION_INCOMPLETE", missing: "outcome,rootCauseCode,finalResponseSentAt" });
    const bad = await server.gql(RECORD, { c: id, i: { rootCauseCode: "NOT_A_CODE" } }, { token: agent.token });
    expect(bad.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "rootCauseCode" });
    const sent = server.clock.now().toISOString();
    const rec = await ok(RECORD, { c: id, i: { outcome: "NOT_UPHELD", rootCauseCode: "NO_FAULT_FOUND", customerAccepted: false, finalResponseSentAt: sent } });
    expect(rec.recordCaseResolution).toEqual({ customerAccepted: false, finalResponseSentAt: sent });
    expect((await ok(CLOSE, { c: id })).closeCase.status).toBe("CLOSED");
    const recorded = await auditEvents(server, compliance.token, { resourceId: id, action: "case.resolution.record" });
    expect(recorded.map((e) => e.outcome)).toEqual(["FAILURE", "SUCCESS"]);
    expect(recorded[1].details).toMatchObject({ outcome: "NOT_UPHELD", rootCauseCode: "NO_FAULT_FOUND", customerAccepted: false });
  });
});

describe("timeline", () => {
  it("records notes, contacts and attachment metadata in order; narratives encrypted and shown by role", async () => {
    const id = await open();
    await ok(`mutation($c: ID!) { addCaseNote(caseId: $c, body: "Pulled the order book for the trade date") { id } }`, { c: id });
    const at = new Date(server.clock.now().getTime() - 5 * 60_000).toISOString();
    const contact = await ok(
      `mutation($c: ID!, $i: CaseContactInput!) { recordCustomerContact(caseId: $c, input: $i) { contact { kind direction outcome occurredAt summary } } }`,
      { c: id, i: { kind: "CALLBACK", direction: "OUTBOUND", outcome: "REACHED", occurredAt: at, summary: "Explained the price slippage calculation" } },
    );
    expect(contact.recordCustomerContact.contact).toMatchObject({ kind: "CALLBACK", direction: "OUTBOUND", occurredAt: at });
    const sha = "0f".repeat(32);
    await ok(`mutation($c: ID!, $i: CaseAttachmentInput!) { addCaseAttachment(caseId: $c, input: $i) { id } }`, {
      c: id,
      i: { fileName: "contract-note-4471.pdf", mediaType: "application/pdf", sizeBytes: 48213, sha256: sha },
    });
    const [row] = await server.sql<{ first_responded_at: Date }>(`SELECT first_responded_at FROM support_case WHERE id = $1`, [id]);
    expect(row.first_responded_at.toISOString()).toBe(at);

    const q = `query($c: ID!) { caseTimeline(caseId: $c) { type details note { body } contact { summary } attachment { fileName mediaType sizeBytes sha256 } } }`;
    const seen = (await ok(q, { c: id })).caseTimeline;
    expect(seen.map((e: { type: string }) => e.type)).toEqual(["OPENED", "ASSIGNED", "NOTE_ADDED", "CONTACT_RECORDED", "ATTACHMENT_ADDED"]);
    expect(seen[2].note.body).toBe("Pulled the order book for the trade date");
    expect(seen[3].contact.summary).toBe("Explained the price slippage calculation");
    expect(seen[4].attachment).toEqual({ fileName: "contract-note-4471.pdf", mediaType: "application/pdf", sizeBytes: 48213, sha256: sha });

    // Security analysts see that entries exist, never what they say.
    const theirs = (await ok(q, { c: id }, security.token)).caseTimeline;
    expect(theirs[2].note).toBeNull();
    expect(theirs[3].contact.summary).toBeNull();
    expect(theirs[4].attachment.fileName).toBeNull();

    const stored = await server.sql<{ t: string }>(`SELECT row_to_json(x)::text AS t FROM (SELECT * FROM case_contact UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, file_name_enc, NULL, NULL FROM case_attachment) x`);
    expect(stored.map((r) => r.t).join("\n")).not.toMatch(/slippage|contract-note/);
    expect((await auditEvents(server, compliance.token, { resourceId: id, action: "case.attachment.add" }))[0].details).toMatchObject({ sha256: sha, sizeBytes: 48213 });
  });

  it("refuses a contact in the future and a file name with a path (BAD_USER_INPUT)", async () => {
    const id = await open();
    const future = await server.gql(`mutation($c: ID!) { recordCustomerContact(caseId: $c, input: { kind: CALL, direction: INBOUND, outcome: RECEIVED, occurredAt: "2030-01-01T00:00:00Z" }) { id } }`, { c: id }, { token: agent.token });
    expect(future.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "occurredAt" });
    const path = await server.gql(`mutation($c: ID!) { addCaseAttachment(caseId: $c, input: { fileName: "../x.pdf", mediaType: "application/pdf", sizeBytes: 1, sha256: "${"00".repeat(32)}" }) { id } }`, { c: id }, { token: agent.token });
    expect(path.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "fileName" });
  });
});

describe("reopening", () => {
  it("reopens the case itself inside the window, keeping its owner", async () => {
    const id = await resolvedCase();
    await advance(29 * DAY_MS);
    const { reopenCase } = await ok(REOPEN, { c: id });
    expect(reopenCase).toMatchObject({ id, status: "REOPENED", linkedCaseId: null, assigneeId: agent.id });
    expect((await ok(START, { c: id })).startCaseWork.status).toBe("IN_PROGRESS");
  });

  it("opens a new linked case after the window (the line's policy, here shortened to 2 days); the old case stays closed", async () => {
    await server.sql(`UPDATE case_workflow_policy SET reopen_window_days = 2 WHERE business_line = 'SECURITIES'`);
    try {
      const id = await resolvedCase();
      await ok(CLOSE, { c: id });
      await advance(2 * DAY_MS + 1000);
      const { reopenCase } = await ok(REOPEN, { c: id });
      expect(reopenCase.id).not.toBe(id);
      expect(reopenCase).toMatchObject({ status: "ASSIGNED", linkedCaseId: id });
      const [old] = await server.sql<{ status: string }>(`SELECT status FROM support_case WHERE id = $1`, [id]);
      expect(old.status).toBe("CLOSED");
      const reopened = await auditEvents(server, compliance.token, { resourceId: id, action: "case.reopen" });
      expect(reopened[0].details).toMatchObject({ linkedCaseId: reopenCase.id, followUp: true, reason: "CUSTOMER_DISAGREES" });
      const summary = await ok(`query($c: ID!) { case(id: $c) { summary } }`, { c: reopenCase.id });
      expect(summary.case.summary).toBe("Order executed at the wrong price");
    } finally {
      await server.sql(`UPDATE case_workflow_policy SET reopen_window_days = 30 WHERE business_line = 'SECURITIES'`);
    }
  });

  it("refuses to reopen an open case (INVALID_TRANSITION)", async () => {
    const id = await open();
    const res = await server.gql(REOPEN, { c: id }, { token: agent.token });
    expect(res.errors![0].extensions).toMatchObject({ code: "CONFLICT", rule: "INVALID_TRANSITION" });
  });
});

describe("satisfaction survey", () => {
  it("is refused before closing, recorded once after, its comment encrypted and readable on the case", async () => {
    const id = await resolvedCase();
    const early = await server.gql(SURVEY, { c: id, s: 5, t: null }, { token: agent.token });
    expect(early.errors![0].extensions).toMatchObject({ code: "CONFLICT", rule: "CASE_NOT_CLOSED" });
    await ok(CLOSE, { c: id });
    const first = await ok(SURVEY, { c: id, s: 4, t: "Quick callback, but the refund took a week" });
    expect(first.recordSatisfactionSurvey).toEqual({ score: 4, comment: "Quick callback, but the refund took a week" });
    const twice = await server.gql(SURVEY, { c: id, s: 1, t: "changed my mind" }, { token: agent.token });
    expect(twice.errors![0].extensions).toMatchObject({ code: "CONFLICT", rule: "SURVEY_ALREADY_RECORDED" });
    const racing = await Promise.all([2, 3].map((s) => server.gql(SURVEY, { c: id, s, t: null }, { token: lead.token })));
    expect(racing.map((r) => r.errors![0].extensions!.rule)).toEqual(["SURVEY_ALREADY_RECORDED", "SURVEY_ALREADY_RECORDED"]);

    const [row] = await server.sql<{ score: number; comment_enc: Buffer }>(`SELECT score, comment_enc FROM case_survey WHERE case_id = $1`, [id]);
    expect(row.score).toBe(4);
    expect(row.comment_enc.toString("latin1")).not.toContain("refund");
    const read = await ok(`query($c: ID!) { case(id: $c) { survey { score comment } } }`, { c: id });
    expect(read.case.survey).toEqual({ score: 4, comment: "Quick callback, but the refund took a week" });
    const bySecurity = await ok(`query($c: ID!) { case(id: $c) { survey { score comment } } }`, { c: id }, security.token);
    expect(bySecurity.case.survey).toEqual({ score: 4, comment: null });
    // The refusals are in the trail too: before closing, the second attempt and both racers.
    const trail = await auditEvents(server, compliance.token, { resourceId: id, action: "case.survey.record" });
    expect(trail.map((e) => [e.outcome, e.details.score ?? e.details.code])).toEqual([
      ["FAILURE", "CONFLICT"],
      ["SUCCESS", 4],
      ["FAILURE", "CONFLICT"],
      ["FAILURE", "CONFLICT"],
      ["FAILURE", "CONFLICT"],
    ]);
  });

  it("refuses a score outside 1..5 with BAD_USER_INPUT", async () => {
    const id = await resolvedCase();
    await ok(CLOSE, { c: id });
    const res = await server.gql(SURVEY, { c: id, s: 6, t: null }, { token: agent.token });
    expect(res.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "score" });
  });
});
