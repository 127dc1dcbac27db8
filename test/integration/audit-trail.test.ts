// The audit trail as its readers see it: one event per object read with the request's metadata, writes,
// denials, who may query it, paging, and chain verification.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type GraphQLResponse, type StaffLogin, type TestServer } from "../support/test-server";
import { AUDIT_TRAIL, auditEvents, createCustomer, errorCode, type AuditNode, type Connection } from "./api-helpers";

const READ_NAME = `query($id: ID!) { customer(id: $id) { id fullName } }`;

let server: TestServer;
let agent: StaffLogin; // PERSONAL_BANKING
let compliance: StaffLogin;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

/** The events one request left, found through its x-request-id among the actor's events. */
async function eventsOfRequest(actorId: string, requestId: string): Promise<AuditNode[]> {
  return (await auditEvents(server, compliance.token, { actorId })).filter((e) => e.requestId === requestId);
}

describe("reads", () => {
  it("records exactly one customer.read per read of a customer", async () => {
    const { id } = await createCustomer(server, agent.token);
    for (let i = 0; i < 2; i++) {
      const res = await server.gql(READ_NAME, { id }, { token: agent.token });
      expect(res.errors).toBeUndefined();
    }
    const events = await auditEvents(server, compliance.token, { resourceId: id, action: "customer.read" });
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.outcome === "SUCCESS" && e.actorId === agent.id && e.resourceType === "customer")).toBe(true);
  });

  it("records one customer.read per customer in a list, each with its own id", async () => {
    const lister = await server.staff("AGENT", "INSURANCE");
    const created = [];
    for (let i = 0; i < 3; i++) created.push((await createCustomer(server, lister.token)).id);
    const requestId = `list-${randomUUID()}`;
    const res = await server.gql(`query { customers(first: 3) { edges { node { id fullName } } } }`, {}, {
      token: lister.token,
      headers: { "x-request-id": requestId },
    });
    expect(res.errors).toBeUndefined();
    const listed = res.data!.customers.edges.map((e: { node: { id: string } }) => e.node.id);
    expect([...listed].sort()).toEqual([...created].sort());

    const events = await eventsOfRequest(lister.id, requestId);
    expect(events.map((e) => e.action)).toEqual(["customer.read", "customer.read", "customer.read"]);
    expect(events.map((e) => e.resourceId).sort()).toEqual([...created].sort());
    expect(events.every((e) => e.outcome === "SUCCESS" && e.fields.join() === "fullName")).toBe(true);
  });

  it("records a customer read through a case as one customer.read beside the case.read", async () => {
    const { id: customerId } = await createCustomer(server, agent.token);
    const opened = await server.gql(
      `mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`,
      { i: { customerId, channel: "EMAIL", kind: "INQUIRY", category: "fees", complexity: "COMMON", businessLine: "PERSONAL_BANKING", summary: "Asks about fees" } },
      { token: agent.token },
    );
    const caseId = opened.data!.openCase.id;
    const requestId = `case-customer-${randomUUID()}`;
    const res = await server.gql(`query($id: ID!) { case(id: $id) { id customer { id email } } }`, { id: caseId }, {
      token: agent.token,
      headers: { "x-request-id": requestId },
    });
    expect(res.errors).toBeUndefined();
    const events = await eventsOfRequest(agent.id, requestId);
    expect(events.map((e) => [e.action, e.resourceId, e.fields])).toEqual([
      ["case.read", caseId, []],
      ["customer.read", customerId, ["email"]],
    ]);
  });

  it("carries the request id, purpose, operation name, actor and the PII fields actually asked for", async () => {
    const { id } = await createCustomer(server, agent.token);
    const requestId = `req-${randomUUID()}`;
    const res = await server.gql(`query InvestigateCustomer($id: ID!) { customer(id: $id) { id reference fullName } }`, { id }, {
      token: agent.token,
      headers: { "x-request-id": requestId, "x-custos-purpose": "fraud-investigation" },
    });
    expect(res.errors).toBeUndefined();
    expect(res.headers.get("x-request-id")).toBe(requestId);

    const events = await eventsOfRequest(agent.id, requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "customer.read",
      resourceType: "customer",
      resourceId: id,
      outcome: "SUCCESS",
      actorId: agent.id,
      actorRole: "AGENT",
      requestId,
      purpose: "fraud-investigation",
      operation: "InvestigateCustomer",
      fields: ["fullName"],
      occurredAt: server.clock.now().toISOString(),
    });
  });

  it.each([
    ["no PII field", "id reference status", []],
    ["two PII fields", "email id phone", ["email", "phone"]],
    ["every PII field, one through a fragment", "fullName nationalId ... on Customer { phone } email address", ["address", "email", "fullName", "nationalId", "phone"]],
  ])("lists in `fields` exactly the PII asked for: %s", async (_what, selection, fields) => {
    const { id } = await createCustomer(server, agent.token);
    const res = await server.gql(`query($id: ID!) { customer(id: $id) { ${selection} } }`, { id }, { token: agent.token });
    expect(res.errors).toBeUndefined();
    const events = await auditEvents(server, compliance.token, { resourceId: id, action: "customer.read" });
    expect(events).toHaveLength(1);
    expect([...events[0].fields].sort()).toEqual(fields);
  });

  it("replaces an unsafe request id with a generated one and drops an unsafe purpose", async () => {
    const { id } = await createCustomer(server, agent.token);
    const res = await server.gql(READ_NAME, { id }, {
      token: agent.token,
      headers: { "x-request-id": "bad id with spaces", "x-custos-purpose": "drop table;" },
    });
    expect(res.errors).toBeUndefined();
    const echoed = res.headers.get("x-request-id")!;
    expect(echoed).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const events = await auditEvents(server, compliance.token, { resourceId: id, action: "customer.read" });
    expect(events).toEqual([expect.objectContaining({ requestId: echoed, purpose: null })]);
  });
});

