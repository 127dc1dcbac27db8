// The retention command (`custos retention [--apply]`, DataProtectionService.runRetention) with configured
// periods: the dry run lists exactly the customers due and erases nothing; --apply erases exactly those,
// audited, and the chain still verifies. "Long ago" is placed with the manual clock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/clock";
import { createTestServer, type TestServer } from "../support/test-server";
import { createCustomer, uniqueCustomer } from "./api-helpers";

// Customers are kept 2 years after their last activity, complaint records 5 years after closure: so a
// customer can be past their own period and still be kept for a complaint.
const ENV = { CUSTOS_RETENTION_CUSTOMER_YEARS: "2", CUSTOS_RETENTION_COMPLAINT_YEARS: "5" };
const cliActor = { principal: null, ability: null, meta: { requestId: "test-retention", operation: "cli.retention", clientAddress: null, purpose: null } };

let server: TestServer;
const ids: Record<"closedLongAgo" | "closedLongAgoToo" | "held" | "complaint" | "closedRecently" | "activeLongAgo", string> = {} as never;

async function close(id: string) {
  await server.sql(`UPDATE customer SET status = 'CLOSED', updated_at = $2 WHERE id = $1`, [id, server.clock.now()]);
}

async function ok(query: string, variables: Record<string, unknown>, token: string) {
  const res = await server.gql(query, variables, { token });
  expect(res.errors).toBeUndefined();
  return res.data!;
}

beforeAll(async () => {
  server = await createTestServer({ env: ENV });
  const agent = await server.staff("AGENT", "PERSONAL_BANKING");
  const lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  const compliance = await server.staff("COMPLIANCE_OFFICER");
  for (const k of ["closedLongAgo", "closedLongAgoToo", "held", "complaint", "activeLongAgo"] as const) {
    ids[k] = (await createCustomer(server, agent.token, uniqueCustomer())).id;
  }
  // A complaint resolved now: its record must be kept 5 years, longer than the customer's 2.
  const i = { customerId: ids.complaint, channel: "PHONE", kind: "COMPLAINT", category: "fees", complexity: "COMMON", businessLine: "PERSONAL_BANKING", summary: "Fee dispute" };
  const { openCase } = await ok(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`, { i }, agent.token);
  await ok(`mutation($c: ID!) { resolveCase(caseId: $c, resolution: "refunded") { id } }`, { c: openCase.id }, lead.token);
  await ok(`mutation($c: ID!, $r: String!) { placeLegalHold(customerId: $c, reason: $r) { id } }`, { c: ids.held, r: "LIT-2291" }, compliance.token);
  for (const k of ["closedLongAgo", "closedLongAgoToo", "held", "complaint"] as const) await close(ids[k]);

  server.clock.advance(3 * 365 * DAY_MS);
  const laterAgent = await server.staff("AGENT", "PERSONAL_BANKING");
  ids.closedRecently = (await createCustomer(server, laterAgent.token, uniqueCustomer())).id;
  server.clock.advance(30 * DAY_MS);
  await close(ids.closedRecently);
  server.clock.advance(30 * DAY_MS);
});
afterAll(() => server?.stop());

const statuses = async () =>
  Object.fromEntries((await server.sql<{ id: string; status: string }>(`SELECT id, status FROM customer`)).map((r) => [r.id, r.status]));

describe("retention", () => {
  it("dry run: reports exactly the due customers and the rule keeping the others; erases nothing", async () => {
    const before = await statuses();
    const run = await server.custos.services.dataProtection.runRetention(cliActor, { apply: false });
    expect(run.policy).toMatchObject({ customerYears: 2, complaintYears: 5 });
    const report = Object.fromEntries(run.candidates.map((c) => [c.customerId, c.blockedBy]));
    expect(report).toEqual({ [ids.closedLongAgo]: null, [ids.closedLongAgoToo]: null, [ids.held]: "LEGAL_HOLD", [ids.complaint]: "COMPLAINT_RETENTION" });
    expect(run.erased).toEqual([]);
    expect(await statuses()).toEqual(before);
    const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM customer_key WHERE wrapped_dek IS NULL`);
    expect(n).toBe(0);
    const [event] = await server.sql<{ details: Record<string, unknown> }>(`SELECT details FROM audit_event WHERE action = 'retention.report'`);
    expect(event.details).toMatchObject({ due: 4, blocked: 2, apply: false, customerYears: 2 });
  });

  it("apply: erases exactly the due customers through the erasure path, audited, and the chain verifies", async () => {
    const run = await server.custos.services.dataProtection.runRetention(cliActor, { apply: true });
    expect(run.erased.sort()).toEqual([ids.closedLongAgo, ids.closedLongAgoToo].sort());
    expect(run.skipped).toEqual([]);
    const after = await statuses();
    expect(after).toMatchObject({
      [ids.closedLongAgo]: "ERASED",
      [ids.closedLongAgoToo]: "ERASED",
      [ids.held]: "CLOSED",
      [ids.complaint]: "CLOSED",
      [ids.closedRecently]: "CLOSED",
      [ids.activeLongAgo]: "ACTIVE",
    });
    const shredded = await server.sql<{ customer_id: string }>(`SELECT customer_id FROM customer_key WHERE wrapped_dek IS NULL ORDER BY 1`);
    expect(shredded.map((r) => r.customer_id)).toEqual([ids.closedLongAgo, ids.closedLongAgoToo].sort());
    const erasures = await server.sql<{ resource_id: string; outcome: string; reason: string }>(
      `SELECT resource_id, outcome, details->>'reason' AS reason FROM audit_event WHERE action = 'customer.erase' ORDER BY resource_id`,
    );
    expect(erasures).toEqual([ids.closedLongAgo, ids.closedLongAgoToo].sort().map((id) => ({ resource_id: id, outcome: "SUCCESS", reason: "RETENTION" })));
    // Logged in now: tokens from before the clock moved have long expired.
    const compliance = await server.staff("COMPLIANCE_OFFICER");
    const read = await server.gql(`query($id: ID!) { customer(id: $id) { status fullName } }`, { id: ids.closedLongAgo }, { token: compliance.token });
    expect(read.data!.customer).toEqual({ status: "ERASED", fullName: null });

    // A second run finds only the kept ones: nothing is erased twice.
    const again = await server.custos.services.dataProtection.runRetention(cliActor, { apply: true });
    expect(again.candidates.map((c) => c.blockedBy).sort()).toEqual(["COMPLAINT_RETENTION", "LEGAL_HOLD"]);
    expect(again.erased).toEqual([]);

    const verify = await server.gql(`{ verifyAuditChain { ok } }`, {}, { token: compliance.token });
    expect(verify.data!.verifyAuditChain.ok).toBe(true);
  });
});
