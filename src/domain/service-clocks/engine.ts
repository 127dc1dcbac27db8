// The clock engine: one clock's state recomputed purely from its recorded events and `now`. The same
// replay validates a new event (append it and replay), so the rules live in one place.
import { addBusinessTime, businessTimeBetween, type BusinessCalendar } from "./business-calendar";
import { ClockRuleError } from "./errors";
import { checkExtension } from "./extensions";
import type { ClockEvent, ClockKind, ClockState, ClockTerms, ExtensionRecord } from "./types";

/** Finds a business calendar by id; the engine never loads anything itself. */
export type CalendarLookup = (id: string) => BusinessCalendar;

interface Measure {
  between(from: number, to: number): number;
  add(from: number, ms: number): number;
}

function measureFor(terms: ClockTerms, calendars: CalendarLookup): Measure {
  if (terms.basis === "CALENDAR") return { between: (a, b) => Math.max(0, b - a), add: (a, ms) => a + ms };
  if (!terms.calendarId) throw new TypeError("a BUSINESS clock needs a calendar");
  const cal = calendars(terms.calendarId);
  return {
    between: (a, b) => businessTimeBetween(cal, new Date(a), new Date(b)),
    add: (a, ms) => addBusinessTime(cal, new Date(a), ms).getTime(),
  };
}

/** Replays one clock's events up to `now`; throws ClockRuleError on an event the rules refuse. */
export function computeClockState(events: readonly ClockEvent[], now: Date, calendars: CalendarLookup): ClockState {
  const first = events[0];
  if (!first || first.type !== "STARTED") throw new ClockRuleError("NOT_STARTED", first?.clockKind ?? "clock");
  const clockKind: ClockKind = first.clockKind;
  const terms = first.terms;
  const measure = measureFor(terms, calendars);
  const startedAt = first.at.getTime();

  // Active segments as [start, end]; the last one is open (end null) unless paused or stopped.
  const segments: Array<[number, number | null]> = [[startedAt, null]];
  let pausedSince: number | null = null;
  let pauseReason: string | null = null;
  let pausedMs = 0;
  let stoppedAt: number | null = null;
  let durationMs = terms.durationMs;
  const extensions: ExtensionRecord[] = [];
  let last = startedAt;

  const elapsedAt = (t: number) => segments.reduce((sum, [s, e]) => sum + measure.between(s, Math.min(e ?? t, t)), 0);

  for (const ev of events.slice(1)) {
    if (ev.clockKind !== clockKind) throw new TypeError(`event for ${ev.clockKind} in the ${clockKind} clock's history`);
    const at = ev.at.getTime();
    if (at < last) throw new ClockRuleError("OUT_OF_ORDER", clockKind);
    last = at;
    if (stoppedAt !== null) throw new ClockRuleError("STOPPED", clockKind);
    switch (ev.type) {
      case "STARTED":
        throw new ClockRuleError("ALREADY_STARTED", clockKind);
      case "PAUSED":
        if (!terms.pausable) throw new ClockRuleError("NOT_PAUSABLE", clockKind);
        if (pausedSince !== null) throw new ClockRuleError("ALREADY_PAUSED", clockKind);
        segments[segments.length - 1][1] = at;
        pausedSince = at;
        pauseReason = ev.reason;
        break;
      case "RESUMED":
        if (pausedSince === null) throw new ClockRuleError("NOT_PAUSED", clockKind);
        pausedMs += at - pausedSince;
        segments.push([at, null]);
        pausedSince = null;
        pauseReason = null;
        break;
      case "EXTENDED":
        checkExtension(clockKind, terms, durationMs, ev.extension, ev.at);
        if (elapsedAt(at) >= durationMs) throw new ClockRuleError("DEADLINE_PASSED", clockKind);
        durationMs = ev.extension.toMs;
        extensions.push(ev.extension);
        break;
      case "STOPPED":
        if (pausedSince !== null) {
          pausedMs += at - pausedSince;
          pausedSince = null;
          pauseReason = null;
        } else {
          segments[segments.length - 1][1] = at;
        }
        stoppedAt = at;
        break;
    }
  }

  const t = Math.max(now.getTime(), last);
  const elapsedMs = elapsedAt(t);
  const crossing = (threshold: number): number | null => {
    let before = 0;
    for (const [s, e] of segments) {
      const inSegment = e === null ? Infinity : measure.between(s, e);
      if (before + inSegment >= threshold) return measure.add(s, threshold - before);
      before += inSegment;
    }
    return null; // paused or stopped short of it
  };
  const warnThreshold = Math.ceil(durationMs * terms.warnRatio);
  const breachAt = crossing(durationMs);
  const warnAt = crossing(warnThreshold);
  // Meeting a clock at its due instant is on time; still running at that instant is a breach.
  const breached = breachAt !== null && (stoppedAt !== null ? breachAt < stoppedAt : breachAt <= t);
  let state: ClockState["state"];
  if (breached) state = "BREACHED";
  else if (stoppedAt !== null) state = "MET";
  else if (pausedSince !== null) state = "PAUSED";
  else if (elapsedMs >= warnThreshold) state = "WARNED";
  else state = "ON_TIME";

  return {
    clockKind,
    state,
    basis: terms.basis,
    startedAt: new Date(startedAt),
    durationMs,
    elapsedMs,
    pausedMs: pausedMs + (pausedSince !== null ? t - pausedSince : 0),
    warnAt: warnAt === null ? null : new Date(warnAt),
    breachAt: breachAt === null ? null : new Date(breachAt),
    pausedSince: pausedSince === null ? null : new Date(pausedSince),
    pauseReason,
    stoppedAt: stoppedAt === null ? null : new Date(stoppedAt),
    extensions,
  };
}

/**
 * The events of a clock's current run. A clock that was stopped may be started again (a case reopened
 * inside its window): the new STARTED begins a new run with its own terms, and the earlier runs stay in
 * the history as they were decided. A STARTED while the previous run still runs is refused.
 */
export function currentRun(events: readonly ClockEvent[]): readonly ClockEvent[] {
  let start = 0;
  for (let i = 1; i < events.length; i++) {
    const ev = events[i];
    if (ev.type !== "STARTED") continue;
    const before = events[i - 1];
    if (before.type !== "STOPPED") throw new ClockRuleError("ALREADY_STARTED", ev.clockKind);
    if (ev.at.getTime() < before.at.getTime()) throw new ClockRuleError("OUT_OF_ORDER", ev.clockKind);
    start = i;
  }
  return start === 0 ? events : events.slice(start);
}

/** Every clock of a case (its current run), from all its clock events (any order of clocks; each clock's own order kept). */
export function computeCaseClocks(events: readonly ClockEvent[], now: Date, calendars: CalendarLookup): ClockState[] {
  const byKind = new Map<ClockKind, ClockEvent[]>();
  for (const ev of events) {
    const list = byKind.get(ev.clockKind) ?? [];
    list.push(ev);
    byKind.set(ev.clockKind, list);
  }
  return [...byKind.values()].map((list) => computeClockState(currentRun(list), now, calendars));
}
