// The policy table: for every role, literal answers to (action, row, field) questions and to "how may this
// field be seen" (full / masked / hidden), asked against concrete rows. The expectations are written out
// here, never derived from roles.ts.
import { describe, expect, it } from "vitest";
import { ROLES, type BusinessLine, type Role } from "../../../src/domain/enums";
import { canOnRow, defineAbilityFor, fieldLevels, type Action, type FieldLevel, type Principal } from "../../../src/policies";

type RowSubject = "Customer" | "Case" | "AuditEvent" | "AuditReport" | "StaffUser" | "Training";

const ROWS = {
  custPB: { subject: "Customer", row: { id: "c-pb", reference: "C0000001", businessLines: ["PERSONAL_BANKING"], status: "ACTIVE" } },
  custIns: { subject: "Customer", row: { id: "c-ins", reference: "C0000002", businessLines: ["INSURANCE"], status: "ACTIVE" } },
  custBoth: { subject: "Customer", row: { id: "c-both", reference: "C0000003", businessLines: ["INSURANCE", "PERSONAL_BANKING"], status: "ACTIVE" } },
  casePBmine: { subject: "Case", row: { id: "s-1", businessLine: "PERSONAL_BANKING", teamId: "team-pb", status: "ASSIGNED", assigneeId: "me" } },
  casePBother: { subject: "Case", row: { id: "s-2", businessLine: "PERSONAL_BANKING", teamId: "team-pb", status: "ASSIGNED", assigneeId: "someone-else" } },
  casePBfree: { subject: "Case", row: { id: "s-3", businessLine: "PERSONAL_BANKING", teamId: "team-pb", status: "NEW", assigneeId: null } },
  caseIns: { subject: "Case", row: { id: "s-4", businessLine: "INSURANCE", teamId: "team-ins", status: "ASSIGNED", assigneeId: null } },
  audit: { subject: "AuditEvent", row: { seq: 1 } },
  report: { subject: "AuditReport", row: {} },
  staff: { subject: "StaffUser", row: { id: "u-1" } },
  myTraining: { subject: "Training", row: { staffId: "me" } },
  otherTraining: { subject: "Training", row: { staffId: "u-1" } },
} as const satisfies Record<string, { subject: RowSubject; row: Record<string, unknown> }>;
type RowName = keyof typeof ROWS;

const LINE: BusinessLine = "PERSONAL_BANKING";
const ALL_SCOPES = ["customers:read", "customers:read:pii", "customers:write", "cases:read", "cases:read:narrative", "cases:write", "audit:read"];

function principalFor(role: Role, over: Partial<Principal> = {}): Principal {
  const lined = role === "AGENT" || role === "TEAM_LEAD";
  return {
    id: "me",
    role,
    businessLine: lined ? LINE : null,
    teamId: lined ? "team-pb" : null,
    kind: role === "SERVICE" ? "service" : "staff",
    trainingCurrent: true,
    scopes: role === "SERVICE" ? ALL_SCOPES : [],
    ...over,
  };
}

/** [role, action, row, allowed] — row-level permissions (the same rules become SQL for lists). */
type RowExpectation = readonly [Role, Action, RowName, boolean];
const Y = true;
const N = false;

