// Erasure by crypto-shredding and the legal holds that block it: the customer's data key is destroyed,
// blind indexes cleared, cases and statistics kept under the pseudonymous reference.
import { randomUUID } from "node:crypto";
import { LegalHoldEntity } from "../entities";
import { CustosError, forbidden, notFound } from "../errors";
import type { UnitOfWork } from "./audited-store";
import { assertCustomerReadable } from "./customer.store";
import { isUuid, requireActor } from "./store-support";

/** The rules that can refuse an erasure; each is named in `extensions.rule` of the CONFLICT. */
export type ErasureRule = "LEGAL_HOLD" | "COMPLAINT_RETENTION" | "ALREADY_ERASED";

export interface ErasureRules {
  /** Complaint records are kept this many years after resolution or closure. */
  complaintRetentionYears: number;
}

export interface ErasureResult {
  customerId: string;
  reference: string;
  erasedAt: Date;
  /** Cases kept, now pointing at a customer whose narratives read "[erased]". */
  casesKept: number;
}

export interface LegalHoldView {
  id: string;
  customerId: string;
  reason: string;
  placedBy: string;
  placedAt: Date;
  releasedBy: string | null;
  releasedAt: Date | null;
}

const refused = (rule: ErasureRule, message: string) => new CustosError("CONFLICT", message, { rule });

/** The instant `years` whole years before `now` (UTC calendar). */
export function yearsBefore(now: Date, years: number): Date {
  const d = new Date(now.getTime());
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d;
}

/** Which rule, if any, blocks erasing this customer now (no lock taken; the erasure re-checks under one). */
export async function erasureBlocker(uow: UnitOfWork, customerId: string, rules: ErasureRules): Promise<ErasureRule | null> {
  const [held] = await uow.em.query(`SELECT 1 FROM legal_hold WHERE customer_id = $1 AND released_at IS NULL LIMIT 1`, [customerId]);
  if (held) return "LEGAL_HOLD";
  const [complaint] = await uow.em.query(
    `SELECT 1 FROM support_case
      WHERE customer_id = $1 AND kind = 'COMPLAINT'
        AND (coalesce(closed_at, resolved_at) IS NULL OR coalesce(closed_at, resolved_at) > $2)
      LIMIT 1`,
    [customerId, yearsBefore(uow.now, rules.complaintRetentionYears)],
  );
  return complaint ? "COMPLAINT_RETENTION" : null;
}

/** A compliance officer's erasure: checks the permission, then erases. */
export async function eraseCustomer(uow: UnitOfWork, id: string, reason: string, rules: ErasureRules): Promise<ErasureResult> {
  const { ability } = requireActor(uow);
  if (!ability.can("erase", "Customer")) {
    uow.recordAttempt({ action: "customer.erase", resourceType: "customer", resourceId: isUuid(id) ? id : null, outcome: "DENIED" });
    throw forbidden();
  }
  return eraseCustomerRow(uow, id, reason, rules);
}

/**
 * Destroys the data key (PII and narratives unreadable everywhere the key was the only way in), clears
 * the blind indexes, marks the customer ERASED and records `customer.erase`. The customer row is locked
 * first, so a concurrent hold, erasure or key rotation is serialised with it. Used by the retention run
 * too (actor without a principal: the operator), which is why no permission is checked here.
 */
