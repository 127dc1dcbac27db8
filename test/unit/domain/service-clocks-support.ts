// Builders shared by the service-clock unit tests: events with exact instants and the test calendars.
import { defineBusinessCalendar, DEFAULT_CLOCK_POLICIES, startEvents, type BusinessCalendar, type CalendarLookup, type ClockEvent, type ClockKind, type ClockPolicy } from "../../../src/domain/service-clocks";

export const at = (iso: string) => new Date(iso);

/** Shanghai (UTC+8, no DST), Mon–Fri 09:00–17:00 local = 01:00–09:00Z; Monday 2026-11-09 is a holiday. */
export const SHANGHAI: BusinessCalendar = defineBusinessCalendar({
  id: "CN-SH",
  timeZone: "Asia/Shanghai",
  week: Object.fromEntries([1, 2, 3, 4, 5].map((d) => [d, [{ start: 9 * 60, end: 17 * 60 }]])),
  holidays: ["2026-11-09"],
});

export const calendars: CalendarLookup = (id) => {
  if (id === SHANGHAI.id) return SHANGHAI;
  throw new Error(`no calendar ${id}`);
};

export function defaultPolicy(kind: ClockKind): ClockPolicy {
  const p = DEFAULT_CLOCK_POLICIES.find((x) => x.clockKind === kind);
  if (!p) throw new Error(kind);
  return p;
}

/** The default policy for `kind`, moved onto the Shanghai business calendar. */
export function businessPolicy(kind: ClockKind): ClockPolicy {
  return { ...defaultPolicy(kind), basis: "BUSINESS", calendarId: SHANGHAI.id };
}

export function started(policy: ClockPolicy, iso: string): ClockEvent {
  const [ev] = startEvents([policy], { kind: "COMPLAINT", complexity: policy.complexity ?? "COMMON", businessLine: "PERSONAL_BANKING" }, at(iso));
  return ev;
}

export const paused = (clockKind: ClockKind, iso: string, reason = "AWAITING_CUSTOMER"): ClockEvent => ({ type: "PAUSED", clockKind, at: at(iso), reason });
export const resumed = (clockKind: ClockKind, iso: string): ClockEvent => ({ type: "RESUMED", clockKind, at: at(iso) });
export const stopped = (clockKind: ClockKind, iso: string): ClockEvent => ({ type: "STOPPED", clockKind, at: at(iso) });
