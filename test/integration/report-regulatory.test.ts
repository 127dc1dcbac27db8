// Regulators' reports end to end on a real database: a small complaint dataset whose every cell of the
// return is computed by hand below, in a UTC+8 business calendar with a holiday; the JSON, CSV, XLSX and
// PDF files as GraphQL returns them; each file's detached signature checked with only the published keys,
// and refused after one byte changes; the CLI writing FILE and FILE.jws and verifying them offline.
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCheckpointKeyFile } from "../../src/audit/checkpoint-commands";
import type { CheckpointVerificationKey } from "../../src/audit/checkpoint-jws";
import { ManualClock } from "../../src/clock";
import { reportCommand, reportVerifyCommand } from "../../src/reports/report-command";
import { verifyReportSignature, type ReportSignatureErrorCode } from "../../src/reports/report-signature";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { createCustomer, errorCode } from "./api-helpers";

const GENERATE = `mutation($k: RegulatoryReportKind!, $from: DateTimeISO!, $to: DateTimeISO!, $f: RegulatoryReportFormat!) {
  generateRegulatoryReport(kind: $k, from: $from, to: $to, format: $f) { fileName mediaType contentBase64 size sha256 signature checkpointSeq rootHash kid generatedAt }
}`;
// The period: Monday 2026-11-02 00:00 to Monday 2026-11-16 00:00 in Asia/Shanghai (UTC+8), as UTC instants.
const FROM = "2026-11-01T16:00:00.000Z";
const TO = "2026-11-15T16:00:00.000Z";
/** A local (UTC+8) wall-clock time as an instant. */
const cn = (local: string) => new Date(`${local}+08:00`);

let server: TestServer;
let compliance: StaffLogin;
let auditor: StaffLogin;
let dir: string;
let keyFile: string;
let keys: CheckpointVerificationKey[];

interface Row {
  ref: string;
  kind?: "COMPLAINT" | "INQUIRY";
  line: string;
  category: string;
  channel: string;
  received: Date;
  closed?: Date;
  outcome?: string;
  cause?: string;
  redress?: [string, string];
}

