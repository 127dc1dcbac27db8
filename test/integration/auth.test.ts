// Login, bearer tokens and their lifetime, and the audit trail a login attempt leaves.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../src/crypto";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, errorCode } from "./api-helpers";

const LOGIN = `mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken tokenType expiresAt } }`;
const ME = `query { me { id role businessLine } }`;
const MINUTE_MS = 60_000;

let server: TestServer;
let compliance: StaffLogin;
beforeAll(async () => {
  server = await createTestServer();
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

async function loginEvents(requestId: string) {
  const events = await auditEvents(server, compliance.token, { action: "auth.login" });
  return events.filter((e) => e.requestId === requestId);
}

describe("login", () => {
  it("returns a bearer token that authenticates `me` as that user", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    const res = await server.gql(LOGIN, { e: agent.email, p: agent.password });
    expect(res.errors).toBeUndefined();
    expect(res.data!.login.tokenType).toBe("Bearer");
    expect(res.data!.login.expiresAt).toBe(new Date(server.clock.now().getTime() + 900_000).toISOString());

    const me = await server.gql(ME, {}, { token: res.data!.login.accessToken });
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({ me: { id: agent.id, role: "AGENT", businessLine: "PERSONAL_BANKING" } });
  });

  it("accepts the e-mail in another case and with surrounding spaces", async () => {
    const agent = await server.staff("AGENT", "INSURANCE");
    const res = await server.gql(LOGIN, { e: `  ${agent.email.toUpperCase()} `, p: agent.password });
    expect(res.errors).toBeUndefined();
    expect(res.data!.login.accessToken).toEqual(expect.any(String));
  });

  it("gives the same UNAUTHENTICATED answer for a wrong password and an unknown e-mail", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    const wrong = await server.gql(LOGIN, { e: agent.email, p: "not the right password" });
    const unknown = await server.gql(LOGIN, { e: "nobody.at.all@test.custos", p: "not the right password" });

    expect(errorCode(wrong)).toBe("UNAUTHENTICATED");
    expect(errorCode(unknown)).toBe("UNAUTHENTICATED");
    expect(wrong.data).toBeNull();
    expect(unknown.data).toBeNull();
    expect(unknown.errors![0].message).toBe(wrong.errors![0].message);
    expect(unknown.status).toBe(wrong.status);
  });

  it("records a wrong password as an auth.login FAILURE on that user", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    const requestId = `login-wrong-password-${agent.id}`;
    await server.gql(LOGIN, { e: agent.email, p: "not the right password" }, { headers: { "x-request-id": requestId } });

    const events = await loginEvents(requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "FAILURE", resourceType: "staff_user", resourceId: agent.id, actorId: null });
  });

  it("records an unknown e-mail as an auth.login FAILURE that holds a keyed reference, never the e-mail", async () => {
    const email = "ghost.user.4711@elsewhere.example";
    const requestId = "login-unknown-email-4711";
    await server.gql(LOGIN, { e: email, p: "whatever password" }, { headers: { "x-request-id": requestId } });

    const events = await loginEvents(requestId);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({ outcome: "FAILURE", resourceId: null, actorId: null });
    expect(event.details.subjectRef).toMatch(/^[0-9a-f]{64}$/);
    const json = JSON.stringify(event).toLowerCase();
    expect(json).not.toContain(email);
    expect(json).not.toContain("ghost.user");
    expect(json).not.toContain("elsewhere.example");
  });

  it("records a successful login as auth.login SUCCESS attributed to the user", async () => {
    const agent = await server.staff("AGENT", "CORPORATE_FINANCE");
    const requestId = `login-success-${agent.id}`;
    const res = await server.gql(LOGIN, { e: agent.email, p: agent.password }, { headers: { "x-request-id": requestId } });
    expect(res.errors).toBeUndefined();

    const events = await loginEvents(requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "SUCCESS", resourceId: agent.id, actorId: agent.id, actorRole: "AGENT" });
  });
});

