// The policy table: for every role, literal answers to (action, row, field) questions asked against
// concrete rows. The expectations are written out here, never derived from roles.ts.
import { describe, expect, it } from "vitest";
import { ROLES, type BusinessLine, type Role } from "../../../src/domain/enums";
import { canOnRow, defineAbilityFor, permittedFields, type Action, type Principal } from "../../../src/policies";

type RowSubject = "Customer" | "Case" | "AuditEvent" | "StaffUser";

const ROWS = {
  custPB: { subject: "Customer", row: { id: "c-pb", reference: "C0000001", businessLines: ["PERSONAL_BANKING"], status: "ACTIVE" } },
  custIns: { subject: "Customer", row: { id: "c-ins", reference: "C0000002", businessLines: ["INSURANCE"], status: "ACTIVE" } },
  custBoth: { subject: "Customer", row: { id: "c-both", reference: "C0000003", businessLines: ["INSURANCE", "PERSONAL_BANKING"], status: "ACTIVE" } },
  custNone: { subject: "Customer", row: { id: "c-none", reference: "C0000004", businessLines: [], status: "ACTIVE" } },
  casePB: { subject: "Case", row: { id: "s-pb", reference: "CS-1", businessLine: "PERSONAL_BANKING", status: "ASSIGNED", assigneeId: null } },
  caseIns: { subject: "Case", row: { id: "s-ins", reference: "CS-2", businessLine: "INSURANCE", status: "ASSIGNED", assigneeId: null } },
  audit: { subject: "AuditEvent", row: { seq: 1 } },
  staff: { subject: "StaffUser", row: { id: "u-1" } },
} as const satisfies Record<string, { subject: RowSubject; row: Record<string, unknown> }>;
type RowName = keyof typeof ROWS;

/** [role, action, row, field (null = the row as a whole), allowed] */
type Expectation = readonly [Role, Action, RowName, string | null, boolean];
const Y = true;
const N = false;

// Agents and leads are in PERSONAL_BANKING throughout.
const LINE_ROLE_ROWS = (role: "AGENT" | "TEAM_LEAD"): Expectation[] => [
  [role, "read", "custPB", null, Y],
  [role, "read", "custPB", "reference", Y],
  [role, "read", "custPB", "fullName", Y],
  [role, "read", "custPB", "nationalId", Y],
  [role, "read", "custPB", "phone", Y],
  [role, "read", "custPB", "email", Y],
  [role, "read", "custPB", "address", Y],
  [role, "read", "custPB", "transactions", Y],
  [role, "read", "custBoth", "fullName", Y],
  [role, "read", "custIns", null, N],
  [role, "read", "custIns", "reference", N],
  [role, "read", "custIns", "fullName", N],
  [role, "read", "custIns", "nationalId", N],
  [role, "read", "custIns", "phone", N],
  [role, "read", "custIns", "email", N],
  [role, "read", "custIns", "address", N],
  [role, "read", "custNone", null, N],
  [role, "read", "custNone", "fullName", N],
  [role, "create", "custPB", null, Y],
  [role, "create", "custIns", null, Y],
  [role, "update", "custPB", null, N],
  [role, "update", "custPB", "fullName", N],
  [role, "read", "casePB", null, Y],
  [role, "read", "casePB", "summary", Y],
  [role, "read", "casePB", "notes", Y],
  [role, "read", "casePB", "status", Y],
  [role, "read", "caseIns", null, N],
  [role, "read", "caseIns", "summary", N],
  [role, "read", "caseIns", "reference", N],
  [role, "create", "casePB", null, Y],
  [role, "create", "caseIns", null, N],
  [role, "update", "casePB", null, Y],
  [role, "update", "caseIns", null, N],
  [role, "read", "audit", null, N],
  [role, "create", "audit", null, N],
  [role, "update", "audit", null, N],
  [role, "read", "staff", null, role === "TEAM_LEAD"],
  [role, "create", "staff", null, N],
  [role, "update", "staff", null, N],
];

