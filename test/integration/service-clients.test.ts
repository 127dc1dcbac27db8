// Internal apps: registration, the client-credentials token endpoint (Basic and form), refusals and their
// audit events, and what a SERVICE token may do — exactly what its scopes grant, PII full only with
// `customers:read:pii` and a stated purpose, nothing that belongs to a person's account.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimsOf } from "../support/session-helpers";
import { registerClient, requestToken, serviceLogin, type RegisteredClient } from "../support/service-client-helpers";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, AUDIT_TRAIL, CREATE_CUSTOMER, createCustomer, CUSTOMER_FIELDS, errorCode, uniqueCustomer, type CustomerInput } from "./api-helpers";

const READ = `query ReadCustomer($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`;
const ME = `query { me { id role kind scopes businessLine teamId } }`;
const LOGOUT = `mutation { logout }`;
const CHANGE_PASSWORD = `mutation Change($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
const GRANT = { grant_type: "client_credentials" };

let server: TestServer;
let agent: StaffLogin; // PERSONAL_BANKING: creates the customers the apps read
let compliance: StaffLogin;
let customer: { id: string; input: CustomerInput };
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  customer = await createCustomer(
    server,
    agent.token,
    uniqueCustomer({ fullName: "Wang Zhiyuan", phone: "+86 138 0000 1001", email: "zhiyuan.wang@example.org", address: "12 Jianguo Road, Beijing" }),
  );
});
afterAll(() => server?.stop());

/** The customer as a reader that may see it only masked sees it. */
function maskedCustomer() {
  const { input } = customer;
  return { fullName: "W*** Z***", nationalId: `****${input.nationalId.slice(-4)}`, phone: "861****1001", email: "z***@example.org", address: "***" };
}

/** auth.client_credentials events of one request (x-request-id), read as compliance. */
async function credentialEvents(requestId: string) {
  return (await auditEvents(server, compliance.token, { action: "auth.client_credentials" })).filter((e) => e.requestId === requestId);
}

describe("registration", () => {
  it("stores the secret only as an argon2id hash, with the scopes given, active", async () => {
    const client = await registerClient(server, ["customers:read", "cases:read"]);
    expect(client.clientId).toMatch(/^svc_[A-Za-z0-9_-]{8,64}$/);
    const rows = await server.sql<{ client_id: string; secret_hash: string; scopes: string[]; active: boolean }>(
      `SELECT client_id, secret_hash, scopes, active FROM service_client WHERE id = $1`,
      [client.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ client_id: client.clientId, scopes: ["customers:read", "cases:read"], active: true });
    expect(rows[0].secret_hash).toMatch(/^\$argon2id\$v=19\$(?=[^$]*m=\d+)(?=[^$]*t=\d+)(?=[^$]*p=\d+)[mtp=\d,]+\$/);
    expect(rows[0].secret_hash).not.toContain(client.clientSecret);
    // No column of any row holds the secret in clear.
    const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM service_client s WHERE s::text LIKE $1`, [`%${client.clientSecret}%`]);
    expect(n).toBe(0);
  });

  it("refuses an unknown scope and an empty scope list with BAD_USER_INPUT", async () => {
    await expect(registerClient(server, ["customers:read", "everything"])).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    await expect(registerClient(server, [])).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  });
});

