// The clock engine on calendar time: each default clock starts, pauses, resumes, warns and breaches at
// the exact instant; stopping meets it; bad event sequences are refused by rule; replay is deterministic.
import { describe, expect, it } from "vitest";
import { HOUR_MS } from "../../../src/clock";
import { intakeDeadlines } from "../../../src/domain/clocks";
import { ClockRuleError, computeCaseClocks, computeClockState, DEFAULT_CLOCK_POLICIES, selectClockPolicies, type ClockEvent, type ClockKind } from "../../../src/domain/service-clocks";
import { at, calendars, defaultPolicy, paused, resumed, started, stopped } from "./service-clocks-support";

const T0 = "2026-11-02T09:00:00.000Z";
const ms = (iso: string) => at(iso).getTime();
const before = (iso: string) => new Date(ms(iso) - 1);
const state = (events: ClockEvent[], now: string | Date) => computeClockState(events, typeof now === "string" ? at(now) : now, calendars);

function ruleOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ClockRuleError) return error.rule;
    throw error;
  }
  return undefined;
}

describe("default policies", () => {
  it.each([
    ["INQUIRY", "COMMON", ["FIRST_RESPONSE", "RESOLUTION"]],
    ["SERVICE_REQUEST", "COMPLEX", ["FIRST_RESPONSE", "CALLBACK"]],
    ["COMPLAINT", "COMMON", ["FIRST_RESPONSE", "RESOLUTION", "REGULATORY_DECISION"]],
    ["COMPLAINT", "COMPLEX", ["FIRST_RESPONSE", "CALLBACK", "REGULATORY_DECISION"]],
  ] as const)("a %s %s case gets %j", (kind, complexity, clocks) => {
    expect(selectClockPolicies(DEFAULT_CLOCK_POLICIES, kind, complexity, "SECURITIES").map((p) => p.clockKind)).toEqual(clocks);
  });

  it("lets a line-specific row win over the general one, and refuses two rows equally specific", () => {
    const insurance = { ...defaultPolicy("FIRST_RESPONSE"), businessLine: "INSURANCE" as const, durationMs: 24 * HOUR_MS };
    const chosen = selectClockPolicies([...DEFAULT_CLOCK_POLICIES, insurance], "INQUIRY", "COMMON", "INSURANCE");
    expect(chosen.find((p) => p.clockKind === "FIRST_RESPONSE")?.durationMs).toBe(24 * HOUR_MS);
    expect(selectClockPolicies([...DEFAULT_CLOCK_POLICIES, insurance], "INQUIRY", "COMMON", "SECURITIES")[0].durationMs).toBe(48 * HOUR_MS);
    expect(() => selectClockPolicies([...DEFAULT_CLOCK_POLICIES, insurance, insurance], "INQUIRY", "COMMON", "INSURANCE")).toThrow(/ambiguous/);
  });

  it("keeps intakeDeadlines' answers (the case columns) on top of the engine", () => {
    expect(intakeDeadlines("COMPLAINT", "COMMON", at(T0))).toEqual({
      firstResponseDueAt: at("2026-11-04T09:00:00.000Z"),
      resolutionDueAt: at("2026-11-03T09:00:00.000Z"),
      callbackDueAt: null,
      regulatoryDueAt: at("2026-11-17T09:00:00.000Z"),
    });
    expect(intakeDeadlines("SERVICE_REQUEST", "COMPLEX", at(T0))).toEqual({
      firstResponseDueAt: at("2026-11-04T09:00:00.000Z"),
      resolutionDueAt: null,
      callbackDueAt: at("2026-11-05T09:00:00.000Z"),
      regulatoryDueAt: null,
    });
  });
});

// Each default clock started at T0, paused 1 h in for 5 h (waiting for the customer), then running.
const CASES: Array<[ClockKind, { warn: string; breach: string; warnUnpaused: string; breachUnpaused: string }]> = [
  ["FIRST_RESPONSE", { warnUnpaused: "2026-11-03T21:00:00.000Z", breachUnpaused: "2026-11-04T09:00:00.000Z", warn: "2026-11-04T02:00:00.000Z", breach: "2026-11-04T14:00:00.000Z" }],
  ["RESOLUTION", { warnUnpaused: "2026-11-03T03:00:00.000Z", breachUnpaused: "2026-11-03T09:00:00.000Z", warn: "2026-11-03T08:00:00.000Z", breach: "2026-11-03T14:00:00.000Z" }],
  ["CALLBACK", { warnUnpaused: "2026-11-04T15:00:00.000Z", breachUnpaused: "2026-11-05T09:00:00.000Z", warn: "2026-11-04T20:00:00.000Z", breach: "2026-11-05T14:00:00.000Z" }],
  ["REGULATORY_DECISION", { warnUnpaused: "2026-11-13T15:00:00.000Z", breachUnpaused: "2026-11-17T09:00:00.000Z", warn: "2026-11-13T20:00:00.000Z", breach: "2026-11-17T14:00:00.000Z" }],
];

