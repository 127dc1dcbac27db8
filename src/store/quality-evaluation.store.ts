// The scheduled service-quality evaluation's storage (docs/service-quality.md, "Scheduled evaluation"):
// the bank's time zone (the DEFAULT business calendar's), which days were evaluated, and the claim of a
// day. The claim is the day's primary key, inserted in the same transaction as the alerts it raised and
// their notifications: a second replica (or a restart) finds the day evaluated and does nothing.
import { recordNotification } from "../notify/outbox";
import type { UnitOfWork } from "./audited-store";
import type { QualityAlertView } from "./quality-alert.store";

/** The time zone of the DEFAULT business calendar (the bank's days); UTC when there is none. */
export async function bankTimeZone(uow: UnitOfWork): Promise<string> {
  const rows: Array<{ time_zone: string }> = await uow.em.query(`SELECT time_zone FROM business_calendar WHERE id = 'DEFAULT'`);
  return rows[0]?.time_zone ?? "UTC";
}

/** The latest day evaluated (YYYY-MM-DD), or null before the first evaluation. */
export async function lastEvaluatedDay(uow: UnitOfWork): Promise<string | null> {
  const rows: Array<{ day: string | null }> = await uow.em.query(`SELECT max(day)::text AS day FROM quality_evaluation`);
  return rows[0]?.day ?? null;
}

/**
 * Claims `day` for this evaluation. A concurrent claim of the same day waits on the primary key until the
 * first commits, then finds it taken: false. Rolled back with the rest if the evaluation fails.
 */
export async function claimEvaluationDay(uow: UnitOfWork, day: string, timeZone: string, period: { from: Date; to: Date }): Promise<boolean> {
  const rows: unknown[] = await uow.em.query(
    `INSERT INTO quality_evaluation (day, time_zone, period_from, period_to, evaluated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (day) DO NOTHING RETURNING day`,
    [day, timeZone, period.from, period.to, uow.now],
  );
  return rows.length === 1;
}

export async function recordAlertsRaised(uow: UnitOfWork, day: string, count: number): Promise<void> {
  await uow.em.query(`UPDATE quality_evaluation SET alerts_raised = $2 WHERE day = $1`, [day, count]);
}

/** Tells compliance (the role, not a person) about a raised alert; ids and instants only, no PII. */
export async function notifyComplianceOfAlert(uow: UnitOfWork, alert: QualityAlertView): Promise<boolean> {
  return recordNotification(
    uow.em,
    {
      dedupeKey: `QUALITY_ALERT:${alert.id}`,
      kind: "QUALITY_ALERT",
      caseId: null,
      clockKind: null,
      qualityAlertId: alert.id,
      dueAt: alert.periodTo,
      recipientStaffId: null,
      recipientRole: "COMPLIANCE_OFFICER",
    },
    uow.now,
  );
}
