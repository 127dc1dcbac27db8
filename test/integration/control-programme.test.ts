// The control programme through the API with an injected clock: the register (owners report on their own
// measures only), meetings with decisions and action items, suggestions and their review (never one's
// own), and what is overdue exactly when due (one millisecond before: not; at the due instant: overdue).
// Every read and write leaves its audit event; staff-written text reaches neither the log nor the audit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/clock";
import { captureLogs, type LogCapture } from "../support/log-capture";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, errorCode } from "./api-helpers";

const T0 = "2026-11-02T09:00:00.000Z";
const at = (offsetMs: number) => new Date(Date.parse(T0) + offsetMs).toISOString();
const SUGGESTION_TEXT = "Call customers back before the 72 hour mark when a refund is pending";
const DECISION_TEXT = "Quarterly sampling of closed complaints by the second line starts in Q1";

let server: TestServer;
let logs: LogCapture;
let compliance: StaffLogin;
let compliance2: StaffLogin;
let lead: StaffLogin;
let otherLead: StaffLogin;
let admin: StaffLogin;
let agent: StaffLogin;
let auditor: StaffLogin;
let analyst: StaffLogin;
let measureId: string;
let milestoneDue: string;
let milestoneId: string;

const MEASURE = "id reference ownerId status milestones { id dueAt status closedAt } evidence { reference }";
const OVERDUE = `query($a: DateTimeISO) { overdueControlItems(asOf: $a) { asOf suggestionReviewDays milestones { id measureReference ownerId dueAt } actionItems { id title ownerId dueAt } suggestions { id reviewDueAt } } }`;

/** Access tokens live 15 minutes and the clock jumps days: log in again when the clock has moved. */
const issued = new Map<string, { token: string; at: number }>();
async function tokenOf(who: StaffLogin): Promise<string> {
  const now = server.clock.now().getTime();
  const held = issued.get(who.id) ?? { token: who.token, at: Date.parse(T0) };
  if (Math.abs(now - held.at) < 5 * 60_000) return held.token;
  const res = await server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: who.email, p: who.password });
  expect(res.errors).toBeUndefined();
  issued.set(who.id, { token: res.data!.login.accessToken, at: now });
  return res.data!.login.accessToken;
}

async function call(query: string, variables: Record<string, unknown>, who: StaffLogin) {
  return server.gql(query, variables, { token: await tokenOf(who) });
}

