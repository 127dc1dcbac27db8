// API abuse: documents built to multiply work (aliases, batches, depth, huge pages, cost, size) and
// introspection in production are refused with BAD_USER_INPUT before anything executes, so none of
// them reaches the database; documents at the limits still run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCUMENT_LIMITS } from "../../src/http/document-limits";
import { createCustomer } from "../integration/api-helpers";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

let server: TestServer;
let agent: StaffLogin;
let caseId: string;

beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  const customer = await createCustomer(server, agent.token);
  const opened = await server.gql(
    `mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`,
    {
      i: {
        customerId: customer.id,
        channel: "PHONE",
        kind: "SERVICE_REQUEST",
        category: "card.replacement",
        complexity: "COMMON",
        businessLine: "PERSONAL_BANKING",
        summary: "Customer asks for a replacement card",
      },
    },
    { token: agent.token },
  );
  expect(opened.errors).toBeUndefined();
  caseId = opened.data!.openCase.id;
});
afterAll(() => server?.stop());

interface Reply {
  status: number;
  errors: Array<{ message: string; extensions?: { code?: string; limit?: string } }>;
  data: Record<string, unknown> | null;
}

let requestCounter = 0;

/** Posts any JSON body with its own request id, so the audit events it caused can be counted. */
async function post(body: unknown, opts: { token?: string; target?: TestServer } = {}): Promise<Reply & { requestId: string }> {
  const requestId = `abuse-${++requestCounter}`;
  const res = await fetch((opts.target ?? server).url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-request-id": requestId,
      // As createTestServer's gql does: reads state a purpose.
      "x-custos-purpose": "CASE_HANDLING",
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const parsed = (await res.json()) as { data?: Record<string, unknown> | null; errors?: Reply["errors"] };
  return { status: res.status, errors: parsed.errors ?? [], data: parsed.data ?? null, requestId };
}

const codes = (r: Reply) => r.errors.map((e) => e.extensions?.code);
const limits = (r: Reply) => r.errors.map((e) => e.extensions?.limit);

async function eventsOf(requestId: string, target: TestServer = server): Promise<Array<{ action: string }>> {
  return target.sql(`SELECT action FROM audit_event WHERE request_id = $1`, [requestId]);
}

async function count(table: "audit_event" | "login_throttle", where = "true"): Promise<number> {
  const [row] = await server.sql<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`);
  return Number(row.n);
}

/** Refused before execution: 400, only BAD_USER_INPUT, no data, and no audit event of its own. */
async function expectRefused(r: Reply & { requestId: string }, limit: string) {
  expect(r.status).toBe(400);
  expect(r.errors.length).toBeGreaterThan(0);
  expect(new Set(codes(r))).toEqual(new Set(["BAD_USER_INPUT"]));
  expect(limits(r)).toContain(limit);
  expect(r.data).toBeNull();
  expect(await eventsOf(r.requestId)).toEqual([]);
}

/** case { customer { cases { edges { node { customer { … } } } } } } down to exactly `depth` fields. */
function nestedCaseQuery(depth: number): string {
  const cycle = ["customer", "cases(first: 1)", "edges", "node"];
  let open = `case(id: "${caseId}")`;
  let levels = 1;
  const closes: string[] = [];
  let i = 0;
  while (levels < depth - 1) {
    open += ` { ${cycle[i % cycle.length]}`;
    closes.push(" }");
    levels++;
    i++;
  }
  const last = levels === 1 ? "case" : cycle[(i - 1) % cycle.length];
  const leaf = last.startsWith("cases") ? "totalCount" : last === "edges" ? "cursor" : "id";
  return `query Deep { ${open} { ${leaf} }${closes.join("")} }`;
}

describe("aliases", () => {
  it("100 aliased login mutations in one document: refused, no login attempted, no throttle row, no audit event", async () => {
    const logins = Array.from({ length: 100 }, (_, i) => `a${i}: login(email: "${agent.email}", password: "guess number ${i}") { accessToken }`);
    const eventsBefore = await count("audit_event", "action = 'auth.login'");
    const throttleBefore = await count("login_throttle");

    const r = await post({ query: `mutation { ${logins.join(" ")} }` });

    await expectRefused(r, "aliases");
    expect(limits(r)).toContain("sensitiveFields");
    expect(await count("audit_event", "action = 'auth.login'")).toBe(eventsBefore);
    expect(await count("login_throttle")).toBe(throttleBefore);
  });

  it("two logins in one operation, even under the alias limit: refused as more than one sensitive mutation", async () => {
    const eventsBefore = await count("audit_event", "action = 'auth.login'");
    const r = await post({
      query: `mutation { a: login(email: "${agent.email}", password: "guess one") { accessToken } b: login(email: "${agent.email}", password: "guess two") { accessToken } }`,
    });
    await expectRefused(r, "sensitiveFields");
    expect(await count("audit_event", "action = 'auth.login'")).toBe(eventsBefore);
  });

  it("logins smuggled in through fragments count the same", async () => {
    const r = await post({
      query: `mutation { ...A ... on Mutation { b: login(email: "x@y.z", password: "guess two") { accessToken } } }
              fragment A on Mutation { a: login(email: "x@y.z", password: "guess one") { accessToken } }`,
    });
    await expectRefused(r, "sensitiveFields");
  });

  it(`${DOCUMENT_LIMITS.maxAliases} aliases run; ${DOCUMENT_LIMITS.maxAliases + 1} are refused`, async () => {
    const aliased = (n: number) => `query { ${Array.from({ length: n }, (_, i) => `m${i}: me { id }`).join(" ")} }`;
    const atLimit = await post({ query: aliased(DOCUMENT_LIMITS.maxAliases) }, { token: agent.token });
    expect(atLimit.errors).toEqual([]);
    expect(Object.keys(atLimit.data!)).toHaveLength(DOCUMENT_LIMITS.maxAliases);

    await expectRefused(await post({ query: aliased(DOCUMENT_LIMITS.maxAliases + 1) }, { token: agent.token }), "aliases");
  });
});

describe("batches", () => {
  it("a JSON array of 50 login operations: refused with a coded JSON error, nothing attempted", async () => {
    const eventsBefore = await count("audit_event", "action = 'auth.login'");
    const throttleBefore = await count("login_throttle");
    const batch = Array.from({ length: 50 }, (_, i) => ({
      query: `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
      variables: { e: agent.email, p: `guess number ${i}` },
    }));

    const r = await post(batch);

    await expectRefused(r, "batch");
    expect(r.errors).toHaveLength(1);
    expect(await count("audit_event", "action = 'auth.login'")).toBe(eventsBefore);
    expect(await count("login_throttle")).toBe(throttleBefore);
  });
});

