// The audit reports on hand-built histories under a manual clock: unrelated-customer, volume and
// after-hours findings with the seqs behind them, a customer's access report, denied attempts, the CSV
// and JSON-lines trail export parsed back, the audit.report event each run leaves, and who may run them.
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditExportCommand } from "../../src/audit/export-command";
import { ManualClock } from "../../src/clock";
import type { CustosCore } from "../../src/main";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { createCustomer, errorCode } from "./api-helpers";

let server: TestServer;
let agentPB: StaffLogin; // unrelated-customer, access-report and denied scenarios
let agentIns: StaffLogin; // after hours
let agentCorp: StaffLogin; // a burst with no baseline
let agentSec: StaffLogin; // the same burst, under its own busy baseline
let security: StaffLogin;
let compliance: StaffLogin;

const FORMULA_REQUEST_ID = "@SUM/A1:A2";
const s = {} as {
  related: string;
  unrelated: string;
  unrelatedSeqs: number[];
  relatedSeqs: number[];
  afterHoursWeekday: number[];
  afterHoursSunday: number[];
  inHours: number[];
  accessCustomer: string;
  accessCase: string;
  accessSeqs: { seq: number; via: string; fields: string[]; purpose: string | null; caseId: string | null }[];
  outsideAccessSeqs: number[];
  insCustomer: string;
  deniedSeqs: number[];
  notFoundSeqs: number[];
  exportSeqs: number[];
};

async function tokenNow(who: StaffLogin): Promise<string> {
  const res = await server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: who.email, p: who.password });
  expect(res.errors).toBeUndefined();
  who.token = res.data!.login.accessToken;
  return who.token;
}

/** Moves the clock and logs the given staff in again (access tokens live 15 minutes of clock time). */
async function at(iso: string, ...who: StaffLogin[]): Promise<void> {
  server.clock.set(iso);
  for (const w of who) await tokenNow(w);
}

async function seqsOf(requestId: string, action?: string): Promise<number[]> {
  const rows = await server.sql<{ seq: number }>(
    `SELECT seq::int AS seq FROM audit_event WHERE request_id = $1 ${action ? "AND action = $2" : ""} ORDER BY seq`,
    action ? [requestId, action] : [requestId],
  );
  return rows.map((r) => r.seq);
}

/** Reads a customer in a request of its own; returns that request's id. */
async function readCustomer(who: StaffLogin, id: string, fields = "fullName", purpose = "CASE_HANDLING", requestId = `r-${randomUUID()}`): Promise<string> {
  const res = await server.gql(`query($id: ID!) { customer(id: $id) { id ${fields} } }`, { id }, { token: who.token, purpose, headers: { "x-request-id": requestId } });
  expect(res.errors).toBeUndefined();
  return requestId;
}

async function openCase(who: StaffLogin, customerId: string, businessLine: string): Promise<string> {
  const res = await server.gql(
    `mutation($i: OpenCaseInput!) { openCase(input: $i) { id assigneeId } }`,
    { i: { customerId, channel: "EMAIL", kind: "INQUIRY", category: "fees", complexity: "COMMON", businessLine, summary: "Asks about fees" } },
    { token: who.token },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data!.openCase.assigneeId).toBe(who.id);
  return res.data!.openCase.id;
}

const UNUSUAL = `query($from: DateTimeISO!, $to: DateTimeISO!) { unusualAccess(from: $from, to: $to) {
  findings { kind actorId actorRole customerId day eventCount seqs baselineCount threshold } } }`;

async function unusual(from: string, to: string) {
  const res = await server.gql(UNUSUAL, { from, to }, { token: await tokenNow(security) });
  expect(res.errors).toBeUndefined();
  return res.data!.unusualAccess.findings as Array<{ kind: string; actorId: string; customerId: string | null; day: string | null; eventCount: number; seqs: number[]; baselineCount: number | null; threshold: number | null }>;
}