describe("POST /oauth/token", () => {
  let client: RegisteredClient;
  beforeAll(async () => {
    client = await registerClient(server, ["customers:read", "cases:read"]);
  });

  it("issues a 900-second Bearer token for HTTP Basic credentials, not cacheable", async () => {
    const res = await requestToken(server, GRANT, { basic: { id: client.clientId, secret: client.clientSecret } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: "Bearer", expires_in: 900, scope: "customers:read cases:read" });
    const claims = claimsOf(res.body.access_token as string);
    expect(claims).toMatchObject({ sub: client.id, role: "SERVICE" });
    expect(claims.exp - claims.iat).toBe(900);
    // A machine identity has no session.
    expect(claims).not.toHaveProperty("sid");
  });

  it("issues one for client_id and client_secret in the form body too", async () => {
    const res = await requestToken(server, { ...GRANT, client_id: client.clientId, client_secret: client.clientSecret });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 900, scope: "customers:read cases:read" });
    const me = await server.gql(ME, {}, { token: res.body.access_token as string });
    expect(me.errors).toBeUndefined();
    expect(me.data!.me.id).toBe(client.id);
  });

  it("answers a wrong secret and an unknown client alike, 401 invalid_client, and audits both as FAILURE", async () => {
    const wrongId = `wrong-${randomUUID()}`;
    const wrong = await requestToken(server, GRANT, { basic: { id: client.clientId, secret: "not-the-secret" }, headers: { "x-request-id": wrongId } });
    const unknownId = `unknown-${randomUUID()}`;
    const unknown = await requestToken(server, { ...GRANT, client_id: "svc_nobodyHasThisId", client_secret: client.clientSecret }, { headers: { "x-request-id": unknownId } });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("invalid_client");
      expect(res.body).not.toHaveProperty("access_token");
    }
    expect(unknown.body).toEqual(wrong.body);

    const [wrongEvents, unknownEvents] = [await credentialEvents(wrongId), await credentialEvents(unknownId)];
    expect(wrongEvents).toEqual([expect.objectContaining({ outcome: "FAILURE", resourceType: "service_client", resourceId: client.id, actorId: null, details: { reason: "bad_secret" } })]);
    expect(unknownEvents).toEqual([expect.objectContaining({ outcome: "FAILURE", resourceType: "service_client", resourceId: null, actorId: null, details: { reason: "unknown_client" } })]);
    expect(JSON.stringify([wrongEvents, unknownEvents])).not.toContain(client.clientSecret);
  });

  it("audits a successful exchange with the client as actor and its scopes", async () => {
    const requestId = `ok-${randomUUID()}`;
    const res = await requestToken(server, GRANT, { basic: { id: client.clientId, secret: client.clientSecret }, headers: { "x-request-id": requestId } });
    expect(res.status).toBe(200);
    expect(await credentialEvents(requestId)).toEqual([
      expect.objectContaining({ outcome: "SUCCESS", resourceId: client.id, actorId: client.id, actorRole: "SERVICE", details: { scopes: "customers:read,cases:read" } }),
    ]);
  });

  it("refuses any other grant type with 400 unsupported_grant_type, whatever the credentials", async () => {
    const forms: Array<Record<string, string>> = [{ grant_type: "password", username: "x", password: "y" }, { grant_type: "authorization_code", code: "abc" }, {}];
    for (const form of forms) {
      const res = await requestToken(server, form, { basic: { id: client.clientId, secret: client.clientSecret } });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("unsupported_grant_type");
      expect(res.body).not.toHaveProperty("access_token");
    }
  });

  it("refuses a request without any client credentials with 401 invalid_client", async () => {
    const res = await requestToken(server, GRANT);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("invalid_client");
  });
});

