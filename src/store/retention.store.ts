// Retention: which customers are due for erasure under the configured periods, and what blocks each.
import type { UnitOfWork } from "./audited-store";
import { erasureBlocker, yearsBefore, type ErasureRule, type ErasureRules } from "./erasure.store";

export interface RetentionCandidate {
  customerId: string;
  reference: string;
  lastActivityAt: Date;
  /** The rule that keeps this customer for now, or null when erasure may proceed. */
  blockedBy: ErasureRule | null;
}

/**
 * CLOSED customers whose last activity (the row itself, any case event that counts for the clocks, any
 * transaction) is older than `customerYears`. Only references and ids: nothing here is decrypted.
 */
export async function findRetentionDue(uow: UnitOfWork, customerYears: number, rules: ErasureRules): Promise<RetentionCandidate[]> {
  const rows: Array<{ id: string; reference: string; last_activity: Date }> = await uow.em.query(
    `SELECT id, reference, last_activity FROM (
       SELECT c.id, c.reference, greatest(
                c.updated_at,
                (SELECT max(coalesce(s.closed_at, s.resolved_at, s.received_at)) FROM support_case s WHERE s.customer_id = c.id),
                (SELECT max(t.occurred_at) FROM customer_transaction t WHERE t.customer_id = c.id)) AS last_activity
         FROM customer c
        WHERE c.status = 'CLOSED') due
      WHERE last_activity < $1
      ORDER BY last_activity, id`,
    [yearsBefore(uow.now, customerYears)],
  );
  const out: RetentionCandidate[] = [];
  for (const r of rows) {
    out.push({ customerId: r.id, reference: r.reference, lastActivityAt: r.last_activity, blockedBy: await erasureBlocker(uow, r.id, rules) });
  }
  return out;
}