const ROW_TABLE: readonly RowExpectation[] = [
  ["AGENT", "read", "custPB", Y], ["AGENT", "read", "custBoth", Y], ["AGENT", "read", "custIns", N],
  ["AGENT", "create", "custIns", Y], ["AGENT", "update", "custPB", Y], ["AGENT", "update", "custIns", N],
  ["AGENT", "read", "casePBother", Y], ["AGENT", "read", "caseIns", N],
  ["AGENT", "create", "casePBfree", Y], ["AGENT", "create", "caseIns", N],
  ["AGENT", "update", "casePBmine", Y], ["AGENT", "update", "casePBfree", Y], ["AGENT", "update", "casePBother", N], ["AGENT", "update", "caseIns", N],
  ["AGENT", "read", "audit", N], ["AGENT", "update", "audit", N], ["AGENT", "read", "staff", N], ["AGENT", "create", "staff", N], ["AGENT", "update", "staff", N],
  ["AGENT", "read", "myTraining", Y], ["AGENT", "read", "otherTraining", N], ["AGENT", "create", "myTraining", N],

  ["TEAM_LEAD", "read", "custPB", Y], ["TEAM_LEAD", "read", "custIns", N], ["TEAM_LEAD", "create", "custPB", Y], ["TEAM_LEAD", "update", "custPB", Y],
  ["TEAM_LEAD", "read", "caseIns", N], ["TEAM_LEAD", "create", "casePBfree", Y], ["TEAM_LEAD", "update", "casePBother", Y], ["TEAM_LEAD", "update", "caseIns", N],
  ["TEAM_LEAD", "read", "audit", N], ["TEAM_LEAD", "update", "audit", N], ["TEAM_LEAD", "read", "staff", Y], ["TEAM_LEAD", "create", "staff", N], ["TEAM_LEAD", "update", "staff", N],
  ["TEAM_LEAD", "read", "otherTraining", N], ["TEAM_LEAD", "create", "otherTraining", N],

  ["COMPLIANCE_OFFICER", "read", "custIns", Y], ["COMPLIANCE_OFFICER", "create", "custPB", N], ["COMPLIANCE_OFFICER", "update", "custPB", N],
  ["COMPLIANCE_OFFICER", "read", "caseIns", Y], ["COMPLIANCE_OFFICER", "create", "caseIns", N], ["COMPLIANCE_OFFICER", "update", "casePBfree", N],
  ["COMPLIANCE_OFFICER", "read", "audit", Y], ["COMPLIANCE_OFFICER", "create", "audit", N], ["COMPLIANCE_OFFICER", "update", "audit", N],
  ["COMPLIANCE_OFFICER", "read", "staff", Y], ["COMPLIANCE_OFFICER", "create", "staff", N], ["COMPLIANCE_OFFICER", "update", "staff", N],
  ["COMPLIANCE_OFFICER", "read", "otherTraining", Y], ["COMPLIANCE_OFFICER", "create", "otherTraining", Y],

  ["SECURITY_ANALYST", "read", "custIns", Y], ["SECURITY_ANALYST", "create", "custPB", N], ["SECURITY_ANALYST", "update", "custPB", N],
  ["SECURITY_ANALYST", "read", "caseIns", Y], ["SECURITY_ANALYST", "create", "casePBfree", N], ["SECURITY_ANALYST", "update", "casePBfree", N],
  ["SECURITY_ANALYST", "read", "audit", Y], ["SECURITY_ANALYST", "update", "audit", N],
  ["SECURITY_ANALYST", "read", "staff", Y], ["SECURITY_ANALYST", "create", "staff", N], ["SECURITY_ANALYST", "update", "staff", N],
  ["SECURITY_ANALYST", "read", "otherTraining", N], ["SECURITY_ANALYST", "create", "otherTraining", N],

  ["ADMIN", "read", "custPB", N], ["ADMIN", "create", "custPB", N], ["ADMIN", "update", "custPB", N],
  ["ADMIN", "read", "casePBfree", N], ["ADMIN", "create", "casePBfree", N], ["ADMIN", "update", "casePBfree", N],
  ["ADMIN", "read", "audit", N], ["ADMIN", "update", "audit", N], ["ADMIN", "read", "staff", Y], ["ADMIN", "create", "staff", Y], ["ADMIN", "update", "staff", Y],
  ["ADMIN", "create", "otherTraining", N],

  ["AUDITOR", "read", "custPB", N], ["AUDITOR", "create", "custPB", N], ["AUDITOR", "update", "custPB", N],
  ["AUDITOR", "read", "caseIns", N], ["AUDITOR", "create", "caseIns", N], ["AUDITOR", "update", "caseIns", N],
  ["AUDITOR", "read", "audit", Y], ["AUDITOR", "update", "audit", N],
  ["AUDITOR", "read", "staff", N], ["AUDITOR", "create", "staff", N], ["AUDITOR", "update", "staff", N],
  ["AUDITOR", "read", "myTraining", N],

  ["SERVICE", "read", "custIns", Y], ["SERVICE", "create", "custPB", Y], ["SERVICE", "update", "custPB", N],
  ["SERVICE", "read", "caseIns", Y], ["SERVICE", "create", "caseIns", Y], ["SERVICE", "update", "caseIns", Y],
  ["SERVICE", "read", "audit", Y], ["SERVICE", "update", "audit", N],
  ["SERVICE", "read", "staff", N], ["SERVICE", "create", "staff", N], ["SERVICE", "update", "staff", N],
  ["SERVICE", "read", "myTraining", N],
];

