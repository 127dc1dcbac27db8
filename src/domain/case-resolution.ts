// What a resolution and a satisfaction survey consist of, and the checks on them that need no database.
import type { CaseKind } from "./enums";

export const RESOLUTION_OUTCOMES = ["UPHELD", "PARTLY_UPHELD", "NOT_UPHELD"] as const;
export type ResolutionOutcome = (typeof RESOLUTION_OUTCOMES)[number];

/** Redress is money: a decimal string with at most 2 places (never a float), in an ISO 4217 code. */
const AMOUNT = /^(0|[1-9]\d{0,11})(\.\d{1,2})?$/;
const CURRENCY = /^[A-Z]{3}$/;

export function isRedressAmount(value: string): boolean {
  return AMOUNT.test(value);
}

export function isCurrencyCode(value: string): boolean {
  return CURRENCY.test(value);
}

export interface ResolutionRecord {
  outcome: ResolutionOutcome | null;
  rootCauseCode: string | null;
  finalResponseSentAt: Date | null;
}

/**
 * What is still missing before a resolved case may close: every case needs its outcome and root cause;
 * a complaint also needs its final response sent (the regulator's decision letter).
 */
export function missingForClosure(kind: CaseKind, r: ResolutionRecord): string[] {
  const missing: string[] = [];
  if (!r.outcome) missing.push("outcome");
  if (!r.rootCauseCode) missing.push("rootCauseCode");
  if (kind === "COMPLAINT" && !r.finalResponseSentAt) missing.push("finalResponseSentAt");
  return missing;
}

export const SURVEY_SCORE_MIN = 1;
export const SURVEY_SCORE_MAX = 5;

export function isSurveyScore(score: number): boolean {
  return Number.isInteger(score) && score >= SURVEY_SCORE_MIN && score <= SURVEY_SCORE_MAX;
}
