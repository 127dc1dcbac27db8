// changePassword is throttled like login: a wrong current password is a password guess, counted before the
// check under the account's login key, so a stolen access token is no unthrottled password oracle. Delays
// and locks are shared with login in both directions. Time only moves when the tests move the ManualClock.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOGIN_THROTTLE_POLICY } from "../../src/services/login-throttle";
import { createTestServer, type GraphQLResponse, type StaffLogin, type TestServer } from "../support/test-server";
import { errorCode } from "./api-helpers";

const CHANGE = `mutation Change($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`;
const { account: ACCOUNT, lockSeconds: LOCK_S } = LOGIN_THROTTLE_POLICY;
const SECOND = 1000;
const NEW_PASSWORD = "a completely new passphrase 2026";

let server: TestServer;
beforeAll(async () => {
  // X-Forwarded-For is trusted so that each test uses its own client address (the address is throttled too).
  server = await createTestServer({ env: { CUSTOS_TRUST_PROXY: "true" } });
});
afterAll(() => server?.stop());

let counter = 0;
const freshAddress = () => `198.51.100.${++counter}`;

interface Attempt {
  res: GraphQLResponse;
  requestId: string;
}

async function change(who: StaffLogin, current: string, address: string, next = NEW_PASSWORD): Promise<Attempt> {
  const requestId = `change-throttle-${randomUUID()}`;
  const res = await server.gql(CHANGE, { c: current, n: next }, { token: who.token, headers: { "x-forwarded-for": address, "x-request-id": requestId } });
  return { res, requestId };
}

/** Checked and wrong: BAD_USER_INPUT on currentPassword, with no retryAfterSeconds. */
function expectChecked({ res }: Attempt) {
  expect(errorCode(res)).toBe("BAD_USER_INPUT");
  expect(res.errors![0].extensions!.field).toBe("currentPassword");
  expect(res.errors![0].extensions!.retryAfterSeconds).toBeUndefined();
}

/** Refused by the throttle without a check: a wrong password's answer plus when to come back. */
function expectRefused({ res }: Attempt, retryAfterSeconds: number) {
  expect(errorCode(res)).toBe("BAD_USER_INPUT");
  expect(res.errors![0].extensions!.field).toBe("currentPassword");
  expect(res.errors![0].extensions!.retryAfterSeconds).toBe(retryAfterSeconds);
  expect(res.data).toBeNull();
}

async function eventsOf(requestId: string) {
  return server.sql<{ action: string; outcome: string; resource_id: string | null; actor_id: string | null; details: Record<string, unknown> }>(
    `SELECT action, outcome, resource_id, actor_id, details FROM audit_event WHERE request_id = $1 ORDER BY seq`,
    [requestId],
  );
}

async function passwordHash(id: string): Promise<string> {
  const [row] = await server.sql<{ password_hash: string }>(`SELECT password_hash FROM staff_user WHERE id = $1`, [id]);
  return row.password_hash;
}

async function login(email: string, password: string, address: string) {
  const res = await server.gql(LOGIN, { e: email, p: password }, { headers: { "x-forwarded-for": address } });
  return { code: errorCode(res), retryAfterSeconds: res.errors?.[0]?.extensions?.retryAfterSeconds, ok: Boolean(res.data?.login) };
}