// Business days: Mon–Fri except the holiday Tuesday 2026-11-10. "Within 3 business days" = before local
// midnight ending the third business day after the day of receipt.
const ROWS: Row[] = [
  // C1: received Fri 6 Nov 10:00; business days after: Mon 9 (1), [Tue 10 holiday], Wed 11 (2), Thu 12 (3)
  // → deadline Fri 13 Nov 00:00 local. Closed Thu 12 23:59 → WITHIN_3_BUSINESS_DAYS (across the weekend).
  { ref: "C1", line: "PERSONAL_BANKING", category: "card.dispute", channel: "PHONE", received: cn("2026-11-06T10:00:00"), closed: cn("2026-11-12T23:59:00"), outcome: "UPHELD", cause: "PROCESS_ERROR", redress: ["100.50", "CNY"] },
  // C2: same receipt, closed exactly at the deadline Fri 13 00:00 → not before it; elapsed 6 d 14 h ≤ 15 d → WITHIN_15_DAYS.
  { ref: "C2", line: "PERSONAL_BANKING", category: "card.fees", channel: "EMAIL", received: cn("2026-11-06T10:00:00"), closed: cn("2026-11-13T00:00:00"), outcome: "PARTLY_UPHELD", cause: "PRICING_FEES", redress: ["20.25", "CNY"] },
  // C3: received Mon 9 Nov 09:00; after it: [Tue 10 holiday], Wed 11 (1), Thu 12 (2), Fri 13 (3) → deadline
  // Sat 14 00:00. Closed Fri 13 20:00 → WITHIN_3_BUSINESS_DAYS (without the holiday it would be WITHIN_15).
  { ref: "C3", line: "INSURANCE", category: "policy.claim", channel: "APP", received: cn("2026-11-09T09:00:00"), closed: cn("2026-11-13T20:00:00"), outcome: "NOT_UPHELD", cause: "NO_FAULT_FOUND" },
  // C4: received before the period (1 Oct 10:00), closed Tue 3 Nov 12:00: 33 d 2 h → WITHIN_60_DAYS; not "received".
  { ref: "C4", line: "SECURITIES", category: "trade.execution", channel: "PHONE", received: cn("2026-10-01T10:00:00"), closed: cn("2026-11-03T12:00:00"), outcome: "UPHELD", cause: "SYSTEM_ERROR", redress: ["10.00", "USD"] },
  // C5: received 1 Aug, closed Wed 4 Nov: > 60 d → LATER.
  { ref: "C5", line: "INSURANCE", category: "policy.terms", channel: "BRANCH", received: cn("2026-08-01T10:00:00"), closed: cn("2026-11-04T10:00:00"), outcome: "NOT_UPHELD", cause: "PRODUCT_DESIGN" },
  // C6: received 20 Oct 10:00, closed Thu 5 Nov 10:00: 16 d → WITHIN_30_DAYS.
  { ref: "C6", line: "PERSONAL_BANKING", category: "account.fees", channel: "EMAIL", received: cn("2026-10-20T10:00:00"), closed: cn("2026-11-05T10:00:00"), outcome: "PARTLY_UPHELD", cause: "PRICING_FEES", redress: ["0.00", "CNY"] },
  // C7: received Tue 10 Nov, still open → received, outstanding.
  { ref: "C7", line: "SECURITIES", category: "account.access", channel: "ONLINE_CHAT", received: cn("2026-11-10T09:00:00") },
  // C8: received 1 ms... one second before the period (Sun 1 Nov 23:59:59 local) → not received; open → outstanding.
  { ref: "C8", line: "CORPORATE_FINANCE", category: "loan.terms", channel: "PHONE", received: cn("2026-11-01T23:59:59") },
  // C9: received exactly at `from` (Mon 2 Nov 00:00 local = 1 Nov 16:00Z) → received; open → outstanding.
  { ref: "C9", line: "PERSONAL_BANKING", category: "account.fees", channel: "BRANCH", received: new Date(FROM) },
  // C10: received exactly at `to` → neither received nor outstanding (the period is [from, to)).
  { ref: "C10", line: "PERSONAL_BANKING", category: "card.dispute", channel: "APP", received: new Date(TO) },
  // C11: an inquiry, not a complaint → counted nowhere.
  { ref: "C11", kind: "INQUIRY", line: "PERSONAL_BANKING", category: "card.dispute", channel: "PHONE", received: cn("2026-11-04T10:00:00") },
  // C12: received Tue 3 Nov, closed 20 Nov (after the period) → received; outstanding at the period's end.
  { ref: "C12", line: "CORPORATE_FINANCE", category: "loan.terms", channel: "REGULATOR_REFERRAL", received: cn("2026-11-03T11:00:00"), closed: cn("2026-11-20T10:00:00"), outcome: "UPHELD", cause: "DELAY", redress: ["5.00", "CNY"] },
];

