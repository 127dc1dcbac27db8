// Regulatory-deadline extensions: to 30 days with a reason, to 60 only with head-office approval, the
// customer informed each time; refused otherwise with the rule that was missing.
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../../src/clock";
import { ClockRuleError, computeClockState, type ClockEvent, type ExtensionRecord } from "../../../src/domain/service-clocks";
import { at, calendars, defaultPolicy, started } from "./service-clocks-support";

const T0 = "2026-11-02T09:00:00.000Z";
const KIND = "REGULATORY_DECISION";
const start = started(defaultPolicy(KIND), T0);
const HEAD_OFFICE = "7d1f0f8e-4c1e-4d6a-9a55-000000000001";

function extended(iso: string, ext: Partial<ExtensionRecord> & { toMs: number }): ClockEvent {
  return { type: "EXTENDED", clockKind: KIND, at: at(iso), extension: { reason: null, approverId: null, customerInformedAt: null, ...ext } };
}

function ruleOf(events: ClockEvent[], now = "2026-11-10T00:00:00Z"): string | undefined {
  try {
    computeClockState(events, at(now), calendars);
  } catch (error) {
    if (error instanceof ClockRuleError) return error.rule;
    throw error;
  }
  return undefined;
}

const informed = at("2026-11-09T08:00:00Z");
const to30 = extended("2026-11-09T09:00:00Z", { toMs: 30 * DAY_MS, reason: "THIRD_PARTY_EVIDENCE", customerInformedAt: informed });

describe("extending the regulatory decision clock", () => {
  it("extends to 30 days with a reason and the customer informed: due 30 days after the start, warned at 22.5 days", () => {
    const s = computeClockState([start, to30], at("2026-11-20T00:00:00Z"), calendars);
    expect(s).toMatchObject({ state: "ON_TIME", durationMs: 30 * DAY_MS, breachAt: at("2026-12-02T09:00:00.000Z"), warnAt: at("2026-11-24T21:00:00.000Z") });
    expect(s.extensions).toEqual([{ toMs: 30 * DAY_MS, reason: "THIRD_PARTY_EVIDENCE", approverId: null, customerInformedAt: informed }]);
  });

  it("extends on to 60 days with head-office approval, recording the approver", () => {
    const to60 = extended("2026-11-25T09:00:00Z", { toMs: 60 * DAY_MS, reason: "COMPLEX_INVESTIGATION", approverId: HEAD_OFFICE, customerInformedAt: at("2026-11-25T09:00:00Z") });
    const s = computeClockState([start, to30, to60], at("2026-12-10T00:00:00Z"), calendars);
    expect(s).toMatchObject({ state: "ON_TIME", durationMs: 60 * DAY_MS, breachAt: at("2027-01-01T09:00:00.000Z") });
    expect(s.extensions.map((e) => e.approverId)).toEqual([null, HEAD_OFFICE]);
  });

  it.each([
    ["30 days without a reason", [extended("2026-11-09T09:00:00Z", { toMs: 30 * DAY_MS, customerInformedAt: informed })], "EXTENSION_REASON_REQUIRED"],
    ["a reason that is prose, not a code", [extended("2026-11-09T09:00:00Z", { toMs: 30 * DAY_MS, reason: "customer John asked", customerInformedAt: informed })], "EXTENSION_REASON_REQUIRED"],
    ["30 days without informing the customer", [extended("2026-11-09T09:00:00Z", { toMs: 30 * DAY_MS, reason: "X1" })], "CUSTOMER_NOT_INFORMED"],
    ["the customer informed only later", [extended("2026-11-09T09:00:00Z", { toMs: 30 * DAY_MS, reason: "X1", customerInformedAt: at("2026-11-09T10:00:00Z") })], "CUSTOMER_NOT_INFORMED"],
    ["60 days without head-office approval", [to30, extended("2026-11-25T09:00:00Z", { toMs: 60 * DAY_MS, reason: "X1", customerInformedAt: informed })], "HEAD_OFFICE_APPROVAL_REQUIRED"],
    ["straight to 60 days without approval", [extended("2026-11-09T09:00:00Z", { toMs: 60 * DAY_MS, reason: "X1", customerInformedAt: informed })], "HEAD_OFFICE_APPROVAL_REQUIRED"],
    ["a duration that is no step (45 days)", [extended("2026-11-09T09:00:00Z", { toMs: 45 * DAY_MS, reason: "X1", customerInformedAt: informed })], "EXTENSION_NOT_ALLOWED"],
    ["30 days twice", [to30, extended("2026-11-10T09:00:00Z", { toMs: 30 * DAY_MS, reason: "X1", customerInformedAt: informed })], "EXTENSION_NOT_ALLOWED"],
  ] as const)("refuses %s", (_what, extra, rule) => {
    expect(ruleOf([start, ...extra], "2026-12-01T00:00:00Z")).toBe(rule);
  });

  it("refuses to extend a deadline already breached", () => {
    const late = extended("2026-11-17T09:00:00Z", { toMs: 30 * DAY_MS, reason: "X1", customerInformedAt: at("2026-11-17T09:00:00Z") });
    expect(ruleOf([start, late], "2026-11-20T00:00:00Z")).toBe("DEADLINE_PASSED");
    const justInTime = extended("2026-11-17T08:59:59.999Z", { toMs: 30 * DAY_MS, reason: "X1", customerInformedAt: at("2026-11-17T08:00:00Z") });
    expect(ruleOf([start, justInTime], "2026-11-20T00:00:00Z")).toBeUndefined();
  });

  it("refuses to extend a clock whose policy has no extensions", () => {
    const fr = started(defaultPolicy("FIRST_RESPONSE"), T0);
    const ev: ClockEvent = { type: "EXTENDED", clockKind: "FIRST_RESPONSE", at: at("2026-11-03T09:00:00Z"), extension: { toMs: 30 * DAY_MS, reason: "X1", approverId: HEAD_OFFICE, customerInformedAt: informed } };
    expect(ruleOf([fr, ev], "2026-11-03T10:00:00Z")).toBe("NOT_EXTENDABLE");
  });
});