/**
 * Audit reports (accessReport, deniedAccess, unusualAccess) are `read` on AuditReport; the CSV / JSON-lines
 * trail export is `export` on AuditEvent. Auditors export but do not profile staff; a service's audit:read
 * scope pages the trail only.
 */
const REPORT_TABLE: readonly RowExpectation[] = [
  ["AGENT", "read", "report", N], ["AGENT", "export", "audit", N],
  ["TEAM_LEAD", "read", "report", N], ["TEAM_LEAD", "export", "audit", N],
  ["COMPLIANCE_OFFICER", "read", "report", Y], ["COMPLIANCE_OFFICER", "export", "audit", Y],
  ["SECURITY_ANALYST", "read", "report", Y], ["SECURITY_ANALYST", "export", "audit", Y],
  ["ADMIN", "read", "report", N], ["ADMIN", "export", "audit", N],
  ["AUDITOR", "read", "report", N], ["AUDITOR", "export", "audit", Y],
  ["SERVICE", "read", "report", N], ["SERVICE", "export", "audit", N],
];

const PII = ["fullName", "nationalId", "phone", "email", "address"] as const;
type Levels = Record<(typeof PII)[number] | "summary" | "notes", FieldLevel>;
const F: FieldLevel = "full";
const M: FieldLevel = "masked";
const H: FieldLevel = "hidden";

/** How each PII field of an in-scope customer / case is seen, with current training and a stated purpose. */
const LEVELS: Record<Role, Levels> = {
  AGENT: { fullName: F, nationalId: M, phone: F, email: F, address: F, summary: F, notes: F },
  TEAM_LEAD: { fullName: F, nationalId: F, phone: F, email: F, address: F, summary: F, notes: F },
  COMPLIANCE_OFFICER: { fullName: F, nationalId: F, phone: F, email: F, address: F, summary: F, notes: F },
  SECURITY_ANALYST: { fullName: H, nationalId: H, phone: H, email: H, address: H, summary: H, notes: H },
  ADMIN: { fullName: H, nationalId: H, phone: H, email: H, address: H, summary: H, notes: H },
  AUDITOR: { fullName: H, nationalId: H, phone: H, email: H, address: H, summary: H, notes: H },
  SERVICE: { fullName: F, nationalId: F, phone: F, email: F, address: F, summary: F, notes: F },
};

function levelsOf(p: Principal, purpose: string | null): Levels {
  const ability = defineAbilityFor(p, { purpose });
  const customer = fieldLevels(ability, "Customer", ROWS.custBoth.row, PII);
  const kase = fieldLevels(ability, "Case", ROWS.casePBfree.row, ["summary", "notes"] as const);
  return { ...Object.fromEntries(customer), ...Object.fromEntries(kase) } as Levels;
}

const downgrade = (levels: Levels): Levels =>
  Object.fromEntries(Object.entries(levels).map(([f, l]) => [f, l === "full" ? "masked" : l])) as Levels;

