// rulesToSql: the exact predicate each role's rules become for the stores' column maps, and the loud
// refusal of anything the translator does not know.
import { createMongoAbility, type RawRuleOf } from "@casl/ability";
import { describe, expect, it } from "vitest";
import { ROLES, type Role } from "../../../src/domain/enums";
import { CASE_COLUMNS } from "../../../src/store/case.store";
import { CUSTOMER_COLUMNS } from "../../../src/store/customer.store";
import { defineAbilityFor, rulesToSql, type Action, type AppAbility, type ColumnMap, type Principal } from "../../../src/policies";

// The stores' own maps, so these expectations break if a store changes its SQL.
function principal(role: Role): Principal {
  const lined = role === "AGENT" || role === "TEAM_LEAD";
  return {
    id: `${role}-id`,
    role,
    businessLine: lined ? "SECURITIES" : null,
    teamId: lined ? "team-sec" : null,
    kind: role === "SERVICE" ? "service" : "staff",
    trainingCurrent: true,
    scopes: role === "SERVICE" ? ["customers:read", "cases:read", "cases:write"] : [],
  };
}

const IN_LINE_CUSTOMER = { sql: ":policy_0 = ANY(c.business_lines)", params: { policy_0: "SECURITIES" } };
const IN_LINE_CASE = { sql: "s.business_line = :policy_0", params: { policy_0: "SECURITIES" } };
const TRUE = { sql: "TRUE", params: {} };
const FALSE = { sql: "FALSE", params: {} };

/** [role, action, Customer predicate, Case predicate] */
const EXPECTED: ReadonlyArray<readonly [Role, Action, object, object]> = [
  ["AGENT", "read", IN_LINE_CUSTOMER, IN_LINE_CASE],
  ["AGENT", "create", TRUE, IN_LINE_CASE],
  // Agents change only cases assigned to them, or unassigned ones of their team.
  [
    "AGENT",
    "update",
    IN_LINE_CUSTOMER,
    {
      sql: "((s.team_id = :policy_0 AND s.assignee_id IS NULL) OR (s.business_line = :policy_1 AND COALESCE(s.assignee_id = :policy_2, FALSE)))",
      params: { policy_0: "team-sec", policy_1: "SECURITIES", policy_2: "AGENT-id" },
    },
  ],
  ["TEAM_LEAD", "read", IN_LINE_CUSTOMER, IN_LINE_CASE],
  ["TEAM_LEAD", "create", TRUE, IN_LINE_CASE],
  ["TEAM_LEAD", "update", IN_LINE_CUSTOMER, IN_LINE_CASE],
  ["COMPLIANCE_OFFICER", "read", TRUE, TRUE],
  ["COMPLIANCE_OFFICER", "create", FALSE, FALSE],
  ["COMPLIANCE_OFFICER", "update", FALSE, FALSE],
  // Field rules do not narrow rows: the analyst sees every row, and field checks hide the PII.
  ["SECURITY_ANALYST", "read", TRUE, TRUE],
  ["SECURITY_ANALYST", "create", FALSE, FALSE],
  ["SECURITY_ANALYST", "update", FALSE, FALSE],
  ["ADMIN", "read", FALSE, FALSE],
  ["ADMIN", "create", FALSE, FALSE],
  ["ADMIN", "update", FALSE, FALSE],
  ["AUDITOR", "read", FALSE, FALSE],
  ["AUDITOR", "create", FALSE, FALSE],
  ["AUDITOR", "update", FALSE, FALSE],
  // This principal holds customers:read, cases:read and cases:write (see principal()).
  ["SERVICE", "read", TRUE, TRUE],
  ["SERVICE", "create", FALSE, TRUE],
  ["SERVICE", "update", FALSE, TRUE],
];

describe("rulesToSql for each role's rules", () => {
  it.each(EXPECTED)("%s %s → the expected Customer and Case predicates", (role, action, customer, kase) => {
    const ability = defineAbilityFor(principal(role));
    expect(rulesToSql(ability, action, "Customer", CUSTOMER_COLUMNS)).toEqual(customer);
    expect(rulesToSql(ability, action, "Case", CASE_COLUMNS)).toEqual(kase);
  });

  it("has a row for every role", () => {
    expect(ROLES.filter((r) => !EXPECTED.some(([role]) => role === r))).toEqual([]);
  });

  it("names parameters after the prefix it is given", () => {
    const ability = defineAbilityFor(principal("AGENT"));
    expect(rulesToSql(ability, "read", "Case", CASE_COLUMNS, "scope")).toEqual({ sql: "s.business_line = :scope_0", params: { scope_0: "SECURITIES" } });
  });
});

type Rule = RawRuleOf<AppAbility>;
const by = (rules: Rule[]) => createMongoAbility(rules) as AppAbility;
const caseSql = (rules: Rule[]) => rulesToSql(by(rules), "read", "Case", CASE_COLUMNS);
const customerSql = (rules: Rule[]) => rulesToSql(by(rules), "read", "Customer", CUSTOMER_COLUMNS);

