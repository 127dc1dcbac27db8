// PII at rest: after distinctive customer data and case narratives go through the API, no table in the
// database holds any of it in clear — not as text, not as raw bytes, not in the audit log.
import { createHash } from "node:crypto";
import pino from "pino";
import { normalizeForIndex } from "../../src/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dumpDatabase } from "../support/dump";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

const PII = {
  fullName: "Zebulon Quixotic-Marchbanks",
  nationalId: "qx 7781234567",
  phone: "+1 555 0199 8877",
  email: "Zeb.Q@Example.org",
  address: "77 Obscure Lane",
};
const SUMMARY = "Customer reports a vermilion-axolotl overdraft dispute";
const NOTE = "Called back about the marmalade hovercraft invoice";
const RESOLUTION = "Refunded the tangerine lighthouse surcharge";

/** Every form a value could be stored in: as typed, normalised for the blind index, and in pieces. */
const NEEDLES = [
  ...Object.values(PII),
  "Zebulon",
  "Quixotic",
  "Marchbanks",
  "QX7781234567", // national id as the blind index normalises it
  "7781234567",
  "+155501998877", // phone as the blind index normalises it
  "155501998877",
  "0199 8877",
  "zeb.q@example.org", // e-mail lower-cased
  "zeb.q",
  "Obscure Lane",
  "vermilion-axolotl",
  "marmalade hovercraft",
  "tangerine lighthouse",
].map((n) => n.toLowerCase());

let server: TestServer;
let agent: StaffLogin;
let compliance: StaffLogin;
const logLines: string[] = [];

async function ok(query: string, variables: Record<string, unknown>, token?: string) {
  const res = await server.gql(query, variables, { token });
  expect(res.errors).toBeUndefined();
  return res.data!;
}

beforeAll(async () => {
  // Everything the service logs, at every level, is kept to be searched as well.
  server = await createTestServer({ logger: pino({ level: "trace" }, { write: (line: string) => void logLines.push(line) }) });
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  const { createCustomer } = await ok(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, { i: PII }, agent.token);
  const i = { customerId: createCustomer.id, channel: "BRANCH", kind: "COMPLAINT", category: "overdraft", complexity: "COMPLEX", businessLine: "PERSONAL_BANKING", summary: SUMMARY };
  const { openCase } = await ok(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`, { i }, agent.token);
  await ok(`mutation($c: ID!, $b: String!) { addCaseNote(caseId: $c, body: $b) { id } }`, { c: openCase.id, b: NOTE }, agent.token);
  await ok(`mutation($c: ID!, $r: String!) { resolveCase(caseId: $c, resolution: $r) { id } }`, { c: openCase.id, r: RESOLUTION }, agent.token);
  // Reads and lookups by each identifier, so the audit log records them too.
  await ok(`query($id: ID!) { customer(id: $id) { fullName nationalId phone email address } }`, { id: createCustomer.id }, compliance.token);
  await ok(`query($id: ID!) { case(id: $id) { summary notes { body } } }`, { id: openCase.id }, agent.token);
  for (const f of [{ phone: PII.phone }, { email: PII.email }, { nationalId: PII.nationalId }]) {
    const found = await ok(`query($f: CustomerFilter) { customers(filter: $f) { totalCount } }`, { f }, agent.token);
    expect(found.customers.totalCount).toBe(1);
  }
  // A login attempt with the customer's e-mail as the user name leaves a keyed reference, not the address.
  const failed = await server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: PII.email, p: "x".repeat(12) });
  expect(failed.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
});
afterAll(() => server?.stop());

function leaks(text: string): string[] {
  return NEEDLES.filter((n) => text.includes(n) || text.includes(Buffer.from(n, "utf8").toString("hex")));
}

describe("PII at rest", () => {
  it("the dump covers the tables that hold customer data and the audit log", async () => {
    const dump = await dumpDatabase(server);
    for (const t of ["customer", "customer_key", "support_case", "case_note", "case_event", "audit_event", "staff_user"]) {
      expect(dump.get(t)?.length ?? 0, t).toBeGreaterThan(0);
    }
    // Clear-text, non-PII values are found, so a leak would be too.
    expect(dump.get("support_case")).toContain("overdraft");
    expect(dump.get("staff_user")).toContain(agent.email.toLowerCase());
  });

  it("no table holds any of the values in clear, as text, as bytes or as hex", async () => {
    const found: Record<string, string[]> = {};
    for (const [table, text] of await dumpDatabase(server)) {
      const hits = leaks(text);
      if (hits.length) found[table] = hits;
    }
    expect(found).toEqual({});
  });

  it("the audit log holds none of them, and does record the accesses", async () => {
    const rows = await server.sql<{ j: string }>(`SELECT row_to_json(a)::text AS j FROM audit_event a`);
    const text = rows.map((r) => r.j).join("\n").toLowerCase();
    expect(leaks(text)).toEqual([]);
    const actions = new Set((await server.sql<{ action: string }>(`SELECT DISTINCT action FROM audit_event`)).map((r) => r.action));
    for (const a of ["customer.create", "customer.read", "customer.search", "case.open", "case.note.add", "case.resolve", "case.read", "auth.login"]) {
      expect(actions.has(a), a).toBe(true);
    }
  });

  it("the audit trail served over GraphQL holds none of them", async () => {
    const res = await server.gql(`{ auditTrail(first: 100) { edges { node { action resourceId fields details operation purpose } } } }`, {}, { token: compliance.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.auditTrail.edges.length).toBeGreaterThan(10);
    expect(leaks(JSON.stringify(res.data).toLowerCase())).toEqual([]);
  });
});

/**
 * What a blind index would be without its key: plain digests of each indexed value, normalised as the
 * index normalises it and as typed. Finding one would let anyone confirm a guessed value from the dump.
 */
const UNKEYED = (["nationalId", "phone", "email"] as const).flatMap((field) =>
  [normalizeForIndex(field, PII[field]), PII[field]].flatMap((value) =>
    (["sha256", "sha1", "md5"] as const).map((alg) => ({ label: `${alg}(${field})`, digest: createHash(alg).update(value, "utf8").digest() })),
  ),
);

/** Labels of the digests found in any bytea column as raw bytes, or in any column or bytea as hex. */
async function unkeyedDigestsFound(digests: ReadonlyArray<{ label: string; digest: Buffer }>): Promise<string[]> {
  const dump = [...(await dumpDatabase(server)).values()].join("\n");
  const columns = await server.sql<{ t: string; c: string }>(
    `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'bytea'`,
  );
  const found: string[] = [];
  for (const { label, digest } of digests) {
    let hit = dump.includes(digest.toString("hex"));
    for (const { t, c } of columns) {
      if (hit) break;
      const [row] = await server.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM public."${t}" WHERE position($1::bytea IN "${c}") > 0 OR encode("${c}", 'hex') LIKE '%' || $2 || '%'`,
        [digest, digest.toString("hex")],
      );
      hit = row.n > 0;
    }
    if (hit) found.push(label);
  }
  return found;
}

