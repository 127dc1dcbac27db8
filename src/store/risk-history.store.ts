// Bulk writer for the risk models' demo history (src/seed/risk-history.ts): finished cases of the past,
// with their escalations, resolutions, redress and surveys, and customers some of whom have left. Same
// encryption as live writes; one audit event per object written, like the demo seed's.
import { CUSTOMER_PII_FIELDS, type BusinessLine, type CaseKind, type Channel, type Complexity } from "../domain/enums";
import { CaseEntity, CaseEventEntity, CustomerEntity, CustomerKeyEntity } from "../entities";
import type { UnitOfWork } from "./audited-store";
import type { CustomerCipher } from "./customer-cipher";
import type { CustomerPii } from "./customer.store";
import { seededCaseRow, seededCustomerRow } from "./seed.store";

export interface HistoryCustomer {
  pii: CustomerPii;
  businessLines: BusinessLine[];
  createdAt: Date;
  closed: boolean;
}

export interface HistoryCase {
  customerIndex: number;
  channel: Channel;
  kind: CaseKind;
  category: string;
  complexity: Complexity;
  businessLine: BusinessLine;
  teamId: string;
  assigneeId: string;
  receivedAt: Date;
  firstRespondedAt: Date;
  escalatedAt: Date | null;
  resolvedAt: Date;
  closedAt: Date;
  finalResponseSentAt: Date | null;
  outcome: "UPHELD" | "PARTLY_UPHELD" | "NOT_UPHELD";
  rootCauseCode: string;
  redressAmount: string | null;
  survey: { score: number; at: Date } | null;
  summary: string;
}

const CHUNK = 500;

async function inChunks<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await write(rows.slice(i, i + CHUNK));
}

export async function insertRiskHistory(uow: UnitOfWork, cipher: CustomerCipher, customers: HistoryCustomer[], cases: HistoryCase[]): Promise<{ customers: number; cases: number }> {
  const refs = async (seq: string, n: number): Promise<string[]> =>
    n === 0 ? [] : (await uow.em.query(`SELECT nextval('${seq}')::text AS n FROM generate_series(1, $1)`, [n])).map((r: { n: string }) => r.n);
  const customerRefs = await refs("customer_reference_seq", customers.length);
  const deks: Array<{ id: string; dek: Buffer }> = [];
  const customerRows: Array<Record<string, unknown>> = [];
  const keyRows: Array<Record<string, unknown>> = [];
  customers.forEach((c, i) => {
    const { row, key, id, dek } = seededCustomerRow(cipher, c, customerRefs[i], c.closed ? "CLOSED" : "ACTIVE");
    deks.push({ id, dek });
    customerRows.push(row);
    keyRows.push(key);
    uow.record({ action: "customer.create", resourceType: "customer", resourceId: id, outcome: "SUCCESS", fields: CUSTOMER_PII_FIELDS.filter((f) => c.pii[f] !== null), details: { source: "risk-history" } });
  });
  await inChunks(customerRows, (chunk) => uow.em.insert(CustomerEntity, chunk));
  await inChunks(keyRows, (chunk) => uow.em.insert(CustomerKeyEntity, chunk));

  const caseRefs = await refs("case_reference_seq", cases.length);
  const caseRows: Array<Record<string, unknown>> = [];
  const events: Array<Record<string, unknown>> = [];
  const surveys: unknown[][] = [];
  const resolutions: unknown[][] = [];
  cases.forEach((s, i) => {
    const customer = deks[s.customerIndex];
    const customerId = customer.id;
    const row = seededCaseRow(cipher, s, customer, caseRefs[i], "CLOSED");
    const id = row.id as string;
    caseRows.push(row);
    const timeline: Array<[string, Date | null, Record<string, unknown>]> = [
      ["OPENED", s.receivedAt, {}],
      ["ASSIGNED", s.receivedAt, { assigneeId: s.assigneeId }],
      ["FIRST_RESPONSE", s.firstRespondedAt, {}],
      ["STATUS_CHANGED", s.escalatedAt, { command: "escalate", from: "IN_PROGRESS", to: "ESCALATED" }],
      ["RESOLVED", s.resolvedAt, {}],
      ["CLOSED", s.closedAt, {}],
    ];
    for (const [type, occurredAt, data] of timeline) if (occurredAt) events.push({ caseId: id, type, occurredAt, actorId: null, data });
    if (s.survey) surveys.push([id, s.survey.score, s.assigneeId, s.survey.at]);
    uow.record({ action: "case.open", resourceType: "case", resourceId: id, outcome: "SUCCESS", fields: ["summary"], details: { source: "risk-history", customerId, status: "CLOSED" } });
    // Resolution details are columns of the case-handling migration, set as recordCaseResolution sets them.
    resolutions.push([id, s.outcome, s.rootCauseCode, s.redressAmount, s.finalResponseSentAt]);
  });
  await inChunks(caseRows, (chunk) => uow.em.insert(CaseEntity, chunk));
  await inChunks(events, (chunk) => uow.em.insert(CaseEventEntity, chunk));
  await inChunks(resolutions, (chunk) =>
    uow.em.query(
      `UPDATE support_case c SET resolution_outcome = v.outcome, root_cause_code = v.cause, redress_amount = v.amount::numeric,
         redress_currency = CASE WHEN v.amount IS NULL THEN NULL ELSE 'CNY' END, final_response_sent_at = v.sent::timestamptz, customer_accepted = true
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS v(id, outcome, cause, amount, sent)
       WHERE c.id = v.id`,
      [chunk.map((r) => r[0]), chunk.map((r) => r[1]), chunk.map((r) => r[2]), chunk.map((r) => r[3]), chunk.map((r) => (r[4] ? (r[4] as Date).toISOString() : null))],
    ),
  );
  await inChunks(surveys, (chunk) =>
    uow.em.query(
      `INSERT INTO case_survey (case_id, score, recorded_by, recorded_at) SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::uuid[], $4::timestamptz[])`,
      [chunk.map((r) => r[0]), chunk.map((r) => r[1]), chunk.map((r) => r[2]), chunk.map((r) => (r[3] as Date).toISOString())],
    ),
  );
  return { customers: customers.length, cases: cases.length };
}
