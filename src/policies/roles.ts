// Per role: what it may do, on which rows (conditions) and which fields. The one place policy lives.
import type { AbilityBuilder, MongoAbility } from "@casl/ability";
import type { Role } from "../domain/enums";
import { CASE_FIELDS, CASE_PUBLIC_FIELDS, CUSTOMER_FIELDS, CUSTOMER_PUBLIC_FIELDS, type Principal } from "./subjects";

export type AppAbility = MongoAbility;
type Define = (p: Principal, can: AbilityBuilder<AppAbility>["can"], cannot: AbilityBuilder<AppAbility>["cannot"]) => void;

function requireLine(p: Principal): string {
  // The database enforces this too (staff_line_matches_role); a token without it is refused outright.
  if (!p.businessLine) throw new TypeError(`principal ${p.id} with role ${p.role} has no business line`);
  return p.businessLine;
}

export const ROLE_POLICIES: Record<Role, Define> = {
  // Cases of their line's team, and the customers who have a relationship with that line.
  AGENT(p, can) {
    const line = requireLine(p);
    can("read", "Case", [...CASE_FIELDS], { businessLine: line });
    can("create", "Case", { businessLine: line });
    can("update", "Case", { businessLine: line });
    can("read", "Customer", [...CUSTOMER_FIELDS], { businessLines: line });
    can("create", "Customer");
  },
  TEAM_LEAD(p, can) {
    const line = requireLine(p);
    can("read", "Case", [...CASE_FIELDS], { businessLine: line });
    can("create", "Case", { businessLine: line });
    can("update", "Case", { businessLine: line });
    can("read", "Customer", [...CUSTOMER_FIELDS], { businessLines: line });
    can("create", "Customer");
    can("read", "StaffUser");
  },
  // Reads everything, PII and audit trail included; writes nothing on cases or customers.
  COMPLIANCE_OFFICER(_p, can) {
    can("read", "Case", [...CASE_FIELDS]);
    can("read", "Customer", [...CUSTOMER_FIELDS]);
    can("read", "AuditEvent");
    can("read", "StaffUser");
  },
  // Access data and the audit trail; sees that customers and cases exist, never what they say.
  SECURITY_ANALYST(_p, can) {
    can("read", "AuditEvent");
    can("read", "StaffUser");
    can("read", "Customer", [...CUSTOMER_PUBLIC_FIELDS]);
    can("read", "Case", [...CASE_PUBLIC_FIELDS]);
  },
  // Users and configuration; no customer or case data at all.
  ADMIN(_p, can) {
    can("manage", "StaffUser");
  },
};
