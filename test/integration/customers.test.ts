// Customers through the API: creation and validation, blind-index lookups, row scoping per role, PII
// visibility, transactions and cursor paging.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type GraphQLResponse, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, CREATE_CUSTOMER, createCustomer, CUSTOMER_FIELDS, errorCode, uniqueCustomer, type Connection, type CustomerInput } from "./api-helpers";

const READ = `query ReadCustomer($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`;
const LOOKUP = `query Lookup($f: CustomerFilter) { customers(filter: $f) { totalCount edges { node { id fullName } } } }`;
const PAGE = `query Page($first: Int, $after: String) {
  customers(first: $first, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } }
}`;

let server: TestServer;
let agent: StaffLogin; // PERSONAL_BANKING
let otherAgent: StaffLogin; // CORPORATE_FINANCE
let lead: StaffLogin; // PERSONAL_BANKING
let compliance: StaffLogin;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  otherAgent = await server.staff("AGENT", "CORPORATE_FINANCE");
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

describe("creating customers", () => {
  it("stores every field and reads them back, in the creating agent's line", async () => {
    const input = uniqueCustomer({ address: "221B Baker Street, London" });
    const { id, created } = await createCustomer(server, agent.token, input);
    expect(created).toMatchObject({ ...input, nationalId: expect.any(String), businessLines: ["PERSONAL_BANKING"], status: "ACTIVE" });
    expect(created.reference).toMatch(/^C\d{7}$/);

    // An agent sees a national id only masked (its last four characters); their team lead in full.
    const masked = { ...input, nationalId: `****${input.nationalId.slice(-4)}` };
    expect(created.nationalId).toBe(masked.nationalId);
    const read = await server.gql(READ, { id }, { token: agent.token });
    expect(read.errors).toBeUndefined();
    expect(read.data!.customer).toEqual({ id, reference: created.reference, businessLines: ["PERSONAL_BANKING"], status: "ACTIVE", ...masked });
    const byLead = await server.gql(READ, { id }, { token: lead.token });
    expect(byLead.data!.customer).toEqual({ id, reference: created.reference, businessLines: ["PERSONAL_BANKING"], status: "ACTIVE", ...input });
  });

  it.each([
    ["fullName", { fullName: "   " }],
    ["fullName", { fullName: `Overlong-${"x".repeat(200)}-marker` }],
    ["email", { email: "leaky-marker@@not-an-address" }],
    ["phone", { phone: "call-me-leaky-marker" }],
    ["nationalId", { nationalId: "!!leaky-marker" }],
  ])("refuses a bad %s with BAD_USER_INPUT naming the field, without echoing the value", async (field, bad) => {
    const input = uniqueCustomer(bad);
    const res = await server.gql(CREATE_CUSTOMER, { i: input }, { token: agent.token });
    expect(errorCode(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].extensions!.field).toBe(field);
    const value = Object.values(bad)[0].trim();
    if (value) expect(res.errors![0].message).not.toContain(value);
    expect(JSON.stringify(res.errors)).not.toContain("marker");
    expect(res.data).toBeNull();
  });

  it("refuses a second customer with the same national id, however it is written, with CONFLICT", async () => {
    const { input } = await createCustomer(server, agent.token);
    const same = await server.gql(CREATE_CUSTOMER, { i: uniqueCustomer({ nationalId: input.nationalId }) }, { token: agent.token });
    expect(errorCode(same)).toBe("CONFLICT");
    const respaced = uniqueCustomer({ nationalId: ` ${input.nationalId.toLowerCase().replace(/^(..)/, "$1 ")} ` });
    const variant = await server.gql(CREATE_CUSTOMER, { i: respaced }, { token: otherAgent.token });
    expect(errorCode(variant)).toBe("CONFLICT");

    // The refused write is audited as a FAILURE that names the code, not the national id.
    const failures = (await auditEvents(server, compliance.token, { actorId: otherAgent.id, action: "customer.create" })).filter(
      (e) => e.outcome === "FAILURE",
    );
    expect(failures).toEqual([expect.objectContaining({ resourceId: null, details: { code: "CONFLICT" } })]);
    expect(JSON.stringify(failures).toUpperCase()).not.toContain(input.nationalId.toUpperCase());
  });

  it("lets only one of two simultaneous creations with the same national id succeed", async () => {
    const nationalId = uniqueCustomer().nationalId;
    const results = await Promise.all(
      [agent, otherAgent].map((who) => server.gql(CREATE_CUSTOMER, { i: uniqueCustomer({ nationalId }) }, { token: who.token })),
    );
    expect(results.map((r) => (r.errors ? errorCode(r) : "OK")).sort()).toEqual(["CONFLICT", "OK"]);
    const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM customer WHERE id = $1`, [
      results.find((r) => !r.errors)!.data!.createCustomer.id,
    ]);
    expect(n).toBe(1);
  });

  it("refuses a compliance officer, who writes nothing, with FORBIDDEN and audits it DENIED", async () => {
    const officer = await server.staff("COMPLIANCE_OFFICER");
    const res = await server.gql(CREATE_CUSTOMER, { i: uniqueCustomer() }, { token: officer.token });
    expect(errorCode(res)).toBe("FORBIDDEN");
    const events = await auditEvents(server, compliance.token, { actorId: officer.id, action: "customer.create" });
    expect(events).toEqual([expect.objectContaining({ outcome: "DENIED", resourceId: null })]);
  });
});

describe("exact lookups", () => {
  it.each([
    ["phone", (c: CustomerInput) => ({ phone: `  ${c.phone!.replace(/ /g, "  ")} ` })],
    ["e-mail", (c: CustomerInput) => ({ email: c.email!.toUpperCase() })],
    ["national id", (c: CustomerInput) => ({ nationalId: c.nationalId.toLowerCase() })],
  ])("by %s, written differently, finds exactly that customer", async (_by, filterOf) => {
    await createCustomer(server, agent.token); // a neighbour that must not match
    const { id, input } = await createCustomer(server, agent.token);
    const res = await server.gql(LOOKUP, { f: filterOf(input) }, { token: agent.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.customers.totalCount).toBe(1);
    expect(res.data!.customers.edges).toEqual([{ node: { id, fullName: input.fullName } }]);
  });

  it("with several fields needs all of them to match the same customer", async () => {
    const a = await createCustomer(server, agent.token);
    const b = await createCustomer(server, agent.token);
    const mixed = await server.gql(LOOKUP, { f: { phone: a.input.phone, email: b.input.email } }, { token: agent.token });
    expect(mixed.data!.customers).toEqual({ totalCount: 0, edges: [] });
    const both = await server.gql(LOOKUP, { f: { phone: b.input.phone, email: b.input.email } }, { token: agent.token });
    expect(both.data!.customers.edges).toEqual([{ node: { id: b.id, fullName: b.input.fullName } }]);
  });

  it("by an unknown phone finds nothing", async () => {
    const res = await server.gql(LOOKUP, { f: { phone: "+1 555 000 9999" } }, { token: agent.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.customers).toEqual({ totalCount: 0, edges: [] });
  });
});

describe("who sees a customer", () => {
  it("hides a customer from an agent of another line and audits the refused read as DENIED", async () => {
    const { id, input } = await createCustomer(server, agent.token);
    const byId = await server.gql(READ, { id }, { token: otherAgent.token });
    expect(errorCode(byId)).toBe("NOT_FOUND");
    expect(byId.data).toBeNull();

    const missingId = randomUUID();
    const missing = await server.gql(READ, { id: missingId }, { token: otherAgent.token });
    expect(errorCode(missing)).toBe("NOT_FOUND");
    expect(missing.errors![0].message).toBe(byId.errors![0].message);
    const missingEvents = await auditEvents(server, compliance.token, { resourceId: missingId });
    expect(missingEvents).toEqual([expect.objectContaining({ action: "customer.read", outcome: "NOT_FOUND", actorId: otherAgent.id })]);

    const byPhone = await server.gql(LOOKUP, { f: { phone: input.phone } }, { token: otherAgent.token });
    expect(byPhone.errors).toBeUndefined();
    expect(byPhone.data!.customers).toEqual({ totalCount: 0, edges: [] });

    const events = await auditEvents(server, compliance.token, { resourceId: id, action: "customer.read" });
    expect(events).toEqual([expect.objectContaining({ outcome: "DENIED", actorId: otherAgent.id, actorRole: "AGENT", fields: [] })]);
  });

  it("shows a compliance officer every PII field", async () => {
    const { id, input } = await createCustomer(server, otherAgent.token);
    const res = await server.gql(READ, { id }, { token: compliance.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.customer).toMatchObject({ ...input, businessLines: ["CORPORATE_FINANCE"] });
  });

  it("shows a security analyst the customer without PII and audits a read of no fields", async () => {
    const analyst = await server.staff("SECURITY_ANALYST");
    const { id, created } = await createCustomer(server, agent.token);
    const res = await server.gql(READ, { id }, { token: analyst.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.customer).toEqual({
      id,
      reference: created.reference,
      businessLines: ["PERSONAL_BANKING"],
      status: "ACTIVE",
      fullName: null,
      nationalId: null,
      phone: null,
      email: null,
      address: null,
    });

    const events = await auditEvents(server, compliance.token, { resourceId: id, actorId: analyst.id });
    expect(events).toEqual([expect.objectContaining({ action: "customer.read", outcome: "SUCCESS", fields: [] })]);
  });

  it("refuses an admin with FORBIDDEN, for one customer and for lists", async () => {
    const admin = await server.staff("ADMIN");
    const { id } = await createCustomer(server, agent.token);
    const one = await server.gql(READ, { id }, { token: admin.token });
    expect(errorCode(one)).toBe("FORBIDDEN");
    expect(one.data).toBeNull();
    const list = await server.gql(LOOKUP, {}, { token: admin.token });
    expect(errorCode(list)).toBe("FORBIDDEN");
  });
});

describe("transactions", () => {
  it("pages a customer's transactions newest first", async () => {
    const { id } = await createCustomer(server, agent.token);
    await server.sql(
      `INSERT INTO customer_transaction (customer_id, business_line, occurred_at, kind, amount_minor, currency, description) VALUES
         ($1, 'PERSONAL_BANKING', '2026-10-01T10:00:00Z', 'CARD_PAYMENT', 1250, 'EUR', 'Groceries'),
         ($1, 'PERSONAL_BANKING', '2026-10-03T10:00:00Z', 'TRANSFER_IN', 9007199254740993, 'EUR', 'Salary'),
         ($1, 'PERSONAL_BANKING', '2026-10-02T10:00:00Z', 'ATM_WITHDRAWAL', -5000, 'GBP', 'Cash')`,
      [id],
    );
    const query = `query($id: ID!, $after: String) { customer(id: $id) { transactions(first: 2, after: $after) {
      totalCount edges { node { businessLine occurredAt kind amountMinor currency description } } pageInfo { hasNextPage endCursor } } } }`;

    const first = await server.gql(query, { id }, { token: agent.token });
    expect(first.errors).toBeUndefined();
    const page1 = first.data!.customer.transactions;
    expect(page1.totalCount).toBe(3);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page1.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { businessLine: "PERSONAL_BANKING", occurredAt: "2026-10-03T10:00:00.000Z", kind: "TRANSFER_IN", amountMinor: "9007199254740993", currency: "EUR", description: "Salary" },
      { businessLine: "PERSONAL_BANKING", occurredAt: "2026-10-02T10:00:00.000Z", kind: "ATM_WITHDRAWAL", amountMinor: "-5000", currency: "GBP", description: "Cash" },
    ]);

    const second = await server.gql(query, { id, after: page1.pageInfo.endCursor }, { token: agent.token });
    expect(second.errors).toBeUndefined();
    const page2 = second.data!.customer.transactions;
    expect(page2.totalCount).toBe(3);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect(page2.edges.map((e: { node: { description: string } }) => e.node.description)).toEqual(["Groceries"]);
  });
});

describe("paging", () => {
  it("walks every customer the agent may see, two at a time, without duplicates or gaps", async () => {
    const pager = await server.staff("AGENT", "INSURANCE");
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push((await createCustomer(server, pager.token)).id);
    const [{ visible }] = await server.sql<{ visible: number }>(
      `SELECT count(*)::int AS visible FROM customer WHERE 'INSURANCE' = ANY(business_lines)`,
    );
    expect(visible).toBeGreaterThanOrEqual(5);

    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const res: GraphQLResponse<{ customers: Connection<{ id: string }> }> = await server.gql(PAGE, { first: 2, after }, { token: pager.token });
      expect(res.errors).toBeUndefined();
      const conn = res.data!.customers;
      expect(conn.totalCount).toBe(visible);
      expect(conn.edges.length).toBeLessThanOrEqual(2);
      seen.push(...conn.edges.map((e) => e.node.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(visible);
    expect(new Set(seen).size).toBe(visible);
    expect(seen).toEqual(expect.arrayContaining(mine));
  });

  it("refuses a page larger than 100 with BAD_USER_INPUT", async () => {
    const ok = await server.gql(PAGE, { first: 100 }, { token: agent.token });
    expect(ok.errors).toBeUndefined();
    const res = await server.gql(PAGE, { first: 101 }, { token: agent.token });
    expect(errorCode(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].extensions!.field).toBe("first");
  });

  it.each([["not a cursor at all"], [Buffer.from('["x","y"]').toString("base64url")], ["%%%"]])(
    "refuses the garbage cursor %j with BAD_USER_INPUT",
    async (after) => {
      const res = await server.gql(PAGE, { first: 2, after }, { token: agent.token });
      expect(errorCode(res)).toBe("BAD_USER_INPUT");
      expect(res.errors![0].extensions!.field).toBe("after");
    },
  );
});