describe("what a SERVICE token may do", () => {
  it("shows the caller as SERVICE, kind SERVICE, with exactly its scopes", async () => {
    const app = await serviceLogin(server, ["customers:read", "audit:read"]);
    const res = await server.gql(ME, {}, { token: app.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toEqual({ id: app.id, role: "SERVICE", kind: "SERVICE", scopes: ["customers:read", "audit:read"], businessLine: null, teamId: null });
  });

  it("with customers:read reads customers with PII masked even with a purpose, and may not create one", async () => {
    const app = await serviceLogin(server, ["customers:read"]);
    const read = await server.gql(READ, { id: customer.id }, { token: app.token, purpose: "CUSTOMER_REQUEST" });
    expect(read.errors).toBeUndefined();
    expect(read.data!.customer).toMatchObject({ id: customer.id, ...maskedCustomer() });

    const before = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM customer`);
    const create = await server.gql(CREATE_CUSTOMER, { i: uniqueCustomer() }, { token: app.token });
    expect(errorCode(create)).toBe("FORBIDDEN");
    expect(create.data).toBeNull();
    expect(await server.sql(`SELECT count(*)::int AS n FROM customer`)).toEqual(before);
  });

  it("with customers:write creates customers", async () => {
    const app = await serviceLogin(server, ["customers:write"]);
    const res = await server.gql(CREATE_CUSTOMER, { i: uniqueCustomer() }, { token: app.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createCustomer.id).toEqual(expect.any(String));
  });

  it("with customers:read:pii sees PII in full with a purpose and masked without one, each read audited", async () => {
    const app = await serviceLogin(server, ["customers:read:pii"]);
    const full = await server.gql(READ, { id: customer.id }, { token: app.token, purpose: "CUSTOMER_REQUEST" });
    expect(full.errors).toBeUndefined();
    expect(full.data!.customer).toMatchObject({ id: customer.id, ...customer.input });

    const requestId = `svc-masked-${randomUUID()}`;
    const masked = await server.gql(READ, { id: customer.id }, { token: app.token, purpose: null, headers: { "x-request-id": requestId } });
    expect(masked.errors).toBeUndefined();
    expect(masked.data!.customer).toMatchObject({ id: customer.id, ...maskedCustomer() });
    const events = (await auditEvents(server, compliance.token, { actorId: app.id, action: "customer.read" })).filter((e) => e.requestId === requestId);
    expect(events).toEqual([expect.objectContaining({ outcome: "SUCCESS", actorRole: "SERVICE", details: { masked: "address,email,fullName,nationalId,phone" } })]);
  });

  it("with audit:read only may read the audit trail but no customer", async () => {
    const app = await serviceLogin(server, ["audit:read"]);
    const read = await server.gql(READ, { id: customer.id }, { token: app.token });
    expect(errorCode(read)).toBe("FORBIDDEN");
    expect(read.data).toBeNull();
    const list = await server.gql(`{ customers(first: 5) { totalCount } }`, {}, { token: app.token });
    expect(errorCode(list)).toBe("FORBIDDEN");

    const trail = await server.gql(AUDIT_TRAIL, { f: { resourceId: customer.id }, first: 5 }, { token: app.token });
    expect(trail.errors).toBeUndefined();
    expect(trail.data!.auditTrail.totalCount).toBeGreaterThan(0);
  });

  it("follows the client row: changed scopes apply to a token already issued", async () => {
    const app = await serviceLogin(server, ["customers:read"]);
    expect((await server.gql(READ, { id: customer.id }, { token: app.token })).errors).toBeUndefined();
    await server.sql(`UPDATE service_client SET scopes = ARRAY['audit:read'] WHERE id = $1`, [app.id]);
    expect(errorCode(await server.gql(READ, { id: customer.id }, { token: app.token }))).toBe("FORBIDDEN");
  });

  it("stops working at once when the client is deactivated, and the client gets no new token", async () => {
    const app = await serviceLogin(server, ["customers:read"]);
    expect((await server.gql(ME, {}, { token: app.token })).errors).toBeUndefined();
    await server.sql(`UPDATE service_client SET active = false WHERE id = $1`, [app.id]);

    const res = await server.gql(ME, {}, { token: app.token });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe("UNAUTHENTICATED");
    expect(res.data).toBeNull();

    const requestId = `disabled-${randomUUID()}`;
    const exchange = await requestToken(server, GRANT, { basic: { id: app.clientId, secret: app.clientSecret }, headers: { "x-request-id": requestId } });
    expect(exchange.status).toBe(401);
    expect(exchange.body.error).toBe("invalid_client");
    expect(await credentialEvents(requestId)).toEqual([expect.objectContaining({ outcome: "FAILURE", resourceId: app.id, details: { reason: "disabled_client" } })]);
  });

  it("cannot log out or change a password (it has neither a session nor a password); nothing changes", async () => {
    const app = await serviceLogin(server, ["customers:read"]);
    const rowBefore = await server.sql(`SELECT * FROM service_client WHERE id = $1`, [app.id]);
    const staffBefore = await server.sql(`SELECT id, password_hash, tokens_valid_after FROM staff_user ORDER BY id`);
    const refreshBefore = await server.sql(`SELECT id, revoked_at FROM refresh_token ORDER BY id`);

    const logout = await server.gql(LOGOUT, {}, { token: app.token });
    expect(logout.errors).toHaveLength(1);
    expect(["FORBIDDEN", "BAD_USER_INPUT", "UNAUTHENTICATED"]).toContain(errorCode(logout));
    expect(logout.data).toBeNull();
    const change = await server.gql(CHANGE_PASSWORD, { c: app.clientSecret, n: "a brand new passphrase for the app" }, { token: app.token });
    expect(change.errors).toHaveLength(1);
    expect(["FORBIDDEN", "BAD_USER_INPUT", "UNAUTHENTICATED"]).toContain(errorCode(change));
    expect(change.data).toBeNull();

    // The token still works, the client's row and every account and session are as they were, and no
    // logout or password change succeeded for it.
    expect((await server.gql(READ, { id: customer.id }, { token: app.token })).errors).toBeUndefined();
    expect(await server.sql(`SELECT * FROM service_client WHERE id = $1`, [app.id])).toEqual(rowBefore);
    expect(await server.sql(`SELECT id, password_hash, tokens_valid_after FROM staff_user ORDER BY id`)).toEqual(staffBefore);
    expect(await server.sql(`SELECT id, revoked_at FROM refresh_token ORDER BY id`)).toEqual(refreshBefore);
    const successes = await server.sql(
      `SELECT action FROM audit_event WHERE actor_id = $1 AND action IN ('auth.logout', 'staff.password.change') AND outcome = 'SUCCESS'`,
      [app.id],
    );
    expect(successes).toEqual([]);
    const exchange = await requestToken(server, GRANT, { basic: { id: app.clientId, secret: app.clientSecret } });
    expect(exchange.status).toBe(200);
  });
});