beforeAll(async () => {
  server = await createTestServer({ clock: new ManualClock("2026-11-02T09:00:00.000Z") });
  agentPB = await server.staff("AGENT", "PERSONAL_BANKING");
  agentIns = await server.staff("AGENT", "INSURANCE");
  agentCorp = await server.staff("AGENT", "CORPORATE_FINANCE");
  agentSec = await server.staff("AGENT", "SECURITIES");
  security = await server.staff("SECURITY_ANALYST");
  compliance = await server.staff("COMPLIANCE_OFFICER");

  // Tue 3 Nov, 10:00: a customer of the agent's own case, and one with no case at all. agentSec builds a
  // baseline of 24 reads (the 30 days before the volume window start on 1 Nov).
  await at("2026-11-03T10:00:00.000Z", agentPB, agentSec);
  s.related = (await createCustomer(server, agentPB.token)).id;
  await openCase(agentPB, s.related, "PERSONAL_BANKING");
  s.unrelated = (await createCustomer(server, agentPB.token)).id;
  s.relatedSeqs = await seqsOf(await readCustomer(agentPB, s.related), "customer.read");
  s.unrelatedSeqs = [
    ...(await seqsOf(await readCustomer(agentPB, s.unrelated), "customer.read")),
    ...(await seqsOf(await readCustomer(agentPB, s.unrelated, "email"), "customer.read")),
  ];
  const secCustomer = (await createCustomer(server, agentSec.token)).id;
  for (let i = 0; i < 24; i++) await readCustomer(agentSec, secCustomer);

  // Wed 4 Nov: reads of one customer, directly and through their case, inside and outside 10:00–12:00.
  await at("2026-11-04T09:30:00.000Z", agentPB);
  s.accessCustomer = (await createCustomer(server, agentPB.token)).id;
  s.accessCase = await openCase(agentPB, s.accessCustomer, "PERSONAL_BANKING");
  const other = (await createCustomer(server, agentPB.token)).id;
  s.outsideAccessSeqs = await seqsOf(await readCustomer(agentPB, s.accessCustomer), "customer.read");
  s.accessSeqs = [];
  await at("2026-11-04T10:05:00.000Z", agentPB, compliance);
  for (const seq of await seqsOf(await readCustomer(agentPB, s.accessCustomer, "fullName email"), "customer.read")) {
    s.accessSeqs.push({ seq, via: "customer", fields: ["email", "fullName"], purpose: "CASE_HANDLING", caseId: null });
  }
  await readCustomer(agentPB, other); // another customer: not in the report
  const caseRead = `case-${randomUUID()}`;
  const res = await server.gql(`query($id: ID!) { case(id: $id) { id summary } }`, { id: s.accessCase }, { token: compliance.token, purpose: "COMPLAINT_INVESTIGATION", headers: { "x-request-id": caseRead } });
  expect(res.errors).toBeUndefined();
  for (const seq of await seqsOf(caseRead, "case.read")) s.accessSeqs.push({ seq, via: "case", fields: ["summary"], purpose: "COMPLAINT_INVESTIGATION", caseId: s.accessCase });
  await at("2026-11-04T13:00:00.000Z", agentPB);
  s.outsideAccessSeqs.push(...(await seqsOf(await readCustomer(agentPB, s.accessCustomer), "customer.read")));

  // Thu 5 Nov, 10:00: agentPB tries a customer of another line (NOT_FOUND to the client, DENIED in the log),
  // a customer that does not exist, and the trail.
  await at("2026-11-05T09:50:00.000Z", agentIns);
  s.insCustomer = (await createCustomer(server, agentIns.token)).id;
  await at("2026-11-05T10:00:00.000Z", agentPB);
  const denied = `denied-${randomUUID()}`;
  expect(errorCode(await server.gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: s.insCustomer }, { token: agentPB.token, headers: { "x-request-id": denied } }))).toBe("NOT_FOUND");
  const missing = `missing-${randomUUID()}`;
  expect(errorCode(await server.gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: randomUUID() }, { token: agentPB.token, headers: { "x-request-id": missing } }))).toBe("NOT_FOUND");
  const trail = `trail-${randomUUID()}`;
  expect(errorCode(await server.gql(`{ auditTrail(first: 1) { totalCount } }`, {}, { token: agentPB.token, headers: { "x-request-id": trail } }))).toBe("FORBIDDEN");
  s.deniedSeqs = [...(await seqsOf(denied)), ...(await seqsOf(trail))];
  s.notFoundSeqs = await seqsOf(missing);

  // agentIns: Tue 10 Nov 23:00 (after hours), Sun 15 Nov 12:00 (not a working day), Tue 17 Nov 10:00 (fine).
  await at("2026-11-10T23:00:00.000Z", agentIns);
  s.afterHoursWeekday = await seqsOf(await readCustomer(agentIns, s.insCustomer), "customer.read");
  await at("2026-11-15T12:00:00.000Z", agentIns);
  s.afterHoursSunday = await seqsOf(await readCustomer(agentIns, s.insCustomer), "customer.read");
  await at("2026-11-17T10:00:00.000Z", agentIns);
  s.inHours = await seqsOf(await readCustomer(agentIns, s.insCustomer), "customer.read");

  // Wed 2 Dec, 10:00: the same burst of 25 reads by agentCorp (no history) and agentSec (24 reads before).
  await at("2026-12-01T09:00:00.000Z", agentCorp);
  const corpCustomer = (await createCustomer(server, agentCorp.token)).id;
  await at("2026-12-02T10:00:00.000Z", agentCorp, agentSec);
  for (let i = 0; i < 25; i++) await readCustomer(agentCorp, corpCustomer);
  for (let i = 0; i < 25; i++) await readCustomer(agentSec, secCustomer);

  // Mon 14 Dec: a read whose request id looks like a spreadsheet formula, for the export.
  await at("2026-12-14T10:00:00.000Z", agentPB);
  s.exportSeqs = await seqsOf(await readCustomer(agentPB, s.related, "fullName", "CASE_HANDLING", FORMULA_REQUEST_ID), "customer.read");
}, 120_000);
afterAll(() => server?.stop());

