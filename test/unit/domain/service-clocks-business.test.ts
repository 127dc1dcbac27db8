// Business time: the calendar arithmetic (time zone, weekend, holiday, DST) and each default clock run
// on a business calendar, warning and breaching at the exact instant across a weekend and a holiday.
import { describe, expect, it } from "vitest";
import { HOUR_MS } from "../../../src/clock";
import { addBusinessTime, businessTimeBetween, computeClockState, defineBusinessCalendar } from "../../../src/domain/service-clocks";
import { at, businessPolicy, calendars, paused, resumed, SHANGHAI, started } from "./service-clocks-support";

const before = (iso: string) => new Date(at(iso).getTime() - 1);
const LONDON = defineBusinessCalendar({
  id: "UK-LON",
  timeZone: "Europe/London",
  week: { 1: [{ start: 540, end: 1020 }], 2: [{ start: 540, end: 1020 }], 3: [{ start: 540, end: 1020 }], 4: [{ start: 540, end: 1020 }], 5: [{ start: 540, end: 1020 }] },
});

describe("business calendar arithmetic", () => {
  it("adds working time in the calendar's zone, skipping the weekend and the holiday", () => {
    // Thu 5 Nov 15:00 Shanghai (07:00Z): 2 h Thu, 8 h Fri, weekend, Mon 9 Nov holiday, 8 h Tue, 6 h Wed.
    expect(addBusinessTime(SHANGHAI, at("2026-11-05T07:00:00Z"), 24 * HOUR_MS)).toEqual(at("2026-11-11T07:00:00.000Z"));
    expect(businessTimeBetween(SHANGHAI, at("2026-11-05T07:00:00Z"), at("2026-11-11T07:00:00Z"))).toBe(24 * HOUR_MS);
    const noHoliday = defineBusinessCalendar({ ...SHANGHAI, holidays: [] });
    expect(addBusinessTime(noHoliday, at("2026-11-05T07:00:00Z"), 24 * HOUR_MS)).toEqual(at("2026-11-10T07:00:00.000Z"));
  });

  it("starts counting at the next opening when started out of hours, and ends a period exactly at its close", () => {
    // Sat 7 Nov: nothing until Tue 10 Nov 09:00 local (01:00Z) because Monday is the holiday.
    expect(addBusinessTime(SHANGHAI, at("2026-11-07T03:00:00Z"), HOUR_MS)).toEqual(at("2026-11-10T02:00:00.000Z"));
    expect(addBusinessTime(SHANGHAI, at("2026-11-06T01:00:00Z"), 8 * HOUR_MS)).toEqual(at("2026-11-06T09:00:00.000Z"));
    expect(businessTimeBetween(SHANGHAI, at("2026-11-06T09:00:00Z"), at("2026-11-10T01:00:00Z"))).toBe(0);
    expect(addBusinessTime(SHANGHAI, at("2026-11-07T03:00:00Z"), 0)).toEqual(at("2026-11-07T03:00:00Z"));
  });

  it("follows a daylight-saving change: the Monday after it opens an hour earlier in UTC", () => {
    // Fri 27 Mar 2026 16:00 GMT; London moves to BST on Sunday 29 Mar; Mon 09:00 BST is 08:00Z.
    expect(addBusinessTime(LONDON, at("2026-03-27T16:00:00Z"), 4 * HOUR_MS)).toEqual(at("2026-03-30T11:00:00.000Z"));
    expect(businessTimeBetween(LONDON, at("2026-03-27T16:00:00Z"), at("2026-03-30T11:00:00Z"))).toBe(4 * HOUR_MS);
  });

  it("refuses malformed calendars and a calendar with no working time", () => {
    expect(() => defineBusinessCalendar({ id: "x", timeZone: "Mars/Olympus", week: {} })).toThrow(TypeError);
    expect(() => defineBusinessCalendar({ id: "x", timeZone: "UTC", week: { 1: [{ start: 600, end: 540 }] } })).toThrow(TypeError);
    expect(() => defineBusinessCalendar({ id: "x", timeZone: "UTC", week: {}, holidays: ["25/12/2026"] })).toThrow(TypeError);
    expect(() => addBusinessTime(defineBusinessCalendar({ id: "idle", timeZone: "UTC", week: {} }), at("2026-01-01T00:00:00Z"), 1)).toThrow(RangeError);
  });
});

