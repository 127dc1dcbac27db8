// Service quality (docs/service-quality.md) on a known small dataset, every metric hand-computed, through
// GraphQL on a real PostgreSQL with an injected clock: period boundaries (at `from` in, at `to` out), a
// time-zone day (America/New_York's 25-hour 2026-11-01), alerts raised exactly once per metric, period and
// cut, acknowledged by compliance, and a team lead who sees (and counts) only their own line.
//
// The history is written with SQL (server.sql): it spans months (a 90-day repeat window, customers who
// joined in January, complaints received in October with deadlines falling in November) and relationship
// closings, which no API can backdate or express (nothing in Custos closes a relationship yet). Customers
// are created through the API (their PII is encrypted by the real path) and then backdated by SQL. Clock
// events are written in the engine's own shape (STARTED with frozen terms, PAUSED/RESUMED, STOPPED).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../../src/clock";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { createCustomer, errorCode } from "./api-helpers";

const FROM = "2026-11-01T00:00:00.000Z";
const TO = "2026-11-08T00:00:00.000Z";
const NOW = "2026-11-09T12:00:00.000Z"; // the evaluation instant (the server's injected clock)
const D0 = Date.parse(FROM);
const at = (ms: number) => new Date(D0 + ms).toISOString();
const PB = "PERSONAL_BANKING";
const INS = "INSURANCE";

let server: TestServer;
let compliance: StaffLogin;
let leadPb: StaffLogin;
let leadIns: StaffLogin;
let agentPb: StaffLogin;
let auditor: StaffLogin;
const teams: Record<string, string> = {};
const customers: Record<string, string> = {};
const cases: Record<string, string> = {};
let caseCounter = 0;

const terms = (durationMs: number) => ({ durationMs, basis: "CALENDAR", calendarId: null, warnRatio: 0.75, pausable: true, extensionSteps: [] });

async function insertCase(name: string, c: { line: string; kind: string; channel: string; complexity?: string; received: string; customer: string; linkedTo?: string }) {
  const [row] = await server.sql<{ id: string }>(
    `INSERT INTO support_case (id, reference, customer_id, channel, kind, category, complexity, business_line, team_id, status, assignee_id,
                               received_at, first_response_due_at, summary_enc, linked_case_id)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, 'quality.test', $5, $6, $7, 'IN_PROGRESS', $8, $9, $9::timestamptz + interval '48 hours', '\\x00', $10)
     RETURNING id`,
    [`QT-2026-${String(++caseCounter).padStart(6, "0")}`, customers[c.customer], c.channel, c.kind, c.complexity ?? "COMMON", c.line, teams[c.line], c.line === PB ? agentPb.id : null, c.received, c.linkedTo ? cases[c.linkedTo] : null],
  );
  cases[name] = row.id;
}