describe.each(CASES)("the %s clock on calendar time", (kind, t) => {
  const start = started(defaultPolicy(kind), T0);

  it("starts ON_TIME, warns at 75 % and breaches at 100 % to the millisecond", () => {
    expect(state([start], T0)).toMatchObject({ state: "ON_TIME", elapsedMs: 0, warnAt: at(t.warnUnpaused), breachAt: at(t.breachUnpaused) });
    expect(state([start], before(t.warnUnpaused)).state).toBe("ON_TIME");
    expect(state([start], t.warnUnpaused).state).toBe("WARNED");
    expect(state([start], before(t.breachUnpaused)).state).toBe("WARNED");
    expect(state([start], t.breachUnpaused)).toMatchObject({ state: "BREACHED", elapsedMs: defaultPolicy(kind).durationMs });
  });

  const withPause = [start, paused(kind, "2026-11-02T10:00:00.000Z", "AWAITING_DOCUMENTS"), resumed(kind, "2026-11-02T15:00:00.000Z")];

  it("pauses while waiting for the customer: no due instant, elapsed frozen, reason and paused time kept", () => {
    const during = state(withPause.slice(0, 2), "2026-11-02T14:00:00.000Z");
    expect(during).toMatchObject({ state: "PAUSED", elapsedMs: HOUR_MS, pausedMs: 4 * HOUR_MS, pauseReason: "AWAITING_DOCUMENTS", pausedSince: at("2026-11-02T10:00:00.000Z"), warnAt: null, breachAt: null });
  });

  it("resumes, and warns and breaches later by exactly the paused time", () => {
    expect(state(withPause, "2026-11-02T15:00:00.000Z")).toMatchObject({ state: "ON_TIME", elapsedMs: HOUR_MS, pausedMs: 5 * HOUR_MS, pauseReason: null, warnAt: at(t.warn), breachAt: at(t.breach) });
    expect(state(withPause, before(t.warn)).state).toBe("ON_TIME");
    expect(state(withPause, t.warn).state).toBe("WARNED");
    expect(state(withPause, before(t.breach)).state).toBe("WARNED");
    expect(state(withPause, t.breach).state).toBe("BREACHED");
  });

  it("is MET when stopped at the due instant, BREACHED when stopped a millisecond after", () => {
    expect(state([...withPause, stopped(kind, t.breach)], "2027-01-01T00:00:00.000Z")).toMatchObject({ state: "MET", stoppedAt: at(t.breach) });
    const late = new Date(ms(t.breach) + 1).toISOString();
    expect(state([...withPause, stopped(kind, late)], "2027-01-01T00:00:00.000Z").state).toBe("BREACHED");
  });
});