describe("unusualAccess", () => {
  it("finds an agent's reads of a customer unrelated to their cases, not of their own case's customer", async () => {
    const findings = (await unusual("2026-11-03T00:00:00.000Z", "2026-11-04T00:00:00.000Z")).filter((f) => f.kind === "UNRELATED_CUSTOMER" && f.actorId === agentPB.id);
    expect(findings).toHaveLength(1);
    expect(findings[0].customerId).toBe(s.unrelated);
    expect(findings[0].seqs).toEqual(s.unrelatedSeqs);
    expect(findings[0].eventCount).toBe(2);
    expect(s.relatedSeqs).toHaveLength(1);
    expect(findings.flatMap((f) => f.seqs)).not.toContain(s.relatedSeqs[0]);
  });

  it("finds a burst far above the actor's own baseline, and not the same burst for a busier actor", async () => {
    const findings = (await unusual("2026-12-01T00:00:00.000Z", "2026-12-11T00:00:00.000Z")).filter((f) => f.kind === "VOLUME_ABOVE_BASELINE");
    const corp = findings.filter((f) => f.actorId === agentCorp.id);
    expect(corp).toHaveLength(1);
    expect(corp[0]).toMatchObject({ eventCount: 25, baselineCount: 0, threshold: 20 });
    const burst = await server.sql<{ seq: number }>(`SELECT seq::int AS seq FROM audit_event WHERE actor_id = $1 AND action = 'customer.read' AND occurred_at >= '2026-12-02' ORDER BY seq`, [agentCorp.id]);
    expect(corp[0].seqs).toEqual(burst.map((r) => r.seq));
    // 24 reads in the 30 days before a 10-day window: average 8 per window, threshold max(20, 40) = 40 > 25.
    expect(findings.filter((f) => f.actorId === agentSec.id)).toEqual([]);
  });

  it("finds reads at 23:00 on a weekday and on a Sunday, none at 10:00 on a Tuesday", async () => {
    const findings = (await unusual("2026-11-10T00:00:00.000Z", "2026-11-18T00:00:00.000Z")).filter((f) => f.kind === "OUTSIDE_WORKING_HOURS" && f.actorId === agentIns.id);
    expect(findings.map((f) => [f.day, f.seqs])).toEqual([
      ["2026-11-10", s.afterHoursWeekday],
      ["2026-11-15", s.afterHoursSunday],
    ]);
    expect(findings.flatMap((f) => f.seqs)).not.toContain(s.inHours[0]);
  });
});