describe("depth", () => {
  it("a case→customer→cases→… query 20 levels deep is refused before it reads anything", async () => {
    const r = await post({ query: nestedCaseQuery(20) }, { token: agent.token });
    await expectRefused(r, "depth");
  });

  it(`the same nesting at exactly ${DOCUMENT_LIMITS.maxDepth} levels runs and is audited (the check above can fail)`, async () => {
    const r = await post({ query: nestedCaseQuery(DOCUMENT_LIMITS.maxDepth) }, { token: agent.token });
    expect(r.errors).toEqual([]);
    // The innermost node is the case itself again, ten levels down.
    expect(JSON.stringify(r.data)).toContain(`{"node":{"id":"${caseId}"}}`);
    const actions = (await eventsOf(r.requestId)).map((e) => e.action);
    expect(actions).toContain("case.read");
    expect(actions).toContain("customer.read");

    await expectRefused(await post({ query: nestedCaseQuery(DOCUMENT_LIMITS.maxDepth + 1) }, { token: agent.token }), "depth");
  });
});

describe("page size and cost", () => {
  it("first: 1000000 as a literal is refused before execution", async () => {
    const r = await post({ query: `{ cases(first: 1000000) { totalCount edges { node { id } } } }` }, { token: agent.token });
    await expectRefused(r, "pageSize");
  });

  it("first: 1000000 in a variable is refused by paging with BAD_USER_INPUT, before any row is read", async () => {
    const r = await post({ query: `query($n: Int) { cases(first: $n) { edges { node { id } } } }`, variables: { n: 1_000_000 } }, { token: agent.token });
    expect(codes(r)).toEqual(["BAD_USER_INPUT"]);
    expect(r.data).toBeNull();
    expect((await eventsOf(r.requestId)).filter((e) => e.action === "case.read")).toEqual([]);
  });

  it("100 cases × each customer's 100 cases is over the cost limit and refused", async () => {
    const query = `{ cases(first: 100) { edges { node { id customer { id cases(first: 100) { edges { node { id summary } } } } } } } }`;
    const r = await post({ query }, { token: agent.token });
    await expectRefused(r, "cost");
    expect(limits(r)).not.toContain("depth");
  });

  it("a full page of 100 cases with their fields stays under the cost limit and runs", async () => {
    const fields = "id reference customerId channel kind category complexity businessLine teamId status assigneeId receivedAt firstResponseDueAt summary";
    const r = await post({ query: `{ cases(first: 100) { totalCount edges { cursor node { ${fields} } } pageInfo { hasNextPage endCursor } } }` }, { token: agent.token });
    expect(r.errors).toEqual([]);
    expect((r.data as { cases: { totalCount: number } }).cases.totalCount).toBeGreaterThan(0);
  });
});