describe("rulesToSql refuses what it cannot translate", () => {
  it.each([
    ["a storage column", { summaryEnc: "x" }],
    ["a field the map omits", { category: "billing" }],
    ["a nested path", { "customer.status": "ACTIVE" }],
  ])("throws TypeError on a condition over %s", (_what, conditions) => {
    expect(() => caseSql([{ action: "read", subject: "Case", conditions }])).toThrow(TypeError);
  });

  it.each([
    ["$gt", { status: { $gt: "A" } }],
    ["$lte", { status: { $lte: "Z" } }],
    ["$regex", { status: { $regex: "^NEW" } }],
    ["$exists", { assigneeId: { $exists: true } }],
  ])("throws TypeError on the unsupported operator %s", (_op, conditions) => {
    expect(() => caseSql([{ action: "read", subject: "Case", conditions }])).toThrow(TypeError);
  });

  it.each([
    ["$all", { businessLines: { $all: ["INSURANCE"] } }],
    ["$size", { businessLines: { $size: 1 } }],
    ["$elemMatch", { businessLines: { $elemMatch: { $eq: "INSURANCE" } } }],
  ])("throws TypeError on the unsupported array operator %s", (_op, conditions) => {
    expect(() => customerSql([{ action: "read", subject: "Customer", conditions }])).toThrow(TypeError);
  });

  it("throws even when the unsupported rule is an inverted one", () => {
    const rules: Rule[] = [
      { action: "read", subject: "Case" },
      { action: "read", subject: "Case", inverted: true, conditions: { status: { $gt: "A" } } },
    ];
    expect(() => caseSql(rules)).toThrow(TypeError);
  });
});

describe("rulesToSql operators and inverted rules", () => {
  it("turns a cannot under an unconditional can into NOT (…)", () => {
    const rules: Rule[] = [
      { action: "read", subject: "Case" },
      { action: "read", subject: "Case", inverted: true, conditions: { status: "CLOSED" } },
    ];
    expect(caseSql(rules)).toEqual({ sql: "NOT (s.status = :policy_0)", params: { policy_0: "CLOSED" } });
  });

  it("bounds a conditional can by the cannot that outranks it", () => {
    const rules: Rule[] = [
      { action: "read", subject: "Case", conditions: { businessLine: "INSURANCE" } },
      { action: "read", subject: "Case", inverted: true, conditions: { status: "CLOSED" } },
    ];
    expect(caseSql(rules)).toEqual({
      sql: "(s.business_line = :policy_0 AND NOT (s.status = :policy_1))",
      params: { policy_0: "INSURANCE", policy_1: "CLOSED" },
    });
  });

  it("an unconditional cannot denies all; a cannot alone denies all", () => {
    expect(caseSql([{ action: "read", subject: "Case" }, { action: "read", subject: "Case", inverted: true }])).toEqual(FALSE);
    expect(caseSql([{ action: "read", subject: "Case", inverted: true, conditions: { status: "NEW" } }])).toEqual(FALSE);
  });

  it("joins several cans with OR and several conditions with AND", () => {
    const sql = caseSql([
      { action: "read", subject: "Case", conditions: { businessLine: "INSURANCE", status: "NEW" } },
      { action: "read", subject: "Case", conditions: { assigneeId: "u-1" } },
    ]);
    expect(sql).toEqual({
      sql: "(COALESCE(s.assignee_id = :policy_0, FALSE) OR (s.business_line = :policy_1 AND s.status = :policy_2))",
      params: { policy_0: "u-1", policy_1: "INSURANCE", policy_2: "NEW" },
    });
  });

  it.each([
    ["eq null", { assigneeId: null }, "s.assignee_id IS NULL", {}],
    ["ne null", { assigneeId: { $ne: null } }, "s.assignee_id IS NOT NULL", {}],
    ["ne", { assigneeId: { $ne: "u-1" } }, "s.assignee_id IS DISTINCT FROM :policy_0", { policy_0: "u-1" }],
    ["in", { status: { $in: ["NEW", "ASSIGNED"] } }, "s.status = ANY(:policy_0)", { policy_0: ["NEW", "ASSIGNED"] }],
    ["nin", { status: { $nin: ["CLOSED"] } }, "NOT (s.status = ANY(:policy_0))", { policy_0: ["CLOSED"] }],
  ])("scalar column, %s", (_what, conditions, sql, params) => {
    expect(caseSql([{ action: "read", subject: "Case", conditions }])).toEqual({ sql, params });
  });

  it.each([
    ["eq", { businessLines: "INSURANCE" }, ":policy_0 = ANY(c.business_lines)", { policy_0: "INSURANCE" }],
    ["ne", { businessLines: { $ne: "INSURANCE" } }, "NOT (:policy_0 = ANY(c.business_lines))", { policy_0: "INSURANCE" }],
    ["in", { businessLines: { $in: ["INSURANCE", "SECURITIES"] } }, "c.business_lines && :policy_0", { policy_0: ["INSURANCE", "SECURITIES"] }],
    ["nin", { businessLines: { $nin: ["INSURANCE"] } }, "NOT (c.business_lines && :policy_0)", { policy_0: ["INSURANCE"] }],
  ])("array column, %s", (_what, conditions, sql, params) => {
    expect(customerSql([{ action: "read", subject: "Customer", conditions }])).toEqual({ sql, params });
  });

  it("never inlines a value into the SQL text", () => {
    const hostile = "x' OR '1'='1";
    const { sql, params } = caseSql([{ action: "read", subject: "Case", conditions: { status: hostile } }]);
    expect(sql).not.toContain(hostile);
    expect(Object.values(params)).toEqual([hostile]);
  });
});