const TABLE: readonly Expectation[] = [
  ...LINE_ROLE_ROWS("AGENT"),
  ...LINE_ROLE_ROWS("TEAM_LEAD"),

  ["COMPLIANCE_OFFICER", "read", "custPB", null, Y],
  ["COMPLIANCE_OFFICER", "read", "custIns", "fullName", Y],
  ["COMPLIANCE_OFFICER", "read", "custIns", "nationalId", Y],
  ["COMPLIANCE_OFFICER", "read", "custIns", "phone", Y],
  ["COMPLIANCE_OFFICER", "read", "custIns", "email", Y],
  ["COMPLIANCE_OFFICER", "read", "custIns", "address", Y],
  ["COMPLIANCE_OFFICER", "read", "custIns", "transactions", Y],
  ["COMPLIANCE_OFFICER", "read", "custNone", "fullName", Y],
  ["COMPLIANCE_OFFICER", "create", "custPB", null, N],
  ["COMPLIANCE_OFFICER", "update", "custPB", null, N],
  ["COMPLIANCE_OFFICER", "read", "caseIns", null, Y],
  ["COMPLIANCE_OFFICER", "read", "caseIns", "summary", Y],
  ["COMPLIANCE_OFFICER", "read", "casePB", "notes", Y],
  ["COMPLIANCE_OFFICER", "create", "casePB", null, N],
  ["COMPLIANCE_OFFICER", "create", "caseIns", null, N],
  ["COMPLIANCE_OFFICER", "update", "casePB", null, N],
  ["COMPLIANCE_OFFICER", "update", "caseIns", "status", N],
  ["COMPLIANCE_OFFICER", "read", "audit", null, Y],
  ["COMPLIANCE_OFFICER", "create", "audit", null, N],
  ["COMPLIANCE_OFFICER", "update", "audit", null, N],
  ["COMPLIANCE_OFFICER", "read", "staff", null, Y],
  ["COMPLIANCE_OFFICER", "create", "staff", null, N],
  ["COMPLIANCE_OFFICER", "update", "staff", null, N],

  ["SECURITY_ANALYST", "read", "custPB", null, Y],
  ["SECURITY_ANALYST", "read", "custIns", "reference", Y],
  ["SECURITY_ANALYST", "read", "custIns", "businessLines", Y],
  ["SECURITY_ANALYST", "read", "custIns", "status", Y],
  ["SECURITY_ANALYST", "read", "custIns", "fullName", N],
  ["SECURITY_ANALYST", "read", "custIns", "nationalId", N],
  ["SECURITY_ANALYST", "read", "custIns", "phone", N],
  ["SECURITY_ANALYST", "read", "custIns", "email", N],
  ["SECURITY_ANALYST", "read", "custIns", "address", N],
  ["SECURITY_ANALYST", "read", "custIns", "transactions", N],
  ["SECURITY_ANALYST", "read", "custIns", "cases", N],
  ["SECURITY_ANALYST", "create", "custPB", null, N],
  ["SECURITY_ANALYST", "update", "custPB", null, N],
  ["SECURITY_ANALYST", "read", "casePB", null, Y],
  ["SECURITY_ANALYST", "read", "casePB", "reference", Y],
  ["SECURITY_ANALYST", "read", "casePB", "status", Y],
  ["SECURITY_ANALYST", "read", "casePB", "assigneeId", Y],
  ["SECURITY_ANALYST", "read", "casePB", "summary", N],
  ["SECURITY_ANALYST", "read", "casePB", "notes", N],
  ["SECURITY_ANALYST", "create", "casePB", null, N],
  ["SECURITY_ANALYST", "update", "casePB", null, N],
  ["SECURITY_ANALYST", "read", "audit", null, Y],
  ["SECURITY_ANALYST", "create", "audit", null, N],
  ["SECURITY_ANALYST", "update", "audit", null, N],
  ["SECURITY_ANALYST", "read", "staff", null, Y],
  ["SECURITY_ANALYST", "create", "staff", null, N],
  ["SECURITY_ANALYST", "update", "staff", null, N],

  ["ADMIN", "read", "custPB", null, N],
  ["ADMIN", "read", "custPB", "reference", N],
  ["ADMIN", "read", "custIns", "fullName", N],
  ["ADMIN", "create", "custPB", null, N],
  ["ADMIN", "update", "custPB", null, N],
  ["ADMIN", "read", "casePB", null, N],
  ["ADMIN", "read", "caseIns", "summary", N],
  ["ADMIN", "create", "casePB", null, N],
  ["ADMIN", "update", "casePB", null, N],
  ["ADMIN", "read", "audit", null, N],
  ["ADMIN", "create", "audit", null, N],
  ["ADMIN", "update", "audit", null, N],
  ["ADMIN", "read", "staff", null, Y],
  ["ADMIN", "create", "staff", null, Y],
  ["ADMIN", "update", "staff", null, Y],
];

