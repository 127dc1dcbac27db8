// The workflow table: every (command, status) pair answered literally, the reopen window at its edges,
// and the closure and timeline rules. Expectations are written out, never derived from the table.
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../../src/clock";
import { missingForClosure, isRedressAmount, isSurveyScore } from "../../../src/domain/case-resolution";
import { contactAnswersCustomer, isMediaType, isPlainFileName, isSha256Hex } from "../../../src/domain/case-timeline";
import { acceptsTimelineEntries, CASE_COMMANDS, findTransition, nextStatuses, reopenDecision, TRANSITIONS, type CaseCommand } from "../../../src/domain/case-workflow";
import { CASE_STATUSES, type CaseStatus } from "../../../src/domain/enums";

/** command → from → to, for every allowed pair; everything not listed must be refused. */
const ALLOWED: Record<CaseCommand, Partial<Record<CaseStatus, CaseStatus>>> = {
  assign: { NEW: "ASSIGNED" },
  start: { ASSIGNED: "IN_PROGRESS", REOPENED: "IN_PROGRESS" },
  awaitCustomer: { IN_PROGRESS: "AWAITING_CUSTOMER" },
  resume: { AWAITING_CUSTOMER: "IN_PROGRESS" },
  escalate: { NEW: "ESCALATED", ASSIGNED: "ESCALATED", IN_PROGRESS: "ESCALATED", AWAITING_CUSTOMER: "ESCALATED", REOPENED: "ESCALATED" },
  deescalate: { ESCALATED: "IN_PROGRESS" },
  resolve: { ASSIGNED: "RESOLVED", IN_PROGRESS: "RESOLVED", ESCALATED: "RESOLVED" },
  close: { RESOLVED: "CLOSED" },
  reopen: { RESOLVED: "REOPENED", CLOSED: "REOPENED" },
};

describe("case workflow transitions", () => {
  const pairs = CASE_COMMANDS.flatMap((command) => CASE_STATUSES.map((from) => [command, from] as const));

  it.each(pairs)("%s from %s is allowed exactly when the table says so", (command, from) => {
    const check = findTransition(command, from);
    const to = ALLOWED[command][from];
    if (to) {
      expect(check).toEqual({ ok: true, transition: expect.objectContaining({ command, from, to }) });
    } else {
      expect(check.ok).toBe(false);
      if (!check.ok) expect(check.allowedFrom.sort()).toEqual(Object.keys(ALLOWED[command]).sort());
    }
  });

  it("has no transition out of the table above and none listed twice", () => {
    expect(TRANSITIONS.length).toBe(Object.values(ALLOWED).reduce((n, m) => n + Object.keys(m).length, 0));
    expect(new Set(TRANSITIONS.map((x) => `${x.command}:${x.from}`)).size).toBe(TRANSITIONS.length);
  });

  it("leaves assignment, escalation and de-escalation to team leads, the rest to the handler", () => {
    const lead = TRANSITIONS.filter((x) => x.by === "lead").map((x) => x.command);
    expect([...new Set(lead)].sort()).toEqual(["assign", "deescalate", "escalate"]);
  });

  it("never leaves CLOSED except by reopening, and never goes back to NEW", () => {
    expect(nextStatuses("CLOSED")).toEqual(["REOPENED"]);
    expect(TRANSITIONS.some((x) => x.to === "NEW")).toBe(false);
    expect(nextStatuses("AWAITING_CUSTOMER").sort()).toEqual(["ESCALATED", "IN_PROGRESS"]);
  });

  it("accepts timeline entries until the case is closed", () => {
    expect(CASE_STATUSES.filter((s) => !acceptsTimelineEntries(s))).toEqual(["CLOSED"]);
  });
});

describe("reopen window", () => {
  const resolvedAt = new Date("2026-11-01T10:00:00.000Z");
  it.each([
    [0, "reopen"],
    [30 * DAY_MS, "reopen"],
    [30 * DAY_MS + 1, "newLinkedCase"],
    [400 * DAY_MS, "newLinkedCase"],
  ] as const)("%d ms after resolution with a 30-day window: %s", (after, decision) => {
    expect(reopenDecision(resolvedAt, new Date(resolvedAt.getTime() + after), 30)).toBe(decision);
  });

  it("opens a linked case when the window is 0 days and any time has passed, or when there is no resolution time", () => {
    expect(reopenDecision(resolvedAt, new Date(resolvedAt.getTime() + 1), 0)).toBe("newLinkedCase");
    expect(reopenDecision(null, resolvedAt, 30)).toBe("newLinkedCase");
  });
});

describe("resolution and timeline rules", () => {
  it("requires outcome and root cause to close, and the final response for a complaint", () => {
    const none = { outcome: null, rootCauseCode: null, finalResponseSentAt: null };
    expect(missingForClosure("SERVICE_REQUEST", none)).toEqual(["outcome", "rootCauseCode"]);
    expect(missingForClosure("COMPLAINT", none)).toEqual(["outcome", "rootCauseCode", "finalResponseSentAt"]);
    expect(missingForClosure("COMPLAINT", { outcome: "UPHELD", rootCauseCode: "DELAY", finalResponseSentAt: new Date() })).toEqual([]);
    expect(missingForClosure("INQUIRY", { outcome: "NOT_UPHELD", rootCauseCode: "NO_FAULT_FOUND", finalResponseSentAt: null })).toEqual([]);
  });

  it.each([["0", true], ["120.5", true], ["120.50", true], ["999999999999.99", true], ["-1", false], ["1.234", false], ["01", false], ["1e3", false], ["", false]] as const)(
    "redress amount %j valid: %s",
    (value, ok) => expect(isRedressAmount(value)).toBe(ok),
  );

  it("takes survey scores 1 to 5, whole numbers only", () => {
    expect([0, 1, 3, 5, 6, 2.5].map(isSurveyScore)).toEqual([false, true, true, true, false, false]);
  });

  it("counts only an outbound contact that reached the customer as an answer", () => {
    expect(contactAnswersCustomer("OUTBOUND", "REACHED")).toBe(true);
    expect(contactAnswersCustomer("OUTBOUND", "SENT")).toBe(true);
    expect(contactAnswersCustomer("OUTBOUND", "NO_ANSWER")).toBe(false);
    expect(contactAnswersCustomer("INBOUND", "RECEIVED")).toBe(false);
  });

  it("checks attachment metadata", () => {
    expect(isMediaType("application/pdf")).toBe(true);
    expect(isMediaType("application/pdf; charset=x")).toBe(false);
    expect(isSha256Hex("ab".repeat(32))).toBe(true);
    expect(isSha256Hex("AB".repeat(32))).toBe(false);
    expect(isPlainFileName("statement 2026.pdf")).toBe(true);
    expect(isPlainFileName("../etc/passwd")).toBe(false);
    expect(isPlainFileName("C:\\Users\\x.pdf")).toBe(false);
  });
});
