// Per role: what it may do, on which rows (conditions) and which fields, with which PII level. The one
// place policy lives; `npx custos policies` prints it as a matrix.
import type { AbilityBuilder, MongoAbility } from "@casl/ability";
import type { Role } from "../domain/enums";
import {
  CASE_PII_FIELDS,
  CASE_PUBLIC_FIELDS,
  CUSTOMER_PUBLIC_FIELDS,
  type AccessContext,
  type Principal,
  type ServiceScope,
} from "./subjects";

export type AppAbility = MongoAbility;
type Can = AbilityBuilder<AppAbility>["can"];
type Cannot = AbilityBuilder<AppAbility>["cannot"];
type Conditions = Record<string, unknown>;

/** What a role's rules are built from: the principal, and the PII level this request may have. */
export interface RuleKit {
  p: Principal;
  can: Can;
  cannot: Cannot;
  /** Grants PII fields in full when this request may see PII in full, else masked. */
  pii(subject: "Customer" | "Case", fields: readonly string[], conditions?: Conditions): void;
}

const CUSTOMER_RELATIONS = ["transactions", "cases"] as const;
const CUSTOMER_VIEW = [...CUSTOMER_PUBLIC_FIELDS, ...CUSTOMER_RELATIONS];
const ALL_PII = ["fullName", "nationalId", "phone", "email", "address"] as const;

/**
 * The control programme (docs/control-programme.md). An owner of a measure or an action item reports on
 * it (status, milestones' status, evidence); what a measure is, who owns it and its milestones are
 * compliance's. Every member of staff may suggest an improvement and read their own suggestions.
 */
function controlOwner({ p, can }: RuleKit): void {
  can("read", "ControlMeasure", { ownerId: p.id });
  can("update", "ControlMeasure", ["status", "milestoneStatus", "evidence"], { ownerId: p.id });
  can("read", "ControlActionItem", { ownerId: p.id });
  can("update", "ControlActionItem", ["status"], { ownerId: p.id });
  can("read", "ControlMeeting", { attendeeIds: p.id });
}

function suggester({ p, can }: RuleKit): void {
  can("create", "Suggestion");
  can("read", "Suggestion", { authorId: p.id });
}

function requireLine(p: Principal): string {
  // The database enforces this too (staff_line_matches_role); a token without it is refused outright.
  if (!p.businessLine || !p.teamId) throw new TypeError(`principal ${p.id} with role ${p.role} has no business line or team`);
  return p.businessLine;
}

function hasScope(p: Principal, scope: ServiceScope): boolean {
  return p.scopes.includes(scope);
}