describe("accessReport", () => {
  it("lists exactly the reads of the customer in the window, directly and through their case, with fields and purposes", async () => {
    const res = await server.gql(
      `query($c: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { accessReport(customerId: $c, from: $from, to: $to) {
        customerId truncated entries { seq actorId action outcome fields purpose via caseId } } }`,
      { c: s.accessCustomer, from: "2026-11-04T10:00:00.000Z", to: "2026-11-04T12:00:00.000Z" },
      { token: await tokenNow(security) },
    );
    expect(res.errors).toBeUndefined();
    const report = res.data!.accessReport;
    expect(report.truncated).toBe(false);
    expect(report.entries.map((e: { seq: number; via: string; fields: string[]; purpose: string; caseId: string | null }) => ({ seq: e.seq, via: e.via, fields: [...e.fields].sort(), purpose: e.purpose, caseId: e.caseId }))).toEqual(s.accessSeqs);
    expect(report.entries.map((e: { actorId: string }) => e.actorId)).toEqual([agentPB.id, compliance.id]);
    expect(report.entries.every((e: { outcome: string }) => e.outcome === "SUCCESS")).toBe(true);
    expect(report.entries.map((e: { seq: number }) => e.seq)).not.toContain(s.outsideAccessSeqs[0]);
  });

  it("refuses an id that is not a UUID and a window that ends before it starts", async () => {
    const token = await tokenNow(security);
    const q = `query($c: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { accessReport(customerId: $c, from: $from, to: $to) { truncated } }`;
    expect(errorCode(await server.gql(q, { c: "nope", from: "2026-11-04T10:00:00Z", to: "2026-11-04T12:00:00Z" }, { token }))).toBe("BAD_USER_INPUT");
    expect(errorCode(await server.gql(q, { c: s.accessCustomer, from: "2026-11-04T12:00:00Z", to: "2026-11-04T10:00:00Z" }, { token }))).toBe("BAD_USER_INPUT");
  });
});

describe("deniedAccess", () => {
  it("lists the denied and not-found attempts with actor, action, resource and time, and counts them per actor", async () => {
    const res = await server.gql(
      `query($from: DateTimeISO!, $to: DateTimeISO!) { deniedAccess(from: $from, to: $to) {
        truncated byActor { actorId actorRole denied notFound total } events { seq actorId action resourceType resourceId outcome occurredAt } } }`,
      { from: "2026-11-05T10:00:00.000Z", to: "2026-11-05T11:00:00.000Z" },
      { token: await tokenNow(security) },
    );
    expect(res.errors).toBeUndefined();
    const report = res.data!.deniedAccess;
    expect(report.byActor).toEqual([{ actorId: agentPB.id, actorRole: "AGENT", denied: 2, notFound: 1, total: 3 }]);
    expect(report.events.map((e: { seq: number }) => e.seq)).toEqual([...s.deniedSeqs, ...s.notFoundSeqs].sort((a, b) => a - b));
    const byAction = Object.fromEntries(report.events.map((e: { action: string; outcome: string; resourceId: string | null }) => [`${e.action}/${e.outcome}`, e.resourceId]));
    expect(byAction).toMatchObject({ "customer.read/DENIED": s.insCustomer, "audit.query/DENIED": null });
    expect(Object.keys(byAction)).toContain("customer.read/NOT_FOUND");
    expect(report.events.every((e: { occurredAt: string }) => e.occurredAt === "2026-11-05T10:00:00.000Z")).toBe(true);
  });
});

