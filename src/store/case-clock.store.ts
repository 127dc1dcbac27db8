// Service-clock hooks for the case workflow: every clock event is written in the caller's unit of work,
// validated by replaying the clock with the new event (src/domain/service-clocks), audited, and
// followed by the clock's scheduler jobs (src/scheduler). The caller has already authorised the case.
//
// Hooks (each runs inside AuditedStore.run; `at` defaults to the unit of work's time):
//   startClocks(uow, caseId, kind, complexity, businessLine, at?)  at intake: one STARTED per policy that matches
//   pauseClocks(uow, caseId, reason, at?)       waiting for the customer: pauses every running pausable clock
//   resumeClocks(uow, caseId, at?)              the customer answered: resumes every paused clock
//   stopClock(uow, caseId, clockKind, at?)      the clock's goal is reached (responded, resolved, called back, decided)
//   extendRegulatoryClock(uow, caseId, { toDays: 30 | 60, reason, approverRef?, customerInformedAt }, at?)
//   loadClockStates(uow, caseIds, now?)         every clock of the cases, recomputed from their events
// A refused event throws a coded error: CONFLICT (extensions.rule, e.g. ALREADY_PAUSED, DEADLINE_PASSED) for
// the clock's state, BAD_USER_INPUT (rule EXTENSION_REASON_REQUIRED, HEAD_OFFICE_APPROVAL_REQUIRED,
// CUSTOMER_NOT_INFORMED, EXTENSION_NOT_ALLOWED) for the request. Reasons and approver references are
// codes (REASON_CODE), never prose: they are recorded in the audit log.
import { DAY_MS } from "../clock";
import type { BusinessLine, CaseKind, Complexity } from "../domain/enums";
import {
  ClockRuleError,
  computeClockState,
  currentRun,
  INPUT_RULES,
  REASON_CODE,
  startEvents,
  type ClockEvent,
  type ClockKind,
  type ClockState,
  type ClockTerms,
} from "../domain/service-clocks";
import { CustosError, badInput } from "../errors";
import type { UnitOfWork } from "./audited-store";
import { insertClockEvent, loadCalendars, loadClockEvents, loadClockPolicies, statesOf, syncClockJobs } from "./case-clock-data";

export interface ExtendRegulatoryInput {
  toDays: 30 | 60;
  /** Why (a reference code, e.g. THIRD_PARTY_EVIDENCE). */
  reason: string;
  /** Head office's approval reference (an approver's id or an approval number); needed for 60 days. */
  approverRef?: string | null;
  /** When the customer was told of this extension; the extension is refused until they have been. */
  customerInformedAt: Date | null;
}

function toCustosError(error: unknown): unknown {
  if (!(error instanceof ClockRuleError)) return error;
  const code = INPUT_RULES.includes(error.rule) ? "BAD_USER_INPUT" : "CONFLICT";
  return new CustosError(code, error.message, { rule: error.rule, clockKind: error.clockKind });
}

function audit(uow: UnitOfWork, caseId: string, ev: ClockEvent, state: ClockState): void {
  const details: Record<string, string | number | boolean | null> = { clockKind: ev.clockKind, at: ev.at.toISOString(), state: state.state, dueAt: state.breachAt?.toISOString() ?? null };
  if (ev.type === "PAUSED") details.reason = ev.reason;
  if (ev.type === "EXTENDED") {
    details.extendedToMs = ev.extension.toMs;
    details.reason = ev.extension.reason;
    details.approverRef = ev.extension.approverId;
    details.customerInformedAt = ev.extension.customerInformedAt?.toISOString() ?? null;
  }
  uow.record({ action: `case.clock.${ev.type.toLowerCase()}`, resourceType: "case", resourceId: caseId, outcome: "SUCCESS", details });
}

/** What a proposal sees: every clock's current state, and each clock's current run (for its terms). */
export interface ClockHistory {
  readonly states: ClockState[];
  readonly runs: ReadonlyMap<ClockKind, readonly ClockEvent[]>;
}

function runsOf(history: readonly ClockEvent[]): Map<ClockKind, readonly ClockEvent[]> {
  const byKind = new Map<ClockKind, ClockEvent[]>();
  for (const ev of history) byKind.set(ev.clockKind, [...(byKind.get(ev.clockKind) ?? []), ev]);
  return new Map([...byKind].map(([k, evs]) => [k, currentRun(evs)]));
}

/** The terms a clock's current run started with. */
export function termsOf(h: ClockHistory, clockKind: ClockKind): ClockTerms | null {
  const first = h.runs.get(clockKind)?.[0];
  return first?.type === "STARTED" ? first.terms : null;
}

/**
 * Appends `proposed` to the case's clock history after replaying each affected clock with it (the
 * engine refuses what the rules refuse), then audits every event and re-syncs the scheduler's jobs.
 * A proposal of no events changes nothing (the workflow's hooks skip clocks with nothing to do).
 */
