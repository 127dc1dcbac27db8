// The STARTED events a new case's clocks begin with: the chosen policies' terms, frozen into the events.
import type { BusinessLine, CaseKind, Complexity } from "../enums";
import { selectClockPolicies } from "./policies";
import type { ClockEvent, ClockPolicy } from "./types";

export function startEvents(
  policies: readonly ClockPolicy[],
  c: { kind: CaseKind; complexity: Complexity; businessLine: BusinessLine },
  at: Date,
): Array<Extract<ClockEvent, { type: "STARTED" }>> {
  return selectClockPolicies(policies, c.kind, c.complexity, c.businessLine).map((p) => ({
    type: "STARTED",
    clockKind: p.clockKind,
    at,
    terms: {
      durationMs: p.durationMs,
      basis: p.basis,
      calendarId: p.calendarId,
      warnRatio: p.warnRatio,
      pausable: p.pausable,
      extensionSteps: p.extensionSteps.map((s) => ({ ...s })),
    },
  }));
}
