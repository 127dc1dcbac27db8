// The clock scheduler's unit of work: claim one due clock job (row lock, SKIP LOCKED, so replicas never
// take the same job), recompute its clock from the case's events, and act on what the clock says now:
// warn the owner at 75 %, escalate to the team lead at breach and flag a regulatory breach for
// compliance. The notification, the job's DONE and the audit event commit together, so each happens
// exactly once; a job whose clock moved (paused, extended, stopped, restarted) is rescheduled or
// cancelled instead. A breach also escalates the case in the workflow (status ESCALATED, reason
// CLOCK_BREACH) when it is in a state that can escalate, in the same transaction.
import { findTransition } from "../domain/case-workflow";
import { CaseEntity } from "../entities";
import { escalateLoadedCase } from "./case-transition.store";
import type { ClockKind, ClockState } from "../domain/service-clocks";
import { recordNotification, type NotificationDraft } from "../notify/outbox";
import type { NotificationKind } from "../notify/notifier";
import type { UnitOfWork } from "./audited-store";
import { loadClockCaseRow, type ClockCaseRow } from "./case-clock-access.store";
import { loadCalendars, loadClockEvents, statesOf } from "./case-clock-data";

export interface ClockJob {
  id: string;
  caseId: string;
  clockKind: ClockKind;
  action: "WARN" | "BREACH";
  deadlineMs: number;
  /** The start of the clock run the job belongs to (a reopened case's clocks run again). */
  runStartedAt: Date;
}

export type ClockJobOutcome = "WARNED" | "ESCALATED" | "RESCHEDULED" | "CANCELLED" | "SKIPPED_BREACHED";

/**
 * Claims the next due job together with its case row. Both are locked, and a job whose case a request is
 * changing right now is skipped (SKIP LOCKED) rather than waited for: the workflow locks the case before
 * its clock jobs, so waiting here in the other order could deadlock. The skipped job runs next sweep.
 */
export async function claimDueClockJob(uow: UnitOfWork, now: Date): Promise<ClockJob | null> {
  const rows: Array<{ id: string; case_id: string; clock_kind: ClockKind; action: "WARN" | "BREACH"; deadline_ms: string; run_started_at: Date }> = await uow.em.query(
    `SELECT j.id, j.case_id, j.clock_kind, j.action, j.deadline_ms, j.run_started_at
       FROM clock_job j JOIN support_case c ON c.id = j.case_id
      WHERE j.status = 'PENDING' AND j.run_at <= $1 ORDER BY j.run_at, j.id LIMIT 1 FOR UPDATE OF j, c SKIP LOCKED`,
    [now],
  );
  const r = rows[0];
  return r
    ? { id: String(r.id), caseId: r.case_id, clockKind: r.clock_kind, action: r.action, deadlineMs: Number(r.deadline_ms), runStartedAt: new Date(r.run_started_at) }
    : null;
}

/** A job whose run failed stays PENDING and is tried again after `retryAt` (outside the failed transaction). */
export async function retryClockJobLater(em: UnitOfWork["em"], jobId: string, retryAt: Date): Promise<void> {
  await em.query(`UPDATE clock_job SET attempts = attempts + 1, run_at = $2 WHERE id = $1 AND status = 'PENDING'`, [jobId, retryAt]);
}

async function finish(uow: UnitOfWork, job: ClockJob, status: "DONE" | "CANCELLED", outcome: ClockJobOutcome, now: Date): Promise<ClockJobOutcome> {
  await uow.em.query(`UPDATE clock_job SET status = $2, outcome = $3, done_at = $4, attempts = attempts + 1 WHERE id = $1`, [job.id, status, outcome, now]);
  return outcome;
}

async function teamLeadOf(uow: UnitOfWork, row: ClockCaseRow): Promise<string | null> {
  const rows: Array<{ id: string }> = await uow.em.query(
    `SELECT id FROM staff_user WHERE team_id = $1 AND role = 'TEAM_LEAD' AND active ORDER BY created_at, id LIMIT 1`,
    [row.teamId],
  );
  return rows[0]?.id ?? null;
}

