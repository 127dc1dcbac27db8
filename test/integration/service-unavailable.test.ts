// An unreachable database answers SERVICE_UNAVAILABLE ("retry later"), never INTERNAL and never the
// driver's message. The test server reaches its own database through a TCP proxy in this process, so
// "PostgreSQL is down" is the proxy closing: other test files' databases are never touched.
import net from "node:net";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { DAY_MS } from "../../src/clock";
import { MANDATORY_TRAINING_COURSE } from "../../src/domain/enums";
import { CustosError, isDatabaseUnavailable } from "../../src/errors";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { freePort } from "../support/free-port";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

/** A loopback TCP proxy to PostgreSQL that can go down (dropping every connection) and come back. */
class DatabaseProxy {
  #server: net.Server | null = null;
  readonly #sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
  }

  /** Refuses new connections (ECONNREFUSED) and cuts the open ones ("Connection terminated unexpectedly"). */
  down(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

let db: TestDatabase;
let proxy: DatabaseProxy;
let server: TestServer;
let agent: StaffLogin;

const me = () => server.gql<{ me: { id: string } }>(`{ me { id } }`, {}, { token: agent.token });
const login = () => server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: agent.email, p: agent.password });

beforeAll(async () => {
  db = await createTestDatabase();
  const url = new URL(db.url);
  proxy = new DatabaseProxy(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
  await proxy.up();
  url.host = `127.0.0.1:${proxy.port}`;
  // Migrated by start-up, through the proxy; the server never learns the real address.
  server = await createTestServer({ env: { DATABASE_URL: url.toString() } });
  // The helper's superuser connection is to the database createTestServer made (unused here): the
  // training row goes into ours, then the agent logs in again to get a token that passes the check.
  const user = await server.staff("AGENT", "PERSONAL_BANKING", { training: false });
  const admin = new Client({ connectionString: db.url });
  await admin.connect();
  const now = server.clock.now().getTime();
  await admin.query(`INSERT INTO staff_training (staff_id, course, completed_at, expires_at, recorded_at) VALUES ($1, $2, $3, $4, $3)`, [
    user.id,
    MANDATORY_TRAINING_COURSE,
    new Date(now - DAY_MS),
    new Date(now + 365 * DAY_MS),
  ]);
  await admin.end();
  const relogin = await server.gql<{ login: { accessToken: string } }>(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: user.email, p: user.password });
  agent = { ...user, token: relogin.data!.login.accessToken };
}, 60_000);

afterAll(async () => {
  await proxy?.up().catch(() => undefined);
  await server?.stop();
  await db?.drop();
});

describe("SERVICE_UNAVAILABLE", () => {
  it("answers 503 SERVICE_UNAVAILABLE while the database is down, with no driver detail, and recovers by itself", async () => {
    expect((await me()).data?.me.id).toBe(agent.id);
    await proxy.down();

    // The session check (every authenticated request) cannot reach the database.
    const down = await me();
    expect(down.status).toBe(503);
    expect(down.errors?.map((e) => e.extensions?.code)).toEqual(["SERVICE_UNAVAILABLE"]);
    expect(down.errors?.[0].message).toBe("The service is temporarily unavailable; retry later");
    // An anonymous operation reaching the database from a resolver.
    const anon = await login();
    expect(anon.errors?.map((e) => e.extensions?.code)).toEqual(["SERVICE_UNAVAILABLE"]);
    for (const body of [JSON.stringify(down), JSON.stringify(anon)]) {
      expect(body).not.toMatch(/ECONNREFUSED|terminated|127\.0\.0\.1|connect/i);
      expect(body).not.toContain(String(proxy.port));
    }

    await proxy.up();
    // The pool reconnects on demand: no restart, no manual step.
    let recovered: Awaited<ReturnType<typeof me>> | null = null;
    for (let i = 0; i < 20 && !recovered?.data; i++) {
      recovered = await me();
      if (!recovered.data) expect(recovered.errors?.[0].extensions?.code).toBe("SERVICE_UNAVAILABLE");
    }
    expect(recovered?.data?.me.id).toBe(agent.id);
  });

  it("backends terminated by an administrator give SERVICE_UNAVAILABLE or a normal answer, never INTERNAL", async () => {
    const admin = new Client({ connectionString: inject("adminDatabaseUrl") });
    await admin.connect();
    try {
      for (let round = 0; round < 3; round++) {
        // Busy backends too: the sessions of in-flight requests are cut mid-query.
        const inflight = Array.from({ length: 4 }, () => me());
        const killed = await admin.query(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db.name]);
        expect(killed.rows[0].n).toBeGreaterThan(0);
        for (const res of [...(await Promise.all(inflight)), await me()]) {
          const codes = (res.errors ?? []).map((e) => e.extensions?.code);
          expect(codes.filter((c) => c !== "SERVICE_UNAVAILABLE")).toEqual([]);
          if (!res.errors) expect(res.data?.me.id).toBe(agent.id);
        }
      }
    } finally {
      await admin.end();
    }
  });
});

describe("isDatabaseUnavailable, on real driver errors", () => {
  it("recognises a refused connection, a terminated backend and the pool's connect timeout; not a bad query", async () => {
    const closed = new Client({ host: "127.0.0.1", port: await freePort(), user: "nobody", database: "none", connectionTimeoutMillis: 2_000 });
    const refused = await closed.connect().then(() => null, (e: unknown) => e);
    expect((refused as { code?: string }).code).toBe("ECONNREFUSED");
    expect(isDatabaseUnavailable(refused)).toBe(true);

    const victim = new Client({ connectionString: db.url });
    victim.on("error", () => undefined);
    await victim.connect();
    const syntax = await victim.query("SELEC 1").then(() => null, (e: unknown) => e);
    expect(isDatabaseUnavailable(syntax)).toBe(false);
    const terminated = await victim.query("SELECT pg_terminate_backend(pg_backend_pid())").then(() => null, (e: unknown) => e);
    expect((terminated as { code?: string }).code).toBe("57P01");
    expect(isDatabaseUnavailable(terminated)).toBe(true);
    const afterwards = await victim.query("SELECT 1").then(() => null, (e: unknown) => e);
    expect(isDatabaseUnavailable(afterwards)).toBe(true);
    await victim.end().catch(() => undefined);

    // Wrapped the way TypeORM and Apollo wrap it.
    expect(isDatabaseUnavailable({ originalError: { driverError: terminated } })).toBe(true);
    expect(isDatabaseUnavailable(new Error("timeout exceeded when trying to connect"))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("duplicate key"), { code: "23505" }))).toBe(false);
    expect(isDatabaseUnavailable(new CustosError("AUDIT_UNAVAILABLE"))).toBe(false);
  });
});
