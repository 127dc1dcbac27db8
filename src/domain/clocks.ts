// The intake deadlines a case gets, from its kind, complexity and business line: a thin view over the
// service-clock policies (src/domain/service-clocks), kept for the case columns that hold the due dates.
import { DAY_MS, HOUR_MS } from "../clock";
import type { BusinessLine, CaseKind, Complexity } from "./enums";
import { computeClockState, DEFAULT_CLOCK_POLICIES, startEvents, type CalendarLookup, type ClockKind, type ClockPolicy } from "./service-clocks";

/** The defaults in milliseconds, for readers that want the numbers (the policies are the source). */
export const CLOCK_POLICY = {
  /** Every request answered within 48 h. */
  firstResponseMs: 48 * HOUR_MS,
  /** Common issues resolved within 24 h. */
  commonResolutionMs: 24 * HOUR_MS,
  /** Complex issues called back within 72 h. */
  complexCallbackMs: 72 * HOUR_MS,
  /** Complaints: a regulatory decision within 15 days (extendable to 30 and 60, see DEFAULT_CLOCK_POLICIES). */
  regulatoryDecisionMs: 15 * DAY_MS,
} as const;

export interface IntakeDeadlines {
  firstResponseDueAt: Date;
  resolutionDueAt: Date | null;
  callbackDueAt: Date | null;
  regulatoryDueAt: Date | null;
}

const noCalendars: CalendarLookup = (id) => {
  throw new TypeError(`business calendar ${id} not available here`);
};

/**
 * The due instants of the clocks a case starts at `receivedAt`. Business-time policies need their
 * calendars; the defaults run on calendar time, so the three-argument form keeps working.
 */
export function intakeDeadlines(
  kind: CaseKind,
  complexity: Complexity,
  receivedAt: Date,
  opts: { businessLine?: BusinessLine; policies?: readonly ClockPolicy[]; calendars?: CalendarLookup } = {},
): IntakeDeadlines {
  const events = startEvents(opts.policies ?? DEFAULT_CLOCK_POLICIES, { kind, complexity, businessLine: opts.businessLine ?? "PERSONAL_BANKING" }, receivedAt);
  const due = new Map<ClockKind, Date>();
  for (const ev of events) {
    const state = computeClockState([ev], receivedAt, opts.calendars ?? noCalendars);
    if (state.breachAt) due.set(ev.clockKind, state.breachAt);
  }
  const firstResponseDueAt = due.get("FIRST_RESPONSE");
  if (!firstResponseDueAt) throw new TypeError("every case needs a FIRST_RESPONSE clock policy");
  return {
    firstResponseDueAt,
    resolutionDueAt: due.get("RESOLUTION") ?? null,
    callbackDueAt: due.get("CALLBACK") ?? null,
    regulatoryDueAt: due.get("REGULATORY_DECISION") ?? null,
  };
}