async function notify(uow: UnitOfWork, job: ClockJob, kind: NotificationKind, dueAt: Date, to: { staffId: string | null; role: string }, now: Date): Promise<boolean> {
  const draft: NotificationDraft = {
    dedupeKey: `${kind}:${job.caseId}:${job.clockKind}:${job.deadlineMs}:${job.runStartedAt.getTime()}`,
    kind,
    caseId: job.caseId,
    clockKind: job.clockKind,
    dueAt,
    recipientStaffId: to.staffId,
    recipientRole: to.role,
  };
  return recordNotification(uow.em, draft, now);
}

/** Acts on a claimed job; the caller's unit of work commits the outcome with its audit event. */
export async function runClockJob(uow: UnitOfWork, job: ClockJob, now: Date): Promise<ClockJobOutcome> {
  const calendars = await loadCalendars(uow.em);
  const events = (await loadClockEvents(uow.em, [job.caseId])).get(job.caseId) ?? [];
  const state: ClockState | undefined = statesOf(events, now, calendars).find((s) => s.clockKind === job.clockKind);
  const row = await loadClockCaseRow(uow, job.caseId);
  if (!state || !row || state.durationMs !== job.deadlineMs || state.startedAt.getTime() !== job.runStartedAt.getTime()) {
    return finish(uow, job, "CANCELLED", "CANCELLED", now);
  }

  const running = state.stoppedAt === null && state.pausedSince === null;
  const target = job.action === "WARN" ? state.warnAt : state.breachAt;
  const reached = job.action === "WARN" ? state.state === "WARNED" : state.state === "BREACHED";
  if (!reached && job.action === "WARN" && state.state === "BREACHED") return finish(uow, job, "DONE", "SKIPPED_BREACHED", now);
  if (!reached) {
    if (running && target && target.getTime() > now.getTime()) {
      await uow.em.query(`UPDATE clock_job SET run_at = $2 WHERE id = $1`, [job.id, target]);
      return "RESCHEDULED";
    }
    return finish(uow, job, "CANCELLED", "CANCELLED", now);
  }

  const dueAt = state.breachAt!;
  const base = { clockKind: job.clockKind, dueAt: dueAt.toISOString(), deadlineMs: job.deadlineMs };
  if (job.action === "WARN") {
    // The owner; a case nobody owns yet warns its team lead instead.
    const owner = row.assigneeId ?? (await teamLeadOf(uow, row));
    await notify(uow, job, "CLOCK_WARNING", dueAt, { staffId: owner, role: row.assigneeId ? "OWNER" : "TEAM_LEAD" }, now);
    uow.record({ action: "case.clock.warn", resourceType: "case", resourceId: job.caseId, outcome: "SUCCESS", details: { ...base, warnAt: state.warnAt!.toISOString(), recipientId: owner } });
    return finish(uow, job, "DONE", "WARNED", now);
  }
  const lead = await teamLeadOf(uow, row);
  await notify(uow, job, "CLOCK_BREACH_ESCALATION", dueAt, { staffId: lead, role: "TEAM_LEAD" }, now);
  const regulatory = job.clockKind === "REGULATORY_DECISION";
  if (regulatory) await notify(uow, job, "REGULATORY_BREACH_COMPLIANCE", dueAt, { staffId: null, role: "COMPLIANCE_OFFICER" }, now);
  uow.record({ action: "case.clock.breach", resourceType: "case", resourceId: job.caseId, outcome: "SUCCESS", details: { ...base, escalatedTo: lead, complianceFlag: regulatory } });
  // The case itself escalates once: a second breached clock finds it ESCALATED already, a resolved or
  // closed case (a regulatory deadline still running) cannot escalate and keeps the notifications only.
  if (findTransition("escalate", row.status as CaseEntity["status"]).ok) {
    const kase = await uow.em.findOneByOrFail(CaseEntity, { id: job.caseId });
    await escalateLoadedCase(uow, kase, "CLOCK_BREACH", { clockKind: job.clockKind });
  }
  return finish(uow, job, "DONE", "ESCALATED", now);
}
