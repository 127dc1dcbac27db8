// The named features of the two risk models and how a raw row becomes them (one-hot categories, log of
// money). The names are what a score's factors say, so they are part of the contract (docs/risk-model.md).
import { BUSINESS_LINES, CHANNELS, type BusinessLine, type Channel } from "../enums";

export type RiskTarget = "CASE_ADVERSE" | "CUSTOMER_CHURN";

export const LABEL_DEFINITIONS: Record<RiskTarget, string> = {
  CASE_ADVERSE:
    "a finished case (RESOLVED or CLOSED) that breached a service clock (first response, resolution or regulatory decision later than due, from the case's due columns) or was escalated (status ESCALATED at any time)",
  CUSTOMER_CHURN: "the customer's status is CLOSED (the relationship ended)",
};

/** What the store hands in for a case: counts from the customer's history before the snapshot, and the case's own facts. */
export interface CaseRiskRaw {
  complaints90d: number;
  priorBreaches365d: number;
  dissatisfied365d: number;
  repeatContacts30d: number;
  caseAgeDays: number;
  priorRedress: number;
  complaint: boolean;
  complex: boolean;
  channel: Channel;
  businessLine: BusinessLine;
}

export interface CustomerRiskRaw {
  complaints90d: number;
  breaches365d: number;
  dissatisfied365d: number;
  contacts90d: number;
  referrals365d: number;
  redressTotal: number;
  tenureDays: number;
  businessLines: readonly BusinessLine[];
}

// The reference categories (PHONE, PERSONAL_BANKING) have no column: their effect is in the intercept.
const CHANNEL_FEATURES = CHANNELS.filter((c) => c !== "PHONE").map((c) => `channel_${c.toLowerCase()}`);
const CASE_LINE_FEATURES = BUSINESS_LINES.filter((l) => l !== "PERSONAL_BANKING").map((l) => `line_${l.toLowerCase()}`);
// A customer may hold several lines: each is its own indicator, none is a reference.
const CUSTOMER_LINE_FEATURES = BUSINESS_LINES.map((l) => `line_${l.toLowerCase()}`);

export const FEATURES: Record<RiskTarget, readonly string[]> = {
  CASE_ADVERSE: [
    "complaints_90d",
    "prior_breaches_365d",
    "dissatisfied_surveys_365d",
    "repeat_contacts_30d",
    "case_age_days",
    "prior_redress_log",
    "is_complaint",
    "is_complex",
    ...CHANNEL_FEATURES,
    ...CASE_LINE_FEATURES,
  ],
  CUSTOMER_CHURN: [
    "complaints_90d",
    "breaches_365d",
    "dissatisfied_surveys_365d",
    "contacts_90d",
    "regulator_referrals_365d",
    "redress_log",
    "tenure_days",
    ...CUSTOMER_LINE_FEATURES,
  ],
};

/** Money enters as log(1 + amount): a 10,000 redress is not a hundred times a 100 one in risk terms. */
const log1p = (v: number) => Math.log1p(Math.max(0, v));

export function encodeCase(raw: CaseRiskRaw): number[] {
  return [
    raw.complaints90d,
    raw.priorBreaches365d,
    raw.dissatisfied365d,
    raw.repeatContacts30d,
    raw.caseAgeDays,
    log1p(raw.priorRedress),
    raw.complaint ? 1 : 0,
    raw.complex ? 1 : 0,
    ...CHANNELS.filter((c) => c !== "PHONE").map((c) => (raw.channel === c ? 1 : 0)),
    ...BUSINESS_LINES.filter((l) => l !== "PERSONAL_BANKING").map((l) => (raw.businessLine === l ? 1 : 0)),
  ];
}

export function encodeCustomer(raw: CustomerRiskRaw): number[] {
  return [
    raw.complaints90d,
    raw.breaches365d,
    raw.dissatisfied365d,
    raw.contacts90d,
    raw.referrals365d,
    log1p(raw.redressTotal),
    raw.tenureDays,
    ...BUSINESS_LINES.map((l) => (raw.businessLines.includes(l) ? 1 : 0)),
  ];
}
