// The bank's default clock policies as data, and how the policy for a case is chosen: per clock kind,
// the matching row with the most specific match (case kind, complexity, business line) wins.
import { DAY_MS, HOUR_MS } from "../../clock";
import type { BusinessLine, CaseKind, Complexity } from "../enums";
import { CLOCK_KINDS, type ClockPolicy } from "./types";

export const WARN_RATIO = 0.75;

const calendarTime = { basis: "CALENDAR", calendarId: null, warnRatio: WARN_RATIO, pausable: true } as const;

export const DEFAULT_CLOCK_POLICIES: readonly ClockPolicy[] = Object.freeze([
  // Every request answered within 48 h.
  { clockKind: "FIRST_RESPONSE", caseKind: null, complexity: null, businessLine: null, durationMs: 48 * HOUR_MS, ...calendarTime, extensionSteps: [] },
  // Common issues resolved within 24 h.
  { clockKind: "RESOLUTION", caseKind: null, complexity: "COMMON", businessLine: null, durationMs: 24 * HOUR_MS, ...calendarTime, extensionSteps: [] },
  // Complex issues called back within 72 h.
  { clockKind: "CALLBACK", caseKind: null, complexity: "COMPLEX", businessLine: null, durationMs: 72 * HOUR_MS, ...calendarTime, extensionSteps: [] },
  // Complaints: a decision within 15 days; 30 with a recorded reason; 60 only with head-office approval.
  {
    clockKind: "REGULATORY_DECISION",
    caseKind: "COMPLAINT",
    complexity: null,
    businessLine: null,
    durationMs: 15 * DAY_MS,
    ...calendarTime,
    extensionSteps: [
      { toMs: 30 * DAY_MS, requires: "REASON" },
      { toMs: 60 * DAY_MS, requires: "HEAD_OFFICE_APPROVAL" },
    ],
  },
] satisfies ClockPolicy[]);

function specificity(p: ClockPolicy): number {
  return (p.caseKind ? 1 : 0) + (p.complexity ? 1 : 0) + (p.businessLine ? 1 : 0);
}

/**
 * The policies a new case gets, one per clock kind at most, in CLOCK_KINDS order. Two matching rows of
 * equal specificity for one clock kind are ambiguous data: refused rather than picked at random.
 */
export function selectClockPolicies(
  policies: readonly ClockPolicy[],
  kind: CaseKind,
  complexity: Complexity,
  businessLine: BusinessLine,
): ClockPolicy[] {
  const chosen: ClockPolicy[] = [];
  for (const clockKind of CLOCK_KINDS) {
    const matching = policies
      .filter((p) => p.clockKind === clockKind)
      .filter((p) => (p.caseKind ?? kind) === kind && (p.complexity ?? complexity) === complexity && (p.businessLine ?? businessLine) === businessLine)
      .sort((a, b) => specificity(b) - specificity(a));
    if (matching.length === 0) continue;
    if (matching.length > 1 && specificity(matching[0]) === specificity(matching[1])) {
      throw new TypeError(`ambiguous clock policies for ${clockKind} (${kind}, ${complexity}, ${businessLine})`);
    }
    chosen.push(matching[0]);
  }
  return chosen;
}
