// Bulk writer for the demo seed: the same encryption and audit path as live writes, with history allowed.
import { randomUUID } from "node:crypto";
import { CUSTOMER_PII_FIELDS, type BusinessLine, type CaseKind, type CaseStatus, type Channel, type Complexity } from "../domain/enums";
import { intakeDeadlines } from "../domain/clocks";
import { CaseEntity, CaseEventEntity, CustomerEntity, CustomerKeyEntity, CustomerTransactionEntity } from "../entities";
import type { UnitOfWork } from "./audited-store";
import type { CustomerCipher } from "./customer-cipher";
import type { CustomerPii } from "./customer.store";

export interface SeedCustomer {
  pii: CustomerPii;
  businessLines: BusinessLine[];
  createdAt: Date;
  transactions: Array<{ businessLine: BusinessLine; occurredAt: Date; kind: string; amountMinor: number; currency: string; description: string }>;
}

export interface SeedCase {
  customerIndex: number;
  channel: Channel;
  kind: CaseKind;
  category: string;
  complexity: Complexity;
  businessLine: BusinessLine;
  teamId: string;
  assigneeId: string | null;
  status: CaseStatus;
  receivedAt: Date;
  firstRespondedAt: Date | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  summary: string;
}

/** Inserts customers (with keys and transactions) and cases; one audit event per object written. */
/** A new seeded customer's row, its data key sealed and its identifiers blind-indexed (demo and risk history). */
export function seededCustomerRow(
  cipher: CustomerCipher,
  c: { pii: CustomerPii; businessLines: BusinessLine[]; createdAt: Date },
  reference: string,
  status: "ACTIVE" | "CLOSED",
): { row: Record<string, unknown>; key: Record<string, unknown>; id: string; dek: Buffer } {
  const id = randomUUID();
  const { dek, stored } = cipher.newDataKey(id);
  const seal = (field: (typeof CUSTOMER_PII_FIELDS)[number]) => {
    const value = c.pii[field];
    return value === null ? null : cipher.sealCustomerField(dek, id, field, value);
  };
  const row = {
    id,
    reference: `C${reference.padStart(7, "0")}`,
    businessLines: c.businessLines,
    status,
    fullNameEnc: seal("fullName")!,
    nationalIdEnc: seal("nationalId")!,
    phoneEnc: seal("phone"),
    emailEnc: seal("email"),
    addressEnc: seal("address"),
    nationalIdBidx: cipher.blindIndex("nationalId", c.pii.nationalId),
    phoneBidx: c.pii.phone ? cipher.blindIndex("phone", c.pii.phone) : null,
    emailBidx: c.pii.email ? cipher.blindIndex("email", c.pii.email) : null,
    bidxVersion: cipher.blindIndexKeyring.current,
    createdBy: null,
    createdAt: c.createdAt,
    updatedAt: c.createdAt,
    version: 1,
  };
  return { row, key: { customerId: id, kekVersion: stored.version, wrappedDek: stored.wrapped, createdAt: c.createdAt }, id, dek };
}

/** A seeded case's row, with its clocks' due instants and its summary sealed under the customer's key. */
export function seededCaseRow(
  cipher: CustomerCipher,
  s: Pick<SeedCase, "channel" | "kind" | "category" | "complexity" | "businessLine" | "teamId" | "assigneeId" | "receivedAt" | "firstRespondedAt" | "resolvedAt" | "closedAt" | "summary">,
  customer: { id: string; dek: Buffer },
  reference: string,
  status: CaseStatus,
): Record<string, unknown> {
  const id = randomUUID();
  return {
    id,
    reference: `CS-${s.receivedAt.getUTCFullYear()}-${reference.padStart(6, "0")}`,
    customerId: customer.id,
    channel: s.channel,
    kind: s.kind,
    category: s.category,
    complexity: s.complexity,
    businessLine: s.businessLine,
    teamId: s.teamId,
    status,
    assigneeId: s.assigneeId,
    receivedAt: s.receivedAt,
    ...intakeDeadlines(s.kind, s.complexity, s.receivedAt),
    firstRespondedAt: s.firstRespondedAt,
    resolvedAt: s.resolvedAt,
    closedAt: s.closedAt,
    summaryEnc: cipher.sealCaseText(customer.dek, id, "summary", s.summary),
    resolutionEnc: null,
    createdBy: null,
    createdAt: s.receivedAt,
    updatedAt: s.closedAt ?? s.resolvedAt ?? s.firstRespondedAt ?? s.receivedAt,
    version: 1,
  };
}

export async function insertSeedData(uow: UnitOfWork, cipher: CustomerCipher, customers: SeedCustomer[], cases: SeedCase[]): Promise<void> {
  const deks: Array<{ id: string; dek: Buffer }> = [];
  for (const c of customers) {
    const [{ n }] = await uow.em.query(`SELECT nextval('customer_reference_seq')::text AS n`);
    const { row, key, id, dek } = seededCustomerRow(cipher, c, String(n), "ACTIVE");
    deks.push({ id, dek });
    await uow.em.insert(CustomerEntity, row);
    await uow.em.insert(CustomerKeyEntity, key);
    if (c.transactions.length) {
      await uow.em.insert(
        CustomerTransactionEntity,
        c.transactions.map((t) => ({ id: randomUUID(), customerId: id, ...t, amountMinor: String(t.amountMinor) })),
      );
    }
    uow.record({
      action: "customer.create",
      resourceType: "customer",
      resourceId: id,
      outcome: "SUCCESS",
      fields: CUSTOMER_PII_FIELDS.filter((f) => c.pii[f] !== null),
      details: { source: "demo-seed", transactions: c.transactions.length },
    });
  }
  for (const s of cases) {
    const customer = deks[s.customerIndex];
    const [{ n }] = await uow.em.query(`SELECT nextval('case_reference_seq')::text AS n`);
    const row = seededCaseRow(cipher, s, customer, String(n), s.status);
    const id = row.id as string;
    const customerId = customer.id;
    await uow.em.insert(CaseEntity, row);
    const timeline: Array<[string, Date | null]> = [
      ["OPENED", s.receivedAt],
      ["ASSIGNED", s.assigneeId ? s.receivedAt : null],
      ["FIRST_RESPONSE", s.firstRespondedAt],
      ["RESOLVED", s.resolvedAt],
      ["CLOSED", s.closedAt],
    ];
    const events = timeline.filter((e): e is [string, Date] => e[1] !== null);
    await uow.em.insert(
      CaseEventEntity,
      events.map(([type, occurredAt]) => ({ caseId: id, type, occurredAt, actorId: null, data: type === "ASSIGNED" ? { assigneeId: s.assigneeId } : {} })),
    );
    uow.record({
      action: "case.open",
      resourceType: "case",
      resourceId: id,
      outcome: "SUCCESS",
      fields: ["summary"],
      details: { source: "demo-seed", customerId, status: s.status },
    });
  }
}
