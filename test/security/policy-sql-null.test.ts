// On a NULL column (support_case.assignee_id) NOT, $nin and $in must agree with CASL's in-memory check,
// or lists and counts disagree with single reads.
import { createMongoAbility, type RawRuleOf } from "@casl/ability";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaseEntity } from "../../src/entities";
import { canOnRow, rulesToSql, type AppAbility, type ColumnMap } from "../../src/policies";
import { CASE_COLUMNS } from "../../src/store/case.store";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

const COLUMNS: ColumnMap = CASE_COLUMNS;

let server: TestServer;
let agent: StaffLogin;

beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  const lead = await server.staff("TEAM_LEAD", "SECURITIES"); // no agent in SECURITIES: its case stays unassigned
  for (const [who, line] of [[agent, "PERSONAL_BANKING"], [lead, "SECURITIES"]] as const) {
    const c = await server.gql(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`,
      { i: { fullName: `Null Case ${line}`, nationalId: `NULL${line.length}X` } }, { token: who.token });
    const i = { customerId: c.data!.createCustomer.id, channel: "PHONE", kind: "INQUIRY", category: "general", complexity: "COMMON", businessLine: line, summary: "s" };
    expect((await server.gql(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`, { i }, { token: who.token })).errors).toBeUndefined();
  }
  const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM support_case WHERE assignee_id IS NULL`);
  expect(n).toBe(1);
});
afterAll(() => server?.stop());

async function agree(rules: RawRuleOf<AppAbility>[]) {
  const ability = createMongoAbility(rules) as AppAbility;
  const { sql, params } = rulesToSql(ability, "read", "Case", COLUMNS);
  const bySql = (await server.custos.ds.createQueryBuilder().select("s.id", "id").from("support_case", "s").where(sql, params).getRawMany()).map((r) => r.id).sort();
  const rows = await server.custos.ds.getRepository(CaseEntity).find();
  const inMemory = rows.filter((r) => canOnRow(ability, "read", "Case", { ...r })).map((r) => r.id).sort();
  expect(bySql).toEqual(inMemory);
}

describe("to-sql and NULL columns", () => {
  // SQL: NOT (s.assignee_id = :p) is NULL for an unassigned case → row dropped; CASL: allowed.
  it("cannot read cases assigned to X, on an unassigned case", () =>
    agree([
      { action: "read", subject: "Case" },
      { action: "read", subject: "Case", inverted: true, conditions: { assigneeId: agent.id } },
    ]));

  // SQL: NOT (s.assignee_id = ANY(:p)) is NULL → dropped; CASL: null is not in [X] → allowed.
  it("$nin on a NULL column", () => agree([{ action: "read", subject: "Case", conditions: { assigneeId: { $nin: [agent.id] } } }]));

  // SQL: s.assignee_id = ANY('{NULL,X}') is NULL → dropped; CASL: [null, X] includes null → allowed.
  it("$in with null on a NULL column ('unassigned or mine')", () =>
    agree([{ action: "read", subject: "Case", conditions: { assigneeId: { $in: [null, agent.id] } } }]));
});