async function ok(query: string, variables: Record<string, unknown>, who: StaffLogin) {
  const res = await call(query, variables, who);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

async function overdue(who: StaffLogin, asOf?: string) {
  return (await ok(OVERDUE, asOf === undefined ? {} : { a: asOf }, who)).overdueControlItems;
}

beforeAll(async () => {
  logs = captureLogs();
  server = await createTestServer({ logger: logs.logger });
  server.clock.set(T0);
  compliance = await server.staff("COMPLIANCE_OFFICER");
  compliance2 = await server.staff("COMPLIANCE_OFFICER");
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  otherLead = await server.staff("TEAM_LEAD", "SECURITIES");
  admin = await server.staff("ADMIN");
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  auditor = await server.staff("AUDITOR");
  analyst = await server.staff("SECURITY_ANALYST");
  milestoneDue = at(2 * DAY_MS);
  const created = await ok(
    `mutation($i: CreateControlMeasureInput!) { createControlMeasure(input: $i) { ${MEASURE} } }`,
    { i: { title: "Callback discipline", objective: "Every complex case called back within 72 h", ownerId: lead.id, milestones: [{ title: "Roll out callback checklist", dueAt: milestoneDue }] } },
    compliance,
  );
  measureId = created.createControlMeasure.id;
  milestoneId = created.createControlMeasure.milestones[0].id;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  // The free text staff wrote was sent to the server; none of it may appear in what the server logged.
  expect(logs.leaks([SUGGESTION_TEXT, DECISION_TEXT, "Every complex case called back within 72 h"])).toEqual([]);
});

describe("the register", () => {
  it("compliance creates a measure: PLANNED, with a reference and its milestone open", async () => {
    // Lists of lists cost 20 × 20 per field (src/http/document-limits.ts): evidence is read further down.
    const list = (await ok(`{ controlMeasures { id reference ownerId status milestones { id dueAt status closedAt } } }`, {}, compliance)).controlMeasures;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ reference: "CTL-00001", ownerId: lead.id, status: "PLANNED", milestones: [{ id: milestoneId, dueAt: milestoneDue, status: "OPEN", closedAt: null }] });
  });

  it("owners see their own measures, another lead none, auditors all, agents nothing", async () => {
    expect((await ok(`{ controlMeasures { id } }`, {}, lead)).controlMeasures.map((m: { id: string }) => m.id)).toEqual([measureId]);
    expect((await ok(`{ controlMeasures { id } }`, {}, otherLead)).controlMeasures).toEqual([]);
    expect((await ok(`{ controlMeasures { id } }`, {}, auditor)).controlMeasures).toHaveLength(1);
    expect(errorCode(await call(`{ controlMeasures { id } }`, {}, agent))).toBe("FORBIDDEN");
  });

  it("the owner moves the status and adds evidence; what the measure is stays compliance's", async () => {
    const upd = await ok(`mutation($id: ID!) { updateControlMeasure(id: $id, input: { status: IN_PROGRESS }) { status } }`, { id: measureId }, lead);
    expect(upd.updateControlMeasure.status).toBe("IN_PROGRESS");
    const retitle = await call(`mutation($id: ID!) { updateControlMeasure(id: $id, input: { title: "Mine now" }) { id } }`, { id: measureId }, lead);
    expect(errorCode(retitle)).toBe("FORBIDDEN");
    const milestone = await call(`mutation($id: ID!) { addControlMilestone(measureId: $id, input: { title: "x", dueAt: "2027-01-01T00:00:00.000Z" }) { id } }`, { id: measureId }, lead);
    expect(errorCode(milestone)).toBe("FORBIDDEN");
    expect(errorCode(await call(`mutation($id: ID!) { updateControlMeasure(id: $id, input: { status: IMPLEMENTED }) { id } }`, { id: measureId }, otherLead))).toBe("FORBIDDEN");
    const ev = await ok(`mutation($id: ID!, $r: String!) { addControlEvidence(measureId: $id, reference: $r) { evidence { reference addedBy } } }`, { id: measureId, r: "https://dms.bank.internal/ctl/17" }, lead);
    await ok(`mutation($id: ID!, $r: String!) { addControlEvidence(measureId: $id, reference: $r) { id } }`, { id: measureId, r: "DMS:2026/CTRL-17" }, lead);
    expect(ev.addControlEvidence.evidence).toEqual([{ reference: "https://dms.bank.internal/ctl/17", addedBy: lead.id }]);
    for (const bad of ["not a link", "ftp://x.example/y", "https://user:pw@x.example/y"]) {
      expect(errorCode(await call(`mutation($id: ID!, $r: String!) { addControlEvidence(measureId: $id, reference: $r) { id } }`, { id: measureId, r: bad }, lead))).toBe("BAD_USER_INPUT");
    }
  });

  it("an unknown owner or measure is NOT_FOUND; a failed write leaves no change", async () => {
    const res = await call(`mutation($i: CreateControlMeasureInput!) { createControlMeasure(input: $i) { id } }`, { i: { title: "t", objective: "o", ownerId: "00000000-0000-4000-8000-000000000000" } }, compliance);
    expect(errorCode(res)).toBe("NOT_FOUND");
    expect(errorCode(await call(`mutation { setControlMilestoneStatus(milestoneId: "00000000-0000-4000-8000-000000000000", status: DONE) { id } }`, {}, compliance))).toBe("NOT_FOUND");
    expect((await server.sql(`SELECT count(*)::int AS n FROM control_measure`))[0]).toEqual({ n: 1 });
  });
});

