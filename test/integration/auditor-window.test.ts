// External auditors: the audit trail and chain verification, nothing about customers or cases, and only
// inside an access window (at most 90 days) that ends by itself — tokens, refreshes and logins all stop.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/clock";
import { MAX_AUDITOR_WINDOW_MS } from "../../src/services/staff.service";
import { claimsOf, login, LOGIN_SESSION, refresh } from "../support/session-helpers";
import { CLI_ACTOR } from "../support/service-client-helpers";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { AUDIT_TRAIL, auditEvents, createCustomer, errorCode } from "./api-helpers";

const MINUTE_MS = 60_000;
const ME = `query { me { id role } }`;

let server: TestServer;
let auditor: StaffLogin; // a 30-day window
let compliance: StaffLogin;
let agent: StaffLogin;
let customerId: string;
let caseId: string;
beforeAll(async () => {
  server = await createTestServer();
  auditor = await server.staff("AUDITOR");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  agent = await server.staff("AGENT", "SECURITIES");
  customerId = (await createCustomer(server, agent.token)).id;
  const opened = await server.gql(
    `mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`,
    { i: { customerId, channel: "APP", kind: "INQUIRY", category: "fees", complexity: "COMMON", businessLine: "SECURITIES", summary: "Asks about custody fees" } },
    { token: agent.token },
  );
  expect(opened.errors).toBeUndefined();
  caseId = opened.data!.openCase.id;
});
afterAll(() => server?.stop());

let counter = 0;
const newEmail = () => `auditor.window.${++counter}.${process.pid}@test.custos`;
const PASSWORD = "an auditor's long passphrase";