describe("lookups", () => {
  it("records an exact lookup as customer.search naming the field searched, never its value", async () => {
    const { id, input } = await createCustomer(server, agent.token);
    const requestId = `search-${randomUUID()}`;
    const res = await server.gql(`query($f: CustomerFilter) { customers(filter: $f) { totalCount edges { node { id } } } }`, { f: { phone: input.phone } }, {
      token: agent.token,
      headers: { "x-request-id": requestId },
    });
    expect(res.data!.customers.totalCount).toBe(1);
    const events = await eventsOfRequest(agent.id, requestId);
    expect(events.map((e) => [e.action, e.resourceId, e.fields])).toEqual([
      ["customer.search", null, ["phone"]],
      ["customer.read", id, []],
    ]);
    expect(events[0].details).toEqual({ matches: 1 });
    const json = JSON.stringify(events);
    expect(json).not.toContain(input.phone!);
    expect(json).not.toContain(input.phone!.replace(/ /g, ""));
  });
});

describe("writes and denials", () => {
  it("records openCase as case.open (and case.assign) on the new case's id", async () => {
    const { id: customerId } = await createCustomer(server, agent.token);
    const res = await server.gql(
      `mutation($i: OpenCaseInput!) { openCase(input: $i) { id assigneeId } }`,
      { i: { customerId, channel: "BRANCH", kind: "COMPLAINT", category: "service", complexity: "COMPLEX", businessLine: "PERSONAL_BANKING", summary: "Rude staff" } },
      { token: agent.token },
    );
    expect(res.errors).toBeUndefined();
    const { id, assigneeId } = res.data!.openCase;
    const events = await auditEvents(server, compliance.token, { resourceId: id });
    // Intake also starts the case's clocks, each an audited event of the same unit of work.
    expect(events.map((e) => [e.action, e.outcome, e.actorId, e.details.clockKind ?? null])).toEqual([
      ["case.open", "SUCCESS", agent.id, null],
      ["case.clock.started", "SUCCESS", agent.id, "FIRST_RESPONSE"],
      ["case.clock.started", "SUCCESS", agent.id, "CALLBACK"],
      ["case.clock.started", "SUCCESS", agent.id, "REGULATORY_DECISION"],
      ["case.assign", "SUCCESS", agent.id, null],
    ]);
    expect(events[0].details).toMatchObject({ customerId, kind: "COMPLAINT", businessLine: "PERSONAL_BANKING" });
    expect(events[4].details).toMatchObject({ assigneeId });
  });

  it("shows compliance both an agent's served read and refused read (Done-when scenario)", async () => {
    const reader = await server.staff("AGENT", "PERSONAL_BANKING");
    const cfAgent = await server.staff("AGENT", "CORPORATE_FINANCE");
    const own = (await createCustomer(server, reader.token)).id;
    const foreign = (await createCustomer(server, cfAgent.token)).id;

    const served = await server.gql(READ_NAME, { id: own }, { token: reader.token });
    expect(served.errors).toBeUndefined();
    const refused = await server.gql(READ_NAME, { id: foreign }, { token: reader.token });
    expect(errorCode(refused)).toBe("NOT_FOUND");

    const events = await auditEvents(server, compliance.token, { actorId: reader.id });
    const reads = events.filter((e) => e.action === "customer.read");
    expect(reads.map((e) => [e.resourceId, e.outcome])).toEqual([
      [own, "SUCCESS"],
      [foreign, "DENIED"],
    ]);
    expect(reads[1].fields).toEqual([]);
  });

  it.each([["AGENT", "PERSONAL_BANKING"], ["ADMIN", null]] as const)(
    "refuses the trail to %s with FORBIDDEN and audits the refusal as a DENIED audit.query",
    async (role, line) => {
      const who = await server.staff(role, line);
      const res = await server.gql(AUDIT_TRAIL, { first: 10 }, { token: who.token });
      expect(errorCode(res)).toBe("FORBIDDEN");
      expect(res.data).toBeNull();
      const verify = await server.gql(`query { verifyAuditChain { ok } }`, {}, { token: who.token });
      expect(errorCode(verify)).toBe("FORBIDDEN");

      const events = await auditEvents(server, compliance.token, { actorId: who.id, resourceType: "audit" });
      expect(events.map((e) => [e.action, e.outcome, e.actorRole])).toEqual([
        ["audit.query", "DENIED", role],
        ["audit.verify", "DENIED", role],
      ]);
    },
  );
});