// Hand-computed: received = C1, C2, C3, C7, C9, C12 (6); closed in the period = C1–C6 (6).
const EXPECTED = {
  kind: "complaints",
  from: FROM,
  to: TO,
  timeZone: "Asia/Shanghai",
  received: {
    total: 6,
    // PERSONAL_BANKING: C1, C2, C9; CORPORATE_FINANCE: C12; SECURITIES: C7; INSURANCE: C3.
    byBusinessLine: [
      { key: "PERSONAL_BANKING", count: 3 },
      { key: "CORPORATE_FINANCE", count: 1 },
      { key: "SECURITIES", count: 1 },
      { key: "INSURANCE", count: 1 },
    ],
    // account: C7, C9; card: C1, C2; loan: C12; policy: C3 (sorted by name).
    byProductCategory: [
      { key: "account", count: 2 },
      { key: "card", count: 2 },
      { key: "loan", count: 1 },
      { key: "policy", count: 1 },
    ],
    // Causes recorded now: C1 PROCESS_ERROR, C2 PRICING_FEES, C3 NO_FAULT_FOUND, C12 DELAY; C7, C9 none yet.
    byCause: [
      { key: "DELAY", count: 1 },
      { key: "NO_FAULT_FOUND", count: 1 },
      { key: "PRICING_FEES", count: 1 },
      { key: "PROCESS_ERROR", count: 1 },
      { key: "UNDETERMINED", count: 2 },
    ],
    // PHONE C1, EMAIL C2, ONLINE_CHAT C7, BRANCH C9, APP C3, REGULATOR_REFERRAL C12.
    byChannel: [
      { key: "PHONE", count: 1 },
      { key: "EMAIL", count: 1 },
      { key: "ONLINE_CHAT", count: 1 },
      { key: "BRANCH", count: 1 },
      { key: "APP", count: 1 },
      { key: "REGULATOR_REFERRAL", count: 1 },
    ],
  },
  // ≤3 bd: C1, C3; ≤15 d: C2; ≤30 d: C6; ≤60 d: C4; later: C5.
  closed: { total: 6, WITHIN_3_BUSINESS_DAYS: 2, WITHIN_15_DAYS: 1, WITHIN_30_DAYS: 1, WITHIN_60_DAYS: 1, LATER: 1 },
  // Upheld C1, C4; partly C2, C6; not C3, C5. Upheld share (partly counts) = 4/6 = 0.6667; fully = 2/6 = 0.3333.
  outcomes: { upheld: 2, partlyUpheld: 2, notUpheld: 2, noOutcome: 0, upheldShare: "0.6667", fullyUpheldShare: "0.3333" },
  // CNY: 100.50 + 20.25 + 0.00 = 120.75 over C1, C2, C6 (C12's 5.00 closed after the period); USD 10.00 (C4).
  redress: [
    { currency: "CNY", amount: "120.75", complaints: 3 },
    { currency: "USD", amount: "10.00", complaints: 1 },
  ],
  // Received before `to` and not closed at `to`: C7, C8, C9, C12.
  outstandingAtPeriodEnd: 4,
  // Week of 2 Nov: received C9 (2), C12 (3), C1 and C2 (6) = 4; closed C4 (3), C5 (4), C6 (5) = 3.
  // Week of 9 Nov: received C3 (9), C7 (10) = 2; closed C1 (12), C2 (13 00:00), C3 (13) = 3.
  weekly: [
    { weekStart: "2026-11-02", received: 4, closed: 3 },
    { weekStart: "2026-11-09", received: 2, closed: 3 },
  ],
};

/** GraphQL enum names: COMPLAINTS, ACCESS, TRAINING_CONTROLS; JSON, CSV, XLSX, PDF. */
const enumName = (v: string) => v.toUpperCase().replace("-", "_");

async function generate(token: string, kind: string, format: string, period = { from: FROM, to: TO }) {
  return server.gql(GENERATE, { k: enumName(kind), from: period.from, to: period.to, f: enumName(format) }, { token });
}

async function generated(kind: string, format: string) {
  const res = await generate(compliance.token, kind, format);
  expect(res.errors).toBeUndefined();
  const r = res.data!.generateRegulatoryReport;
  return { ...r, bytes: Buffer.from(r.contentBase64, "base64") };
}

async function failure(bytes: Buffer, jws: string): Promise<ReportSignatureErrorCode | null> {
  try {
    await verifyReportSignature(bytes, jws, keys);
    return null;
  } catch (error) {
    return (error as { code: ReportSignatureErrorCode }).code;
  }
}

