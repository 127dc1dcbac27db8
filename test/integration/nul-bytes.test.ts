// PENDING (rename to nul-bytes.test.ts once fixed): a NUL character in a value that reaches SQL as text
// makes PostgreSQL fail the statement (22021, invalid byte sequence), which surfaces as INTERNAL.
// Serious for login: src/services/auth.service.ts login() passes the normalised e-mail straight to
// `lower(u.email) = :email` (line 42), so the statement throws before recordStandalone — an
// unauthenticated caller gets a distinguishable answer and the attempt leaves no auth.login event.
// Minor for the trail: AuditService.trail (src/services/audit.service.ts lines 42-46) does the same
// with the resourceType, resourceId and action filters.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { AUDIT_TRAIL, auditEvents, errorCode } from "./api-helpers";

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`;

let server: TestServer;
let compliance: StaffLogin;
beforeAll(async () => {
  server = await createTestServer();
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

describe("a NUL character", () => {
  it("in a login e-mail gets the ordinary failed-login answer", async () => {
    const wrong = await server.gql(LOGIN, { e: compliance.email, p: "not the right password" });
    const res = await server.gql(LOGIN, { e: "nul\u0000user@example.test", p: "not the right password" });
    expect(errorCode(res)).toBe("UNAUTHENTICATED");
    expect(res.data).toBeNull();
    expect(res.errors![0].message).toBe(wrong.errors![0].message);
  });

  it("in a login e-mail still leaves an auth.login FAILURE event", async () => {
    const requestId = "nul-login-attempt";
    await server.gql(LOGIN, { e: "nul\u0000user@example.test", p: "not the right password" }, { headers: { "x-request-id": requestId } });
    const events = (await auditEvents(server, compliance.token, { action: "auth.login" })).filter((e) => e.requestId === requestId);
    expect(events).toEqual([expect.objectContaining({ outcome: "FAILURE", resourceId: null })]);
    expect(JSON.stringify(events)).not.toContain("example.test");
  });

  it.each(["action", "resourceType", "resourceId"])("in the trail's %s filter is not an INTERNAL error", async (key) => {
    const res = await server.gql(AUDIT_TRAIL, { f: { [key]: "x\u0000y" }, first: 5 }, { token: compliance.token });
    if (res.errors) expect(errorCode(res)).toBe("BAD_USER_INPUT");
    else expect(res.data!.auditTrail.totalCount).toBe(0);
  });
});
