// The subjects, actions and fields that policies speak about, and who a principal is.
import type { BusinessLine, Role } from "../domain/enums";
import { CUSTOMER_PII_FIELDS } from "../domain/enums";

/**
 * readMasked: the field may be shown only masked (see src/domain/masking.ts). erase: crypto-shred a
 * customer; hold: place and release legal holds; export: a data subject access export, or (on AuditEvent) a
 * bulk CSV/JSON-lines export of the trail; on AuditBundle, a signed export bundle with proofs
 * (docs/audit-bundle-format.md). AuditReport: the security reports over the log (accessReport, …).
 * On a Case: assign (give it to someone, a team lead's call), escalate (and de-escalate), reopen (a
 * resolved or closed case, or open its follow-up), survey (record the satisfaction survey of a closed
 * case), extend (a regulatory deadline to 30 or 60 days), supervise (the team-lead views: open cases by
 * clock state, workload per agent, cases due soon; row conditions scope them by line). Roster: the duty
 * roster (who is on duty and gets new cases).
 * The control programme (docs/control-programme.md): ControlMeasure (the register, its milestones and
 * evidence; field rules say which parts an owner may update), ControlMeeting (meetings and decisions),
 * ControlActionItem (a meeting's action items), Suggestion (staff improvement suggestions; update = review).
 * Risk models (docs/risk-model.md): score on a Case or a Customer serves its risk score (row conditions
 * scope the SQL); RiskModel (read: the stored model versions and their validation figures).
 * RegulatoryReport (export: generate a signed regulators' report, docs/regulatory-reports.md; row condition
 * `kind` limits which reports).
 * Service quality (docs/service-quality.md): ServiceQuality (read: the metrics; row condition businessLine
 * scopes the cases and customers counted, in SQL), QualityAlert (read; create: computing the metrics raises
 * alerts for breached targets; update: acknowledge).
 * close on a Customer: close (and reopen, as a correction) the customer's relationship with the bank
 * (status CLOSED with the instant and a reason code; churn counts it).
 */
export type Action = "read" | "readMasked" | "create" | "update" | "manage" | "erase" | "hold" | "export" | "assign" | "escalate" | "reopen" | "survey" | "extend" | "supervise" | "score" | "close";
export type SubjectName = "Customer" | "Case" | "AuditEvent" | "AuditReport" | "AuditBundle" | "StaffUser" | "Training" | "Roster" | "ControlMeasure" | "ControlMeeting" | "ControlActionItem" | "Suggestion" | "RiskModel" | "RegulatoryReport" | "ServiceQuality" | "QualityAlert" | "all";

export interface Principal {
  readonly id: string;
  readonly role: Role;
  readonly businessLine: BusinessLine | null;
  readonly teamId: string | null;
  /** "service" for an internal app's machine identity (role SERVICE), "staff" for people. */
  readonly kind: "staff" | "service";
  /** Mandatory compliance training is current. Without it PII is shown masked only. */
  readonly trainingCurrent: boolean;
  /** What a SERVICE token was granted; empty for staff. */
  readonly scopes: readonly string[];
}

/** Per request: full PII needs a stated purpose (x-custos-purpose). */
export interface AccessContext {
  readonly purpose: string | null;
}

export const SERVICE_SCOPES = [
  "customers:read",
  "customers:read:pii",
  "customers:write",
  "cases:read",
  "cases:read:narrative",
  "cases:write",
  "audit:read",
  // The core-banking feed that reports a relationship's end (closeCustomerRelationship).
  "customers:close",
] as const;
export type ServiceScope = (typeof SERVICE_SCOPES)[number];

export const CUSTOMER_PUBLIC_FIELDS = ["id", "reference", "businessLines", "status", "createdAt", "updatedAt"] as const;
export const CUSTOMER_FIELDS = [...CUSTOMER_PUBLIC_FIELDS, ...CUSTOMER_PII_FIELDS, "transactions", "cases"] as const;

/**
 * Case fields that carry customer narrative (PII); everything else on a case is operational. "notes" also
 * covers the timeline's narratives (contact summaries, attachment file names).
 */
export const CASE_PII_FIELDS = ["summary", "notes", "resolution", "surveyComment"] as const;
export const CASE_PUBLIC_FIELDS = [
  "id",
  "reference",
  "customerId",
  "channel",
  "kind",
  "category",
  "complexity",
  "businessLine",
  "teamId",
  "status",
  "assigneeId",
  "receivedAt",
  "firstResponseDueAt",
  "resolutionDueAt",
  "callbackDueAt",
  "regulatoryDueAt",
  "firstRespondedAt",
  "resolvedAt",
  "closedAt",
  "createdAt",
  "updatedAt",
  "linkedCaseId",
  "recusedStaffIds",
  "resolutionOutcome",
  "rootCauseCode",
  "redressAmount",
  "redressCurrency",
  "customerAccepted",
  "finalResponseSentAt",
  "survey",
  "timeline",
] as const;
export const CASE_FIELDS = [...CASE_PUBLIC_FIELDS, ...CASE_PII_FIELDS] as const;

/** Customer fields a client may set; everything else on a customer is the server's. */
export const CUSTOMER_WRITABLE_FIELDS = ["fullName", "nationalId", "phone", "email", "address"] as const;

/** Parts of a control measure a write names: owners may move status, milestones' status and evidence only. */
export const CONTROL_MEASURE_FIELDS = ["title", "objective", "ownerId", "status", "milestones", "milestoneStatus", "evidence"] as const;
export const CONTROL_ACTION_ITEM_FIELDS = ["title", "ownerId", "dueAt", "status"] as const;

export const FIELDS_OF: Record<Exclude<SubjectName, "all">, readonly string[]> = {
  Customer: CUSTOMER_FIELDS,
  Case: CASE_FIELDS,
  AuditEvent: [],
  AuditReport: [],
  AuditBundle: [],
  StaffUser: [],
  Training: [],
  Roster: [],
  ControlMeasure: CONTROL_MEASURE_FIELDS,
  ControlMeeting: [],
  ControlActionItem: CONTROL_ACTION_ITEM_FIELDS,
  Suggestion: [],
  RiskModel: [],
  RegulatoryReport: [],
  ServiceQuality: [],
  QualityAlert: [],
};