/** Counts staff_user rows with this e-mail (a refused add must leave none). */
async function accounts(email: string): Promise<number> {
  const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM staff_user WHERE email = $1`, [email]);
  return n;
}

describe("inside the window", () => {
  it("reads the audit trail and verifies the chain", async () => {
    const trail = await server.gql(AUDIT_TRAIL, { f: { resourceId: customerId }, first: 10 }, { token: auditor.token });
    expect(trail.errors).toBeUndefined();
    expect(trail.data!.auditTrail.totalCount).toBeGreaterThan(0);
    const verify = await server.gql(`{ verifyAuditChain { ok checked firstBadSeq } }`, {}, { token: auditor.token });
    expect(verify.errors).toBeUndefined();
    expect(verify.data!.verifyAuditChain).toMatchObject({ ok: true, firstBadSeq: null });
    expect(verify.data!.verifyAuditChain.checked).toBeGreaterThan(0);
  });

  it.each([
    ["customer", `query($id: ID!) { customer(id: $id) { id } }`, () => ({ id: customerId })],
    ["customers", `{ customers(first: 5) { totalCount } }`, () => ({})],
    ["case", `query($id: ID!) { case(id: $id) { id } }`, () => ({ id: caseId })],
    ["cases", `{ cases(first: 5) { totalCount } }`, () => ({})],
  ])("is refused %s with FORBIDDEN, audited DENIED", async (_what, query, variables) => {
    const requestId = `auditor-${randomUUID()}`;
    const res = await server.gql(query, variables(), { token: auditor.token, purpose: "AUDIT", headers: { "x-request-id": requestId } });
    expect(errorCode(res)).toBe("FORBIDDEN");
    expect(res.data).toBeNull();
    const events = (await auditEvents(server, compliance.token, { actorId: auditor.id })).filter((e) => e.requestId === requestId);
    expect(events).toEqual([expect.objectContaining({ outcome: "DENIED", actorRole: "AUDITOR" })]);
  });
});

describe("creating an auditor", () => {
  const add = (email: string, role: string, accessExpiresAt: Date | null | undefined) =>
    server.custos.services.staff.add(CLI_ACTOR, { email, role, password: PASSWORD, accessExpiresAt });

  it("refuses an AUDITOR without an expiry", async () => {
    for (const expiry of [null, undefined]) {
      const email = newEmail();
      await expect(add(email, "AUDITOR", expiry)).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field: "accessExpiresAt" } });
      expect(await accounts(email)).toBe(0);
    }
  });

  it("refuses an expiry more than 90 days ahead, or not in the future; accepts exactly 90 days", async () => {
    const now = server.clock.now().getTime();
    for (const at of [now + MAX_AUDITOR_WINDOW_MS + 1, now + 365 * DAY_MS, now, now - DAY_MS]) {
      const email = newEmail();
      await expect(add(email, "AUDITOR", new Date(at))).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field: "accessExpiresAt" } });
      expect(await accounts(email)).toBe(0);
    }
    expect(MAX_AUDITOR_WINDOW_MS).toBe(90 * DAY_MS);
    const email = newEmail();
    const ok = await add(email, "AUDITOR", new Date(now + MAX_AUDITOR_WINDOW_MS));
    expect(ok.role).toBe("AUDITOR");
    expect(await accounts(email)).toBe(1);
  });

  it.each(["AGENT", "TEAM_LEAD", "COMPLIANCE_OFFICER", "SECURITY_ANALYST", "ADMIN"])("refuses an expiry for %s", async (role) => {
    const email = newEmail();
    const line = role === "AGENT" || role === "TEAM_LEAD" ? "INSURANCE" : null;
    const res = server.custos.services.staff.add(CLI_ACTOR, { email, role, businessLine: line, password: PASSWORD, accessExpiresAt: new Date(server.clock.now().getTime() + DAY_MS) });
    await expect(res).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field: "accessExpiresAt" } });
    expect(await accounts(email)).toBe(0);
  });
});

// Last: this moves the clock.
describe("when the window ends", () => {
  it("refuses the auditor's live token, refresh token and password at once, and audits the login as access_expired", async () => {
    const email = newEmail();
    const expiresAt = new Date(server.clock.now().getTime() + 10 * MINUTE_MS);
    const short = await server.custos.services.staff.add(CLI_ACTOR, { email, role: "AUDITOR", password: PASSWORD, accessExpiresAt: expiresAt });
    const session = await login(server, email, PASSWORD);
    expect((await server.gql(ME, {}, { token: session.accessToken })).errors).toBeUndefined();

    server.clock.set(expiresAt);
    // The token itself is still unexpired: the window is what refuses it.
    expect(claimsOf(session.accessToken).exp * 1000).toBeGreaterThan(server.clock.now().getTime());
    const res = await server.gql(ME, {}, { token: session.accessToken });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe("UNAUTHENTICATED");
    expect(res.data).toBeNull();
    expect(errorCode(await refresh(server, session.refreshToken))).toBe("UNAUTHENTICATED");

    const requestId = `expired-login-${randomUUID()}`;
    const again = await server.gql(LOGIN_SESSION, { e: email, p: PASSWORD }, { headers: { "x-request-id": requestId } });
    expect(errorCode(again)).toBe("UNAUTHENTICATED");
    expect(again.data).toBeNull();
    const officer = await server.staff("COMPLIANCE_OFFICER");
    const logins = (await auditEvents(server, officer.token, { action: "auth.login", resourceId: short.id })).filter((e) => e.requestId === requestId);
    expect(logins).toEqual([expect.objectContaining({ outcome: "FAILURE", details: expect.objectContaining({ reason: "access_expired" }) })]);
    const refreshes = await auditEvents(server, officer.token, { action: "auth.refresh", resourceId: short.id });
    expect(refreshes).toEqual([expect.objectContaining({ outcome: "FAILURE", details: expect.objectContaining({ reason: "access_expired" }) })]);
  });

  it("ends the 30-day auditor's access once the clock passes access_expires_at", async () => {
    const [{ access_expires_at }] = await server.sql<{ access_expires_at: Date }>(`SELECT access_expires_at FROM staff_user WHERE id = $1`, [auditor.id]);
    server.clock.set(new Date(access_expires_at.getTime() + 1));
    expect(errorCode(await server.gql(ME, {}, { token: auditor.token }))).toBe("UNAUTHENTICATED");
    const again = await server.gql(LOGIN_SESSION, { e: auditor.email, p: auditor.password });
    expect(errorCode(again)).toBe("UNAUTHENTICATED");
    const officer = await server.staff("COMPLIANCE_OFFICER");
    const logins = await auditEvents(server, officer.token, { action: "auth.login", resourceId: auditor.id });
    expect(logins.at(-1)).toMatchObject({ outcome: "FAILURE", details: expect.objectContaining({ reason: "access_expired" }) });
  });
});