describe("overdue exactly when due", () => {
  it("a milestone is not overdue one millisecond before its due instant, and is at it (asOf or the clock)", async () => {
    const due = Date.parse(milestoneDue);
    expect((await overdue(compliance, new Date(due - 1).toISOString())).milestones).toEqual([]);
    const atDue = await overdue(compliance, milestoneDue);
    expect(atDue.milestones).toEqual([{ id: milestoneId, measureReference: "CTL-00001", ownerId: lead.id, dueAt: milestoneDue }]);
    // Without asOf the injected clock decides.
    server.clock.set(new Date(due - 1));
    expect((await overdue(compliance)).milestones).toEqual([]);
    server.clock.set(milestoneDue);
    const now = await overdue(compliance);
    expect(now.asOf).toBe(milestoneDue);
    expect(now.milestones.map((m: { id: string }) => m.id)).toEqual([milestoneId]);
    // The owner sees it; another lead and the admin (who owns nothing) do not; agents may not ask.
    expect((await overdue(lead)).milestones).toHaveLength(1);
    expect((await overdue(otherLead)).milestones).toEqual([]);
    expect((await overdue(admin)).milestones).toEqual([]);
    expect(errorCode(await call(OVERDUE, {}, agent))).toBe("FORBIDDEN");
  });

  it("closing it late keeps it overdue as of the instants before the closing, not after", async () => {
    server.clock.set(at(3 * DAY_MS));
    const done = await ok(`mutation($m: ID!) { setControlMilestoneStatus(milestoneId: $m, status: DONE) { milestones { status closedAt } } }`, { m: milestoneId }, lead);
    expect(done.setControlMilestoneStatus.milestones[0]).toEqual({ status: "DONE", closedAt: at(3 * DAY_MS) });
    expect((await overdue(compliance, at(3 * DAY_MS - 1))).milestones).toHaveLength(1);
    expect((await overdue(compliance, at(3 * DAY_MS))).milestones).toEqual([]);
    expect((await overdue(compliance)).milestones).toEqual([]);
  });

  it("action items from a meeting: due at their instant, the owner closes their own only", async () => {
    server.clock.set(at(4 * DAY_MS));
    const meeting = await ok(
      `mutation($i: RecordControlMeetingInput!) { recordControlMeeting(input: $i) { id attendeeIds decisions actionItems { id ownerId dueAt status } } }`,
      {
        i: {
          title: "Complaints control committee",
          heldAt: at(4 * DAY_MS - 3_600_000),
          attendeeIds: [compliance.id, lead.id, admin.id],
          decisions: [DECISION_TEXT],
          actionItems: [
            { title: "Sample ten closed complaints", ownerId: lead.id, dueAt: at(6 * DAY_MS) },
            { title: "Review access grants of leavers", ownerId: admin.id, dueAt: at(5 * DAY_MS) },
          ],
        },
      },
      compliance,
    );
    const m = meeting.recordControlMeeting;
    expect(m.decisions).toEqual([DECISION_TEXT]);
    const [adminItem, leadItem] = m.actionItems; // ordered by due instant
    expect([adminItem.ownerId, leadItem.ownerId]).toEqual([admin.id, lead.id]);
    // Attendees read the meeting; a lead who was not there does not; the meeting may not be in the future.
    expect((await ok(`{ controlMeetings { id } }`, {}, lead)).controlMeetings).toEqual([{ id: m.id }]);
    expect((await ok(`{ controlMeetings { id } }`, {}, otherLead)).controlMeetings).toEqual([]);
    const future = await call(`mutation($i: RecordControlMeetingInput!) { recordControlMeeting(input: $i) { id } }`, { i: { title: "x", heldAt: at(5 * DAY_MS), attendeeIds: [lead.id] } }, compliance);
    expect(errorCode(future)).toBe("BAD_USER_INPUT");

    expect((await overdue(compliance, at(5 * DAY_MS - 1))).actionItems).toEqual([]);
    expect((await overdue(compliance, at(5 * DAY_MS))).actionItems.map((i: { id: string }) => i.id)).toEqual([adminItem.id]);
    expect((await overdue(compliance, at(6 * DAY_MS))).actionItems.map((i: { id: string }) => i.id)).toEqual([adminItem.id, leadItem.id]);
    expect((await overdue(admin, at(6 * DAY_MS))).actionItems.map((i: { id: string }) => i.id)).toEqual([adminItem.id]);
    expect((await ok(`{ controlActionItems(status: OPEN) { id } }`, {}, lead)).controlActionItems).toEqual([{ id: leadItem.id }]);

    expect(errorCode(await call(`mutation($i: ID!) { setControlActionItemStatus(id: $i, status: DONE) { id } }`, { i: adminItem.id }, lead))).toBe("FORBIDDEN");
    server.clock.set(at(5 * DAY_MS + 1));
    const closed = await ok(`mutation($i: ID!) { setControlActionItemStatus(id: $i, status: DONE) { status closedAt } }`, { i: adminItem.id }, admin);
    expect(closed.setControlActionItemStatus).toEqual({ status: "DONE", closedAt: at(5 * DAY_MS + 1) });
    expect((await overdue(compliance, at(6 * DAY_MS))).actionItems.map((i: { id: string }) => i.id)).toEqual([leadItem.id]);
    expect(errorCode(await call(`mutation($i: ID!) { setControlActionItemStatus(id: $i, status: DONE) { id } }`, { i: adminItem.id }, admin))).toBe("CONFLICT");
  });
});