describe("querying the trail", () => {
  it("pages by seq: strictly increasing, no repeats, totalCount stable", async () => {
    const seqs: number[] = [];
    let after: string | null = null;
    let total: number | null = null;
    for (let pages = 0; pages < 4; pages++) {
      const res: GraphQLResponse<{ auditTrail: Connection<AuditNode> }> = await server.gql(
        AUDIT_TRAIL,
        { f: { action: "customer.create" }, first: 3, after },
        { token: compliance.token },
      );
      expect(res.errors).toBeUndefined();
      const conn = res.data!.auditTrail;
      total ??= conn.totalCount;
      expect(conn.totalCount).toBe(total);
      seqs.push(...conn.edges.map((e) => e.node.seq));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seqs.length).toBeGreaterThan(3); // more than one page was read
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
  });

  it("links each event to the previous one by hash", async () => {
    const res = await server.gql(AUDIT_TRAIL, { first: 20 }, { token: compliance.token });
    expect(res.errors).toBeUndefined();
    const nodes: AuditNode[] = res.data!.auditTrail.edges.map((e: { node: AuditNode }) => e.node);
    expect(nodes[0].seq).toBe(1);
    for (let i = 1; i < nodes.length; i++) {
      expect(nodes[i].seq).toBe(nodes[i - 1].seq + 1);
      expect(nodes[i].prevHash).toBe(nodes[i - 1].hash);
    }
  });

  it("filters by time: `from` inclusive, `to` exclusive", async () => {
    const { id } = await createCustomer(server, agent.token);
    server.clock.advance(60_000); // tokens from T0 stay valid: the TTL is 15 minutes
    const t1 = server.clock.now().toISOString();
    await server.gql(READ_NAME, { id }, { token: agent.token });
    server.clock.advance(1_000);
    const t2 = server.clock.now().toISOString();
    await server.gql(READ_NAME, { id }, { token: agent.token });

    const at = async (from: string | undefined, to: string | undefined) =>
      (await auditEvents(server, compliance.token, { resourceId: id, action: "customer.read", ...(from && { from }), ...(to && { to }) })).map((e) => e.occurredAt);
    expect(await at(t1, undefined)).toEqual([t1, t2]);
    expect(await at(t1, t2)).toEqual([t1]);
    expect(await at(t2, undefined)).toEqual([t2]);
    expect(await at(undefined, t1)).toEqual([]);
  });

  it("keeps seq gapless and the chain valid under simultaneous requests", async () => {
    const { id } = await createCustomer(server, agent.token);
    const results = await Promise.all(Array.from({ length: 12 }, () => server.gql(READ_NAME, { id }, { token: agent.token })));
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    const events = await auditEvents(server, compliance.token, { resourceId: id, action: "customer.read" });
    expect(events).toHaveLength(12);
    const [{ gaps }] = await server.sql<{ gaps: number }>(`SELECT (max(seq) - min(seq) + 1 - count(*))::int AS gaps FROM audit_event`);
    expect(gaps).toBe(0);
    const verify = await server.gql(`query { verifyAuditChain { ok firstBadSeq } }`, {}, { token: compliance.token });
    expect(verify.data!.verifyAuditChain).toEqual({ ok: true, firstBadSeq: null });
  });

  it("verifies the whole chain", async () => {
    const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event`);
    const res = await server.gql(`query { verifyAuditChain { ok checked firstBadSeq reason message } }`, {}, { token: compliance.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.verifyAuditChain).toMatchObject({ ok: true, firstBadSeq: null, reason: null, message: null });
    expect(res.data!.verifyAuditChain.checked).toBeGreaterThanOrEqual(n);
  });

  it("records each trail query as an audit.query event of the reader, naming the filters used", async () => {
    const analyst = await server.staff("SECURITY_ANALYST");
    const res = await server.gql(AUDIT_TRAIL, { f: { action: "customer.read", resourceType: "customer" }, first: 5 }, { token: analyst.token });
    expect(res.errors).toBeUndefined();
    const events = await auditEvents(server, compliance.token, { actorId: analyst.id, action: "audit.query" });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "SUCCESS", actorRole: "SECURITY_ANALYST", resourceType: "audit" });
    expect([...events[0].fields].sort()).toEqual(["action", "resourceType"]);
    expect(events[0].details).toEqual({ returned: res.data!.auditTrail.edges.length });
  });

  it("refuses a page of more than 100 events and a garbage cursor with BAD_USER_INPUT", async () => {
    const big = await server.gql(AUDIT_TRAIL, { first: 101 }, { token: compliance.token });
    expect(errorCode(big)).toBe("BAD_USER_INPUT");
    const garbage = await server.gql(AUDIT_TRAIL, { first: 5, after: "bm90IGEgY3Vyc29y" }, { token: compliance.token });
    expect(errorCode(garbage)).toBe("BAD_USER_INPUT");
  });
});