beforeAll(async () => {
  // The clock stands after the period: the report is asked for once the period is over.
  server = await createTestServer({ clock: new ManualClock("2026-11-25T02:00:00.000Z") });
  dir = await mkdtemp(path.join(os.tmpdir(), "report-test-"));
  compliance = await server.staff("COMPLIANCE_OFFICER");
  auditor = await server.staff("AUDITOR");
  const lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  const customerId = (await createCustomer(server, lead.token)).id;
  await server.sql(`UPDATE business_calendar SET time_zone = 'Asia/Shanghai' WHERE id = 'DEFAULT'`);
  await server.sql(`INSERT INTO business_holiday (calendar_id, day, label) VALUES ('DEFAULT', '2026-11-10', 'test holiday')`);
  for (const line of ["PERSONAL_BANKING", "CORPORATE_FINANCE", "SECURITIES", "INSURANCE"]) {
    await server.sql(`INSERT INTO team (name, business_line) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [`Report test ${line}`, line]);
  }
  const teams = new Map((await server.sql<{ id: string; business_line: string }>(`SELECT id, business_line FROM team`)).map((t) => [t.business_line, t.id]));
  for (const r of ROWS) {
    const id = randomUUID();
    await server.sql(
      `INSERT INTO support_case (id, reference, customer_id, channel, kind, category, complexity, business_line, team_id, status, received_at, first_response_due_at,
                                 summary_enc, resolution_outcome, root_cause_code, redress_amount, redress_currency, closed_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'COMMON', $7, $8, $9, $10, $10, '\\x00', $11, $12, $13, $14, $15)`,
      [id, `CS-TEST-${r.ref}`, customerId, r.channel, r.kind ?? "COMPLAINT", r.category, r.line, teams.get(r.line), r.closed ? "CLOSED" : "IN_PROGRESS", r.received, r.outcome ?? null, r.cause ?? null, r.redress?.[0] ?? null, r.redress?.[1] ?? null, r.closed ?? null],
    );
    if (r.closed) {
      await server.sql(`INSERT INTO case_event (case_id, type, occurred_at, data) VALUES ($1, 'STATUS_CHANGED', $2, '{"from":"RESOLVED","to":"CLOSED","command":"close"}')`, [id, r.closed]);
    }
  }
  const res = await fetch(new URL("/.well-known/audit-checkpoint-keys.json", server.url));
  keyFile = path.join(dir, "checkpoint-keys.json");
  await writeFile(keyFile, await res.text());
  keys = await readCheckpointKeyFile(keyFile);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("complaint-handling return", () => {
  it("JSON: every cell as computed by hand, with its provenance; the signature verifies and fails after one changed byte", async () => {
    const r = await generated("complaints", "json");
    expect(r.mediaType).toBe("application/json");
    expect(r.fileName).toBe("custos-complaints-2026-11-01_2026-11-15.json");
    const body = JSON.parse(r.bytes.toString("utf8"));
    expect(body.report).toEqual(EXPECTED);
    expect(body.provenance).toEqual({
      generatedAt: "2026-11-25T02:00:00.000Z",
      generator: "custos regulatory reports v1",
      checkpoint: { seq: r.checkpointSeq, rootHash: r.rootHash, kid: r.kid },
    });
    // The anchor is a real checkpoint at or after the head the report read.
    const [cp] = await server.sql<{ seq: string }>(`SELECT seq::text FROM audit_checkpoint WHERE seq = $1`, [r.checkpointSeq]);
    expect(cp).toBeDefined();

    const payload = await verifyReportSignature(r.bytes, r.signature, keys);
    expect(payload).toMatchObject({ kind: "complaints", format: "json", sha256: r.sha256, size: r.size, from: FROM, to: TO, checkpoint: { seq: r.checkpointSeq, rootHash: r.rootHash } });
    const tampered = Buffer.from(r.bytes);
    const i = tampered.indexOf("120.75");
    tampered[i] = "9".charCodeAt(0); // 120.75 → 920.75
    expect(await failure(tampered, r.signature)).toBe("HASH_MISMATCH");
    expect(await failure(r.bytes, r.signature)).toBeNull();
  });

  it("CSV: exact content", async () => {
    const r = await generated("complaints", "csv");
    const text = r.bytes.toString("utf8");
    const lines = text.split("\r\n");
    expect(text.endsWith("\r\n")).toBe(true);
    expect(lines.slice(0, 10)).toEqual([
      "table,row,column,value",
      "metadata,report,value,complaints",
      "metadata,title,value,Complaint-handling return",
      `metadata,period_from,value,${FROM}`,
      `metadata,period_to,value,${TO}`,
      "metadata,generated_at,value,2026-11-25T02:00:00.000Z",
      "metadata,generator,value,custos regulatory reports v1",
      `metadata,checkpoint_seq,value,${r.checkpointSeq}`,
      `metadata,checkpoint_root_hash,value,${r.rootHash}`,
      `metadata,checkpoint_kid,value,${r.kid}`,
    ]);
    expect(lines.slice(10)).toEqual([
      "summary,received,value,6",
      "summary,closed,value,6",
      "summary,closed_within_3_business_days,value,2",
      "summary,closed_within_15_days,value,1",
      "summary,closed_within_30_days,value,1",
      "summary,closed_within_60_days,value,1",
      "summary,closed_later,value,1",
      "summary,upheld,value,2",
      "summary,partly_upheld,value,2",
      "summary,not_upheld,value,2",
      "summary,no_outcome,value,0",
      "summary,upheld_share,value,0.6667",
      "summary,fully_upheld_share,value,0.3333",
      "summary,outstanding_at_period_end,value,4",
      "summary,time_zone,value,Asia/Shanghai",
      "received_by_business_line,PERSONAL_BANKING,count,3",
      "received_by_business_line,CORPORATE_FINANCE,count,1",
      "received_by_business_line,SECURITIES,count,1",
      "received_by_business_line,INSURANCE,count,1",
      "received_by_product_category,account,count,2",
      "received_by_product_category,card,count,2",
      "received_by_product_category,loan,count,1",
      "received_by_product_category,policy,count,1",
      "received_by_cause,DELAY,count,1",
      "received_by_cause,NO_FAULT_FOUND,count,1",
      "received_by_cause,PRICING_FEES,count,1",
      "received_by_cause,PROCESS_ERROR,count,1",
      "received_by_cause,UNDETERMINED,count,2",
      "received_by_channel,PHONE,count,1",
      "received_by_channel,EMAIL,count,1",
      "received_by_channel,ONLINE_CHAT,count,1",
      "received_by_channel,BRANCH,count,1",
      "received_by_channel,APP,count,1",
      "received_by_channel,REGULATOR_REFERRAL,count,1",
      "redress_paid,CNY,amount,120.75",
      "redress_paid,CNY,complaints,3",
      "redress_paid,USD,amount,10.00",
      "redress_paid,USD,complaints,1",
      "weekly,2026-11-02,received,4",
      "weekly,2026-11-02,closed,3",
      "weekly,2026-11-09,received,2",
      "weekly,2026-11-09,closed,3",
      "",
    ]);
    expect(await failure(r.bytes, r.signature)).toBeNull();
  });

  it("XLSX: re-read with exceljs, the expected cells and dates from the injected clock", async () => {
    const r = await generated("complaints", "xlsx");
    expect(r.bytes.subarray(0, 2).toString("latin1")).toBe("PK");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.bytes as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(["Report", "summary", "received_by_business_line", "received_by_product_category", "received_by_cause", "received_by_channel", "redress_paid", "weekly"]);
    expect(wb.created.toISOString()).toBe("2026-11-25T02:00:00.000Z");
    const meta = wb.getWorksheet("Report")!;
    expect(meta.getCell("A8").value).toBe("checkpoint_seq");
    expect(meta.getCell("B8").value).toBe(r.checkpointSeq);
    const summary = wb.getWorksheet("summary")!;
    expect(summary.getRow(1).values).toEqual([undefined, "measure", "value"]);
    expect(summary.getCell("A4").value).toBe("closed_within_3_business_days");
    expect(summary.getCell("B4").value).toBe(2);
    expect(summary.getCell("B13").value).toBe("0.6667");
    expect(summary.getCell("B15").value).toBe(4);
    const weekly = wb.getWorksheet("weekly")!;
    expect([weekly.getRow(2).values, weekly.getRow(3).values]).toEqual([
      [undefined, "2026-11-02", 4, 3],
      [undefined, "2026-11-09", 2, 3],
    ]);
    const redress = wb.getWorksheet("redress_paid")!;
    expect(redress.getRow(2).values).toEqual([undefined, "CNY", "120.75", 3]);
    expect(await failure(r.bytes, r.signature)).toBeNull();
  });

  it("PDF: a valid PDF with the title and its dates from the injected clock, signed", async () => {
    const r = await generated("complaints", "pdf");
    const text = r.bytes.toString("latin1");
    expect(text.startsWith("%PDF-1.")).toBe(true);
    expect(text.trimEnd().endsWith("%%EOF")).toBe(true);
    // The info dictionary's strings are indirect objects (uncompressed): the title and the injected date.
    expect(text).toMatch(/\/Title \d+ 0 R/);
    expect(text).toContain("(Complaint-handling return)");
    expect(text).toContain("(D:20261125020000Z)");
    // Standard fonts only: named, never embedded (no /FontFile).
    expect(text).toContain("/BaseFont /Helvetica");
    expect(text).not.toContain("/FontFile");
    const pages = Number(/\/Type \/Pages[\s\S]*?\/Count (\d+)/.exec(text)![1]);
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThanOrEqual(4);
    expect(await failure(r.bytes, r.signature)).toBeNull();
    const flipped = Buffer.from(r.bytes);
    flipped[flipped.length - 10] ^= 0x01;
    expect(await failure(flipped, r.signature)).toBe("HASH_MISMATCH");
  });

  it("is an audit event naming the report; an auditor may generate it, refusals are recorded", async () => {
    const before = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'report.generate' AND outcome = 'SUCCESS'`);
    const ok = await generate(auditor.token, "complaints", "json");
    expect(ok.errors).toBeUndefined();
    const denied = await generate(auditor.token, "access", "json");
    expect(errorCode(denied)).toBe("FORBIDDEN");
    const events = await server.sql<{ outcome: string; actor_id: string; details: Record<string, unknown>; fields: string[] }>(
      `SELECT outcome, actor_id, details, fields FROM audit_event WHERE action = 'report.generate' AND actor_id = $1 ORDER BY seq`,
      [auditor.id],
    );
    expect(events.map((e) => [e.outcome, e.details.report])).toEqual([
      ["SUCCESS", "complaints"],
      ["DENIED", "access"],
    ]);
    expect(events[0].details).toMatchObject({ format: "json", from: FROM, to: TO });
    // The anchor checkpoint covers everything the report read: its seq is at or after the head then.
    expect(Number(events[0].details.headSeq)).toBeLessThanOrEqual(ok.data!.generateRegulatoryReport.checkpointSeq);
    const after = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'report.generate' AND outcome = 'SUCCESS'`);
    expect(after[0].n).toBe(before[0].n + 1);
  });
});

describe("access and training-controls reports", () => {
  it("access report (JSON): reads and refused reads of the period, per actor, signed", async () => {
    // A window around the injected clock (the test's own events); measured before and after known actions.
    const period = { from: "2026-11-25T00:00:00.000Z", to: "2026-11-26T00:00:00.000Z" };
    const access = async () => {
      const res = await generate(compliance.token, "access", "json", period);
      expect(res.errors).toBeUndefined();
      const r = res.data!.generateRegulatoryReport;
      const bytes = Buffer.from(r.contentBase64, "base64");
      expect(await failure(bytes, r.signature)).toBeNull();
      return JSON.parse(bytes.toString("utf8")).report;
    };
    const before = await access();
    const outsider = await server.staff("AGENT", "INSURANCE");
    const [row] = await server.sql<{ id: string }>(`SELECT id::text FROM customer LIMIT 1`);
    const read = await server.gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: row.id }, { token: compliance.token });
    expect(read.errors).toBeUndefined();
    const refused = await server.gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: row.id }, { token: outsider.token });
    expect(["FORBIDDEN", "NOT_FOUND"]).toContain(errorCode(refused));
    const after = await access();
    expect(after.kind).toBe("access");
    // One successful customer.read by compliance; one refused read by the outsider.
    expect(after.totals.accessEvents).toBe(before.totals.accessEvents + 1);
    expect(after.totals.deniedAttempts + after.totals.notFoundAttempts).toBe(before.totals.deniedAttempts + before.totals.notFoundAttempts + 1);
    const mine = after.byActor.find((a: { actorId: string }) => a.actorId === compliance.id);
    expect(mine).toMatchObject({ actorRole: "COMPLIANCE_OFFICER", customers: 1 });
    expect(after.denied.some((d: { actorId: string }) => d.actorId === outsider.id)).toBe(true);
    // Outside the window nothing happened: the complaint period's access report is empty.
    const empty = await generated("access", "json");
    expect(JSON.parse(empty.bytes.toString("utf8")).report.totals).toEqual({ accessEvents: 0, actors: 0, deniedAttempts: 0, notFoundAttempts: 0, unusualFindings: 0 });
  });

  it("training and controls (JSON): training state and the control programme as of the period's end, by hand", async () => {
    // As of `at` = TO − 1 ms = 2026-11-15T15:59:59.999Z. The test server's own training records start on
    // 24 Nov (after `at`), so only the records below count.
    const rec = (staff: string, completed: string, expires: string) =>
      server.sql(`INSERT INTO staff_training (staff_id, course, completed_at, expires_at, recorded_at) VALUES ($1, 'DATA_PROTECTION', $2, $3, $2)`, [staff, completed, expires]);
    const lead = (await server.sql<{ id: string }>(`SELECT id::text FROM staff_user WHERE role = 'TEAM_LEAD' ORDER BY created_at LIMIT 1`))[0].id;
    await rec(compliance.id, "2026-10-01T00:00:00Z", "2027-10-01T00:00:00Z"); // > 30 days after at → CURRENT
    await rec(auditor.id, "2025-12-01T00:00:00Z", "2026-12-01T00:00:00Z"); // 15.3 days after at → EXPIRING
    await rec(lead, "2025-11-10T00:00:00Z", "2026-11-10T00:00:00Z"); // before at → EXPIRED
    const D = (iso: string) => new Date(iso);
    const m1 = randomUUID();
    const m2 = randomUUID();
    const m3 = randomUUID();
    const measure = (id: string, ref: string, status: string, created: string) =>
      server.sql(`INSERT INTO control_measure (id, reference, title, objective, owner_id, status, created_by, created_at, updated_at) VALUES ($1, $2, 't', 'o', $3, $4, $3, $5, $5)`, [id, ref, compliance.id, status, D(created)]);
    await measure(m1, "CTL-T0001", "IN_PROGRESS", "2026-10-01T00:00:00Z");
    await measure(m2, "CTL-T0002", "IMPLEMENTED", "2026-10-01T00:00:00Z");
    await measure(m3, "CTL-T0003", "PLANNED", "2026-11-20T00:00:00Z"); // created after at: not counted
    const ms = async (due: string, status: string, closed: string | null) => {
      const id = randomUUID();
      await server.sql(`INSERT INTO control_milestone (id, measure_id, title, due_at, status, closed_at, created_at) VALUES ($1, $2, 'm', $3, $4, $5, '2026-10-01T00:00:00Z')`, [id, m1, D(due), status, closed && D(closed)]);
      return id;
    };
    const ms1 = await ms("2026-11-10T00:00:00Z", "OPEN", null); // overdue
    await ms("2026-11-10T00:00:00Z", "DONE", "2026-11-12T00:00:00Z"); // done in time: done, not overdue
    await ms(TO, "OPEN", null); // due exactly at `to` > at: open, not overdue
    const ms4 = await ms("2026-11-05T00:00:00Z", "DONE", "2026-11-20T00:00:00Z"); // closed after at: open and overdue at at
    const meeting = randomUUID();
    await server.sql(`INSERT INTO control_meeting (id, title, held_at, attendee_ids, recorded_by, recorded_at) VALUES ($1, 'mt', '2026-10-02T00:00:00Z', ARRAY[$2::uuid], $2, '2026-10-02T00:00:00Z')`, [meeting, compliance.id]);
    const a1 = randomUUID();
    await server.sql(`INSERT INTO control_action_item (id, meeting_id, title, owner_id, due_at, status, closed_at, created_at) VALUES ($1, $2, 'a', $3, '2026-11-14T00:00:00Z', 'OPEN', NULL, '2026-10-02T00:00:00Z')`, [a1, meeting, compliance.id]);
    await server.sql(`INSERT INTO control_action_item (id, meeting_id, title, owner_id, due_at, status, closed_at, created_at) VALUES ($1, $2, 'a', $3, '2026-11-01T00:00:00Z', 'CANCELLED', '2026-10-30T00:00:00Z', '2026-10-02T00:00:00Z')`, [randomUUID(), meeting, compliance.id]);
    const sug = (submitted: string, status: string, reviewed: string | null) =>
      server.sql(`INSERT INTO improvement_suggestion (id, author_id, body, submitted_at, status, reviewer_id, reviewed_at) VALUES ($1, $2, 'b', $3, $4, $5, $6)`, [randomUUID(), auditor.id, D(submitted), status, reviewed ? compliance.id : null, reviewed && D(reviewed)]);
    await sug("2026-10-20T00:00:00Z", "SUBMITTED", null); // due for review 3 Nov ≤ at → overdue
    await sug("2026-11-10T00:00:00Z", "SUBMITTED", null); // due 24 Nov > at
    await sug("2026-10-01T00:00:00Z", "ACCEPTED", "2026-10-05T00:00:00Z");

    const r = await generated("training-controls", "json");
    const report = JSON.parse(r.bytes.toString("utf8")).report;
    const [{ n: active }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM staff_user WHERE active AND role <> 'SERVICE'`);
    expect(report.training.activeStaff).toBe(active);
    expect(report.training.byState).toEqual([
      { key: "CURRENT", count: 1 },
      { key: "EXPIRING", count: 1 },
      { key: "EXPIRED", count: 1 },
      { key: "NEVER_TRAINED", count: active - 3 },
    ]);
    // (1 current + 1 expiring) / active, 4 decimals.
    expect(report.training.currentShare).toBe((Math.round((2 / active) * 10000) / 10000).toFixed(4));
    const state = (id: string) => report.training.staff.find((s: { staffId: string }) => s.staffId === id);
    expect(state(compliance.id)).toEqual({ staffId: compliance.id, role: "COMPLIANCE_OFFICER", state: "CURRENT", expiresAt: "2027-10-01T00:00:00.000Z" });
    expect(state(auditor.id)).toMatchObject({ state: "EXPIRING" });
    expect(state(lead)).toMatchObject({ state: "EXPIRED" });
    expect(report.controls).toEqual({
      measuresByStatus: [
        { key: "IMPLEMENTED", count: 1 },
        { key: "IN_PROGRESS", count: 1 },
      ],
      // 4 milestones: 1 done by at; ms1 and ms4 overdue; 3 open at at (ms4 closed only later).
      milestones: { total: 4, done: 1, cancelled: 0, open: 3, overdue: 2 },
      actionItems: { total: 2, done: 0, cancelled: 1, open: 1, overdue: 1 },
      suggestions: { submitted: 3, accepted: 1, rejected: 0, overdueForReview: 1 },
      overdue: [
        { kind: "MILESTONE", reference: `CTL-T0001 / ${ms4}`, dueAt: "2026-11-05T00:00:00.000Z" },
        { kind: "MILESTONE", reference: `CTL-T0001 / ${ms1}`, dueAt: "2026-11-10T00:00:00.000Z" },
        { kind: "ACTION_ITEM", reference: a1, dueAt: "2026-11-14T00:00:00.000Z" },
      ],
    });
    expect(await failure(r.bytes, r.signature)).toBeNull();
  });
});