export async function applyClockEvents(uow: UnitOfWork, caseId: string, proposed: (h: ClockHistory) => ClockEvent[]): Promise<ClockState[]> {
  const calendars = await loadCalendars(uow.em);
  // Serialises clock writes per case (two pauses at once would both replay as valid otherwise).
  await uow.em.query(`SELECT pg_advisory_xact_lock(hashtextextended('case_clock:' || $1, 0))`, [caseId]);
  const history = (await loadClockEvents(uow.em, [caseId])).get(caseId) ?? [];
  let events: ClockEvent[];
  let states: ClockState[];
  try {
    events = proposed({ states: statesOf(history, uow.now, calendars), runs: runsOf(history) });
    if (events.length === 0) return statesOf(history, uow.now, calendars);
    const all = [...history, ...events];
    for (const ev of events) {
      const s = computeClockState(currentRun(all.filter((e) => e.clockKind === ev.clockKind)), ev.at, calendars);
      audit(uow, caseId, ev, s);
    }
    states = statesOf(all, uow.now, calendars);
  } catch (error) {
    throw toCustosError(error);
  }
  const actorId = uow.actor.principal?.id ?? null;
  for (const ev of events) await insertClockEvent(uow.em, caseId, ev, actorId);
  await syncClockJobs(uow.em, caseId, states);
  return states;
}

export async function startClocks(
  uow: UnitOfWork,
  caseId: string,
  kind: CaseKind,
  complexity: Complexity,
  businessLine: BusinessLine,
  at: Date = uow.now,
): Promise<ClockState[]> {
  const policies = await loadClockPolicies(uow.em);
  return applyClockEvents(uow, caseId, ({ states }) => {
    const events = startEvents(policies, { kind, complexity, businessLine }, at);
    if (states.length > 0) throw new CustosError("CONFLICT", "the case's clocks are already started", { rule: "ALREADY_STARTED" });
    return events;
  });
}

/**
 * Starts a new run of each of `kinds` the case's policies give it and whose previous run has stopped
 * (or never ran): a case reopened inside its window is the bank's to resolve again, on fresh terms.
 */
export async function restartClocks(
  uow: UnitOfWork,
  caseId: string,
  kinds: readonly ClockKind[],
  c: { kind: CaseKind; complexity: Complexity; businessLine: BusinessLine },
  at: Date = uow.now,
): Promise<ClockState[]> {
  const policies = await loadClockPolicies(uow.em);
  return applyClockEvents(uow, caseId, ({ states }) =>
    startEvents(policies, c, at).filter((ev) => {
      const previous = states.find((s) => s.clockKind === ev.clockKind);
      return kinds.includes(ev.clockKind) && (!previous || previous.stoppedAt !== null);
    }),
  );
}

export async function pauseClocks(uow: UnitOfWork, caseId: string, reason: string, at: Date = uow.now): Promise<ClockState[]> {
  if (!REASON_CODE.test(reason)) throw badInput("The pause reason must be a reason code", "reason");
  return applyClockEvents(uow, caseId, (h) => {
    const running = h.states.filter((s) => s.stoppedAt === null && s.pausedSince === null && termsOf(h, s.clockKind)?.pausable !== false);
    if (running.length === 0) throw new CustosError("CONFLICT", "no running clock to pause", { rule: "NOT_RUNNING" });
    return running.map((s) => ({ type: "PAUSED", clockKind: s.clockKind, at, reason }));
  });
}

export async function resumeClocks(uow: UnitOfWork, caseId: string, at: Date = uow.now): Promise<ClockState[]> {
  return applyClockEvents(uow, caseId, ({ states }) => {
    const paused = states.filter((s) => s.pausedSince !== null);
    if (paused.length === 0) throw new CustosError("CONFLICT", "no paused clock to resume", { rule: "NOT_PAUSED" });
    return paused.map((s) => ({ type: "RESUMED", clockKind: s.clockKind, at }));
  });
}

export async function stopClock(uow: UnitOfWork, caseId: string, clockKind: ClockKind, at: Date = uow.now): Promise<ClockState[]> {
  return applyClockEvents(uow, caseId, ({ states: current }) => {
    if (!current.some((s) => s.clockKind === clockKind)) throw new CustosError("CONFLICT", "the case has no such clock", { rule: "NOT_STARTED", clockKind });
    return [{ type: "STOPPED", clockKind, at }];
  });
}

export async function extendRegulatoryClock(uow: UnitOfWork, caseId: string, input: ExtendRegulatoryInput, at: Date = uow.now): Promise<ClockState[]> {
  if (input.toDays !== 30 && input.toDays !== 60) throw badInput("A regulatory deadline extends to 30 or 60 days", "toDays");
  if (input.approverRef != null && !REASON_CODE.test(input.approverRef)) throw badInput("The approver must be a reference code", "approverRef");
  return applyClockEvents(uow, caseId, ({ states: current }) => {
    if (!current.some((s) => s.clockKind === "REGULATORY_DECISION")) {
      throw new CustosError("CONFLICT", "the case has no regulatory decision clock", { rule: "NOT_STARTED", clockKind: "REGULATORY_DECISION" });
    }
    const extension = { toMs: input.toDays * DAY_MS, reason: input.reason || null, approverId: input.approverRef ?? null, customerInformedAt: input.customerInformedAt };
    return [{ type: "EXTENDED", clockKind: "REGULATORY_DECISION", at, extension }];
  });
}

/** Every clock of the given cases at `now`, recomputed from their events (cases with none map to []). */
export async function loadClockStates(uow: UnitOfWork, caseIds: readonly string[], now: Date = uow.now): Promise<Map<string, ClockState[]>> {
  const calendars = await loadCalendars(uow.em);
  const events = await loadClockEvents(uow.em, caseIds);
  return new Map([...events].map(([id, evs]) => [id, statesOf(evs, now, calendars)]));
}
