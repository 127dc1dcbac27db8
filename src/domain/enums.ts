// The product's closed vocabularies, shared by storage, policies and the GraphQL schema.
export const ROLES = ["AGENT", "TEAM_LEAD", "COMPLIANCE_OFFICER", "SECURITY_ANALYST", "ADMIN", "AUDITOR", "SERVICE"] as const;
export type Role = (typeof ROLES)[number];
/** Roles a person's account can have; SERVICE belongs to machine identities (service_client). */
export const STAFF_ROLES = ["AGENT", "TEAM_LEAD", "COMPLIANCE_OFFICER", "SECURITY_ANALYST", "ADMIN", "AUDITOR"] as const satisfies readonly Role[];
export type StaffRole = (typeof STAFF_ROLES)[number];

export const BUSINESS_LINES = ["PERSONAL_BANKING", "CORPORATE_FINANCE", "SECURITIES", "INSURANCE"] as const;
export type BusinessLine = (typeof BUSINESS_LINES)[number];

export const CHANNELS = ["PHONE", "EMAIL", "ONLINE_CHAT", "BRANCH", "APP", "REGULATOR_REFERRAL"] as const;
export type Channel = (typeof CHANNELS)[number];

export const CASE_KINDS = ["INQUIRY", "SERVICE_REQUEST", "COMPLAINT"] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export const COMPLEXITIES = ["COMMON", "COMPLEX"] as const;
export type Complexity = (typeof COMPLEXITIES)[number];

/** The full workflow arrives with the case-handling issue; the states exist now so the model fits it. */
export const CASE_STATUSES = [
  "NEW",
  "ASSIGNED",
  "IN_PROGRESS",
  "AWAITING_CUSTOMER",
  "ESCALATED",
  "RESOLVED",
  "REOPENED",
  "CLOSED",
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const OPEN_CASE_STATUSES: readonly CaseStatus[] = ["NEW", "ASSIGNED", "IN_PROGRESS", "AWAITING_CUSTOMER", "ESCALATED", "REOPENED"];

export const CUSTOMER_PII_FIELDS = ["fullName", "nationalId", "phone", "email", "address"] as const;
export type CustomerPiiField = (typeof CUSTOMER_PII_FIELDS)[number];

export const AUDIT_OUTCOMES = ["SUCCESS", "DENIED", "NOT_FOUND", "FAILURE"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** The compliance course every person handling customer data must hold, current, to see PII in full. */
export const MANDATORY_TRAINING_COURSE = "DATA_PROTECTION";

export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === "string" && (values as readonly string[]).includes(value);
}

/** Why a customer's relationship with the bank ended: a code, never prose (it lands in the audit log). */
export const RELATIONSHIP_CLOSE_REASONS = ["MOVED_BANK", "DECEASED", "DISSATISFIED", "COST", "PRODUCT_ENDED", "OTHER"] as const;
export type RelationshipCloseReason = (typeof RELATIONSHIP_CLOSE_REASONS)[number];
