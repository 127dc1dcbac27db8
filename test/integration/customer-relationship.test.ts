// Closing a customer's relationship (closeCustomerRelationship / reopenCustomerRelationship): who may, what
// it sets, that it is audited, that churn picks it up (hand-computed), and that retention and erasure
// still work on a customer closed this way.
//
// Churn, by hand, for PERSONAL_BANKING customers X1..X4 created 2026-10-01 (nobody else is in the base):
// X1 closed 2026-11-05T08:00Z, X2 closed 2026-11-20T00:00Z.
//   [2026-11-01, 2026-11-20): base 4 (X2 ends exactly at `to`: still in the base), ended 1 → 1/4 = 25 %.
//   [2026-11-01, 2026-11-21): base 4, ended 2 → 2/4; after X2 is reopened (closed in error) → 1/4.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/clock";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { serviceLogin } from "../support/service-client-helpers";
import { createCustomer, errorCode } from "./api-helpers";

const NOW = "2026-11-20T12:00:00.000Z";
const CLOSE = `mutation($id: ID!, $at: String!, $r: RelationshipCloseReason!) { closeCustomerRelationship(customerId: $id, closedAt: $at, reasonCode: $r) { customerId status closedAt reasonCode } }`;
const REOPEN = `mutation($id: ID!) { reopenCustomerRelationship(customerId: $id) { customerId status closedAt reasonCode } }`;
const CHURN = `query($from: String!, $to: String!) { serviceQuality(from: $from, to: $to) { groups { metrics { churnRate { numerator denominator value status } } } } }`;

let server: TestServer;
let lead: StaffLogin;
let otherLead: StaffLogin;
let agent: StaffLogin;
let compliance: StaffLogin;
const x: string[] = [];

async function churn(from: string, to: string) {
  const res = await server.gql(CHURN, { from, to }, { token: compliance.token });
  expect(res.errors).toBeUndefined();
  return res.data!.serviceQuality.groups[0].metrics.churnRate;
}

beforeAll(async () => {
  server = await createTestServer({ env: { CUSTOS_RETENTION_CUSTOMER_YEARS: "2", CUSTOS_RETENTION_COMPLAINT_YEARS: "5" } });
  server.clock.set(NOW);
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  otherLead = await server.staff("TEAM_LEAD", "INSURANCE");
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  for (let i = 0; i < 4; i++) {
    const { id } = await createCustomer(server, lead.token);
    await server.sql(`UPDATE customer SET created_at = '2026-10-01T00:00:00Z' WHERE id = $1`, [id]);
    x.push(id);
  }
});
afterAll(() => server?.stop());

