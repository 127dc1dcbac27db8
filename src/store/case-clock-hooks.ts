// The workflow's side of the service clocks: what each case transition does to the case's clocks, in the
// transition's own unit of work (so the clock events are audited with it). Unlike the direct clock
// operations (case-clock.store.ts), these skip clocks with nothing to do instead of refusing: waiting for
// a customer when every clock has already been met is not an error of the workflow.
import type { BusinessLine, CaseKind, Complexity } from "../domain/enums";
import type { ClockEvent, ClockKind, ClockState } from "../domain/service-clocks";
import type { CaseEntity } from "../entities";
import type { UnitOfWork } from "./audited-store";
import { applyClockEvents, extendRegulatoryClock, restartClocks, startClocks, termsOf, type ClockHistory, type ExtendRegulatoryInput } from "./case-clock.store";
import { addTimelineEvent, loadCaseFor } from "./case-support";

interface ClockedCase {
  id: string;
  kind: CaseKind;
  complexity: Complexity;
  businessLine: BusinessLine;
}

/** The clocks a reopened case runs again: resolving it is the bank's work once more. */
export const RESTARTED_ON_REOPEN: readonly ClockKind[] = ["RESOLUTION", "CALLBACK"];

const running = (s: ClockState) => s.stoppedAt === null;

/** A stop can't predate its run's last event (the engine refuses out-of-order events): it is clamped. */
function notBeforeLast(h: ClockHistory, clockKind: ClockKind, at: Date): Date {
  const last = h.runs.get(clockKind)?.at(-1)?.at;
  return last && last.getTime() > at.getTime() ? last : at;
}

/** Intake: every clock the policies give the case starts at its receipt. */
export function startCaseClocks(uow: UnitOfWork, c: ClockedCase, receivedAt: Date): Promise<ClockState[]> {
  return startClocks(uow, c.id, c.kind, c.complexity, c.businessLine, receivedAt);
}

/** Waiting for the customer: every running pausable clock pauses with the reason code. */
export function pauseCaseClocks(uow: UnitOfWork, caseId: string, reason: string, at: Date = uow.now): Promise<ClockState[]> {
  return applyClockEvents(uow, caseId, (h) =>
    h.states
      .filter((s) => running(s) && s.pausedSince === null && termsOf(h, s.clockKind)?.pausable !== false)
      .map((s): ClockEvent => ({ type: "PAUSED", clockKind: s.clockKind, at: notBeforeLast(h, s.clockKind, at), reason })),
  );
}

/** Back to the bank's work (the customer answered, or the case was escalated): paused clocks resume. */
export function resumeCaseClocks(uow: UnitOfWork, caseId: string): Promise<ClockState[]> {
  return applyClockEvents(uow, caseId, ({ states }) =>
    states.filter((s) => running(s) && s.pausedSince !== null).map((s): ClockEvent => ({ type: "RESUMED", clockKind: s.clockKind, at: uow.now })),
  );
}

/** The goal of these clocks was reached at `at` (a reply, a callback, a resolution, a final response). */
export function stopCaseClocks(uow: UnitOfWork, caseId: string, kinds: readonly ClockKind[] | "ALL", at: Date = uow.now): Promise<ClockState[]> {
  return applyClockEvents(uow, caseId, (h) =>
    h.states
      .filter((s) => running(s) && (kinds === "ALL" || kinds.includes(s.clockKind)))
      .map((s): ClockEvent => ({ type: "STOPPED", clockKind: s.clockKind, at: notBeforeLast(h, s.clockKind, at) })),
  );
}

/** Reopened inside the window: the resolution clocks start a new run now. */
export function restartCaseClocks(uow: UnitOfWork, c: ClockedCase): Promise<ClockState[]> {
  return restartClocks(uow, c.id, RESTARTED_ON_REOPEN, c);
}

/**
 * A team lead extends the regulatory decision deadline (to 30 days with a reason, to 60 with head
 * office's approval, the customer informed first): the case row is locked and checked like any lead
 * command (recusal included), the extension is validated by the engine, audited and put on the timeline.
 */
export async function extendCaseDeadline(uow: UnitOfWork, caseId: string, input: ExtendRegulatoryInput): Promise<{ row: CaseEntity; clocks: ClockState[] }> {
  const row = await loadCaseFor(uow, caseId, "extend", "case.clock.extended");
  const clocks = await extendRegulatoryClock(uow, row.id, input);
  await addTimelineEvent(uow, row.id, "DEADLINE_EXTENDED", { clockKind: "REGULATORY_DECISION", toDays: input.toDays, reason: input.reason, approverRef: input.approverRef ?? null });
  return { row, clocks };
}

/**
 * The demo seed writes cases with their history (received days ago, responded, resolved, closed): their
 * clocks are started and moved through the same hooks at the recorded instants, so the demo shows
 * on-time, warned, breached, paused and met clocks exactly as live cases would have them.
 */
export async function startSeededCaseClocks(uow: UnitOfWork): Promise<number> {
  const rows: Array<{ id: string; kind: CaseKind; complexity: Complexity; businessLine: BusinessLine; status: string; receivedAt: Date; respondedAt: Date | null; resolvedAt: Date | null; closedAt: Date | null }> =
    await uow.em.query(
      `SELECT id, kind, complexity, business_line AS "businessLine", status, received_at AS "receivedAt", first_responded_at AS "respondedAt",
              resolved_at AS "resolvedAt", closed_at AS "closedAt"
         FROM support_case s WHERE NOT EXISTS (SELECT 1 FROM case_clock_event e WHERE e.case_id = s.id) ORDER BY received_at, id`,
    );
  const cap = (d: Date) => (d.getTime() > uow.now.getTime() ? uow.now : d);
  for (const r of rows) {
    await startCaseClocks(uow, r, r.receivedAt);
    if (r.respondedAt) await stopCaseClocks(uow, r.id, ["FIRST_RESPONSE"], cap(r.respondedAt));
    if (r.status === "AWAITING_CUSTOMER") {
      // Asked the customer for documents an hour after the first reply (or the receipt).
      await pauseCaseClocks(uow, r.id, "DOCUMENTS_REQUESTED", cap(new Date((r.respondedAt ?? r.receivedAt).getTime() + 3_600_000)));
    }
    if (r.resolvedAt) await stopCaseClocks(uow, r.id, ["RESOLUTION", "CALLBACK", "REGULATORY_DECISION"], cap(r.resolvedAt));
    if (r.closedAt) await stopCaseClocks(uow, r.id, "ALL", cap(r.closedAt));
  }
  return rows.length;
}