const LINE: BusinessLine = "PERSONAL_BANKING";

function principalFor(role: Role): Principal {
  const lined = role === "AGENT" || role === "TEAM_LEAD";
  return { id: `${role.toLowerCase()}-1`, role, businessLine: lined ? LINE : null, teamId: lined ? "team-pb" : null };
}

describe("policy matrix", () => {
  it.each(TABLE)("%s may %s %s.%s → %s", (role, action, rowName, field, allowed) => {
    const { subject, row } = ROWS[rowName];
    const ability = defineAbilityFor(principalFor(role));
    expect(canOnRow(ability, action, subject, row, field ?? undefined)).toBe(allowed);
  });

  it("covers every role in ROLES for every subject and for read, create and update", () => {
    const missing: string[] = [];
    for (const role of ROLES) {
      for (const subject of ["Customer", "Case", "AuditEvent", "StaffUser"] as const) {
        for (const action of ["read", "create", "update"] as const) {
          const covered = TABLE.some(([r, a, rowName]) => r === role && a === action && ROWS[rowName].subject === subject);
          if (!covered) missing.push(`${role} ${action} ${subject}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("names no role that ROLES does not know", () => {
    expect(TABLE.filter(([role]) => !(ROLES as readonly string[]).includes(role))).toEqual([]);
  });
});

describe("permitted fields of a concrete row", () => {
  const CUSTOMER_ALL = ["id", "reference", "businessLines", "status", "createdAt", "updatedAt", "fullName", "nationalId", "phone", "email", "address", "transactions", "cases"];
  const CUSTOMER_PUBLIC = ["id", "reference", "businessLines", "status", "createdAt", "updatedAt"];
  const fields = (role: Role, rowName: RowName) => {
    const { subject, row } = ROWS[rowName];
    return permittedFields(defineAbilityFor(principalFor(role)), "read", subject as "Customer" | "Case", row).sort();
  };

  it("an agent sees every field of a customer in their line and none of another line's", () => {
    expect(fields("AGENT", "custPB")).toEqual([...CUSTOMER_ALL].sort());
    expect(fields("AGENT", "custIns")).toEqual([]);
    expect(fields("TEAM_LEAD", "caseIns")).toEqual([]);
  });

  it("compliance sees every customer field; the security analyst only the public ones", () => {
    expect(fields("COMPLIANCE_OFFICER", "custIns")).toEqual([...CUSTOMER_ALL].sort());
    expect(fields("SECURITY_ANALYST", "custIns")).toEqual([...CUSTOMER_PUBLIC].sort());
  });

  it("the security analyst sees no narrative field of a case; an admin sees nothing", () => {
    expect(fields("SECURITY_ANALYST", "casePB")).not.toContain("summary");
    expect(fields("SECURITY_ANALYST", "casePB")).not.toContain("notes");
    expect(fields("SECURITY_ANALYST", "casePB")).toContain("reference");
    expect(fields("ADMIN", "custPB")).toEqual([]);
    expect(fields("ADMIN", "casePB")).toEqual([]);
  });
});

describe("defineAbilityFor refuses malformed principals", () => {
  it("throws TypeError for a role it does not know", () => {
    const p = { id: "x", role: "SUPERUSER", businessLine: null, teamId: null } as unknown as Principal;
    expect(() => defineAbilityFor(p)).toThrow(TypeError);
  });

  it.each(["AGENT", "TEAM_LEAD"] as const)("throws TypeError for %s without a business line", (role) => {
    expect(() => defineAbilityFor({ id: "x", role, businessLine: null, teamId: "t" })).toThrow(TypeError);
  });
});