describe("closeCustomerRelationship", () => {
  it("is refused for agents, compliance, an app without the scope and another line's lead; nothing changes", async () => {
    const app = await serviceLogin(server, ["customers:read", "customers:write"]);
    for (const [token, code] of [[agent.token, "FORBIDDEN"], [compliance.token, "FORBIDDEN"], [app.token, "FORBIDDEN"], [otherLead.token, "NOT_FOUND"]] as const) {
      const res = await server.gql(CLOSE, { id: x[0], at: "2026-11-05T08:00:00Z", r: "MOVED_BANK" }, { token });
      expect(errorCode(res)).toBe(code);
    }
    const [row] = await server.sql<{ status: string; relationship_closed_at: Date | null }>(`SELECT status, relationship_closed_at FROM customer WHERE id = $1`, [x[0]]);
    expect(row).toEqual({ status: "ACTIVE", relationship_closed_at: null });
    const denied = await server.sql<{ actor_id: string }>(`SELECT actor_id FROM audit_event WHERE action = 'customer.relationship.close' AND outcome = 'DENIED' AND resource_id = $1`, [x[0]]);
    // One DENIED event per refused caller (the app's is under its client principal).
    expect(denied).toHaveLength(4);
    expect(denied.map((d) => d.actor_id)).toEqual(expect.arrayContaining([agent.id, compliance.id, otherLead.id]));
  });

  it("sets status, instant and reason, audited as the lead's write; refuses a second close, the future and before creation", async () => {
    const res = await server.gql(CLOSE, { id: x[0], at: "2026-11-05T08:00:00Z", r: "MOVED_BANK" }, { token: lead.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.closeCustomerRelationship).toEqual({ customerId: x[0], status: "CLOSED", closedAt: "2026-11-05T08:00:00.000Z", reasonCode: "MOVED_BANK" });
    const [row] = await server.sql<{ status: string; relationship_closed_at: Date; relationship_close_reason: string; updated_at: Date }>(
      `SELECT status, relationship_closed_at, relationship_close_reason, updated_at FROM customer WHERE id = $1`,
      [x[0]],
    );
    expect(row).toEqual({ status: "CLOSED", relationship_closed_at: new Date("2026-11-05T08:00:00Z"), relationship_close_reason: "MOVED_BANK", updated_at: new Date(NOW) });
    const events = await server.sql<{ actor_id: string; fields: string[]; details: Record<string, unknown> }>(
      `SELECT actor_id, fields, details FROM audit_event WHERE action = 'customer.relationship.close' AND outcome = 'SUCCESS' AND resource_id = $1`,
      [x[0]],
    );
    expect(events).toEqual([{ actor_id: lead.id, fields: ["status"], details: { reasonCode: "MOVED_BANK", closedAt: "2026-11-05T08:00:00.000Z" } }]);

    expect(errorCode(await server.gql(CLOSE, { id: x[0], at: "2026-11-06T08:00:00Z", r: "OTHER" }, { token: lead.token }))).toBe("CONFLICT");
    expect(errorCode(await server.gql(CLOSE, { id: x[1], at: "2026-11-20T12:00:00.001Z", r: "OTHER" }, { token: lead.token }))).toBe("BAD_USER_INPUT");
    expect(errorCode(await server.gql(CLOSE, { id: x[1], at: "2026-09-30T23:59:59Z", r: "OTHER" }, { token: lead.token }))).toBe("BAD_USER_INPUT");
    expect(errorCode(await server.gql(CLOSE, { id: x[1], at: "2026-11-05T08:00:00", r: "OTHER" }, { token: lead.token }))).toBe("BAD_USER_INPUT");
  });

  it("churn counts the closing at its instant (hand-computed), and a reopening in error takes it back", async () => {
    expect(await churn("2026-11-01", "2026-11-20")).toEqual({ numerator: 1, denominator: 4, value: 0.25, status: "BREACHED" });
    // The core-banking feed (scope customers:close) reports X2's end at midnight.
    const feed = await serviceLogin(server, ["customers:read", "customers:close"]);
    const closed = await server.gql(CLOSE, { id: x[1], at: "2026-11-20T00:00:00Z", r: "DECEASED" }, { token: feed.token });
    expect(closed.errors).toBeUndefined();
    expect(await churn("2026-11-01", "2026-11-20")).toEqual({ numerator: 1, denominator: 4, value: 0.25, status: "BREACHED" });
    expect(await churn("2026-11-01", "2026-11-21")).toEqual({ numerator: 2, denominator: 4, value: 0.5, status: "BREACHED" });

    expect(errorCode(await server.gql(REOPEN, { id: x[1] }, { token: agent.token }))).toBe("FORBIDDEN");
    const reopened = await server.gql(REOPEN, { id: x[1] }, { token: lead.token });
    expect(reopened.errors).toBeUndefined();
    expect(reopened.data!.reopenCustomerRelationship).toEqual({ customerId: x[1], status: "ACTIVE", closedAt: null, reasonCode: null });
    expect(await churn("2026-11-01", "2026-11-21")).toEqual({ numerator: 1, denominator: 4, value: 0.25, status: "BREACHED" });
    expect(errorCode(await server.gql(REOPEN, { id: x[1] }, { token: lead.token }))).toBe("CONFLICT");
    const [event] = await server.sql<{ details: Record<string, unknown> }>(`SELECT details FROM audit_event WHERE action = 'customer.relationship.reopen' AND outcome = 'SUCCESS' AND resource_id = $1`, [x[1]]);
    expect(event.details).toEqual({ previousClosedAt: "2026-11-20T00:00:00.000Z", previousReasonCode: "DECEASED" });
  });

  it("a closed customer becomes due for retention and is erased; churn still places them at the closing", async () => {
    server.clock.advance(3 * 365 * DAY_MS);
    const cli = { principal: null, ability: null, meta: { requestId: "test-relationship-retention", operation: "cli.retention", clientAddress: null, purpose: null } };
    const run = await server.custos.services.dataProtection.runRetention(cli, { apply: true });
    expect(run.erased).toEqual([x[0]]);
    const [row] = await server.sql<{ status: string; relationship_closed_at: Date }>(`SELECT status, relationship_closed_at FROM customer WHERE id = $1`, [x[0]]);
    expect(row).toEqual({ status: "ERASED", relationship_closed_at: new Date("2026-11-05T08:00:00Z") });
    compliance = await server.staff("COMPLIANCE_OFFICER");
    expect(await churn("2026-11-01", "2026-11-20")).toEqual({ numerator: 1, denominator: 4, value: 0.25, status: "BREACHED" });
    expect(errorCode(await server.gql(REOPEN, { id: x[0] }, { token: (await server.staff("TEAM_LEAD", "PERSONAL_BANKING")).token }))).toBe("CONFLICT");
  });
});