describe("changePassword throttling", () => {
  it(`after ${ACCOUNT.freeFailures + 1} wrong current passwords refuses the next attempt unchecked, even the right one, audited`, async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    const hash = await passwordHash(agent.id);
    const address = freshAddress();
    const checked: Attempt[] = [];
    for (let n = 1; n <= ACCOUNT.freeFailures + 1; n++) checked.push(await change(agent, `wrong current ${n}`, address));
    checked.forEach(expectChecked);

    const refused = await change(agent, agent.password, address);
    expectRefused(refused, 2);
    // Same message as a wrong password: the refusal says nothing about whether this guess was right.
    expect(refused.res.errors![0].message).toBe(checked[0].res.errors![0].message);
    expect(await passwordHash(agent.id)).toBe(hash);

    const [wrong] = await eventsOf(checked[0].requestId);
    expect(wrong).toMatchObject({ action: "staff.password.change", outcome: "FAILURE", actor_id: agent.id, details: { reason: "bad_current_password" } });
    const events = await eventsOf(refused.requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: "staff.password.change", outcome: "FAILURE", resource_id: agent.id, actor_id: agent.id });
    expect(events[0].details).toEqual({ reason: "throttled", scope: "account", retryAfterSeconds: 2, subjectRef: wrong.details.subjectRef });

    // Once the delay has passed, the right current password is checked and the change goes through.
    server.clock.advance(2 * SECOND);
    const ok = await change(agent, agent.password, address);
    expect(ok.res.errors).toBeUndefined();
    expect(ok.res.data).toEqual({ changePassword: true });
    expect(await passwordHash(agent.id)).not.toBe(hash);
  });

  it("counts under the login's account key: the delay holds for login too, and login failures delay changePassword", async () => {
    const agent = await server.staff("AGENT", "INSURANCE");
    const address = freshAddress();
    for (let n = 1; n <= ACCOUNT.freeFailures + 1; n++) expectChecked(await change(agent, `wrong current ${n}`, address));
    // From another address, so only the account key can be what delays it.
    expect(await login(agent.email, agent.password, freshAddress())).toEqual({ code: "UNAUTHENTICATED", retryAfterSeconds: 2, ok: false });

    const other = await server.staff("AGENT", "INSURANCE");
    for (let n = 1; n <= ACCOUNT.freeFailures + 1; n++) {
      expect(await login(other.email, `wrong login ${n}`, address)).toMatchObject({ code: "UNAUTHENTICATED", retryAfterSeconds: undefined });
    }
    expectRefused(await change(other, other.password, freshAddress()), 2);

    // The keyed reference is the same in both audit trails.
    const [{ ref: loginRef }] = await server.sql<{ ref: string }>(
      `SELECT details->>'subjectRef' AS ref FROM audit_event WHERE action = 'auth.login' AND resource_id = $1 AND outcome = 'FAILURE' LIMIT 1`,
      [other.id],
    );
    const [{ ref: changeRef }] = await server.sql<{ ref: string }>(
      `SELECT details->>'subjectRef' AS ref FROM audit_event WHERE action = 'staff.password.change' AND actor_id = $1 LIMIT 1`,
      [other.id],
    );
    expect(changeRef).toMatch(/^[0-9a-f]{64}$/);
    expect(changeRef).toBe(loginRef);
  });

  it(`locks the account after ${ACCOUNT.lockAfterFailures} wrong current passwords, audited as auth.lock`, async () => {
    const agent = await server.staff("AGENT", "SECURITIES");
    const hash = await passwordHash(agent.id);
    const address = freshAddress();
    let locking: Attempt | null = null;
    for (let n = 1; n <= ACCOUNT.lockAfterFailures; n++) {
      locking = await change(agent, `wrong current ${n}`, address);
      expectChecked(locking);
      if (n > ACCOUNT.freeFailures && n < ACCOUNT.lockAfterFailures) server.clock.advance(2 ** (n - ACCOUNT.freeFailures) * SECOND);
    }
    const events = await eventsOf(locking!.requestId);
    expect(events.map((e) => e.action)).toEqual(["staff.password.change", "auth.lock"]);
    expect(events[1].details).toMatchObject({ scope: "account", failures: ACCOUNT.lockAfterFailures, subjectRef: events[0].details.subjectRef });

    const refused = await change(agent, agent.password, address);
    expectRefused(refused, LOCK_S);
    expect((await eventsOf(refused.requestId))[0].details).toMatchObject({ reason: "locked", retryAfterSeconds: LOCK_S });
    expect(await login(agent.email, agent.password, freshAddress())).toEqual({ code: "UNAUTHENTICATED", retryAfterSeconds: LOCK_S, ok: false });
    expect(await passwordHash(agent.id)).toBe(hash);
  });

  it("a right current password resets the account's count, as a successful login does", async () => {
    const agent = await server.staff("AGENT", "CORPORATE_FINANCE");
    const address = freshAddress();
    for (let n = 1; n <= ACCOUNT.freeFailures; n++) expectChecked(await change(agent, `wrong current ${n}`, address));
    // Right current password, new one refused by the policy: nothing changes, but the guess was right.
    const weak = await change(agent, agent.password, address, "short");
    expect(errorCode(weak.res)).toBe("BAD_USER_INPUT");
    expect(weak.res.errors![0].extensions!.field).toBe("newPassword");
    // Without the reset the next failure would be the seventh in a row and the one after it refused.
    for (let n = 1; n <= ACCOUNT.freeFailures + 1; n++) expectChecked(await change(agent, `wrong again ${n}`, address));
    expectRefused(await change(agent, agent.password, address), 2);
  });
});