/** RFC 4180 reader for the round trip: quoted cells, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(cell), (cell = "");
    else if (c === "\r" && text[i + 1] === "\n") row.push(cell), rows.push(row), (row = []), (cell = ""), i++;
    else cell += c;
  }
  expect(cell).toBe("");
  expect(row).toEqual([]);
  return rows;
}

const unformula = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

describe("auditTrailExport", () => {
  const EXPORT = `query($f: AuditTrailFilter, $format: AuditExportFormat!, $limit: Int) { auditTrailExport(filter: $f, format: $format, limit: $limit) { format rowCount truncated lastSeq content } }`;
  const filter = () => ({ actorId: agentPB.id, from: "2026-11-03T00:00:00.000Z", to: "2026-11-06T00:00:00.000Z" });

  it("exports JSON lines that parse back into the trail's events", async () => {
    const res = await server.gql(EXPORT, { f: filter(), format: "JSONL" }, { token: await tokenNow(compliance) });
    expect(res.errors).toBeUndefined();
    const out = res.data!.auditTrailExport;
    const events = out.content.trimEnd().split("\n").map((l: string) => JSON.parse(l));
    const expected = await server.sql<{ seq: number; action: string }>(
      `SELECT seq::int AS seq, action FROM audit_event WHERE actor_id = $1 AND occurred_at >= $2 AND occurred_at < $3 ORDER BY seq`,
      [agentPB.id, filter().from, filter().to],
    );
    expect(events.map((e: { seq: number; action: string }) => ({ seq: e.seq, action: e.action }))).toEqual(expected);
    expect(out).toMatchObject({ format: "JSONL", rowCount: expected.length, truncated: false, lastSeq: expected.at(-1)!.seq });
    expect(events.every((e: { hash: string; details: object }) => /^[0-9a-f]{64}$/.test(e.hash) && typeof e.details === "object")).toBe(true);
  });

  it("exports RFC 4180 CSV with a header that parses back to the same events as the JSON lines", async () => {
    const token = await tokenNow(security);
    const csv = (await server.gql(EXPORT, { f: filter(), format: "CSV" }, { token })).data!.auditTrailExport.content as string;
    const jsonl = (await server.gql(EXPORT, { f: filter(), format: "JSONL" }, { token })).data!.auditTrailExport.content as string;
    const [header, ...rows] = parseCsv(csv);
    expect(header).toEqual(["seq", "occurred_at", "actor_id", "actor_role", "action", "resource_type", "resource_id", "fields", "outcome", "request_id", "operation", "client_address", "purpose", "details", "prev_hash", "hash"]);
    const events = jsonl.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(events.length);
    rows.forEach((row, i) => {
      const r = Object.fromEntries(header.map((h, j) => [h, unformula(row[j])]));
      const e = events[i];
      expect({
        seq: Number(r.seq), occurredAt: r.occurred_at, actorId: r.actor_id, action: r.action, resourceId: r.resource_id || null,
        fields: r.fields ? r.fields.split(";") : [], outcome: r.outcome, purpose: r.purpose || null, details: JSON.parse(r.details), hash: r.hash,
      }).toEqual({ seq: e.seq, occurredAt: e.occurredAt, actorId: e.actorId, action: e.action, resourceId: e.resourceId, fields: e.fields, outcome: e.outcome, purpose: e.purpose, details: e.details, hash: e.hash });
    });
  });

  it("neutralises a cell that a spreadsheet would run as a formula", async () => {
    const res = await server.gql(EXPORT, { f: { actorId: agentPB.id, action: "customer.read", from: "2026-12-14T00:00:00.000Z" }, format: "CSV" }, { token: await tokenNow(compliance) });
    const content = res.data!.auditTrailExport.content as string;
    const [header, ...rows] = parseCsv(content);
    const col = header.indexOf("request_id");
    expect(rows.map((r) => Number(r[0]))).toEqual(s.exportSeqs);
    expect(rows.every((r) => r[col] === `'${FORMULA_REQUEST_ID}`)).toBe(true);
    expect(content).not.toMatch(/(^|,)@SUM/m);
  });

  it("bounds the export and says so when the limit cuts it", async () => {
    const token = await tokenNow(compliance);
    const cut = await server.gql(EXPORT, { f: filter(), format: "JSONL", limit: 2 }, { token });
    expect(cut.data!.auditTrailExport).toMatchObject({ rowCount: 2, truncated: true });
    expect(errorCode(await server.gql(EXPORT, { format: "CSV", limit: 50_001 }, { token }))).toBe("BAD_USER_INPUT");
  });
});

describe("custos audit export", () => {
  it("streams the same CSV as the GraphQL export, recording an audit.report event first", async () => {
    const chunks: string[] = [];
    const out = new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } });
    const core = { ds: server.custos.ds, services: server.custos.services } as unknown as CustosCore;
    const actor = { principal: null, ability: null, meta: { requestId: "cli-export-test", operation: "cli.audit.export", clientAddress: null, purpose: null } };
    const argv = ["--format", "csv", "--actor", agentPB.id, "--from", "2026-11-03T00:00:00.000Z", "--to", "2026-11-06T00:00:00.000Z"];
    expect(await auditExportCommand(core, argv, actor, out)).toBe(0);
    const viaApi = await server.gql(`query($f: AuditTrailFilter) { auditTrailExport(filter: $f, format: CSV) { content } }`,
      { f: { actorId: agentPB.id, from: "2026-11-03T00:00:00.000Z", to: "2026-11-06T00:00:00.000Z" } }, { token: await tokenNow(compliance) });
    expect(chunks.join("")).toBe(viaApi.data!.auditTrailExport.content);
    const [event] = await server.sql<{ fields: string[]; details: Record<string, unknown> }>(`SELECT fields, details FROM audit_event WHERE request_id = 'cli-export-test'`);
    expect(event.fields).toEqual(["actorId", "format", "from", "to"]);
    expect(event.details.report).toBe("auditTrailExport");
  });
});

describe("every report is itself audited, and only for those who may run it", () => {
  it("leaves an audit.report event naming the report and its parameters, never their values", async () => {
    const rows = await server.sql<{ actor_id: string; fields: string[]; details: Record<string, unknown> }>(
      `SELECT actor_id, fields, details FROM audit_event WHERE action = 'audit.report' AND outcome = 'SUCCESS' ORDER BY seq`,
    );
    const byReport = new Map(rows.map((r) => [r.details.report as string, r]));
    expect([...byReport.keys()].sort()).toEqual(["accessReport", "auditTrailExport", "deniedAccess", "unusualAccess"]);
    expect(byReport.get("accessReport")!.fields).toEqual(["customerId", "from", "to"]);
    expect(byReport.get("deniedAccess")!.fields).toEqual(["from", "to"]);
    expect(byReport.get("unusualAccess")!.actor_id).toBe(security.id);
    expect(rows.find((r) => r.details.report === "auditTrailExport" && r.actor_id === security.id)?.fields).toEqual(["actorId", "format", "from", "to"]);
    expect(JSON.stringify(rows)).not.toContain(s.accessCustomer);
  });

  it("refuses an AGENT every report with FORBIDDEN and records the refusal", async () => {
    const token = await tokenNow(agentPB);
    const window = { from: "2026-11-01T00:00:00.000Z", to: "2026-11-30T00:00:00.000Z" };
    const attempts = [
      server.gql(`{ auditTrailExport(format: CSV) { rowCount } }`, {}, { token }),
      server.gql(`query($c: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { accessReport(customerId: $c, from: $from, to: $to) { truncated } }`, { c: s.related, ...window }, { token }),
      server.gql(`query($from: DateTimeISO!, $to: DateTimeISO!) { deniedAccess(from: $from, to: $to) { truncated } }`, window, { token }),
      server.gql(`query($from: DateTimeISO!, $to: DateTimeISO!) { unusualAccess(from: $from, to: $to) { findings { kind } } }`, window, { token }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(errorCode(res)).toBe("FORBIDDEN");
      expect(res.data).toBeNull();
    }
    const refused = await server.sql<{ report: string }>(`SELECT details->>'report' AS report FROM audit_event WHERE action = 'audit.report' AND outcome = 'DENIED' AND actor_id = $1 ORDER BY 1`, [agentPB.id]);
    expect(refused.map((r) => r.report)).toEqual(["accessReport", "auditTrailExport", "deniedAccess", "unusualAccess"]);
  });
});
