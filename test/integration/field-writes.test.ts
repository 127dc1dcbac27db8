// Field-level writes: updateCustomer changes only the fields the role may write, refuses the whole change
// (FORBIDDEN, extensions.fields, audited DENIED) when any other field is in it, and rebuilds the blind
// indexes of what it changes. Server-owned fields are in no input type: GraphQL validation rejects them.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type GraphQLResponse, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, CREATE_CUSTOMER, createCustomer, CUSTOMER_FIELDS, errorCode, uniqueCustomer } from "./api-helpers";

const UPDATE = `mutation Update($id: ID!, $i: UpdateCustomerInput!) { updateCustomer(id: $id, input: $i) { ${CUSTOMER_FIELDS} } }`;
const READ = `query ReadCustomer($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`;
const LOOKUP = `query Lookup($f: CustomerFilter) { customers(filter: $f) { totalCount edges { node { id } } } }`;
const OPEN = `mutation OpenCase($i: OpenCaseInput!) { openCase(input: $i) { id status assigneeId firstResponseDueAt } }`;

let server: TestServer;
let agent: StaffLogin; // PERSONAL_BANKING
let lead: StaffLogin; // PERSONAL_BANKING
let otherAgent: StaffLogin; // INSURANCE
let compliance: StaffLogin;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  otherAgent = await server.staff("AGENT", "INSURANCE");
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

/** The customer as their team lead (full PII) reads them now. */
async function asLeadSees(id: string) {
  const res = await server.gql(READ, { id }, { token: lead.token });
  expect(res.errors).toBeUndefined();
  const { fullName, nationalId, phone, email, address } = res.data!.customer;
  return { fullName, nationalId, phone, email, address };
}

async function storedRow(id: string) {
  const [row] = await server.sql(`SELECT * FROM customer WHERE id = $1`, [id]);
  return row;
}

async function lookupIds(filter: Record<string, string>): Promise<string[]> {
  const res = await server.gql(LOOKUP, { f: filter }, { token: agent.token });
  expect(res.errors).toBeUndefined();
  return res.data!.customers.edges.map((e: { node: { id: string } }) => e.node.id);
}

function refusedFields(res: GraphQLResponse): string[] {
  return String(res.errors![0].extensions!.fields).split(",").sort();
}

/** customer.update events of one request, read as compliance. */
async function updateEvents(id: string, requestId: string) {
  return (await auditEvents(server, compliance.token, { resourceId: id, action: "customer.update" })).filter((e) => e.requestId === requestId);
}

async function count(table: "customer" | "support_case"): Promise<number> {
  const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return n;
}