describe("row permissions", () => {
  it.each(ROW_TABLE)("%s may %s %s → %s", (role, action, rowName, allowed) => {
    const { subject, row } = ROWS[rowName];
    expect(canOnRow(defineAbilityFor(principalFor(role), { purpose: "CASE_HANDLING" }), action, subject, row)).toBe(allowed);
  });

  it.each(REPORT_TABLE)("%s may %s %s (audit reports) → %s", (role, action, rowName, allowed) => {
    const { subject, row } = ROWS[rowName];
    expect(canOnRow(defineAbilityFor(principalFor(role), { purpose: "CASE_HANDLING" }), action, subject, row)).toBe(allowed);
  });

  it("states who may run the audit reports and the export for every role", () => {
    for (const [action, rowName] of [["read", "report"], ["export", "audit"]] as const) {
      expect(REPORT_TABLE.filter(([, a, r]) => a === action && r === rowName).map(([role]) => role).sort()).toEqual([...ROLES].sort());
    }
  });

  it("covers every role in ROLES for every subject and for read, create and update", () => {
    const missing: string[] = [];
    for (const role of ROLES) {
      for (const subject of ["Customer", "Case", "AuditEvent", "StaffUser"] as const) {
        for (const action of ["read", "create", "update"] as const) {
          if (subject === "AuditEvent" && action === "create") continue; // only the audit store appends
          const covered = ROW_TABLE.some(([r, a, rowName]) => r === role && a === action && ROWS[rowName].subject === subject);
          if (!covered) missing.push(`${role} ${action} ${subject}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("PII field levels", () => {
  it("has an expectation for every role", () => {
    expect(Object.keys(LEVELS).sort()).toEqual([...ROLES].sort());
  });

  it.each(ROLES)("%s with current training and a stated purpose", (role) => {
    expect(levelsOf(principalFor(role), "CASE_HANDLING")).toEqual(LEVELS[role]);
  });

  it.each(ROLES)("%s without a stated purpose sees at most masked PII", (role) => {
    expect(levelsOf(principalFor(role), null)).toEqual(downgrade(LEVELS[role]));
  });

  it.each(ROLES.filter((r) => r !== "SERVICE"))("%s with expired training sees at most masked PII, purpose or not", (role) => {
    expect(levelsOf(principalFor(role, { trainingCurrent: false }), "CASE_HANDLING")).toEqual(downgrade(LEVELS[role]));
  });

  it("a customer of another line shows nothing, not even masked", () => {
    const ability = defineAbilityFor(principalFor("AGENT"), { purpose: "CASE_HANDLING" });
    expect([...fieldLevels(ability, "Customer", ROWS.custIns.row, PII).values()]).toEqual([H, H, H, H, H]);
  });

  it("a service sees PII only through a PII scope, masked with a read scope alone, nothing without one", () => {
    const levels = (scopes: string[]) => levelsOf(principalFor("SERVICE", { scopes }), "CASE_HANDLING");
    expect(levels(["customers:read", "cases:read"])).toEqual({ fullName: M, nationalId: M, phone: M, email: M, address: M, summary: M, notes: M });
    expect(levels(["audit:read"])).toEqual(LEVELS.AUDITOR);
    const ability = defineAbilityFor(principalFor("SERVICE", { scopes: ["audit:read"] }));
    expect(canOnRow(ability, "read", "Customer", ROWS.custPB.row)).toBe(false);
    expect(canOnRow(ability, "create", "Case", ROWS.casePBfree.row)).toBe(false);
  });
});

describe("defineAbilityFor refuses malformed principals", () => {
  it("throws TypeError for a role it does not know", () => {
    const p = { ...principalFor("ADMIN"), role: "SUPERUSER" } as unknown as Principal;
    expect(() => defineAbilityFor(p)).toThrow(TypeError);
  });

  it.each(["AGENT", "TEAM_LEAD"] as const)("throws TypeError for %s without a business line", (role) => {
    expect(() => defineAbilityFor(principalFor(role, { businessLine: null }))).toThrow(TypeError);
  });

  it("throws TypeError for a person with role SERVICE or a service with a staff role", () => {
    expect(() => defineAbilityFor(principalFor("SERVICE", { kind: "staff" }))).toThrow(TypeError);
    expect(() => defineAbilityFor(principalFor("AGENT", { kind: "service" }))).toThrow(TypeError);
  });
});