describe("bearer tokens", () => {
  it.each([
    ["a string that is not a JWT", "garbage-token"],
    ["three base64 segments that are not a signed token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"],
    ["characters a bearer token cannot contain", "<script>#!"],
  ])("refuses %s with UNAUTHENTICATED and HTTP 401", async (_what, token) => {
    const res = await server.gql(ME, {}, { token });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe("UNAUTHENTICATED");
    expect(res.data).toBeNull();
  });

  it("refuses a real token whose signature was altered", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    const [header, payload, signature] = agent.token.split(".");
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    const res = await server.gql(ME, {}, { token: `${header}.${payload}.${flipped}` });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe("UNAUTHENTICATED");
  });

  it("answers a request without a token to customer(id) with UNAUTHENTICATED", async () => {
    const res = await server.gql(`query($id: ID!) { customer(id: $id) { id fullName } }`, { id: "00000000-0000-4000-8000-000000000000" });
    expect(errorCode(res)).toBe("UNAUTHENTICATED");
    expect(res.data).toBeNull();
  });

  it("keeps a token valid after 14 minutes and refuses it after 16 (default TTL 900 s)", async () => {
    const agent = await server.staff("AGENT", "SECURITIES");
    const start = server.clock.now();
    try {
      server.clock.advance(14 * MINUTE_MS);
      const at14 = await server.gql(ME, {}, { token: agent.token });
      expect(at14.errors).toBeUndefined();
      expect(at14.data!.me.id).toBe(agent.id);

      server.clock.advance(2 * MINUTE_MS);
      const at16 = await server.gql(ME, {}, { token: agent.token });
      expect(at16.status).toBe(401);
      expect(errorCode(at16)).toBe("UNAUTHENTICATED");
    } finally {
      server.clock.set(start); // the other tests' tokens were issued at `start`
    }
  });

  it("refuses the token of a user who was deactivated after logging in", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    const before = await server.gql(ME, {}, { token: agent.token });
    expect(before.data!.me.id).toBe(agent.id);

    await server.sql(`UPDATE staff_user SET active = false WHERE id = $1`, [agent.id]);
    const after = await server.gql(ME, {}, { token: agent.token });
    expect(after.status).toBe(401);
    expect(errorCode(after)).toBe("UNAUTHENTICATED");
    expect(after.data).toBeNull();
  });

  it("refuses a deactivated user's password login with the same answer as a wrong password", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    await server.sql(`UPDATE staff_user SET active = false WHERE id = $1`, [agent.id]);
    const disabled = await server.gql(LOGIN, { e: agent.email, p: agent.password });
    const wrong = await server.gql(LOGIN, { e: compliance.email, p: "not the right password" });
    expect(errorCode(disabled)).toBe("UNAUTHENTICATED");
    expect(disabled.data).toBeNull();
    expect(disabled.errors![0].message).toBe(wrong.errors![0].message);
  });
});

describe("password hashes", () => {
  it("are argon2id at the OWASP minimum, and a weaker stored hash is upgraded at the next login", async () => {
    const agent = await server.staff("AGENT", "INSURANCE");
    const [{ password_hash: fresh }] = await server.sql<{ password_hash: string }>(`SELECT password_hash FROM staff_user WHERE id = $1`, [agent.id]);
    expect(fresh).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);

    const weak = await hashPassword(agent.password, { memoryCost: 8192, timeCost: 1, parallelism: 1 });
    await server.sql(`UPDATE staff_user SET password_hash = $2 WHERE id = $1`, [agent.id, weak]);
    const res = await server.gql(LOGIN, { e: agent.email, p: agent.password });
    expect(res.errors).toBeUndefined();
    const [{ password_hash: upgraded }] = await server.sql<{ password_hash: string }>(`SELECT password_hash FROM staff_user WHERE id = $1`, [agent.id]);
    expect(upgraded).not.toBe(weak);
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });
});