/** One clock's events, in order: [type, instant] with STARTED carrying the terms of `durationMs`. */
async function clock(name: string, kind: string, durationMs: number, events: Array<[string, string]>) {
  for (const [type, when] of events) {
    await server.sql(
      `INSERT INTO case_clock_event (case_id, clock_kind, type, occurred_at, terms, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
      [cases[name], kind, type, when, type === "STARTED" ? JSON.stringify(terms(durationMs)) : null, type === "PAUSED" ? "AWAITING_CUSTOMER" : null],
    );
  }
}

async function statusChange(name: string, to: string, when: string) {
  await server.sql(`INSERT INTO case_event (case_id, type, occurred_at, data) VALUES ($1, 'STATUS_CHANGED', $2, $3)`, [cases[name], when, JSON.stringify({ command: "x", from: "IN_PROGRESS", to })]);
}

async function survey(name: string, score: number, when: string) {
  await server.sql(`INSERT INTO case_survey (case_id, score, recorded_by, recorded_at) VALUES ($1, $2, $3, $4)`, [cases[name], score, compliance.id, when]);
}

beforeAll(async () => {
  server = await createTestServer();
  server.clock.set(NOW);
  compliance = await server.staff("COMPLIANCE_OFFICER");
  leadPb = await server.staff("TEAM_LEAD", PB);
  leadIns = await server.staff("TEAM_LEAD", INS);
  agentPb = await server.staff("AGENT", PB);
  auditor = await server.staff("AUDITOR");
  for (const r of await server.sql<{ id: string; business_line: string }>(`SELECT id, business_line FROM team`)) teams[r.business_line] = r.id;

  // Customers: [lines, created, status, relationship closed at]
  const people: Record<string, [string[], string, string, string | null]> = {
    A: [[PB, INS], "2026-01-01T00:00:00Z", "ACTIVE", null],
    B: [[PB], "2026-01-01T00:00:00Z", "CLOSED", "2026-11-05T00:00:00Z"], // ended inside the period
    C: [[INS], "2026-01-01T00:00:00Z", "ACTIVE", null],
    D: [[PB], "2026-01-01T00:00:00Z", "CLOSED", TO], // ended exactly at `to`: the next period's
    E: [[PB], "2026-01-01T00:00:00Z", "CLOSED", FROM], // ended exactly at `from`: this period's
    F: [[PB, INS], "2026-11-02T00:00:00Z", "ACTIVE", null], // joined inside the period: not in the base
    G: [[PB], "2026-01-01T00:00:00Z", "CLOSED", null], // CLOSED, no instant: cannot be placed, in neither
    H: [[INS], "2026-01-01T00:00:00Z", "CLOSED", "2026-10-01T00:00:00Z"], // ended before the period
  };
  for (const [name, [lines, created, status, closed]] of Object.entries(people)) {
    customers[name] = (await createCustomer(server, leadPb.token)).id;
    await server.sql(`UPDATE customer SET business_lines = $2, created_at = $3, status = $4, relationship_closed_at = $5 WHERE id = $1`, [customers[name], lines, created, status, closed]);
  }

  const H = HOUR_MS;
  // c1: PB complaint received exactly at `from` (in). FR met at +10 h (due +48 h): on time. RESOLUTION
  // 24 h met at +30 h: late. REGULATORY 15 d met at +5 d (inside the period): on time. Resolved at +30 h,
  // reopened at +6 d.
  await insertCase("c1", { line: PB, kind: "COMPLAINT", channel: "PHONE", received: FROM, customer: "A" });
  await clock("c1", "FIRST_RESPONSE", 48 * H, [["STARTED", FROM], ["STOPPED", at(10 * H)]]);
  await clock("c1", "RESOLUTION", 24 * H, [["STARTED", FROM], ["STOPPED", at(30 * H)]]);
  await clock("c1", "REGULATORY_DECISION", 15 * DAY_MS, [["STARTED", FROM], ["STOPPED", at(5 * DAY_MS)]]);
  await statusChange("c1", "RESOLVED", at(30 * H));
  await statusChange("c1", "REOPENED", at(6 * DAY_MS));
  // c2: PB service request at +1 d. FR met exactly at its due instant (+1 d + 48 h): on time. RESOLUTION
  // paused 10 h, so due at +1 d + 34 h; met at +1 d + 30 h: on time (late without the pause). Resolved,
  // never reopened.
  await insertCase("c2", { line: PB, kind: "SERVICE_REQUEST", channel: "EMAIL", received: at(DAY_MS), customer: "B" });
  await clock("c2", "FIRST_RESPONSE", 48 * H, [["STARTED", at(DAY_MS)], ["STOPPED", at(DAY_MS + 48 * H)]]);
  await clock("c2", "RESOLUTION", 24 * H, [["STARTED", at(DAY_MS)], ["PAUSED", at(DAY_MS + 2 * H)], ["RESUMED", at(DAY_MS + 12 * H)], ["STOPPED", at(DAY_MS + 30 * H)]]);
  await statusChange("c2", "RESOLVED", at(DAY_MS + 30 * H));
  // c3: PB complaint of A at +2 d, 2 days after A's c1 (same line): a repeat. FR and RESOLUTION still
  // running past due at NOW: breached. REGULATORY due at +17 d, outside the period: not counted.
  await insertCase("c3", { line: PB, kind: "COMPLAINT", channel: "PHONE", received: at(2 * DAY_MS), customer: "A" });
  await clock("c3", "FIRST_RESPONSE", 48 * H, [["STARTED", at(2 * DAY_MS)]]);
  await clock("c3", "RESOLUTION", 24 * H, [["STARTED", at(2 * DAY_MS)]]);
  await clock("c3", "REGULATORY_DECISION", 15 * DAY_MS, [["STARTED", at(2 * DAY_MS)]]);
  // c4: PB complex inquiry at +6 d 23 h; FR due 2026-11-09T23:00Z, after NOW: undecided, not counted.
  await insertCase("c4", { line: PB, kind: "INQUIRY", channel: "APP", complexity: "COMPLEX", received: at(6 * DAY_MS + 23 * H), customer: "D" });
  await clock("c4", "FIRST_RESPONSE", 48 * H, [["STARTED", at(6 * DAY_MS + 23 * H)]]);
  // c5: PB complaint received exactly at `to`: the next period's (its met FR must not count here).
  await insertCase("c5", { line: PB, kind: "COMPLAINT", channel: "PHONE", received: TO, customer: "B" });
  await clock("c5", "FIRST_RESPONSE", 48 * H, [["STARTED", TO], ["STOPPED", at(7 * DAY_MS + H)]]);
  // c6: INS complaint at +1 d: FR met at +1 h, RESOLUTION met at +20 h; REGULATORY running, due at +16 d.
  // Resolved at +1 d 20 h; a follow-up case (c12) links to it later: reopened.
  await insertCase("c6", { line: INS, kind: "COMPLAINT", channel: "BRANCH", received: at(DAY_MS), customer: "C" });
  await clock("c6", "FIRST_RESPONSE", 48 * H, [["STARTED", at(DAY_MS)], ["STOPPED", at(DAY_MS + H)]]);
  await clock("c6", "RESOLUTION", 24 * H, [["STARTED", at(DAY_MS)], ["STOPPED", at(DAY_MS + 20 * H)]]);
  await clock("c6", "REGULATORY_DECISION", 15 * DAY_MS, [["STARTED", at(DAY_MS)]]);
  await statusChange("c6", "RESOLVED", at(DAY_MS + 20 * H));
  await insertCase("c12", { line: INS, kind: "COMPLAINT", channel: "BRANCH", received: at(7 * DAY_MS + 6 * H), customer: "C", linkedTo: "c6" });
  // Complaints received before the period, judged on their regulatory deadline:
  // c7 (PB, 2026-10-20): due 2026-11-04 inside the period, never met: breached, counted. Resolved exactly at `to`.
  await insertCase("c7", { line: PB, kind: "COMPLAINT", channel: "EMAIL", received: "2026-10-20T00:00:00Z", customer: "D" });
  await clock("c7", "REGULATORY_DECISION", 15 * DAY_MS, [["STARTED", "2026-10-20T00:00:00Z"]]);
  await statusChange("c7", "RESOLVED", TO);
  // c8 (PB, 2026-10-10, customer E): met 2026-10-24, before the period: not counted. Resolved before the
  // period and reopened inside it: not in the reopen denominator.
  await insertCase("c8", { line: PB, kind: "COMPLAINT", channel: "EMAIL", received: "2026-10-10T00:00:00Z", customer: "E" });
  await clock("c8", "REGULATORY_DECISION", 15 * DAY_MS, [["STARTED", "2026-10-10T00:00:00Z"], ["STOPPED", "2026-10-24T00:00:00Z"]]);
  await statusChange("c8", "RESOLVED", "2026-10-24T00:00:00Z");
  await statusChange("c8", "REOPENED", at(2 * DAY_MS));
  // c9 (INS, 2026-10-15, customer A): A's earlier complaint of another line, so c1 is no repeat.
  await insertCase("c9", { line: INS, kind: "COMPLAINT", channel: "PHONE", received: "2026-10-15T00:00:00Z", customer: "A" });
  // c10 (PB, 2026-10-28): due 2026-11-12, met 2026-11-07T12:00Z inside the period: counted, on time.
  await insertCase("c10", { line: PB, kind: "COMPLAINT", channel: "PHONE", received: "2026-10-28T00:00:00Z", customer: "E" });
  await clock("c10", "REGULATORY_DECISION", 15 * DAY_MS, [["STARTED", "2026-10-28T00:00:00Z"], ["STOPPED", "2026-11-07T12:00:00Z"]]);
  // c11 (PB, 2026-10-24): due exactly at `to`, never met: the next period's breach, not this one's.
  await insertCase("c11", { line: PB, kind: "COMPLAINT", channel: "PHONE", received: "2026-10-24T00:00:00Z", customer: "G" });
  await clock("c11", "REGULATORY_DECISION", 15 * DAY_MS, [["STARTED", "2026-10-24T00:00:00Z"]]);

  // Surveys: c8 at `from` (in, 5), c7 (4), c11 (2) for PB; c9 (3) for INS; c10 exactly at `to` (out, 1).
  await survey("c8", 5, FROM);
  await survey("c7", 4, "2026-11-03T00:00:00Z");
  await survey("c11", 2, "2026-11-05T00:00:00Z");
  await survey("c9", 3, "2026-11-02T00:00:00Z");
  await survey("c10", 1, TO);
});
afterAll(() => server?.stop());

const METRIC_VALUE = "metric numerator denominator value target targetKind status";
const METRIC_FIELDS = ["firstResponseOnTime", "resolutionOnTime", "regulatoryDeadlineCompliance", "satisfactionRate", "reopenRate", "repeatComplaintRate", "churnRate"]
  .map((f) => `${f} { ${METRIC_VALUE} }`)
  .join(" ");
const REPORT = `query($from: String!, $to: String!, $cut: QualityCut!, $tz: String) {
  serviceQuality(from: $from, to: $to, cut: $cut, timeZone: $tz) {
    from to timeZone cut evaluatedAt alertsRaised
    groups { cutValue volume complaints surveys averageScore metrics { ${METRIC_FIELDS} } }
  } }`;

type Metric = { metric: string; numerator: number; denominator: number; value: number | null; target: number; status: string | null };
type Group = { cutValue: string; volume: number; complaints: number; surveys: number; averageScore: number | null; metrics: Record<string, Metric> };

async function report(token: string, cut: string, from = FROM, to = TO, tz?: string) {
  const res = await server.gql(REPORT, { from, to, cut, tz }, { token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.serviceQuality as { from: string; to: string; alertsRaised: number; evaluatedAt: string; groups: Group[] };
}

/** metric → [numerator, denominator, status] */
function byMetric(g: Group): Record<string, [number, number, string | null]> {
  return Object.fromEntries(Object.values(g.metrics).map((m) => [m.metric, [m.numerator, m.denominator, m.status]]));
}

describe("service quality on a hand-computed dataset", () => {
  it("counts every metric per business line (from included, to excluded)", async () => {
    const r = await report(compliance.token, "BUSINESS_LINE");
    expect(r.evaluatedAt).toBe(NOW);
    // The first computation of this week and cut: PB breaches all seven, INS satisfaction and reopen.
    expect(r.alertsRaised).toBe(9);
    expect(r.groups.map((g) => g.cutValue)).toEqual([INS, PB]);
    const [ins, pb] = r.groups;
    // PB received in [from, to): c1 (at from), c2, c3, c4 = 4 (c5 at `to` excluded); complaints c1, c3 = 2.
    expect([pb.volume, pb.complaints]).toEqual([4, 2]);
    // PB surveys in [from, to): c8 (5, at from), c7 (4), c11 (2) = 3 (c10 at `to` out); avg 11/3.
    expect(pb.surveys).toBe(3);
    expect(pb.averageScore).toBeCloseTo(11 / 3, 12);
    expect(byMetric(pb)).toEqual({
      FIRST_RESPONSE_ON_TIME: [2, 3, "BREACHED"], // c1 met, c2 met at due, c3 breached; c4 undecided → 2/3
      RESOLUTION_ON_TIME: [1, 3, "BREACHED"], // c1 late, c2 met (pause), c3 breached; c4 has none → 1/3
      REGULATORY_DEADLINE_COMPLIANCE: [2, 3, "BREACHED"], // c1 met, c10 met, c7 breached; c11 due at to, c8 before, c3 after → 2/3
      SATISFACTION_RATE: [2, 3, "BREACHED"], // scores 5, 4 ≥ 4; 2 not → 2/3
      REOPEN_RATE: [1, 2, "BREACHED"], // resolved in period: c1 (reopened), c2; c7 at to, c8 before → 1/2
      REPEAT_COMPLAINT_RATE: [1, 2, "BREACHED"], // c3 repeats c1 (2 days); c1's earlier c9 is INS → 1/2
      CHURN_RATE: [2, 4, "BREACHED"], // base A, B, D, E (F new, G no instant); ended B, E (at from); D at to → 2/4
    });
    // INS: c6 only (c12 after to); complaint 1; survey c9 (3).
    expect([ins.volume, ins.complaints, ins.surveys, ins.averageScore]).toEqual([1, 1, 1, 3]);
    expect(byMetric(ins)).toEqual({
      FIRST_RESPONSE_ON_TIME: [1, 1, "MET"],
      RESOLUTION_ON_TIME: [1, 1, "MET"],
      REGULATORY_DEADLINE_COMPLIANCE: [0, 0, null], // c6's deadline (+16 d) is outside: nothing measured
      SATISFACTION_RATE: [0, 1, "BREACHED"], // score 3 < 4
      REOPEN_RATE: [1, 1, "BREACHED"], // c6 resolved, follow-up c12 links to it
      REPEAT_COMPLAINT_RATE: [0, 1, "MET"],
      CHURN_RATE: [0, 2, "MET"], // base A, C (H ended before, F new) → 0/2
    });
    const sat = pb.metrics.satisfactionRate;
    expect(sat.value).toBeCloseTo(2 / 3, 12);
    expect(sat.target).toBe(0.85);
    expect(ins.metrics.regulatoryDeadlineCompliance.value).toBeNull();
  });

  it("counts the whole bank with cut NONE, and has no churn for channel cuts", async () => {
    const r = await report(compliance.token, "NONE");
    expect(r.alertsRaised).toBe(7);
    expect(r.groups).toHaveLength(1);
    const all = r.groups[0];
    expect([all.cutValue, all.volume, all.complaints, all.surveys, all.averageScore]).toEqual(["", 5, 3, 4, 3.5]); // 14 / 4
    expect(byMetric(all)).toEqual({
      FIRST_RESPONSE_ON_TIME: [3, 4, "BREACHED"],
      RESOLUTION_ON_TIME: [2, 4, "BREACHED"],
      REGULATORY_DEADLINE_COMPLIANCE: [2, 3, "BREACHED"],
      SATISFACTION_RATE: [2, 4, "BREACHED"],
      REOPEN_RATE: [2, 3, "BREACHED"],
      REPEAT_COMPLAINT_RATE: [1, 3, "BREACHED"],
      CHURN_RATE: [2, 5, "BREACHED"], // base A, B, C, D, E; ended B, E
    });
    const ch = await report(compliance.token, "CHANNEL");
    // Received: c1, c3 PHONE; c2 EMAIL; c4 APP; c6 BRANCH. Surveys: c8, c7 EMAIL; c11, c9 PHONE.
    expect(ch.groups.map((g) => [g.cutValue, g.volume, g.surveys])).toEqual([["APP", 1, 0], ["BRANCH", 1, 0], ["EMAIL", 1, 2], ["PHONE", 2, 2]]);
    for (const g of ch.groups) expect(byMetric(g).CHURN_RATE).toEqual([0, 0, null]);
    const phone = byMetric(ch.groups[3]);
    expect(phone.FIRST_RESPONSE_ON_TIME).toEqual([1, 2, "BREACHED"]); // c1 met, c3 breached
    expect(phone.REGULATORY_DEADLINE_COMPLIANCE).toEqual([2, 2, "MET"]); // c1, c10 (c11 at to out)
    expect(phone.SATISFACTION_RATE).toEqual([0, 2, "BREACHED"]); // c11 (2), c9 (3)
  });

  it("moves the period by a time zone's calendar day (America/New_York 2026-11-01 is 25 hours)", async () => {
    // New York's 2026-11-01 = [04:00Z, next day 05:00Z): c2 and c6 (received 2026-11-02T00:00Z) are in it;
    // c1 (00:00Z) belongs to New York's 10-31. UTC's 2026-11-01 holds c1 only.
    const ny = await report(compliance.token, "NONE", "2026-11-01", "2026-11-02", "America/New_York");
    expect([ny.from, ny.to]).toEqual(["2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"]);
    expect(ny.groups[0].volume).toBe(2);
    // Survey c9 (2026-11-02T00:00Z) is New York's 11-01; c8 (2026-11-01T00:00Z) is its 10-31.
    expect(ny.groups[0].surveys).toBe(1);
    const utc = await report(compliance.token, "NONE", "2026-11-01", "2026-11-02");
    expect([utc.from, utc.to]).toEqual([FROM, "2026-11-02T00:00:00.000Z"]);
    expect([utc.groups[0].volume, utc.groups[0].surveys]).toEqual([1, 1]);
    const bad = await server.gql(REPORT, { from: "2026-11-01", to: "2026-11-02", cut: "NONE", tz: "Mars/Olympus" }, { token: compliance.token });
    expect(errorCode(bad)).toBe("BAD_USER_INPUT");
    const backwards = await server.gql(REPORT, { from: TO, to: FROM, cut: "NONE" }, { token: compliance.token });
    expect(errorCode(backwards)).toBe("BAD_USER_INPUT");
  });
});

describe("quality alerts", () => {
  const ALERTS = `query($a: Boolean) { qualityAlerts(acknowledged: $a) { id metric cutKind cutValue numerator denominator periodFrom periodTo acknowledgedBy acknowledgedAt } }`;

  it("raises one alert per breached metric, period and cut, exactly once; compliance acknowledges", async () => {
    const period = { from: "2026-10-01T00:00:00.000Z", to: "2026-11-09T00:00:00.000Z" };
    const before = await server.sql<{ n: string }>(`SELECT count(*) AS n FROM quality_alert WHERE period_from = $1 AND period_to = $2`, [period.from, period.to]);
    expect(Number(before[0].n)).toBe(0);
    const first = await report(compliance.token, "BUSINESS_LINE", period.from, period.to);
    const breached = first.groups.flatMap((g) => Object.values(g.metrics).filter((m) => m.status === "BREACHED").map((m) => `${g.cutValue}:${m.metric}`));
    expect(breached.length).toBeGreaterThan(0);
    expect(first.alertsRaised).toBe(breached.length);
    const again = await report(compliance.token, "BUSINESS_LINE", period.from, period.to);
    expect(again.alertsRaised).toBe(0);
    const rows = await server.sql<{ key: string }>(
      `SELECT cut_value || ':' || metric AS key FROM quality_alert WHERE period_from = $1 AND period_to = $2 AND cut_kind = 'BUSINESS_LINE' ORDER BY 1`,
      [period.from, period.to],
    );
    expect(rows.map((r) => r.key)).toEqual([...breached].sort());

    // The week's nine alerts by line were raised by the first test's computation; computing again adds none.
    expect((await report(compliance.token, "BUSINESS_LINE")).alertsRaised).toBe(0);
    const open = await server.gql(ALERTS, { a: false }, { token: compliance.token });
    expect(open.errors).toBeUndefined();
    const weekAlerts = (open.data!.qualityAlerts as Array<Record<string, any>>).filter((a) => a.periodFrom === FROM && a.periodTo === TO && a.cutKind === "BUSINESS_LINE");
    expect(weekAlerts).toHaveLength(9);
    const churn = weekAlerts.find((a) => a.metric === "CHURN_RATE" && a.cutValue === PB)!;
    expect([churn.numerator, churn.denominator, churn.cutKind]).toEqual([2, 4, "BUSINESS_LINE"]);

    const ack = await server.gql(`mutation($id: ID!) { acknowledgeQualityAlert(id: $id) { id acknowledgedBy acknowledgedAt } }`, { id: churn.id }, { token: compliance.token });
    expect(ack.errors).toBeUndefined();
    expect(ack.data!.acknowledgeQualityAlert).toEqual({ id: churn.id, acknowledgedBy: compliance.id, acknowledgedAt: NOW });
    const twice = await server.gql(`mutation($id: ID!) { acknowledgeQualityAlert(id: $id) { id } }`, { id: churn.id }, { token: compliance.token });
    expect(errorCode(twice)).toBe("CONFLICT");
    const acknowledged = await server.gql(ALERTS, { a: true }, { token: compliance.token });
    expect((acknowledged.data!.qualityAlerts as Array<{ id: string }>).map((a) => a.id)).toEqual([churn.id]);
    // Audited: the acknowledgement once, and the refused second attempt as its own event.
    const audited = await server.sql<{ outcome: string }>(`SELECT outcome FROM audit_event WHERE action = 'quality.alert.acknowledge' AND resource_id = $1 ORDER BY seq`, [churn.id]);
    expect(audited.map((a) => a.outcome)).toEqual(["SUCCESS", "FAILURE"]);

    // Auditors read alerts but cannot acknowledge; a team lead sees none.
    const other = weekAlerts.find((a) => a.id !== churn.id)!;
    expect(errorCode(await server.gql(`mutation($id: ID!) { acknowledgeQualityAlert(id: $id) { id } }`, { id: other.id }, { token: auditor.token }))).toBe("FORBIDDEN");
    expect((await server.gql(ALERTS, {}, { token: auditor.token })).errors).toBeUndefined();
    expect(errorCode(await server.gql(ALERTS, {}, { token: leadPb.token }))).toBe("FORBIDDEN");
  });
});

describe("line isolation", () => {
  it("gives a team lead their own line's figures only, counted in SQL, and raises no alerts", async () => {
    const compl = await report(compliance.token, "BUSINESS_LINE");
    const lead = await report(leadIns.token, "BUSINESS_LINE");
    expect(lead.groups.map((g) => g.cutValue)).toEqual([INS]);
    expect(lead.groups[0]).toEqual(compl.groups.find((g) => g.cutValue === INS));
    expect(lead.alertsRaised).toBe(0);
    // The whole-bank cut is the lead's line: 1 case, churn base A, C.
    const none = await report(leadIns.token, "NONE");
    expect([none.groups[0].volume, none.groups[0].complaints, none.groups[0].surveys]).toEqual([1, 1, 1]);
    expect(byMetric(none.groups[0]).CHURN_RATE).toEqual([0, 2, "MET"]);
    expect(byMetric(none.groups[0]).REOPEN_RATE).toEqual([1, 1, "BREACHED"]);
    // By agent: the PB agent's cases never appear to the INS lead; INS cases are unassigned.
    const agents = await report(leadIns.token, "AGENT");
    expect(agents.groups.map((g) => g.cutValue)).toEqual(["UNASSIGNED"]);
    const pbAgents = await report(leadPb.token, "AGENT");
    expect(pbAgents.groups.map((g) => [g.cutValue, g.volume])).toEqual([[agentPb.id, 4]]);
    // An agent sees no figures at all.
    expect(errorCode(await server.gql(REPORT, { from: FROM, to: TO, cut: "NONE" }, { token: agentPb.token }))).toBe("FORBIDDEN");
  });
});
