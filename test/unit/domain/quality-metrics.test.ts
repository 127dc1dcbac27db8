// Targets judged at their edges, rates with nothing measured, and days of a time zone as half-open
// periods of instants (including daylight-saving days of 23 and 25 hours).
import { describe, expect, it } from "vitest";
import { dayPeriod, inPeriod, judge, QUALITY_TARGETS, rate } from "../../../src/domain/quality-metrics";

describe("rate", () => {
  it("is null when nothing was measured, a fraction otherwise", () => {
    expect(rate(0, 0)).toBeNull();
    expect(rate(17, 20)).toBe(0.85);
    expect(rate(0, 3)).toBe(0);
  });
  it("refuses impossible counts", () => {
    expect(() => rate(3, 2)).toThrow(TypeError);
    expect(() => rate(-1, 2)).toThrow(TypeError);
    expect(() => rate(1.5, 2)).toThrow(TypeError);
  });
});

describe("judge against the bank's targets", () => {
  const sat = QUALITY_TARGETS.SATISFACTION_RATE; // at least 85 %, at risk below 88 %
  const churn = QUALITY_TARGETS.CHURN_RATE; // below 5 %, at risk from 4 %
  it.each([
    [17 / 20, "AT_RISK"], // exactly 85 %: met, but inside the 3-point margin
    [0.88, "MET"],
    [0.8499, "BREACHED"],
    [null, null],
  ] as const)("satisfaction %s → %s", (value, status) => expect(judge(value, sat)).toBe(status));
  it.each([
    [1 / 20, "BREACHED"], // exactly 5 %: churn must be UNDER 5 %
    [0.0499, "AT_RISK"],
    [0.04, "AT_RISK"],
    [0.0399, "MET"],
    [0, "MET"],
  ] as const)("churn %s → %s", (value, status) => expect(judge(value, churn)).toBe(status));
  it("regulatory compliance has no margin: 100 % met, anything less breached", () => {
    expect(judge(1, QUALITY_TARGETS.REGULATORY_DEADLINE_COMPLIANCE)).toBe("MET");
    expect(judge(29 / 30, QUALITY_TARGETS.REGULATORY_DEADLINE_COMPLIANCE)).toBe("BREACHED");
  });
  it("first response on time: 19/20 = 95 % is at risk, 20/20 met, 18/20 breached", () => {
    const t = QUALITY_TARGETS.FIRST_RESPONSE_ON_TIME;
    expect([judge(19 / 20, t), judge(1, t), judge(18 / 20, t)]).toEqual(["AT_RISK", "MET", "BREACHED"]);
  });
});

describe("periods", () => {
  it("are half-open: from is in, to is out", () => {
    const from = new Date("2026-11-01T00:00:00.000Z");
    const to = new Date("2026-12-01T00:00:00.000Z");
    expect(inPeriod(from, from, to)).toBe(true);
    expect(inPeriod(new Date(to.getTime() - 1), from, to)).toBe(true);
    expect(inPeriod(to, from, to)).toBe(false);
  });

  it("a UTC day is midnight to midnight UTC", () => {
    expect(dayPeriod("2026-11-02", "UTC")).toEqual({ from: new Date("2026-11-02T00:00:00.000Z"), to: new Date("2026-11-03T00:00:00.000Z") });
  });

  it("a Shanghai day (UTC+8) starts at 16:00 UTC the day before", () => {
    expect(dayPeriod("2026-11-02", "Asia/Shanghai")).toEqual({ from: new Date("2026-11-01T16:00:00.000Z"), to: new Date("2026-11-02T16:00:00.000Z") });
  });

  it("London's clocks-forward day is 23 hours, clocks-back day 25", () => {
    // 2026-03-29: 01:00 GMT becomes 02:00 BST. 2026-10-25: 02:00 BST becomes 01:00 GMT.
    const spring = dayPeriod("2026-03-29", "Europe/London");
    expect(spring).toEqual({ from: new Date("2026-03-29T00:00:00.000Z"), to: new Date("2026-03-29T23:00:00.000Z") });
    const autumn = dayPeriod("2026-10-25", "Europe/London");
    expect(autumn).toEqual({ from: new Date("2026-10-24T23:00:00.000Z"), to: new Date("2026-10-26T00:00:00.000Z") });
  });

  it("refuses malformed and impossible days", () => {
    expect(() => dayPeriod("2026-02-30", "UTC")).toThrow(RangeError);
    expect(() => dayPeriod("2 Nov 2026", "UTC")).toThrow(RangeError);
  });
});
