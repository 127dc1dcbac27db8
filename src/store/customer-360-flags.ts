// Risk flags of the customer 360 view: simple, documented rules over the cases the reader may see (and
// their clocks and surveys). Pure: the store hands in the rows; a flag names the cases that raised it.
import { DAY_MS } from "../clock";
import { OPEN_CASE_STATUSES, type CaseStatus } from "../domain/enums";
import type { ClockState } from "../domain/service-clocks";

export const RISK_FLAGS = {
  OPEN_COMPLAINT: "A complaint is open",
  REGULATORY_REFERRAL: "A case came from a regulator referral in the last 365 days, or one is still open",
  CLOCK_BREACHED_90D: "A service clock of a case breached in the last 90 days",
  REPEAT_COMPLAINTS_90D: "Two or more complaints received in the last 90 days",
  DISSATISFIED_SURVEY: "A satisfaction survey scored 1 or 2 in the last 365 days",
} as const;
export type RiskFlagCode = keyof typeof RISK_FLAGS;

export interface RiskCaseRow {
  id: string;
  kind: string;
  channel: string;
  status: CaseStatus;
  receivedAt: Date;
  surveyScore: number | null;
  surveyAt: Date | null;
}

export interface RiskFlag {
  code: RiskFlagCode;
  description: string;
  caseIds: string[];
}

export function riskFlagsOf(rows: readonly RiskCaseRow[], clocks: ReadonlyMap<string, readonly ClockState[]>, now: Date): RiskFlag[] {
  const since = (days: number) => now.getTime() - days * DAY_MS;
  const open = (r: RiskCaseRow) => OPEN_CASE_STATUSES.includes(r.status);
  const complaints90 = rows.filter((r) => r.kind === "COMPLAINT" && r.receivedAt.getTime() >= since(90));
  const matches: Record<RiskFlagCode, RiskCaseRow[]> = {
    OPEN_COMPLAINT: rows.filter((r) => r.kind === "COMPLAINT" && open(r)),
    REGULATORY_REFERRAL: rows.filter((r) => r.channel === "REGULATOR_REFERRAL" && (open(r) || r.receivedAt.getTime() >= since(365))),
    CLOCK_BREACHED_90D: rows.filter((r) =>
      (clocks.get(r.id) ?? []).some((s) => s.state === "BREACHED" && s.breachAt !== null && s.breachAt.getTime() >= since(90) && s.breachAt.getTime() <= now.getTime()),
    ),
    REPEAT_COMPLAINTS_90D: complaints90.length >= 2 ? complaints90 : [],
    DISSATISFIED_SURVEY: rows.filter((r) => r.surveyScore !== null && r.surveyScore <= 2 && r.surveyAt !== null && r.surveyAt.getTime() >= since(365)),
  };
  return (Object.keys(RISK_FLAGS) as RiskFlagCode[])
    .filter((code) => matches[code].length > 0)
    .map((code) => ({ code, description: RISK_FLAGS[code], caseIds: matches[code].map((r) => r.id) }));
}
