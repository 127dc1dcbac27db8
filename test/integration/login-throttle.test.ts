// Login throttling through the API: growing delays and a lock per account, a looser throttle per client
// address, unknown e-mails treated exactly like known ones, a success resetting the account, every
// refusal and every lock audited. Time only moves when the tests move the ManualClock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOGIN_THROTTLE_POLICY } from "../../src/services/login-throttle";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`;
const { account: ACCOUNT, address: ADDRESS, lockSeconds: LOCK_S } = LOGIN_THROTTLE_POLICY;
const SECOND = 1000;

let server: TestServer;
beforeAll(async () => {
  // X-Forwarded-For is trusted here so that each test can choose its own client address.
  server = await createTestServer({ env: { CUSTOS_TRUST_PROXY: "true" } });
});
afterAll(() => server?.stop());

let counter = 0;
/** A client address no other test uses (TEST-NET-3 text in a header; nothing is sent there). */
const freshAddress = () => `203.0.113.${++counter}`;
const unknownEmail = () => `nobody.${++counter}@nowhere.example`;

interface Attempt {
  code: string | undefined;
  message: string | undefined;
  retryAfterSeconds: number | undefined;
  ok: boolean;
  requestId: string;
}

async function attempt(email: string, password: string, address: string): Promise<Attempt> {
  const requestId = `throttle-${++counter}`;
  const res = await server.gql(LOGIN, { e: email, p: password }, { headers: { "x-forwarded-for": address, "x-request-id": requestId } });
  const error = res.errors?.[0];
  return {
    code: error?.extensions?.code,
    message: error?.message,
    retryAfterSeconds: error?.extensions?.retryAfterSeconds as number | undefined,
    ok: Boolean(res.data?.login?.accessToken),
    requestId,
  };
}

/** An attempt the throttle let through to the password check (wrong password: plain UNAUTHENTICATED). */
function expectChecked(a: Attempt) {
  expect(a.code).toBe("UNAUTHENTICATED");
  expect(a.retryAfterSeconds).toBeUndefined();
}

/** An attempt the throttle refused: UNAUTHENTICATED with the same message, and when to retry. */
function expectRefused(a: Attempt, retryAfterSeconds: number) {
  expect(a.code).toBe("UNAUTHENTICATED");
  expect(a.ok).toBe(false);
  expect(a.retryAfterSeconds).toBe(retryAfterSeconds);
}

interface EventRow {
  action: string;
  outcome: string;
  resource_type: string;
  resource_id: string | null;
  client_address: string | null;
  occurred_at: Date;
  details: Record<string, unknown>;
}

async function eventsOf(requestId: string): Promise<EventRow[]> {
  return server.sql<EventRow>(
    `SELECT action, outcome, resource_type, resource_id, client_address, occurred_at, details FROM audit_event WHERE request_id = $1 ORDER BY seq`,
    [requestId],
  );
}

async function addressFailures(address: string): Promise<number | null> {
  const [row] = await server.sql<{ failures: number }>(`SELECT failures FROM login_throttle WHERE key = $1`, [`address:${address}`]);
  return row?.failures ?? null;
}

/** Wrong passwords until the account locks, moving the clock past each delay; returns the locking attempt. */
async function failUntilLocked(email: string, address: string): Promise<Attempt> {
  for (let n = 1; n < ACCOUNT.lockAfterFailures; n++) {
    expectChecked(await attempt(email, `wrong password ${n}`, address));
    if (n > ACCOUNT.freeFailures) server.clock.advance(2 ** (n - ACCOUNT.freeFailures) * SECOND);
  }
  const locking = await attempt(email, "wrong password last", address);
  expectChecked(locking);
  return locking;
}