describe("an agent", () => {
  it("changes phone, e-mail and address; the blind indexes follow (new phone found, old one not)", async () => {
    const { id, input } = await createCustomer(server, agent.token);
    const changes = { phone: "+44 20 7946 9911", email: `moved.${randomUUID().slice(0, 8)}@example.test`, address: "1 New Street, Leeds" };
    const res = await server.gql(UPDATE, { id, i: changes }, { token: agent.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateCustomer).toMatchObject({ id, ...changes });

    expect(await asLeadSees(id)).toEqual({ ...input, ...changes });
    expect(await lookupIds({ phone: changes.phone })).toEqual([id]);
    expect(await lookupIds({ phone: input.phone! })).toEqual([]);
    expect(await lookupIds({ email: changes.email })).toEqual([id]);
    expect(await lookupIds({ email: input.email! })).toEqual([]);
    const events = await auditEvents(server, compliance.token, { resourceId: id, action: "customer.update" });
    expect(events).toEqual([expect.objectContaining({ outcome: "SUCCESS", actorId: agent.id })]);
    expect([...events[0].fields].sort()).toEqual(["address", "email", "phone"]);
  });

  it("removes an optional field with null, and its blind index with it", async () => {
    const { id, input } = await createCustomer(server, agent.token);
    const res = await server.gql(UPDATE, { id, i: { phone: null } }, { token: agent.token });
    expect(res.errors).toBeUndefined();
    expect(await asLeadSees(id)).toEqual({ ...input, phone: null });
    expect(await lookupIds({ phone: input.phone! })).toEqual([]);
    expect((await storedRow(id)).phone_bidx).toBeNull();
  });

  it.each([
    ["fullName", { fullName: "Renamed Person", phone: "+44 20 7946 9922" }, ["fullName"]],
    ["nationalId", { nationalId: "ZZ998877", email: "x@example.test" }, ["nationalId"]],
    ["fullName and nationalId", { fullName: "Renamed Person", nationalId: "ZZ998866", address: "2 Elsewhere" }, ["fullName", "nationalId"]],
  ])("is refused a change including %s: FORBIDDEN naming the fields, audited DENIED, nothing changes", async (_what, changes, refused) => {
    const { id, input } = await createCustomer(server, agent.token);
    const before = await storedRow(id);
    const requestId = `agent-refused-${randomUUID()}`;
    const res = await server.gql(UPDATE, { id, i: changes }, { token: agent.token, headers: { "x-request-id": requestId } });
    expect(errorCode(res)).toBe("FORBIDDEN");
    expect(refusedFields(res)).toEqual(refused);
    expect(res.data).toBeNull();
    // The allowed part of the change was not applied either.
    expect(await asLeadSees(id)).toEqual(input);
    expect(await storedRow(id)).toEqual(before);
    const events = await updateEvents(id, requestId);
    expect(events).toEqual([expect.objectContaining({ outcome: "DENIED", actorId: agent.id, actorRole: "AGENT" })]);
    expect([...events[0].fields].sort()).toEqual(refused);
  });

  it("of another line cannot update a customer: NOT_FOUND like a missing id, audited DENIED", async () => {
    const { id, input } = await createCustomer(server, agent.token);
    const before = await storedRow(id);
    const requestId = `other-line-${randomUUID()}`;
    const res = await server.gql(UPDATE, { id, i: { phone: "+44 20 7946 9933" } }, { token: otherAgent.token, headers: { "x-request-id": requestId } });
    expect(errorCode(res)).toBe("NOT_FOUND");
    expect(res.data).toBeNull();
    const missing = await server.gql(UPDATE, { id: randomUUID(), i: { phone: "+44 20 7946 9933" } }, { token: otherAgent.token });
    expect(missing.errors).toEqual(res.errors);
    expect(await asLeadSees(id)).toEqual(input);
    expect(await storedRow(id)).toEqual(before);
    expect(await updateEvents(id, requestId)).toEqual([expect.objectContaining({ outcome: "DENIED", actorId: otherAgent.id })]);
  });
});

describe("a team lead", () => {
  it("may correct a name", async () => {
    const { id, input } = await createCustomer(server, agent.token);
    const res = await server.gql(UPDATE, { id, i: { fullName: "Corrected Spelling" } }, { token: lead.token });
    expect(res.errors).toBeUndefined();
    expect(await asLeadSees(id)).toEqual({ ...input, fullName: "Corrected Spelling" });
  });

  it("may not change a national id (FORBIDDEN, fields nationalId), and nothing changes", async () => {
    const { id, input } = await createCustomer(server, agent.token);
    const requestId = `lead-nid-${randomUUID()}`;
    const res = await server.gql(UPDATE, { id, i: { nationalId: "NEW123456", fullName: "Also Renamed" } }, { token: lead.token, headers: { "x-request-id": requestId } });
    expect(errorCode(res)).toBe("FORBIDDEN");
    expect(refusedFields(res)).toEqual(["nationalId"]);
    expect(await asLeadSees(id)).toEqual(input);
    const events = await updateEvents(id, requestId);
    expect(events).toEqual([expect.objectContaining({ outcome: "DENIED", actorId: lead.id })]);
    expect(events[0].fields).toEqual(["nationalId"]);
  });
});

describe("roles that write no customer data", () => {
  // Both may read the customer, so the refusal names the fields they may not write: all of them.
  it.each(["COMPLIANCE_OFFICER", "SECURITY_ANALYST"] as const)("%s is refused with FORBIDDEN, audited DENIED with the fields, and nothing changes", async (role) => {
    const who = await server.staff(role);
    const { id, input } = await createCustomer(server, agent.token);
    const before = await storedRow(id);
    const requestId = `${role}-update-${randomUUID()}`;
    const res = await server.gql(UPDATE, { id, i: { phone: "+44 20 7946 9944", address: "3 Nowhere" } }, { token: who.token, headers: { "x-request-id": requestId } });
    expect(errorCode(res)).toBe("FORBIDDEN");
    expect(res.data).toBeNull();
    expect(await asLeadSees(id)).toEqual(input);
    expect(await storedRow(id)).toEqual(before);
    const events = await updateEvents(id, requestId);
    expect(events).toEqual([expect.objectContaining({ outcome: "DENIED", actorId: who.id, actorRole: role })]);
    expect([...events[0].fields].sort()).toEqual(["address", "phone"]);
  });

  // ADMIN may update no customer at all: refused as such (FORBIDDEN naming the fields), for an existing
  // customer and a missing one alike, audited DENIED, and nothing changes.
  it("ADMIN is refused with FORBIDDEN whether or not the customer exists, audited DENIED, and nothing changes", async () => {
    const admin = await server.staff("ADMIN");
    const { id, input } = await createCustomer(server, agent.token);
    const before = await storedRow(id);
    const requestId = `admin-update-${randomUUID()}`;
    const res = await server.gql(UPDATE, { id, i: { phone: "+44 20 7946 9944" } }, { token: admin.token, headers: { "x-request-id": requestId } });
    expect(errorCode(res)).toBe("FORBIDDEN");
    expect(res.errors![0].extensions!.fields).toBe("phone");
    expect(res.data).toBeNull();
    const missing = await server.gql(UPDATE, { id: randomUUID(), i: { phone: "+44 20 7946 9944" } }, { token: admin.token });
    expect(missing.errors).toEqual(res.errors);
    expect(await asLeadSees(id)).toEqual(input);
    expect(await storedRow(id)).toEqual(before);
    expect(await updateEvents(id, requestId)).toEqual([expect.objectContaining({ outcome: "DENIED", actorId: admin.id, actorRole: "ADMIN", fields: ["phone"] })]);
  });
});

describe("server-owned fields (mass assignment)", () => {
  let customerId: string;
  beforeAll(async () => {
    customerId = (await createCustomer(server, agent.token)).id;
  });

  function expectRejected(res: GraphQLResponse) {
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe("BAD_USER_INPUT");
    expect(res.data).toBeNull();
  }

  const caseInput = () => ({
    customerId,
    channel: "PHONE",
    kind: "INQUIRY",
    category: "card.limit",
    complexity: "COMMON",
    businessLine: "PERSONAL_BANKING",
    summary: "Asks about the card limit",
  });

  it.each([
    ["assigneeId", () => ({ assigneeId: agent.id })],
    ["status", () => ({ status: "RESOLVED" })],
    ["firstResponseDueAt", () => ({ firstResponseDueAt: "2099-01-01T00:00:00.000Z" })],
    ["reference", () => ({ reference: "CS-2026-000001" })],
  ])("openCase with %s is rejected by validation and opens nothing", async (_field, extra) => {
    const before = await count("support_case");
    expectRejected(await server.gql(OPEN, { i: { ...caseInput(), ...extra() } }, { token: agent.token }));
    expect(await count("support_case")).toBe(before);
  });

  it("openCase with a server-owned field written inline is rejected too", async () => {
    const before = await count("support_case");
    const inline = `mutation { openCase(input: { customerId: "${customerId}", channel: PHONE, kind: INQUIRY, category: "x", complexity: COMMON,
      businessLine: PERSONAL_BANKING, summary: "s", assigneeId: "${agent.id}", status: RESOLVED }) { id } }`;
    expectRejected(await server.gql(inline, {}, { token: agent.token }));
    expect(await count("support_case")).toBe(before);
    // Without them the same input opens a case, so the rejection above was about those fields.
    const ok = await server.gql(OPEN, { i: caseInput() }, { token: agent.token });
    expect(ok.errors).toBeUndefined();
    expect(await count("support_case")).toBe(before + 1);
  });

  it.each([
    ["businessLines", { businessLines: ["SECURITIES"] }],
    ["reference", { reference: "C0000001" }],
    ["status", { status: "ERASED" }],
  ])("createCustomer with %s is rejected by validation and creates nothing", async (_field, extra) => {
    const before = await count("customer");
    expectRejected(await server.gql(CREATE_CUSTOMER, { i: { ...uniqueCustomer(), ...extra } }, { token: agent.token }));
    expect(await count("customer")).toBe(before);
  });

  it.each([
    ["businessLines", { businessLines: ["SECURITIES", "INSURANCE"] }],
    ["reference", { reference: "C0000001" }],
    ["status", { status: "CLOSED" }],
    ["id", { id: randomUUID() }],
  ])("updateCustomer with %s is rejected by validation and changes nothing", async (_field, extra) => {
    const before = await storedRow(customerId);
    expectRejected(await server.gql(UPDATE, { id: customerId, i: { phone: "+44 20 7946 9955", ...extra } }, { token: agent.token }));
    expect(await storedRow(customerId)).toEqual(before);
  });
});
