// Sessions over HTTP: refresh-token rotation and reuse detection, the session's absolute lifetime, logout,
// password change, deactivation by an ADMIN, concurrent refreshes, and the JWKS across a key rotation.
// The clock only moves forward here; every test logs its users in afresh.
import { createHash, randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../../src/cli";
import { DAY_MS, HOUR_MS } from "../../src/clock";
import { SIGNING_KEYS_RECHECK_MS } from "../../src/crypto";
import { rotateSigningKeys } from "../../src/services/key-rotation.service";
import { SESSION_LIFETIME_MS } from "../../src/services/session.service";
import { claimsOf, headerOf, login, LOGIN_SESSION, LOGOUT, ME, refresh, sessionOf, signingKeysOnDisk } from "../support/session-helpers";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, errorCode } from "./api-helpers";

const CHANGE_PASSWORD = `mutation Change($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
const SET_ACTIVE = `mutation SetActive($id: ID!, $a: Boolean!) { setStaffUserActive(id: $id, active: $a) }`;
const NEW_PASSWORD = "an entirely fresh passphrase 2026";

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(() => server?.stop());

/** Events of `action` for one request, read as a (freshly logged-in) compliance officer. */
async function eventsOf(action: string, requestId: string) {
  const officer = await server.staff("COMPLIANCE_OFFICER");
  return (await auditEvents(server, officer.token, { action })).filter((e) => e.requestId === requestId);
}

async function expectTokenRefused(token: string) {
  const res = await server.gql(ME, {}, { token });
  expect(res.status).toBe(401);
  expect(errorCode(res)).toBe("UNAUTHENTICATED");
  expect(res.data).toBeNull();
}

async function expectTokenAccepted(token: string, id: string) {
  const res = await server.gql(ME, {}, { token });
  expect(res.errors).toBeUndefined();
  expect(res.data!.me.id).toBe(id);
}

async function expectRefreshRefused(refreshToken: string) {
  const res = await refresh(server, refreshToken);
  expect(errorCode(res)).toBe("UNAUTHENTICATED");
  expect(res.data).toBeNull();
}

describe("login", () => {
  it("returns an opaque refresh token valid for 12 hours, stored only as its SHA-256", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    const s = await login(server, agent.email, agent.password);
    expect(s.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s.refreshToken, "base64url")).toHaveLength(32);
    expect(s.refreshExpiresAt).toBe(new Date(server.clock.now().getTime() + 12 * HOUR_MS).toISOString());
    expect(SESSION_LIFETIME_MS).toBe(12 * HOUR_MS);
    expect(claimsOf(s.accessToken).sid).toMatch(/^[0-9a-f-]{36}$/);

    const rows = await server.sql<{ family_id: string; token_hash: Buffer; row: string }>(
      `SELECT family_id, token_hash, row_to_json(r)::text AS row FROM refresh_token r WHERE staff_id = $1`,
      [agent.id],
    );
    const mine = rows.filter((r) => r.family_id === s.sid);
    expect(mine).toHaveLength(1);
    expect(mine[0].token_hash.equals(createHash("sha256").update(s.refreshToken).digest())).toBe(true);
    for (const r of rows) expect(r.row).not.toContain(s.refreshToken);
  });
});

describe("refreshSession", () => {
  it("rotates: the new pair works, the spent refresh token does not, and the session's end does not move", async () => {
    const agent = await server.staff("AGENT", "INSURANCE");
    const first = await login(server, agent.email, agent.password);
    server.clock.advance(10 * 60_000);

    const second = sessionOf(await refresh(server, first.refreshToken));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.sid).toBe(first.sid);
    expect(second.refreshExpiresAt).toBe(first.refreshExpiresAt);
    await expectTokenAccepted(second.accessToken, agent.id);

    const third = sessionOf(await refresh(server, second.refreshToken));
    await expectTokenAccepted(third.accessToken, agent.id);
    await expectRefreshRefused(first.refreshToken);
  });

  it("revokes the whole family when a spent refresh token is presented again, and audits it as DENIED reuse", async () => {
    const agent = await server.staff("AGENT", "SECURITIES");
    const first = await login(server, agent.email, agent.password);
    const second = sessionOf(await refresh(server, first.refreshToken));
    await expectTokenAccepted(second.accessToken, agent.id);

    const requestId = `reuse-${randomUUID()}`;
    const replay = await refresh(server, first.refreshToken, { "x-request-id": requestId });
    expect(errorCode(replay)).toBe("UNAUTHENTICATED");

    // The token it was rotated into and every access token of the family stop working.
    await expectRefreshRefused(second.refreshToken);
    await expectTokenRefused(second.accessToken);
    await expectTokenRefused(first.accessToken);
    const rows = await server.sql<{ revoked_reason: string | null }>(`SELECT revoked_reason FROM refresh_token WHERE family_id = $1`, [first.sid]);
    expect(rows.map((r) => r.revoked_reason).sort()).toEqual(["reuse", "reuse"]);

    const events = await eventsOf("auth.refresh", requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "DENIED", resourceType: "staff_user", resourceId: agent.id, details: { reason: "reuse", familyId: first.sid } });

    // Another session of the same account is not touched.
    const other = await login(server, agent.email, agent.password);
    await expectTokenAccepted(other.accessToken, agent.id);
  });

  it("refuses a session past its 12-hour absolute lifetime, however recently it was refreshed", async () => {
    const agent = await server.staff("AGENT", "CORPORATE_FINANCE");
    const first = await login(server, agent.email, agent.password);
    server.clock.advance(12 * HOUR_MS - 60_000);
    const late = sessionOf(await refresh(server, first.refreshToken));
    expect(late.refreshExpiresAt).toBe(first.refreshExpiresAt);

    server.clock.advance(60_000);
    const requestId = `expired-${randomUUID()}`;
    const res = await refresh(server, late.refreshToken, { "x-request-id": requestId });
    expect(errorCode(res)).toBe("UNAUTHENTICATED");
    const events = await eventsOf("auth.refresh", requestId);
    expect(events.map((e) => [e.outcome, e.details.reason])).toEqual([["FAILURE", "expired"]]);
  });

  it("refuses refresh tokens that were never issued, and audits the attempt", async () => {
    const requestId = `unknown-${randomUUID()}`;
    for (const token of ["A".repeat(43), "not a token", ""]) {
      const res = await refresh(server, token, { "x-request-id": requestId });
      expect(errorCode(res)).toBe("UNAUTHENTICATED");
    }
    const events = await eventsOf("auth.refresh", requestId);
    expect(events.map((e) => [e.outcome, e.details.reason])).toEqual(Array(3).fill(["FAILURE", "unknown_token"]));
  });

  it("lets exactly one of two concurrent refreshes of one token succeed", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    for (let round = 0; round < 5; round++) {
      const s = await login(server, agent.email, agent.password);
      const results = await Promise.all([refresh(server, s.refreshToken), refresh(server, s.refreshToken)]);
      const codes = results.map((r) => (r.errors ? errorCode(r) : "OK")).sort();
      expect(codes).toEqual(["OK", "UNAUTHENTICATED"]);
      // The loser presented a spent token: the family is revoked, the winner's new tokens included.
      const winner = sessionOf(results.find((r) => !r.errors)!);
      await expectTokenRefused(winner.accessToken);
    }
  });
});

describe("logout", () => {
  it("ends the caller's session: its access token and its refresh token; other sessions stay", async () => {
    const agent = await server.staff("AGENT", "INSURANCE");
    const a = await login(server, agent.email, agent.password);
    const b = await login(server, agent.email, agent.password);
    const out = await server.gql(LOGOUT, {}, { token: a.accessToken });
    expect(out.errors).toBeUndefined();
    expect(out.data).toEqual({ logout: true });

    await expectTokenRefused(a.accessToken);
    await expectRefreshRefused(a.refreshToken);
    await expectTokenAccepted(b.accessToken, agent.id);
    const rows = await server.sql<{ revoked_reason: string }>(`SELECT revoked_reason FROM refresh_token WHERE family_id = $1`, [a.sid]);
    expect(rows[0].revoked_reason).toBe("logout");
  });

  it("needs an access token", async () => {
    const res = await server.gql(LOGOUT);
    expect(errorCode(res)).toBe("UNAUTHENTICATED");
  });
});

describe("changePassword", () => {
  // A wrong current password is BAD_USER_INPUT (field currentPassword): the session is valid, the input is not.
  it("refuses a wrong current password with BAD_USER_INPUT, audited, and changes nothing", async () => {
    const agent = await server.staff("AGENT", "SECURITIES");
    const requestId = `change-wrong-${randomUUID()}`;
    const res = await server.gql(CHANGE_PASSWORD, { c: "not my password at all", n: NEW_PASSWORD }, { token: agent.token, headers: { "x-request-id": requestId } });
    expect(errorCode(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].extensions!.field).toBe("currentPassword");
    expect(res.data).toBeNull();
    await expectTokenAccepted(agent.token, agent.id);
    expect((await server.gql(LOGIN_SESSION, { e: agent.email, p: agent.password })).errors).toBeUndefined();
    const events = await eventsOf("staff.password.change", requestId);
    expect(events.map((e) => [e.outcome, e.details.reason, e.actorId])).toEqual([["FAILURE", "bad_current_password", agent.id]]);
  });

  it("refuses a new password that breaks the policy with BAD_USER_INPUT", async () => {
    const agent = await server.staff("AGENT", "SECURITIES");
    for (const weak of ["short", "password123456"]) {
      const res = await server.gql(CHANGE_PASSWORD, { c: agent.password, n: weak }, { token: agent.token });
      expect(errorCode(res)).toBe("BAD_USER_INPUT");
      expect(res.errors![0].extensions!.field).toBe("newPassword");
    }
    await expectTokenAccepted(agent.token, agent.id);
  });

  it("sets the new password and voids every token issued before it; the new password logs in", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    const other = await login(server, agent.email, agent.password);
    server.clock.advance(2_000);
    const requestId = `change-ok-${randomUUID()}`;
    const res = await server.gql(CHANGE_PASSWORD, { c: agent.password, n: NEW_PASSWORD }, { token: agent.token, headers: { "x-request-id": requestId } });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ changePassword: true });

    await expectTokenRefused(agent.token);
    await expectTokenRefused(other.accessToken);
    await expectRefreshRefused(other.refreshToken);
    expect(errorCode(await server.gql(LOGIN_SESSION, { e: agent.email, p: agent.password }))).toBe("UNAUTHENTICATED");
    const fresh = await login(server, agent.email, NEW_PASSWORD);
    await expectTokenAccepted(fresh.accessToken, agent.id);

    const [row] = await server.sql<{ password_changed_at: Date; tokens_valid_after: Date }>(
      `SELECT password_changed_at, tokens_valid_after FROM staff_user WHERE id = $1`,
      [agent.id],
    );
    expect(row.password_changed_at.toISOString()).toBe(server.clock.now().toISOString());
    expect(row.tokens_valid_after.toISOString()).toBe(server.clock.now().toISOString());
    const events = await eventsOf("staff.password.change", requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "SUCCESS", actorId: agent.id, resourceId: agent.id, details: { revokedSessions: 2 } });
  });
});

describe("setStaffUserActive", () => {
  it("lets an ADMIN deactivate an account (every token stops at once) and reactivate it (new logins only)", async () => {
    const admin = await server.staff("ADMIN");
    const agent = await server.staff("AGENT", "CORPORATE_FINANCE");
    const s = await login(server, agent.email, agent.password);
    const requestId = `disable-${randomUUID()}`;
    const off = await server.gql(SET_ACTIVE, { id: agent.id, a: false }, { token: admin.token, headers: { "x-request-id": requestId } });
    expect(off.errors).toBeUndefined();
    expect(off.data).toEqual({ setStaffUserActive: true });

    await expectTokenRefused(agent.token);
    await expectTokenRefused(s.accessToken);
    await expectRefreshRefused(s.refreshToken);
    expect(errorCode(await server.gql(LOGIN_SESSION, { e: agent.email, p: agent.password }))).toBe("UNAUTHENTICATED");
    const disabled = await eventsOf("staff.disable", requestId);
    expect(disabled.map((e) => [e.outcome, e.actorId, e.resourceId])).toEqual([["SUCCESS", admin.id, agent.id]]);

    server.clock.advance(1_000);
    const on = await server.gql(SET_ACTIVE, { id: agent.id, a: true }, { token: admin.token });
    expect(on.data).toEqual({ setStaffUserActive: true });
    await expectTokenRefused(s.accessToken);
    const again = await login(server, agent.email, agent.password);
    await expectTokenAccepted(again.accessToken, agent.id);
  });

  it("refuses an AGENT with FORBIDDEN, audits the attempt as DENIED and changes nothing", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    const target = await server.staff("AGENT", "PERSONAL_BANKING");
    const requestId = `disable-denied-${randomUUID()}`;
    const res = await server.gql(SET_ACTIVE, { id: target.id, a: false }, { token: agent.token, headers: { "x-request-id": requestId } });
    expect(errorCode(res)).toBe("FORBIDDEN");
    expect(res.data).toBeNull();
    await expectTokenAccepted(target.token, target.id);
    const events = await eventsOf("staff.disable", requestId);
    expect(events.map((e) => [e.outcome, e.actorId, e.resourceId])).toEqual([["DENIED", agent.id, target.id]]);
  });

  it("answers an unknown id with NOT_FOUND and refuses an ADMIN deactivating itself", async () => {
    const admin = await server.staff("ADMIN");
    expect(errorCode(await server.gql(SET_ACTIVE, { id: randomUUID(), a: false }, { token: admin.token }))).toBe("NOT_FOUND");
    expect(errorCode(await server.gql(SET_ACTIVE, { id: "not-a-uuid", a: false }, { token: admin.token }))).toBe("NOT_FOUND");
    expect(errorCode(await server.gql(SET_ACTIVE, { id: admin.id, a: false }, { token: admin.token }))).toBe("BAD_USER_INPUT");
    await expectTokenAccepted(admin.token, admin.id);
  });
});

describe("GET /.well-known/jwks.json", () => {
  const fetchJwks = async () => {
    const res = await fetch(new URL("/.well-known/jwks.json", server.url));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    return ((await res.json()) as { keys: Array<Record<string, string>> }).keys;
  };

  it("publishes the current key, then both kids after a rotation, then only the new one after the grace period", async () => {
    const agent = await server.staff("AGENT", "INSURANCE");
    const before = await fetchJwks();
    expect(before).toHaveLength(1);
    const oldKid = before[0].kid;
    expect(before[0]).toEqual({ kty: "OKP", crv: "Ed25519", x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), kid: oldKid, alg: "EdDSA", use: "sig" });
    expect(headerOf(agent.token).kid).toBe(oldKid);

    const actor = { principal: null, ability: null, meta: { requestId: `rotate-${randomUUID()}`, operation: "test", clientAddress: null, purpose: null } };
    const grace = server.custos.config.accessTokenTtlSeconds;
    const rotation = await rotateSigningKeys({ store: server.custos.services.store, clock: server.clock, keysFile: server.custos.config.keysFile, graceSeconds: grace }, actor);
    server.clock.advance(SIGNING_KEYS_RECHECK_MS);

    const both = await fetchJwks();
    expect(both.map((k) => k.kid).sort()).toEqual([oldKid, rotation.newKid].sort());
    for (const k of both) expect(Object.keys(k).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
    const s = await login(server, agent.email, agent.password);
    expect(headerOf(s.accessToken).kid).toBe(rotation.newKid);
    await expectTokenAccepted(agent.token, agent.id); // signed before the rotation, still inside its lifetime

    server.clock.advance(grace * 1000 + DAY_MS);
    expect((await fetchJwks()).map((k) => k.kid)).toEqual([rotation.newKid]);

    const officer = await server.staff("COMPLIANCE_OFFICER");
    const events = (await auditEvents(server, officer.token, { action: "keys.rotate_signing" })).filter((e) => e.requestId === actor.meta.requestId);
    expect(events.map((e) => [e.outcome, e.details.newKid, e.details.retiredKid])).toEqual([["SUCCESS", rotation.newKid, oldKid]]);
  });
});

describe("custos keys rotate-signing", () => {
  /** Runs the CLI in-process, in production mode, against this test's database and key file. */
  async function rotateViaCli(keysFile: string): Promise<{ code: number; out: string }> {
    const env = { NODE_ENV: "production", DATABASE_URL: server.databaseUrl, CUSTOS_KEYS_FILE: keysFile, CUSTOS_DATA_DIR: path.dirname(keysFile), LOG_LEVEL: "silent" };
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    let out = "";
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      return { code: await runCli(["keys", "rotate-signing"]), out };
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
    }
  }

  it("rotates the production key file in place (mode 0600), audits it, and the running server signs with the new key", async () => {
    const keysFile = server.custos.config.keysFile;
    const before = await signingKeysOnDisk(server);
    const { code, out } = await rotateViaCli(keysFile);
    expect(code).toBe(0);
    const after = await signingKeysOnDisk(server);
    expect(after.current).not.toBe(before.current);
    expect(after.keys.get(before.current)?.retiredAt).toEqual(expect.any(String));
    expect(out).toContain(`current ${after.current}, retired ${before.current}`);
    expect((await stat(keysFile)).mode & 0o777).toBe(0o600);

    server.clock.advance(SIGNING_KEYS_RECHECK_MS);
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    expect(headerOf(agent.token).kid).toBe(after.current);
    const officer = await server.staff("COMPLIANCE_OFFICER");
    const events = (await auditEvents(server, officer.token, { action: "keys.rotate_signing" })).filter((e) => e.details.newKid === after.current);
    expect(events.map((e) => [e.outcome, e.operation, e.details.retiredKid])).toEqual([["SUCCESS", "cli.keys.rotate-signing", before.current]]);
  });

  it("never creates a key file in production", async () => {
    const missing = path.join(path.dirname(server.custos.config.keysFile), `absent-${randomUUID()}.json`);
    await expect(rotateViaCli(missing)).rejects.toMatchObject({ code: "BAD_KEY_MATERIAL" });
    await expect(stat(missing)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
