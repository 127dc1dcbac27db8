// Closing a customer's relationship with the bank (status CLOSED, the instant it ended and a reason code)
// and reopening one closed in error. The service-quality churn figure counts the instant; retention counts
// from the row's update (the closing), so a closed customer becomes due for erasure in time. Audited; no PII.
import type { RelationshipCloseReason } from "../domain/enums";
import { badInput, conflict, forbidden, notFound } from "../errors";
import { canOnRow } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { isUuid, requireActor } from "./store-support";

export interface CustomerRelationshipView {
  customerId: string;
  status: string;
  closedAt: Date | null;
  reasonCode: RelationshipCloseReason | null;
}

interface Row {
  id: string;
  status: string;
  business_lines: string[];
  created_at: Date;
  relationship_closed_at: Date | null;
  relationship_close_reason: RelationshipCloseReason | null;
}

const view = (r: Row): CustomerRelationshipView => ({ customerId: r.id, status: r.status, closedAt: r.relationship_closed_at, reasonCode: r.relationship_close_reason });

/** The customer row, locked, if the actor may close this customer's relationship; records the refusals. */
async function loadForClose(uow: UnitOfWork, customerId: string, action: string): Promise<Row> {
  const { ability } = requireActor(uow);
  const resourceId = isUuid(customerId) ? customerId : null;
  if (!ability.can("close", "Customer")) {
    uow.recordAttempt({ action, resourceType: "customer", resourceId, outcome: "DENIED" });
    throw forbidden();
  }
  const [row]: Row[] = resourceId
    ? await uow.em.query(
        `SELECT id, status, business_lines, created_at, relationship_closed_at, relationship_close_reason FROM customer WHERE id = $1 FOR UPDATE`,
        [resourceId],
      )
    : [];
  // Another line's customer looks exactly like a missing one; the audit log tells them apart.
  if (!row || !canOnRow(ability, "close", "Customer", { businessLines: row.business_lines })) {
    uow.recordAttempt({ action, resourceType: "customer", resourceId: row ? row.id : null, outcome: row ? "DENIED" : "NOT_FOUND" });
    throw notFound("Customer");
  }
  if (row.status === "ERASED") throw conflict("the customer is erased");
  return row;
}

/**
 * Ends the relationship at `closedAt` (the instant it ended, reported by the branch or core banking; not
 * in the future, not before the customer existed). The row's update time is now: retention counts from it.
 */
export async function closeRelationship(uow: UnitOfWork, customerId: string, closedAt: Date, reason: RelationshipCloseReason): Promise<CustomerRelationshipView> {
  const action = "customer.relationship.close";
  const row = await loadForClose(uow, customerId, action);
  if (row.status === "CLOSED") throw conflict("the relationship is already closed");
  if (closedAt.getTime() > uow.now.getTime()) throw badInput("closedAt must not be in the future", "closedAt");
  if (closedAt.getTime() < new Date(row.created_at).getTime()) throw badInput("closedAt must not be before the customer was created", "closedAt");
  const [updated]: Row[] = await uow.em.query(
    `UPDATE customer SET status = 'CLOSED', relationship_closed_at = $2, relationship_close_reason = $3, updated_at = $4, version = version + 1
      WHERE id = $1
      RETURNING id, status, business_lines, created_at, relationship_closed_at, relationship_close_reason`,
    [row.id, closedAt, reason, uow.now],
  ).then((r: [Row[], number] | Row[]) => (Array.isArray(r[0]) ? (r[0] as Row[]) : (r as Row[])));
  uow.record({ action, resourceType: "customer", resourceId: row.id, outcome: "SUCCESS", fields: ["status"], details: { reasonCode: reason, closedAt: closedAt.toISOString() } });
  return view(updated);
}

/**
 * Reopens a relationship closed in error: ACTIVE again, the closing instant and reason cleared, so churn no
 * longer counts it (a figure of a past period can change; alerts already raised keep what they recorded).
 * A customer who comes back later is a correction too: Custos has one row per person.
 */
export async function reopenRelationship(uow: UnitOfWork, customerId: string): Promise<CustomerRelationshipView> {
  const action = "customer.relationship.reopen";
  const row = await loadForClose(uow, customerId, action);
  if (row.status !== "CLOSED") throw conflict("the relationship is not closed");
  const [updated]: Row[] = await uow.em.query(
    `UPDATE customer SET status = 'ACTIVE', relationship_closed_at = NULL, relationship_close_reason = NULL, updated_at = $2, version = version + 1
      WHERE id = $1
      RETURNING id, status, business_lines, created_at, relationship_closed_at, relationship_close_reason`,
    [row.id, uow.now],
  ).then((r: [Row[], number] | Row[]) => (Array.isArray(r[0]) ? (r[0] as Row[]) : (r as Row[])));
  const details: Record<string, string> = {};
  if (row.relationship_closed_at) details.previousClosedAt = new Date(row.relationship_closed_at).toISOString();
  if (row.relationship_close_reason) details.previousReasonCode = row.relationship_close_reason;
  uow.record({ action, resourceType: "customer", resourceId: row.id, outcome: "SUCCESS", fields: ["status"], details });
  return view(updated);
}