describe("blind indexes reveal nothing without their key", () => {
  it("the search finds a stored index (the keyed one), so it would find an unkeyed digest too", async () => {
    const keyed = server.custos.services.cipher.blindIndex("nationalId", PII.nationalId);
    expect(await unkeyedDigestsFound([{ label: "stored index", digest: keyed }])).toEqual(["stored index"]);
  });

  it("no table holds an unkeyed SHA-256, SHA-1 or MD5 of any indexed value, as bytes or hex", async () => {
    expect(UNKEYED.length).toBe(18);
    expect(await unkeyedDigestsFound(UNKEYED)).toEqual([]);
  });
});

describe("validation errors do not echo the rejected value", () => {
  const create = `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`;

  async function rawCreate(input: Record<string, unknown>): Promise<{ text: string; codes: unknown[] }> {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${agent.token}` },
      body: JSON.stringify({ query: create, variables: { i: input } }),
    });
    const text = await res.text();
    return { text, codes: ((JSON.parse(text).errors ?? []) as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code) };
  }

  it.each([
    ["phone", { fullName: "Valid Name", nationalId: "VALID1234", phone: "call Zebulon-Quixotic at home" }, "Zebulon-Quixotic"],
    ["email", { fullName: "Valid Name", nationalId: "VALID1235", email: "zebulon.quixotic(at)nowhere" }, "zebulon.quixotic"],
    ["nationalId", { fullName: "Valid Name", nationalId: "QX!7781234567!QX" }, "7781234567"],
    ["fullName", { fullName: `Zebulon ${"Q".repeat(300)}`, nationalId: "VALID1236" }, "Zebulon"],
  ])("an invalid %s is refused with BAD_USER_INPUT and not echoed", async (_field, input, secret) => {
    const { text, codes } = await rawCreate(input);
    expect(codes).toEqual(["BAD_USER_INPUT"]);
    expect(text.toLowerCase()).not.toContain(secret.toLowerCase());
  });
});

describe("logs", () => {
  it("nothing the service logged during all of the above holds any of the values", () => {
    expect(logLines.length).toBeGreaterThan(10);
    expect(leaks(logLines.join("\n").toLowerCase())).toEqual([]);
  });
});