describe("per account", () => {
  let agent: StaffLogin;
  beforeAll(async () => {
    agent = await server.staff("AGENT", "PERSONAL_BANKING");
  });

  it("lets the first failures through, then delays 2 s, 4 s, 8 s … at exactly those instants", async () => {
    const address = freshAddress();
    for (let n = 1; n <= ACCOUNT.freeFailures; n++) expectChecked(await attempt(agent.email, `wrong ${n}`, address));
    // The sixth failure is still checked, and starts the delays.
    expectChecked(await attempt(agent.email, "wrong 6", address));

    for (const delay of [2, 4, 8]) {
      expectRefused(await attempt(agent.email, "wrong again", address), delay);
      // The right password is refused too: a delayed attempt is never checked.
      expectRefused(await attempt(agent.email, agent.password, address), delay);
      server.clock.advance(delay * SECOND - 1);
      expectRefused(await attempt(agent.email, agent.password, address), 1);
      server.clock.advance(1);
      expectChecked(await attempt(agent.email, "wrong at the instant", address));
    }
    expectRefused(await attempt(agent.email, "wrong", address), 16);
    server.clock.advance(16 * SECOND);
    // A success resets the account for the next test.
    expect((await attempt(agent.email, agent.password, address)).ok).toBe(true);
  });

  it(`locks after ${ACCOUNT.lockAfterFailures} failures in a row for 15 minutes, then lets the right password in`, async () => {
    const address = freshAddress();
    await failUntilLocked(agent.email, address);

    expectRefused(await attempt(agent.email, agent.password, address), LOCK_S);
    server.clock.advance((LOCK_S - 1) * SECOND);
    expectRefused(await attempt(agent.email, agent.password, freshAddress()), 1);
    server.clock.advance(SECOND);
    const after = await attempt(agent.email, agent.password, address);
    expect(after.code).toBeUndefined();
    expect(after.ok).toBe(true);
  });

  it("a wrong password after the lock has run out locks again at once (failures are counted until a success)", async () => {
    const address = freshAddress();
    await failUntilLocked(agent.email, address);
    server.clock.advance(LOCK_S * SECOND);
    expectChecked(await attempt(agent.email, "still wrong", address));
    expectRefused(await attempt(agent.email, agent.password, address), LOCK_S);
    server.clock.advance(LOCK_S * SECOND);
    expect((await attempt(agent.email, agent.password, address)).ok).toBe(true);
  });

  it("a success resets the account's count, so the free failures start over", async () => {
    const address = freshAddress();
    for (let n = 1; n <= ACCOUNT.freeFailures; n++) expectChecked(await attempt(agent.email, `wrong ${n}`, address));
    expect((await attempt(agent.email, agent.password, address)).ok).toBe(true);
    // Without the reset the next failure would be the sixth in a row and the one after it delayed.
    for (let n = 1; n <= ACCOUNT.freeFailures + 1; n++) expectChecked(await attempt(agent.email, `wrong again ${n}`, address));
    expectRefused(await attempt(agent.email, "wrong", address), 2);
    server.clock.advance(2 * SECOND);
    expect((await attempt(agent.email, agent.password, address)).ok).toBe(true);
  });

  it("a success does not reset the client address's count, and gives back only its own attempt", async () => {
    const address = freshAddress();
    const other = await server.staff("AGENT", "INSURANCE");
    const failures: Attempt[] = [];
    for (let n = 1; n <= 3; n++) failures.push(await attempt(other.email, `wrong ${n}`, address));
    failures.forEach(expectChecked);
    const accountKey = `account:${(await eventsOf(failures[0].requestId))[0].details.subjectRef}`;
    const accountRow = () => server.sql(`SELECT failures FROM login_throttle WHERE key = $1`, [accountKey]);
    expect(await accountRow()).toEqual([{ failures: 3 }]);
    expect(await addressFailures(address)).toBe(3);

    expect((await attempt(other.email, other.password, address)).ok).toBe(true);
    expect(await accountRow()).toEqual([]);
    expect(await addressFailures(address)).toBe(3);
  });

  it("forgets failures a day old", async () => {
    const address = freshAddress();
    const email = unknownEmail();
    for (let n = 1; n <= ACCOUNT.freeFailures; n++) expectChecked(await attempt(email, `wrong ${n}`, address));
    server.clock.advance(LOGIN_THROTTLE_POLICY.forgetAfterSeconds * SECOND);
    for (let n = 1; n <= ACCOUNT.freeFailures + 1; n++) expectChecked(await attempt(email, `wrong later ${n}`, address));
    expectRefused(await attempt(email, "wrong", address), 2);
  });

  it("counts concurrent attempts atomically: of 30 parallel guesses only the free ones and the first delayed one are checked", async () => {
    const email = unknownEmail();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => attempt(email, `parallel guess ${i}`, freshAddress())));
    const checked = results.filter((r) => r.retryAfterSeconds === undefined);
    expect(checked).toHaveLength(ACCOUNT.freeFailures + 1);
    expect(results.every((r) => r.code === "UNAUTHENTICATED")).toBe(true);
  });
});

describe("unknown e-mails", () => {
  it("are throttled and locked exactly like a known account: same codes, messages and delays at each step", async () => {
    const known = await server.staff("AGENT", "SECURITIES");
    const run = async (email: string) => {
      const address = freshAddress();
      const start = server.clock.now();
      const seen: Array<Omit<Attempt, "requestId" | "ok">> = [];
      const record = (a: Attempt) => seen.push({ code: a.code, message: a.message, retryAfterSeconds: a.retryAfterSeconds });
      for (let n = 1; n <= ACCOUNT.lockAfterFailures; n++) {
        record(await attempt(email, `wrong ${n}`, address));
        if (n <= ACCOUNT.freeFailures) continue;
        // Once delays have started, an immediate second try shows the delay (or, at the end, the lock).
        record(await attempt(email, `wrong ${n} again`, address));
        server.clock.advance(2 ** (n - ACCOUNT.freeFailures) * SECOND);
      }
      server.clock.set(new Date(start.getTime() + 3600 * SECOND));
      return seen;
    };
    const forKnown = await run(known.email);
    const forUnknown = await run(unknownEmail());
    expect(forUnknown).toEqual(forKnown);
    // The sequence did go through delays and a lock, so the comparison is not between two plain failures.
    expect(forKnown.some((s) => s.retryAfterSeconds === LOCK_S)).toBe(true);
    expect(forKnown.some((s) => s.retryAfterSeconds === 2)).toBe(true);
  });
});