export const ROLE_POLICIES: Record<Role, (kit: RuleKit) => void> = {
  // Their line's cases and the customers who have a relationship with that line. They change only cases
  // assigned to them or unassigned in their team; a national id they see only masked.
  AGENT(kit) {
    const { p, can, pii } = kit;
    const line = requireLine(p);
    can("read", "Case", [...CASE_PUBLIC_FIELDS], { businessLine: line });
    pii("Case", CASE_PII_FIELDS, { businessLine: line });
    can("create", "Case", { businessLine: line });
    can("update", "Case", { businessLine: line, assigneeId: p.id });
    can("update", "Case", { teamId: p.teamId, assigneeId: null });
    // The customer comes back to whoever answers: any agent of the line may reopen, or take the survey.
    can("reopen", "Case", { businessLine: line });
    can("survey", "Case", { businessLine: line });
    // Risk scores of the cases they own (docs/risk-model.md); not customers' churn, a relationship matter.
    can("score", "Case", { businessLine: line, assigneeId: p.id });
    can("update", "Roster", { staffId: p.id });
    suggester(kit);
    can("read", "Customer", CUSTOMER_VIEW, { businessLines: line });
    pii("Customer", ["fullName", "phone", "email", "address"], { businessLines: line });
    can("readMasked", "Customer", ["nationalId"], { businessLines: line });
    can("create", "Customer", [...ALL_PII]);
    can("update", "Customer", ["phone", "email", "address"], { businessLines: line });
    can("read", "Training", { staffId: p.id });
  },
  // Everything of their line, national ids included; corrections of names too.
  TEAM_LEAD(kit) {
    const { p, can, pii } = kit;
    const line = requireLine(p);
    can("read", "Case", [...CASE_PUBLIC_FIELDS], { businessLine: line });
    pii("Case", CASE_PII_FIELDS, { businessLine: line });
    can("create", "Case", { businessLine: line });
    can("update", "Case", { businessLine: line });
    // Ownership and escalation of their line's cases are the lead's (reassign with a reason, escalate).
    can("assign", "Case", { businessLine: line });
    can("escalate", "Case", { businessLine: line });
    // A regulatory deadline extension is the lead's decision (60 days also needs head office's approval).
    can("extend", "Case", { businessLine: line });
    // The supervision views (clock states, workload, cases due) cover the lead's line only.
    can("supervise", "Case", { businessLine: line });
    // Service-quality figures of their own line only (the condition scopes the SQL that counts).
    can("read", "ServiceQuality", { businessLine: line });
    can("reopen", "Case", { businessLine: line });
    can("survey", "Case", { businessLine: line });
    // Risk scores and the models behind them, for their line (docs/risk-model.md).
    can("score", "Case", { businessLine: line });
    can("score", "Customer", { businessLines: line });
    can("read", "RiskModel");
    can("update", "Roster", { teamId: p.teamId });
    can("read", "Customer", CUSTOMER_VIEW, { businessLines: line });
    pii("Customer", ALL_PII, { businessLines: line });
    can("create", "Customer", [...ALL_PII]);
    can("update", "Customer", ["fullName", "phone", "email", "address"], { businessLines: line });
    // Closing a customer's relationship (churn counts it) is a lead's decision for a customer of their line;
    // agents record the request in a case, they do not end relationships.
    can("close", "Customer", { businessLines: line });
    can("read", "StaffUser");
    can("read", "Training", { staffId: p.id });
    controlOwner(kit);
    suggester(kit);
  },
  // Reads everything, PII and the audit trail included; writes nothing on cases or customers; keeps the
  // training records.
  COMPLIANCE_OFFICER(kit) {
    const { p, can, pii } = kit;
    can("read", "Case", [...CASE_PUBLIC_FIELDS]);
    pii("Case", CASE_PII_FIELDS);
    // Oversight of every line's deadlines and workload (read only).
    can("supervise", "Case");
    // Risk scores of every case and customer, and the model versions (docs/risk-model.md).
    can("score", "Case");
    can("score", "Customer");
    can("read", "RiskModel");
    // Service quality of every line; breaches raise alerts, which compliance acknowledges.
    can("read", "ServiceQuality");
    can("read", "QualityAlert");
    can("create", "QualityAlert");
    can("update", "QualityAlert");
    can("read", "Customer", CUSTOMER_VIEW);
    pii("Customer", ALL_PII);
    can("read", "AuditEvent");
    can("export", "AuditEvent");
    // Signed export bundles with proofs, for regulators (docs/audit-bundle-format.md).
    can("export", "AuditBundle");
    // Regulators' reports (complaint return, access, training and controls), signed (docs/regulatory-reports.md).
    can("export", "RegulatoryReport");
    can("read", "AuditReport");
    can("read", "StaffUser");
    can("read", "Training");
    can("create", "Training");
    // Data-subject rights: erasure (blocked by holds and retention), legal holds, subject access exports.
    can("erase", "Customer");
    can("hold", "Customer");
    can("export", "Customer");
    // The control programme is theirs to run: the register, meetings and action items. They review
    // suggestions, never their own (segregation of duties).
    can("manage", "ControlMeasure");
    can("manage", "ControlMeeting");
    can("manage", "ControlActionItem");
    can("create", "Suggestion");
    can("read", "Suggestion");
    can("update", "Suggestion");
    kit.cannot("update", "Suggestion", { authorId: p.id });
  },
  // Access data and the audit trail; sees that customers and cases exist, never what they say.
  SECURITY_ANALYST(kit) {
    const { p, can } = kit;
    can("read", "AuditEvent");
    can("export", "AuditEvent");
    can("read", "AuditReport");
    can("read", "StaffUser");
    can("read", "Customer", [...CUSTOMER_PUBLIC_FIELDS]);
    can("read", "Case", [...CASE_PUBLIC_FIELDS]);
    can("read", "Training", { staffId: p.id });
    suggester(kit);
  },
  // Users and configuration; no customer or case data at all.
  ADMIN(kit) {
    const { p, can } = kit;
    can("manage", "StaffUser");
    can("read", "Training", { staffId: p.id });
    controlOwner(kit);
    suggester(kit);
  },
  // An external auditor or regulator, for a time window: the audit trail and its export; not the security
  // reports (they profile staff), nothing about customers.
  AUDITOR({ can }) {
    // The risk models as evidence (coefficients, validation figures); never a score, which is about a customer.
    can("read", "RiskModel");
    can("read", "AuditEvent");
    can("export", "AuditEvent");
    can("export", "AuditBundle");
    // Regulators' reports of aggregates: the complaint return and the training and controls status. Not the
    // access report: like the security reports it profiles staff.
    can("export", "RegulatoryReport", { kind: { $in: ["complaints", "training-controls"] } });
    // The control programme as evidence of the controls (read only); not staff, so no suggestions.
    can("read", "ControlMeasure");
    can("read", "ControlMeeting");
    can("read", "ControlActionItem");
    can("read", "Suggestion");
    // Service-quality figures (counts, no customer data) and the alerts, read only.
    can("read", "ServiceQuality");
    can("read", "QualityAlert");
  },
  // An internal app: exactly what its scopes grant; PII only with a PII scope (and a stated purpose).
  SERVICE({ p, can, pii }) {
    if (hasScope(p, "customers:read") || hasScope(p, "customers:read:pii")) {
      can("read", "Customer", CUSTOMER_VIEW);
      if (hasScope(p, "customers:read:pii")) pii("Customer", ALL_PII);
      else can("readMasked", "Customer", [...ALL_PII]);
    }
    if (hasScope(p, "customers:write")) can("create", "Customer", [...ALL_PII]);
    if (hasScope(p, "customers:close")) can("close", "Customer");
    if (hasScope(p, "cases:read") || hasScope(p, "cases:read:narrative") || hasScope(p, "cases:write")) {
      can("read", "Case", [...CASE_PUBLIC_FIELDS]);
      if (hasScope(p, "cases:read:narrative")) pii("Case", CASE_PII_FIELDS);
      else can("readMasked", "Case", [...CASE_PII_FIELDS]);
    }
    if (hasScope(p, "cases:write")) {
      can("create", "Case");
      can("update", "Case");
      // A survey or self-service app reopens and records surveys; ownership stays with people.
      can("reopen", "Case");
      can("survey", "Case");
    }
    if (hasScope(p, "audit:read")) can("read", "AuditEvent");
  },
};

/** Full PII needs current training and a stated purpose; otherwise every PII grant is masked. */
export function mayReadPiiInFull(p: Principal, ctx: AccessContext): boolean {
  return p.trainingCurrent && ctx.purpose !== null;
}
