// Data-subject rights: erasure by crypto-shredding, legal holds, subject access exports and the
// retention run; each one unit of work through the audited store.
import type { RetentionPolicy } from "../config";
import { badInput, CustosError } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import type { CustomerCipher } from "../store/customer-cipher";
import { eraseCustomer, eraseCustomerRow, placeLegalHold, releaseLegalHold, type ErasureResult, type ErasureRules } from "../store/erasure.store";
import { findRetentionDue, type RetentionCandidate } from "../store/retention.store";
import { exportCustomerData } from "../store/subject-access.store";

/**
 * Reasons are reference codes ("GDPR-17", "DSR:2026-0042", "LIT-2291"), never prose: they land in the
 * audit log, which must never hold PII, and a code without spaces cannot carry a person's name.
 */
const REASON = /^[A-Za-z0-9][A-Za-z0-9_.:\/-]{1,79}$/;

function checkReason(reason: string, field = "reason"): string {
  const trimmed = reason.trim();
  if (!REASON.test(trimmed)) throw badInput(`${field} must be a reference code of 2 to 80 letters, digits, '_', '.', ':', '/' or '-'`, field);
  return trimmed;
}

export interface RetentionRun {
  policy: RetentionPolicy;
  candidates: RetentionCandidate[];
  /** Filled by an applied run: customers erased, and those that turned out blocked meanwhile. */
  erased: string[];
  skipped: string[];
}

export class DataProtectionService {
  private readonly rules: ErasureRules;

  constructor(
    private readonly store: AuditedStore,
    private readonly cipher: CustomerCipher,
    private readonly retention: RetentionPolicy,
  ) {
    this.rules = { complaintRetentionYears: retention.complaintYears };
  }

  erase(actor: AuditActor, customerId: string, reason: string): Promise<ErasureResult> {
    const clean = checkReason(reason);
    return this.store.run(actor, { action: "customer.erase", resourceType: "customer", resourceId: customerId }, (uow) =>
      eraseCustomer(uow, customerId, clean, this.rules),
    );
  }

  placeHold(actor: AuditActor, customerId: string, reason: string) {
    const clean = checkReason(reason);
    return this.store.run(actor, { action: "legal_hold.place", resourceType: "customer", resourceId: customerId }, (uow) =>
      placeLegalHold(uow, customerId, clean),
    );
  }

  releaseHold(actor: AuditActor, holdId: string) {
    return this.store.run(actor, { action: "legal_hold.release", resourceType: "customer" }, (uow) => releaseLegalHold(uow, holdId));
  }

  /** The subject access document as JSON text. */
  async exportSubject(actor: AuditActor, customerId: string): Promise<string> {
    const document = await this.store.run(actor, null, (uow) => exportCustomerData(uow, this.cipher, customerId));
    return JSON.stringify(document);
  }

  /**
   * Reports the customers due for erasure (dry run), or erases them (`apply`), each in its own unit of
   * work through the same path as eraseCustomer, with reason RETENTION. Both are audited.
   */
  async runRetention(actor: AuditActor, opts: { apply: boolean; onErased?: (done: number, total: number) => void }): Promise<RetentionRun> {
    const candidates = await this.store.run(actor, null, async (uow) => {
      const due = await findRetentionDue(uow, this.retention.customerYears, this.rules);
      uow.record({
        action: "retention.report",
        resourceType: "customer",
        resourceId: null,
        outcome: "SUCCESS",
        details: { due: due.length, blocked: due.filter((d) => d.blockedBy).length, apply: opts.apply, customerYears: this.retention.customerYears },
      });
      return due;
    });
    const run: RetentionRun = { policy: this.retention, candidates, erased: [], skipped: [] };
    if (!opts.apply) return run;
    const todo = candidates.filter((c) => !c.blockedBy);
    for (const c of todo) {
      try {
        await this.store.run(actor, { action: "customer.erase", resourceType: "customer", resourceId: c.customerId }, (uow) =>
          eraseCustomerRow(uow, c.customerId, "RETENTION", this.rules),
        );
        run.erased.push(c.customerId);
      } catch (error) {
        // A hold placed (or an erasure done) since the report: skip it, the refusal is audited.
        if (!(error instanceof CustosError && error.code === "CONFLICT")) throw error;
        run.skipped.push(c.customerId);
      }
      opts.onErased?.(run.erased.length + run.skipped.length, todo.length);
    }
    return run;
  }
}
