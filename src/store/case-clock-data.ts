// Rows ↔ domain for the service clocks: policies, calendars and a case's clock events as the engine
// wants them, and the jobs each clock needs scheduled. Used by the clock stores only.
import type { EntityManager } from "typeorm";
import {
  computeCaseClocks,
  defineBusinessCalendar,
  type BusinessCalendar,
  type CalendarLookup,
  type ClockEvent,
  type ClockKind,
  type ClockPolicy,
  type ClockState,
  type ClockTerms,
} from "../domain/service-clocks";

interface EventRow {
  case_id: string;
  clock_kind: ClockKind;
  type: ClockEvent["type"];
  occurred_at: Date;
  terms: ClockTerms | null;
  reason: string | null;
  extended_to_ms: string | null;
  approver_ref: string | null;
  customer_informed_at: Date | null;
}

function toEvent(r: EventRow): ClockEvent {
  const base = { clockKind: r.clock_kind, at: new Date(r.occurred_at) };
  switch (r.type) {
    case "STARTED":
      return { ...base, type: "STARTED", terms: r.terms! };
    case "PAUSED":
      return { ...base, type: "PAUSED", reason: r.reason ?? "" };
    case "RESUMED":
      return { ...base, type: "RESUMED" };
    case "STOPPED":
      return { ...base, type: "STOPPED" };
    case "EXTENDED":
      return {
        ...base,
        type: "EXTENDED",
        extension: {
          toMs: Number(r.extended_to_ms),
          reason: r.reason,
          approverId: r.approver_ref,
          customerInformedAt: r.customer_informed_at ? new Date(r.customer_informed_at) : null,
        },
      };
  }
}

/** Clock events of the given cases, in recording order, grouped by case. */
export async function loadClockEvents(em: EntityManager, caseIds: readonly string[]): Promise<Map<string, ClockEvent[]>> {
  const out = new Map<string, ClockEvent[]>(caseIds.map((id) => [id, []]));
  if (caseIds.length === 0) return out;
  const rows: EventRow[] = await em.query(
    `SELECT case_id, clock_kind, type, occurred_at, terms, reason, extended_to_ms, approver_ref, customer_informed_at
       FROM case_clock_event WHERE case_id = ANY($1::uuid[]) ORDER BY case_id, id`,
    [caseIds],
  );
  for (const r of rows) out.get(r.case_id)?.push(toEvent(r));
  return out;
}

export async function insertClockEvent(em: EntityManager, caseId: string, ev: ClockEvent, actorId: string | null): Promise<void> {
  const ext = ev.type === "EXTENDED" ? ev.extension : null;
  await em.query(
    `INSERT INTO case_clock_event (case_id, clock_kind, type, occurred_at, actor_id, terms, reason, extended_to_ms, approver_ref, customer_informed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      caseId,
      ev.clockKind,
      ev.type,
      ev.at,
      actorId,
      ev.type === "STARTED" ? JSON.stringify(ev.terms) : null,
      ev.type === "PAUSED" ? ev.reason : (ext?.reason ?? null),
      ext?.toMs ?? null,
      ext?.approverId ?? null,
      ext?.customerInformedAt ?? null,
    ],
  );
}

export async function loadClockPolicies(em: EntityManager): Promise<ClockPolicy[]> {
  const rows: Array<Record<string, any>> = await em.query(
    `SELECT clock_kind, case_kind, complexity, business_line, duration_ms, basis, calendar_id, warn_ratio, pausable, extension_steps FROM clock_policy ORDER BY id`,
  );
  return rows.map((r) => ({
    clockKind: r.clock_kind,
    caseKind: r.case_kind,
    complexity: r.complexity,
    businessLine: r.business_line,
    durationMs: Number(r.duration_ms),
    basis: r.basis,
    calendarId: r.calendar_id,
    warnRatio: Number(r.warn_ratio),
    pausable: r.pausable,
    extensionSteps: r.extension_steps,
  }));
}

/** Every business calendar with its holidays (a handful of rows), as a lookup for the engine. */
export async function loadCalendars(em: EntityManager): Promise<CalendarLookup> {
  const cals: Array<{ id: string; time_zone: string; week: Record<string, Array<{ start: number; end: number }>> }> = await em.query(
    `SELECT id, time_zone, week FROM business_calendar`,
  );
  const holidays: Array<{ calendar_id: string; day: string }> = await em.query(`SELECT calendar_id, to_char(day, 'YYYY-MM-DD') AS day FROM business_holiday`);
  const byId = new Map<string, BusinessCalendar>();
  for (const c of cals) {
    const week = Object.fromEntries(Object.entries(c.week).map(([d, periods]) => [Number(d), periods]));
    byId.set(c.id, defineBusinessCalendar({ id: c.id, timeZone: c.time_zone, week, holidays: holidays.filter((h) => h.calendar_id === c.id).map((h) => h.day) }));
  }
  return (id) => {
    const cal = byId.get(id);
    if (!cal) throw new TypeError(`business calendar ${id} does not exist`);
    return cal;
  };
}

/** The states of a case's clocks from its events. */
export function statesOf(events: readonly ClockEvent[], now: Date, calendars: CalendarLookup): ClockState[] {
  return computeCaseClocks(events, now, calendars);
}

/**
 * Keeps the case's clock jobs in step with its clocks: a running clock has a WARN and a BREACH job at
 * its current instants (keyed by its run and current duration, so an extension or a restart gets jobs of
 * its own); a paused or stopped clock has none pending. Jobs already done stay done.
 */
export async function syncClockJobs(em: EntityManager, caseId: string, states: readonly ClockState[]): Promise<void> {
  for (const s of states) {
    const running = s.stoppedAt === null && s.pausedSince === null;
    await em.query(
      `UPDATE clock_job SET status = 'CANCELLED', outcome = 'SUPERSEDED'
        WHERE case_id = $1 AND clock_kind = $2 AND status = 'PENDING' AND (deadline_ms <> $3 OR run_started_at <> $5 OR NOT $4)`,
      [caseId, s.clockKind, s.durationMs, running, s.startedAt],
    );
    if (!running) continue;
    for (const [action, runAt] of [["WARN", s.warnAt], ["BREACH", s.breachAt]] as const) {
      if (!runAt) continue;
      await em.query(
        `INSERT INTO clock_job (case_id, clock_kind, action, deadline_ms, run_started_at, run_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT ON CONSTRAINT clock_job_key DO UPDATE SET run_at = EXCLUDED.run_at, status = 'PENDING', outcome = NULL
           WHERE clock_job.status <> 'DONE'`,
        [caseId, s.clockKind, action, s.durationMs, s.startedAt, runAt],
      );
    }
  }
}