describe("event rules", () => {
  const start = started(defaultPolicy("RESOLUTION"), T0);

  it.each([
    ["no STARTED first", [resumed("RESOLUTION", T0)], "NOT_STARTED"],
    ["a second start", [start, start], "ALREADY_STARTED"],
    ["a pause while paused", [start, paused("RESOLUTION", "2026-11-02T10:00:00Z"), paused("RESOLUTION", "2026-11-02T11:00:00Z")], "ALREADY_PAUSED"],
    ["a resume while running", [start, resumed("RESOLUTION", "2026-11-02T10:00:00Z")], "NOT_PAUSED"],
    ["anything after a stop", [start, stopped("RESOLUTION", "2026-11-02T10:00:00Z"), paused("RESOLUTION", "2026-11-02T11:00:00Z")], "STOPPED"],
    ["an event earlier than the last", [start, paused("RESOLUTION", "2026-11-02T10:00:00Z"), resumed("RESOLUTION", "2026-11-02T09:30:00Z")], "OUT_OF_ORDER"],
  ] as const)("refuses %s", (_what, events, rule) => {
    expect(ruleOf(() => state([...events], "2026-11-05T00:00:00Z"))).toBe(rule);
  });

  it("refuses to pause a clock whose policy does not pause", () => {
    const fixed = started({ ...defaultPolicy("RESOLUTION"), pausable: false }, T0);
    expect(ruleOf(() => state([fixed, paused("RESOLUTION", "2026-11-02T10:00:00Z")], "2026-11-02T11:00:00Z"))).toBe("NOT_PAUSABLE");
  });

  it("stays BREACHED once breached, even if paused afterwards", () => {
    const events = [start, paused("RESOLUTION", "2026-11-03T10:00:00Z")];
    expect(state(events, "2026-11-04T00:00:00Z")).toMatchObject({ state: "BREACHED", breachAt: at("2026-11-03T09:00:00.000Z") });
  });

  it("stops a paused clock and counts the pause up to the stop", () => {
    const events = [start, paused("RESOLUTION", "2026-11-02T10:00:00Z"), stopped("RESOLUTION", "2026-11-02T12:00:00Z")];
    expect(state(events, "2026-11-10T00:00:00Z")).toMatchObject({ state: "MET", elapsedMs: HOUR_MS, pausedMs: 2 * HOUR_MS, pausedSince: null });
  });
});

describe("recomputation from events", () => {
  const events: ClockEvent[] = [
    started(defaultPolicy("FIRST_RESPONSE"), T0),
    started(defaultPolicy("REGULATORY_DECISION"), T0),
    paused("FIRST_RESPONSE", "2026-11-02T12:00:00.000Z"),
    paused("REGULATORY_DECISION", "2026-11-02T12:00:00.000Z"),
    resumed("FIRST_RESPONSE", "2026-11-03T12:00:00.000Z"),
    resumed("REGULATORY_DECISION", "2026-11-03T12:00:00.000Z"),
  ];
  const now = at("2026-11-05T00:00:00.000Z");

  it("gives the same states every time, from events interleaved in any order across clocks, and after a JSON round trip", () => {
    const a = computeCaseClocks(events, now, calendars);
    const b = computeCaseClocks([...events.filter((e) => e.clockKind === "REGULATORY_DECISION"), ...events.filter((e) => e.clockKind === "FIRST_RESPONSE")], now, calendars);
    const revived = (JSON.parse(JSON.stringify(events)) as Array<Record<string, unknown>>).map((e) => ({ ...e, at: new Date(e.at as string) })) as unknown as ClockEvent[];
    const c = computeCaseClocks(revived, now, calendars);
    const byKind = (xs: typeof a) => Object.fromEntries(xs.map((x) => [x.clockKind, x]));
    expect(byKind(b)).toEqual(byKind(a));
    expect(byKind(c)).toEqual(byKind(a));
    // 48 h plus the 24 h paused: due on the 5th at 09:00, so WARNED (not yet BREACHED) at midnight.
    expect(byKind(a).FIRST_RESPONSE).toMatchObject({ state: "WARNED", pausedMs: 24 * HOUR_MS, breachAt: at("2026-11-05T09:00:00.000Z") });
  });

  it("starts a new run after a stop (a reopened case) and refuses a start while a run is going", () => {
    const first = started(defaultPolicy("FIRST_RESPONSE"), T0);
    const stop = stopped("FIRST_RESPONSE", "2026-11-02T10:00:00.000Z");
    const again = started(defaultPolicy("FIRST_RESPONSE"), "2026-11-03T09:00:00.000Z");
    const [s] = computeCaseClocks([first, stop, again], at("2026-11-03T10:00:00.000Z"), calendars);
    expect(s).toMatchObject({ state: "ON_TIME", startedAt: at("2026-11-03T09:00:00.000Z"), elapsedMs: HOUR_MS, stoppedAt: null });
    expect(ruleOf(() => computeCaseClocks([first, again], now, calendars))).toBe("ALREADY_STARTED");
  });

  it("keeps the due instant fixed as `now` moves, and does not let a policy edit move a started clock", () => {
    const regulatory = events.filter((e) => e.clockKind === "REGULATORY_DECISION");
    const dues = ["2026-11-04T00:00:00Z", "2026-11-10T00:00:00Z", "2026-11-20T00:00:00Z"].map((n) => state(regulatory, n).breachAt?.toISOString());
    expect(new Set(dues)).toEqual(new Set(["2026-11-18T09:00:00.000Z"]));
  });
});