describe("per client address", () => {
  it(`delays every account from an address after ${ADDRESS.freeFailures} failures across different e-mails`, async () => {
    const address = freshAddress();
    const staff = await server.staff("AGENT", "CORPORATE_FINANCE");
    for (let n = 1; n <= ADDRESS.freeFailures + 1; n++) expectChecked(await attempt(unknownEmail(), "wrong", address));
    // A fresh account from the same address is delayed; the same account from elsewhere is not.
    expectRefused(await attempt(unknownEmail(), "wrong", address), 2);
    expectRefused(await attempt(staff.email, staff.password, address), 2);
    expect((await attempt(staff.email, staff.password, freshAddress())).ok).toBe(true);
    server.clock.advance(2 * SECOND);
    expect((await attempt(staff.email, staff.password, address)).ok).toBe(true);
  });

  it(`locks the address after ${ADDRESS.lockAfterFailures} failures and audits the lock once`, async () => {
    const address = freshAddress();
    const attempts: Attempt[] = [];
    for (let n = 1; n <= ADDRESS.lockAfterFailures; n++) {
      const a = await attempt(unknownEmail(), "wrong", address);
      expectChecked(a);
      attempts.push(a);
      if (n > ADDRESS.freeFailures && n < ADDRESS.lockAfterFailures) {
        server.clock.advance(Math.min(2 ** (n - ADDRESS.freeFailures), LOGIN_THROTTLE_POLICY.maxDelaySeconds) * SECOND);
      }
    }
    const refused = await attempt(unknownEmail(), "wrong", address);
    expectRefused(refused, LOCK_S);
    expect((await eventsOf(refused.requestId))[0].details).toMatchObject({ reason: "locked", scope: "address" });

    const locks = (await Promise.all(attempts.map((a) => eventsOf(a.requestId)))).flat().filter((e) => e.action === "auth.lock");
    expect(locks).toHaveLength(1);
    expect(locks[0]).toMatchObject({ resource_type: "client_address", resource_id: null, client_address: address });
    expect(locks[0].details).toMatchObject({ scope: "address", failures: ADDRESS.lockAfterFailures });
    expect(locks[0].details).not.toHaveProperty("subjectRef");
  });
});

describe("audit", () => {
  it("records each refused attempt as auth.login FAILURE {reason, subjectRef}, never the e-mail", async () => {
    const email = unknownEmail();
    const address = freshAddress();
    const checked: Attempt[] = [];
    for (let n = 1; n <= ACCOUNT.freeFailures + 1; n++) checked.push(await attempt(email, `wrong ${n}`, address));
    const refused = [await attempt(email, "wrong", address), await attempt(email, "wrong", address)];
    refused.forEach((r) => expectRefused(r, 2));

    const [checkedEvent] = await eventsOf(checked[0].requestId);
    const subjectRef = checkedEvent.details.subjectRef;
    expect(subjectRef).toMatch(/^[0-9a-f]{64}$/);
    for (const r of refused) {
      const events = await eventsOf(r.requestId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: "auth.login", outcome: "FAILURE", resource_id: null, client_address: address });
      expect(events[0].details).toMatchObject({ reason: "throttled", scope: "account", retryAfterSeconds: 2, subjectRef });
      expect(JSON.stringify(events[0]).toLowerCase()).not.toContain(email.split("@")[0]);
    }
    const [row] = await server.sql<{ key: string }>(`SELECT key FROM login_throttle WHERE key = $1`, [`account:${subjectRef}`]);
    expect(row.key).toBe(`account:${subjectRef}`);
    const [{ n }] = await server.sql<{ n: string }>(`SELECT count(*) AS n FROM login_throttle WHERE key ILIKE $1`, [`%${email}%`]);
    expect(Number(n)).toBe(0);
  });

  it("records the lock as its own auth.lock event with the keyed reference and when it ends", async () => {
    const email = unknownEmail();
    const locking = await failUntilLocked(email, freshAddress());
    const events = await eventsOf(locking.requestId);
    expect(events.map((e) => e.action)).toEqual(["auth.login", "auth.lock"]);
    const [failure, lock] = events;
    expect(lock).toMatchObject({ resource_type: "staff_user", resource_id: null });
    expect(lock.details).toEqual({
      scope: "account",
      failures: ACCOUNT.lockAfterFailures,
      lockedUntil: new Date(server.clock.now().getTime() + LOCK_S * SECOND).toISOString(),
      subjectRef: failure.details.subjectRef,
    });
    const refused = await attempt(email, "wrong", freshAddress());
    expect((await eventsOf(refused.requestId))[0].details).toMatchObject({ reason: "locked", subjectRef: failure.details.subjectRef });
  });
});