describe("document size", () => {
  it(`a document just under ${DOCUMENT_LIMITS.maxDocumentBytes} bytes runs; one byte over is refused`, async () => {
    const base = "query { me { id } }\n#";
    const pad = (bytes: number) => base + "x".repeat(bytes - base.length);
    const atLimit = await post({ query: pad(DOCUMENT_LIMITS.maxDocumentBytes) }, { token: agent.token });
    expect(atLimit.errors).toEqual([]);
    expect((atLimit.data as { me: { id: string } }).me.id).toBe(agent.id);

    await expectRefused(await post({ query: pad(DOCUMENT_LIMITS.maxDocumentBytes + 1) }, { token: agent.token }), "documentSize");
  });
});

describe("production mode", () => {
  let prod: TestServer;
  let prodAgent: StaffLogin;
  beforeAll(async () => {
    prod = await createTestServer({ env: { NODE_ENV: "production" } });
    prodAgent = await prod.staff("AGENT", "PERSONAL_BANKING");
  });
  afterAll(() => prod?.stop());

  it.each([
    ["__schema", `{ __schema { types { name } } }`],
    ["__type", `{ __type(name: "Customer") { fields { name } } }`],
  ])("%s is refused with BAD_USER_INPUT and HTTP 400", async (_what, query) => {
    for (const token of [undefined, prodAgent.token]) {
      const r = await post({ query }, { token, target: prod });
      expect(r.status).toBe(400);
      expect(codes(r)).toEqual(["BAD_USER_INPUT"]);
      expect(r.data).toBeNull();
    }
  });

  it("__typename still answers (it is not introspection of the schema)", async () => {
    const r = await post({ query: `{ __typename }` }, { target: prod });
    expect(r.errors).toEqual([]);
    expect(r.data).toEqual({ __typename: "Query" });
  });

  it("a misspelt field gets no 'Did you mean' suggestion in production (the test server does give one)", async () => {
    const query = `{ customr(id: "x") { id } }`;
    const inTest = await post({ query }, { token: agent.token });
    expect(codes(inTest)).toEqual(["BAD_USER_INPUT"]);
    expect(inTest.errors[0].message).toContain("Did you mean");

    const inProduction = await post({ query }, { token: prodAgent.token, target: prod });
    expect(codes(inProduction)).toEqual(["BAD_USER_INPUT"]);
    expect(inProduction.errors[0].message).not.toContain("Did you mean");
    expect(inProduction.errors[0].message).not.toContain("customer");
  });

  it("the document limits hold in production too", async () => {
    const r = await post({ query: `{ cases(first: 1000000) { totalCount } }` }, { token: prodAgent.token, target: prod });
    expect(r.status).toBe(400);
    expect(limits(r)).toEqual(["pageSize"]);
    expect(await eventsOf(r.requestId, prod)).toEqual([]);
  });
});