export async function eraseCustomerRow(uow: UnitOfWork, id: string, reason: string, rules: ErasureRules): Promise<ErasureResult> {
  const attempt = { action: "customer.erase", resourceType: "customer", resourceId: isUuid(id) ? id : null };
  const [row]: Array<{ id: string; reference: string; status: string }> = isUuid(id)
    ? await uow.em.query(`SELECT id, reference, status FROM customer WHERE id = $1 FOR UPDATE`, [id])
    : [];
  if (!row) {
    uow.recordAttempt({ ...attempt, outcome: "NOT_FOUND" });
    throw notFound("Customer");
  }
  if (row.status === "ERASED") throw refused("ALREADY_ERASED", "The customer is already erased");
  const blocker = await erasureBlocker(uow, row.id, rules);
  if (blocker) {
    uow.recordAttempt({ ...attempt, outcome: "DENIED", details: { rule: blocker, reason } });
    throw blocker === "LEGAL_HOLD"
      ? refused(blocker, "A legal hold on this customer blocks erasure")
      : refused(blocker, `Complaint records are kept ${rules.complaintRetentionYears} years after closure; erasure is blocked until then`);
  }
  await uow.em.query(`UPDATE customer_key SET wrapped_dek = NULL, rewrapped_at = $2 WHERE customer_id = $1`, [row.id, uow.now]);
  await uow.em.query(
    `UPDATE customer SET status = 'ERASED', erased_at = $2, updated_at = $2, version = version + 1,
            national_id_bidx = NULL, phone_bidx = NULL, email_bidx = NULL
      WHERE id = $1`,
    [row.id, uow.now],
  );
  const [{ n }] = await uow.em.query(`SELECT count(*)::int AS n FROM support_case WHERE customer_id = $1`, [row.id]);
  uow.record({
    action: "customer.erase",
    resourceType: "customer",
    resourceId: row.id,
    outcome: "SUCCESS",
    fields: ["fullName", "nationalId", "phone", "email", "address", "summary", "notes"],
    details: { reason, casesKept: n, method: "crypto-shred" },
  });
  return { customerId: row.id, reference: row.reference, erasedAt: uow.now, casesKept: n };
}

function assertMayHold(uow: UnitOfWork, action: string, resourceId: string | null): void {
  const { ability } = requireActor(uow);
  if (!ability.can("hold", "Customer")) {
    uow.recordAttempt({ action, resourceType: "customer", resourceId, outcome: "DENIED" });
    throw forbidden();
  }
}

export async function placeLegalHold(uow: UnitOfWork, customerId: string, reason: string): Promise<LegalHoldView> {
  assertMayHold(uow, "legal_hold.place", isUuid(customerId) ? customerId : null);
  const { principal } = requireActor(uow);
  const customer = await assertCustomerReadable(uow, customerId, "legal_hold.place");
  if (customer.status === "ERASED") throw refused("ALREADY_ERASED", "The customer is already erased");
  const hold: LegalHoldView = { id: randomUUID(), customerId: customer.id, reason, placedBy: principal.id, placedAt: uow.now, releasedBy: null, releasedAt: null };
  await uow.em.insert(LegalHoldEntity, hold);
  uow.record({ action: "legal_hold.place", resourceType: "customer", resourceId: customer.id, outcome: "SUCCESS", details: { holdId: hold.id, reason } });
  return hold;
}

export async function releaseLegalHold(uow: UnitOfWork, holdId: string): Promise<LegalHoldView> {
  assertMayHold(uow, "legal_hold.release", null);
  const { principal } = requireActor(uow);
  const hold = isUuid(holdId) ? await uow.em.findOne(LegalHoldEntity, { where: { id: holdId }, lock: { mode: "pessimistic_write" } }) : null;
  if (!hold) {
    uow.recordAttempt({ action: "legal_hold.release", resourceType: "customer", resourceId: null, outcome: "NOT_FOUND" });
    throw notFound("Legal hold");
  }
  if (hold.releasedAt) throw new CustosError("CONFLICT", "The legal hold was already released", { rule: "ALREADY_RELEASED" });
  await uow.em.update(LegalHoldEntity, { id: hold.id }, { releasedAt: uow.now, releasedBy: principal.id });
  uow.record({ action: "legal_hold.release", resourceType: "customer", resourceId: hold.customerId, outcome: "SUCCESS", details: { holdId: hold.id } });
  return { ...hold, releasedAt: uow.now, releasedBy: principal.id };
}

export async function listLegalHolds(uow: UnitOfWork, customerId: string): Promise<LegalHoldView[]> {
  return uow.em.find(LegalHoldEntity, { where: { customerId }, order: { placedAt: "ASC", id: "ASC" } });
}
