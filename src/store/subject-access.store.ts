// Subject access (a data subject's right of access): everything held about one customer, decrypted, and
// who accessed it, when and for what purpose, read from the audit log. The export is itself audited.
import { CUSTOMER_PII_FIELDS, type CustomerPiiField } from "../domain/enums";
import { CaseEntity, CaseEventEntity, CaseNoteEntity, CustomerEntity, CustomerKeyEntity, CustomerTransactionEntity } from "../entities";
import { CustosError, forbidden, notFound } from "../errors";
import type { UnitOfWork } from "./audited-store";
import { ERASED_TEXT, type CustomerCipher } from "./customer-cipher";
import { listLegalHolds } from "./erasure.store";
import { isUuid, requireActor } from "./store-support";

export const EXPORT_FORMAT = "custos.subject-access.v1";
export const EXPORT_PURPOSE = "DATA_SUBJECT_REQUEST";

const ENC_COLUMN: Record<CustomerPiiField, "fullNameEnc" | "nationalIdEnc" | "phoneEnc" | "emailEnc" | "addressEnc"> = {
  fullName: "fullNameEnc",
  nationalId: "nationalIdEnc",
  phone: "phoneEnc",
  email: "emailEnc",
  address: "addressEnc",
};

export interface AccessRecord {
  seq: number;
  occurredAt: string;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  fields: string[];
  outcome: string;
  purpose: string | null;
}

const statedPurpose = (purpose: string | null) => (purpose ?? "").toUpperCase().replace(/-/g, "_");

export async function exportCustomerData(uow: UnitOfWork, cipher: CustomerCipher, id: string): Promise<Record<string, unknown>> {
  const { ability } = requireActor(uow);
  const attempt = { action: "customer.export", resourceType: "customer", resourceId: isUuid(id) ? id : null };
  if (!ability.can("export", "Customer")) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED" });
    throw forbidden();
  }
  if (statedPurpose(uow.actor.meta.purpose) !== EXPORT_PURPOSE) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED", details: { rule: "PURPOSE_REQUIRED" } });
    throw new CustosError("FORBIDDEN", `A subject access export needs the stated purpose ${EXPORT_PURPOSE}`, { rule: "PURPOSE_REQUIRED" });
  }
  const row = isUuid(id) ? await uow.em.findOne(CustomerEntity, { where: { id } }) : null;
  if (!row) {
    uow.recordAttempt({ ...attempt, outcome: "NOT_FOUND" });
    throw notFound("Customer");
  }
  const key = await uow.em.findOneOrFail(CustomerKeyEntity, { where: { customerId: row.id } });
  const erased = key.wrappedDek === null;
  const dek = erased ? null : cipher.openDataKey(row.id, { version: key.kekVersion, wrapped: key.wrappedDek });
  try {
    const profile: Record<string, string | null> = {};
    for (const f of CUSTOMER_PII_FIELDS) {
      const blob = row[ENC_COLUMN[f]];
      profile[f] = dek && blob ? cipher.openCustomerField(dek, row.id, f, blob) : null;
    }
    const caseText = (caseId: string, field: string, blob: Buffer | null) => (blob === null ? null : dek ? cipher.openCaseText(dek, caseId, field, blob) : ERASED_TEXT);
    const transactions = await uow.em.find(CustomerTransactionEntity, { where: { customerId: row.id }, order: { occurredAt: "ASC", id: "ASC" } });
    const cases = await uow.em.find(CaseEntity, { where: { customerId: row.id }, order: { receivedAt: "ASC", id: "ASC" } });
    const caseIds = cases.map((c) => c.id);
    const notes = caseIds.length ? await uow.em.find(CaseNoteEntity, { where: caseIds.map((caseId) => ({ caseId })), order: { createdAt: "ASC", id: "ASC" } }) : [];
    const events = caseIds.length ? await uow.em.find(CaseEventEntity, { where: caseIds.map((caseId) => ({ caseId })), order: { occurredAt: "ASC", id: "ASC" } }) : [];
    const accessRows: Array<Record<string, unknown>> = await uow.em.query(
      `SELECT seq::text AS seq, occurred_at, actor_id, actor_role, action, resource_type, resource_id, fields, outcome, purpose
         FROM audit_event
        WHERE (resource_type = 'customer' AND resource_id = $1) OR (resource_type = 'case' AND resource_id = ANY($2::text[]))
        ORDER BY seq`,
      [row.id, caseIds],
    );
    const accessHistory: AccessRecord[] = accessRows.map((a) => ({
      seq: Number(a.seq),
      occurredAt: (a.occurred_at as Date).toISOString(),
      actorId: a.actor_id as string | null,
      actorRole: a.actor_role as string | null,
      action: a.action as string,
      resourceType: a.resource_type as string,
      resourceId: a.resource_id as string | null,
      fields: a.fields as string[],
      outcome: a.outcome as string,
      purpose: a.purpose as string | null,
    }));
    uow.record({
      action: "customer.export",
      resourceType: "customer",
      resourceId: row.id,
      outcome: "SUCCESS",
      fields: erased ? [] : [...CUSTOMER_PII_FIELDS, "transactions", "cases", "notes", "summary"],
      details: { cases: cases.length, transactions: transactions.length, accessRecords: accessHistory.length, erased },
    });
    return {
      format: EXPORT_FORMAT,
      generatedAt: uow.now.toISOString(),
      customer: {
        id: row.id,
        reference: row.reference,
        status: row.status,
        businessLines: row.businessLines,
        createdAt: row.createdAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
        erasedAt: row.erasedAt?.toISOString() ?? null,
        ...profile,
      },
      transactions: transactions.map((t) => ({ ...t, occurredAt: t.occurredAt.toISOString() })),
      cases: cases.map((c) => ({
        id: c.id,
        reference: c.reference,
        channel: c.channel,
        kind: c.kind,
        category: c.category,
        businessLine: c.businessLine,
        status: c.status,
        receivedAt: c.receivedAt.toISOString(),
        resolvedAt: c.resolvedAt?.toISOString() ?? null,
        closedAt: c.closedAt?.toISOString() ?? null,
        summary: caseText(c.id, "summary", c.summaryEnc),
        resolution: caseText(c.id, "resolution", c.resolutionEnc),
        notes: notes.filter((n) => n.caseId === c.id).map((n) => ({ id: n.id, authorId: n.authorId, createdAt: n.createdAt.toISOString(), body: caseText(c.id, `note:${n.id}`, n.bodyEnc) })),
        timeline: events.filter((e) => e.caseId === c.id).map((e) => ({ type: e.type, occurredAt: e.occurredAt.toISOString(), actorId: e.actorId, data: e.data })),
      })),
      legalHolds: (await listLegalHolds(uow, row.id)).map((h) => ({ ...h, placedAt: h.placedAt.toISOString(), releasedAt: h.releasedAt?.toISOString() ?? null })),
      accessHistory,
    };
  } finally {
    dek?.fill(0);
  }
}