describe("custos report (CLI)", () => {
  it("writes FILE and FILE.jws, and `report verify` says VALID, then INVALID after one byte changes", async () => {
    const out = path.join(dir, "complaints.csv");
    const actor = { principal: null, ability: null, meta: { requestId: "cli-test", operation: "cli.report", clientAddress: null, purpose: null } };
    expect(await reportCommand(server.custos as never, ["complaints", "--from", FROM, "--to", TO, "--format", "csv", "--out", out], actor)).toBe(0);
    const chunks: string[] = [];
    const sink = { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream;
    expect(await reportVerifyCommand([out, `${out}.jws`, "--key", keyFile], sink)).toBe(0);
    expect(chunks.join("")).toMatch(/^VALID: complaints csv/);
    const bytes = await readFile(out);
    bytes[bytes.length - 3] ^= 0x01;
    await writeFile(out, bytes);
    chunks.length = 0;
    expect(await reportVerifyCommand([out, `${out}.jws`, "--key", keyFile], sink)).toBe(1);
    expect(chunks.join("")).toMatch(/^INVALID: HASH_MISMATCH/);
    // An existing file is never replaced.
    await expect(reportCommand(server.custos as never, ["complaints", "--from", FROM, "--to", TO, "--format", "csv", "--out", out], actor)).rejects.toThrow(/exists already/);
  });
});
