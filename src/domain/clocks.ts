// The bank's service clocks as data: which deadlines a case gets at intake, from its kind and complexity.
import { DAY_MS, HOUR_MS } from "../clock";
import type { CaseKind, Complexity } from "./enums";

export const CLOCK_POLICY = {
  /** Every request answered within 48 h. */
  firstResponseMs: 48 * HOUR_MS,
  /** Common issues resolved within 24 h. */
  commonResolutionMs: 24 * HOUR_MS,
  /** Complex issues called back within 72 h. */
  complexCallbackMs: 72 * HOUR_MS,
  /** Complaints: a regulatory decision within 15 days (extensions to 30 and 60 come with the workflow). */
  regulatoryDecisionMs: 15 * DAY_MS,
} as const;

export interface IntakeDeadlines {
  firstResponseDueAt: Date;
  resolutionDueAt: Date | null;
  callbackDueAt: Date | null;
  regulatoryDueAt: Date | null;
}

export function intakeDeadlines(kind: CaseKind, complexity: Complexity, receivedAt: Date): IntakeDeadlines {
  const at = (ms: number) => new Date(receivedAt.getTime() + ms);
  return {
    firstResponseDueAt: at(CLOCK_POLICY.firstResponseMs),
    resolutionDueAt: complexity === "COMMON" ? at(CLOCK_POLICY.commonResolutionMs) : null,
    callbackDueAt: complexity === "COMPLEX" ? at(CLOCK_POLICY.complexCallbackMs) : null,
    regulatoryDueAt: kind === "COMPLAINT" ? at(CLOCK_POLICY.regulatoryDecisionMs) : null,
  };
}