describe("suggestions", () => {
  let suggestionId: string;
  let submittedAt: number;

  it("any member of staff submits; authors read their own, compliance and auditors all", async () => {
    server.clock.set(at(10 * DAY_MS));
    submittedAt = Date.parse(at(10 * DAY_MS));
    const s = await ok(`mutation($t: String!) { submitImprovementSuggestion(text: $t) { id authorId status submittedAt text } }`, { t: SUGGESTION_TEXT }, agent);
    suggestionId = s.submitImprovementSuggestion.id;
    expect(s.submitImprovementSuggestion).toMatchObject({ authorId: agent.id, status: "SUBMITTED", submittedAt: at(10 * DAY_MS), text: SUGGESTION_TEXT });
    await ok(`mutation { submitImprovementSuggestion(text: "Shorter hold music") { id } }`, {}, analyst);
    expect(errorCode(await call(`mutation { submitImprovementSuggestion(text: "x") { id } }`, {}, auditor))).toBe("FORBIDDEN");
    expect(errorCode(await call(`mutation { submitImprovementSuggestion(text: "   ") { id } }`, {}, agent))).toBe("BAD_USER_INPUT");
    expect((await ok(`{ improvementSuggestions { id } }`, {}, agent)).improvementSuggestions).toEqual([{ id: suggestionId }]);
    expect((await ok(`{ improvementSuggestions { id } }`, {}, compliance)).improvementSuggestions).toHaveLength(2);
    expect((await ok(`{ improvementSuggestions(status: SUBMITTED) { id } }`, {}, auditor)).improvementSuggestions).toHaveLength(2);
  });

  it("awaiting review: overdue 14 days after submission to the millisecond", async () => {
    const reviewDue = new Date(submittedAt + 14 * DAY_MS).toISOString();
    const before = await overdue(compliance, new Date(submittedAt + 14 * DAY_MS - 1).toISOString());
    expect(before.suggestionReviewDays).toBe(14);
    expect(before.suggestions).toEqual([]);
    const atDue = await overdue(compliance, reviewDue);
    expect(atDue.suggestions).toHaveLength(2);
    expect(atDue.suggestions).toContainEqual({ id: suggestionId, reviewDueAt: reviewDue });
  });

  it("compliance reviews, never their own; a review is final", async () => {
    const own = await ok(`mutation { submitImprovementSuggestion(text: "Second-line review of my own area") { id } }`, {}, compliance);
    const ownId = own.submitImprovementSuggestion.id;
    expect(errorCode(await call(`mutation($i: ID!) { reviewImprovementSuggestion(id: $i, decision: ACCEPTED) { id } }`, { i: ownId }, compliance))).toBe("FORBIDDEN");
    await ok(`mutation($i: ID!) { reviewImprovementSuggestion(id: $i, decision: REJECTED, note: "Covered by CTL-00001") { status } }`, { i: ownId }, compliance2);
    expect(errorCode(await call(`mutation($i: ID!) { reviewImprovementSuggestion(id: $i, decision: ACCEPTED) { id } }`, { i: suggestionId }, lead))).toBe("FORBIDDEN");

    server.clock.set(new Date(submittedAt + 20 * DAY_MS));
    const reviewed = await ok(`mutation($i: ID!) { reviewImprovementSuggestion(id: $i, decision: ACCEPTED) { status reviewerId reviewedAt } }`, { i: suggestionId }, compliance);
    expect(reviewed.reviewImprovementSuggestion).toEqual({ status: "ACCEPTED", reviewerId: compliance.id, reviewedAt: new Date(submittedAt + 20 * DAY_MS).toISOString() });
    expect(errorCode(await call(`mutation($i: ID!) { reviewImprovementSuggestion(id: $i, decision: REJECTED) { id } }`, { i: suggestionId }, compliance2))).toBe("CONFLICT");
    // Reviewed late: overdue as of the day before its review, not as of the review.
    expect((await overdue(compliance, new Date(submittedAt + 20 * DAY_MS - 1).toISOString())).suggestions.map((s: { id: string }) => s.id)).toContain(suggestionId);
    expect((await overdue(compliance)).suggestions.map((s: { id: string }) => s.id)).not.toContain(suggestionId);
  });
});

describe("the audit trail", () => {
  it("records each write and read by id and action, never the staff-written text", async () => {
    const events = await auditEvents(server, await tokenOf(compliance), { resourceId: measureId });
    const actions = events.map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toContain("control.measure.create:SUCCESS");
    expect(actions).toContain("control.measure.update:SUCCESS");
    expect(actions).toContain("control.measure.read:SUCCESS");
    expect(actions).toContain("control.evidence.add:SUCCESS");
    expect(events.filter((e) => e.action === "control.measure.update" && e.outcome === "DENIED").map((e) => e.actorId)).toEqual(expect.arrayContaining([lead.id, otherLead.id]));
    const all = await auditEvents(server, await tokenOf(compliance), { action: "control.suggestion.submit" });
    expect(all.length).toBeGreaterThanOrEqual(3);
    const stored = JSON.stringify(await server.sql(`SELECT details FROM audit_event WHERE action LIKE 'control.%'`));
    for (const text of [SUGGESTION_TEXT, DECISION_TEXT, "Every complex case called back", "dms.bank.internal"]) expect(stored).not.toContain(text);
  });
});
