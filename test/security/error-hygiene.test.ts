// Error hygiene at the HTTP edge: every GraphQL error carries one of the closed codes, and no response
// carries a stack, a driver error name, SQL, or Apollo's CDN landing page.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errors";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

const LEAKS = ["stacktrace", "QueryFailedError", "SELECT ", "INSERT ", "at /", "node_modules", "TypeORM", "relation \""];

let server: TestServer;
let agent: StaffLogin;
let compliance: StaffLogin;

interface Reply {
  status: number;
  text: string;
  codes: string[];
  data: Record<string, unknown> | null;
}

async function send(method: string, path: string, opts: { body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const res = await fetch(new URL(path, server.url), { method, headers: opts.headers, body: opts.body });
  const text = await res.text();
  let parsed: { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> } = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: only status and text are checked
  }
  return { status: res.status, text, codes: (parsed.errors ?? []).map((e) => String(e.extensions?.code)), data: parsed.data ?? null };
}

const gql = (query: string, variables?: Record<string, unknown>, token?: string) =>
  send("POST", "/graphql", {
    body: JSON.stringify({ query, variables }),
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });

function expectClean(r: Reply) {
  for (const leak of LEAKS) expect(r.text).not.toContain(leak);
  for (const code of r.codes) expect(ERROR_CODES).toContain(code);
}

beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

describe("malformed GraphQL documents", () => {
  it.each([
    ["a syntax error", `{ customer(id: `],
    ["an unknown field", `{ customer(id: "x") { id shoeSize } }`],
    ["an unknown root field", `{ everything }`],
    ["a literal bad enum value", `{ cases(filter: { status: SHELVED }) { totalCount } }`],
    ["a missing required argument", `{ customer { id } }`],
  ])("%s → BAD_USER_INPUT and nothing else", async (_what, query) => {
    const r = await gql(query, undefined, agent.token);
    expect(r.codes).toEqual(["BAD_USER_INPUT"]);
    expect(r.data).toBeNull();
    expectClean(r);
  });

  it("a bad enum value in a variable → BAD_USER_INPUT", async () => {
    const r = await gql(`query($s: CaseStatus) { cases(filter: { status: $s }) { totalCount } }`, { s: "SHELVED" }, agent.token);
    expect(r.codes).toEqual(["BAD_USER_INPUT"]);
    expectClean(r);
  });

  it("a batched request (batching is off) → BAD_USER_INPUT", async () => {
    const r = await send("POST", "/graphql", {
      body: JSON.stringify([{ query: "{ me { id } }" }, { query: "{ me { id } }" }]),
      headers: { "content-type": "application/json", authorization: `Bearer ${agent.token}` },
    });
    expect(r.codes).toEqual(["BAD_USER_INPUT"]);
    expectClean(r);
  });
});

describe("ids and credentials", () => {
  it.each([
    ["customer", `query($id: ID!) { customer(id: $id) { id } }`],
    ["case", `query($id: ID!) { case(id: $id) { id } }`],
  ])("a non-UUID id to %s(id:) → NOT_FOUND, not INTERNAL", async (_what, query) => {
    for (const id of ["abc", "1; DROP TABLE customer", "00000000-0000-0000-0000-00000000000g", "'"]) {
      const r = await gql(query, { id }, agent.token);
      expect(r.codes).toEqual(["NOT_FOUND"]);
      expectClean(r);
    }
  });

  it("a garbage bearer token → UNAUTHENTICATED with 401; no token → UNAUTHENTICATED", async () => {
    const bad = await gql(`{ me { id } }`, undefined, "not.a.jwt");
    expect(bad.status).toBe(401);
    expect(bad.codes).toEqual(["UNAUTHENTICATED"]);
    expectClean(bad);
    const none = await gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: "abc" });
    expect(none.codes).toEqual(["UNAUTHENTICATED"]);
    expectClean(none);
  });

  it("a role without access gets FORBIDDEN, not a stack", async () => {
    const r = await gql(`{ auditTrail { totalCount } }`, undefined, agent.token);
    expect(r.codes).toEqual(["FORBIDDEN"]);
    expectClean(r);
  });
});

describe("unexpected failures", () => {
  it("a database error becomes INTERNAL with no SQL, table name or driver detail", async () => {
    await server.sql(`ALTER TABLE support_case RENAME TO support_case_moved`);
    try {
      const r = await gql(`{ cases { totalCount } }`, undefined, compliance.token);
      expect(r.codes).toEqual(["INTERNAL"]);
      expectClean(r);
      expect(r.text).not.toContain("support_case");
    } finally {
      await server.sql(`ALTER TABLE support_case_moved RENAME TO support_case`);
    }
    const healed = await gql(`{ cases { totalCount } }`, undefined, compliance.token);
    expect(healed.codes).toEqual([]);
  });
});

describe("the HTTP edge", () => {
  it("a 2 MB body is refused before it reaches GraphQL", async () => {
    const before = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event`);
    const r = await send("POST", "/graphql", {
      body: JSON.stringify({ query: `{ me { id } }`, padding: "x".repeat(2 * 1024 * 1024) }),
      headers: { "content-type": "application/json", authorization: `Bearer ${agent.token}` },
    });
    expect(r.status).toBe(413);
    expect(r.data).toBeNull();
    expect(await server.sql(`SELECT count(*)::int AS n FROM audit_event`)).toEqual(before);
  });

  it("GET /healthz and GET /readyz answer 200", async () => {
    const health = await send("GET", "/healthz");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: "ok" });
    const ready = await send("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ status: "ready", auditJournal: { pending: 0 } });
  });

  it("GET /graphql from a browser does not serve Apollo's CDN landing page", async () => {
    const r = await send("GET", "/graphql", { headers: { accept: "text/html" } });
    expect(r.status).not.toBe(200);
    for (const marker of ["apollo-server-landing-page", "embeddable-sandbox", "embeddable-explorer", "apollographql.com", "cdn.", "<script"]) {
      expect(r.text).not.toContain(marker);
    }
    expectClean(r);
  });

  it("a GET query without a preflight-forcing header is refused (CSRF prevention)", async () => {
    const r = await send("GET", `/graphql?query=${encodeURIComponent("{ me { id } }")}`, { headers: { authorization: `Bearer ${agent.token}` } });
    expect(r.status).toBe(400);
    expect(r.data).toBeNull();
    expectClean(r);
  });
});