describe("default clocks on the Shanghai business calendar (Mon–Fri 09–17, holiday Mon 9 Nov)", () => {
  const state = (events: Parameters<typeof computeClockState>[0], now: string | Date) => computeClockState(events, typeof now === "string" ? at(now) : now, calendars);

  it.each([
    // clock, start, warn (75 %), breach: hand-counted working hours
    ["RESOLUTION", "2026-11-05T07:00:00.000Z", "2026-11-10T09:00:00.000Z", "2026-11-11T07:00:00.000Z"], // 24 h: Thu 2 + Fri 8 + Tue 8 = 18 (warn at Tue close) + Wed 6
    ["FIRST_RESPONSE", "2026-11-02T01:00:00.000Z", "2026-11-06T05:00:00.000Z", "2026-11-10T09:00:00.000Z"], // 48 h: Mon–Thu 32 + Fri 4 = 36; +Fri 4 = 40, Tue 8 = 48
    ["CALLBACK", "2026-11-02T01:00:00.000Z", "2026-11-11T07:00:00.000Z", "2026-11-13T09:00:00.000Z"], // 72 h: week 40 + Tue 8 + Wed 6 = 54; + Wed 2, Thu 8, Fri 8 = 72
    // 360 h = 45 working days: day 33 ends Thu 17 Dec, +6 h → Fri 18 Dec 15:00 local; day 45 ends Mon 4 Jan 17:00 local
    ["REGULATORY_DECISION", "2026-11-02T01:00:00.000Z", "2026-12-18T07:00:00.000Z", "2027-01-04T09:00:00.000Z"],
  ] as const)("%s started %s warns at %s and breaches at %s", (kind, start, warn, breach) => {
    const events = [started(businessPolicy(kind), start)];
    expect(state(events, start)).toMatchObject({ state: "ON_TIME", basis: "BUSINESS", warnAt: at(warn), breachAt: at(breach) });
    expect(state(events, before(warn)).state).toBe("ON_TIME");
    expect(state(events, warn).state).toBe("WARNED");
    expect(state(events, before(breach)).state).toBe("WARNED");
    expect(state(events, breach).state).toBe("BREACHED");
  });

  it("pauses over the weekend and the holiday: only working time counts, paused time is calendar time", () => {
    const kind = "FIRST_RESPONSE";
    // Started Mon 2 Nov 09:00 local; paused Wed 4 Nov 13:00 local (20 working hours in); resumed Tue 10 Nov 10:00 local.
    const events = [started(businessPolicy(kind), "2026-11-02T01:00:00Z"), paused(kind, "2026-11-04T05:00:00Z"), resumed(kind, "2026-11-10T02:00:00Z")];
    expect(state(events.slice(0, 2), "2026-11-09T12:00:00Z")).toMatchObject({ state: "PAUSED", elapsedMs: 20 * HOUR_MS, breachAt: null });
    // 28 h left: Tue 7 (27), Wed 8 (35), Thu 1 → warn at 36 h Thu 10:00 local; Thu 7 more (43), Fri 5 → breach Fri 14:00 local.
    const after = state(events, "2026-11-10T02:00:00Z");
    expect(after).toMatchObject({ state: "ON_TIME", elapsedMs: 20 * HOUR_MS, pausedMs: 141 * HOUR_MS, warnAt: at("2026-11-12T02:00:00.000Z"), breachAt: at("2026-11-13T06:00:00.000Z") });
    expect(state(events, before("2026-11-12T02:00:00Z")).state).toBe("ON_TIME");
    expect(state(events, "2026-11-12T02:00:00Z").state).toBe("WARNED");
    expect(state(events, before("2026-11-13T06:00:00Z")).state).toBe("WARNED");
    expect(state(events, "2026-11-13T06:00:00Z")).toMatchObject({ state: "BREACHED", elapsedMs: 48 * HOUR_MS });
  });

  it("does not count a weekend as elapsed working time", () => {
    const events = [started(businessPolicy("RESOLUTION"), "2026-11-05T07:00:00Z")];
    const friClose = state(events, "2026-11-06T09:00:00Z");
    const sunday = state(events, "2026-11-08T12:00:00Z");
    expect(friClose.elapsedMs).toBe(10 * HOUR_MS);
    expect(sunday).toMatchObject({ state: "ON_TIME", elapsedMs: 10 * HOUR_MS });
  });
});
