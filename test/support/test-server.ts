// One way for integration tests to get a running Custos: a fresh migrated database (cloned from a
// template built once per run), fresh keys, a manual clock, a real HTTP server on a free port.
import "reflect-metadata";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { ManualClock } from "../../src/clock";
import { loadConfig } from "../../src/config";
import { DEFAULT_PASSWORD_PARAMS, loadOrCreateKeyFile } from "../../src/crypto";
import { createDataSource, MIGRATIONS, runMigrations } from "../../src/db/data-source";
import { MANDATORY_TRAINING_COURSE, type BusinessLine, type StaffRole } from "../../src/domain/enums";
import { DAY_MS } from "../../src/clock";
import { startCustos, type Custos } from "../../src/main";
import { createTestDatabase, ensureTemplate } from "./database";
import pino from "pino";
import { captureLogs } from "./log-capture";

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data: T | null;
  errors: Array<{ message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }> | undefined;
}

export interface StaffLogin {
  id: string;
  email: string;
  password: string;
  role: StaffRole;
  businessLine: BusinessLine | null;
  token: string;
}

export interface TestServer {
  url: string;
  clock: ManualClock;
  custos: Custos;
  databaseUrl: string;
  /**
   * Posts a GraphQL operation; `token` becomes a bearer header. Requests state the purpose
   * CASE_HANDLING (x-custos-purpose) unless `purpose` says otherwise (null: none).
   */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    opts?: { token?: string; headers?: Record<string, string>; purpose?: string | null },
  ): Promise<GraphQLResponse<T>>;
  /**
   * Creates a staff user through the real service, records current mandatory training for them
   * (unless `training: false`) and logs them in over HTTP. Auditors get a 30-day window.
   */
  staff(role: StaffRole, businessLine?: BusinessLine | null, opts?: { training?: boolean }): Promise<StaffLogin>;
  /** A superuser connection to this test's database, for tampering and raw-table checks. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
}

const MIGRATION_FINGERPRINT = createHash("sha256").update(MIGRATIONS.map((m) => m.name).join(",")).digest("hex").slice(0, 16);

function migratedTemplate(): Promise<string> {
  return ensureTemplate({
    name: "custos",
    fingerprint: MIGRATION_FINGERPRINT,
    build: async (url) => {
      const ds = createDataSource(url, { poolSize: 1 });
      await ds.initialize();
      try {
        await runMigrations(ds);
      } finally {
        await ds.destroy();
      }
    },
  });
}

let staffCounter = 0;

/** Input fields whose values are customer PII or narrative. */
const PII_KEYS = new Set(["fullName", "nationalId", "phone", "email", "address", "summary", "body", "resolution"]);

/** Collects the PII values (6+ characters, so masks and codes do not count) found anywhere in `value`. */
function collectPii(value: unknown, into: Set<string>, key?: string): void {
  if (typeof value === "string") {
    if (key && PII_KEYS.has(key) && value.trim().length >= 6) into.add(value.trim());
  } else if (Array.isArray(value)) {
    for (const v of value) collectPii(v, into, key);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) collectPii(v, into, k);
  }
}

/**
 * `env` overrides the test environment's variables, e.g. `{ NODE_ENV: "production" }` (a key file is then
 * generated into the temporary data directory, since production never generates one itself) or
 * `{ CUSTOS_TRUST_PROXY: "true" }` to choose the client address per request with X-Forwarded-For.
 */
export async function createTestServer(opts: { clock?: ManualClock; logger?: pino.Logger; env?: Record<string, string> } = {}): Promise<TestServer> {
  const db = await createTestDatabase({ template: await migratedTemplate() });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-test-"));
  const clock = opts.clock ?? new ManualClock();
  const env: Record<string, string> = { NODE_ENV: "test", DATABASE_URL: db.url, CUSTOS_DATA_DIR: dataDir, PORT: "0", CUSTOS_SEED_DEMO: "false", ...opts.env };
  if (env.NODE_ENV === "production" && !env.CUSTOS_KEYS_FILE) {
    env.CUSTOS_KEYS_FILE = path.join(dataDir, "keys.json");
    await loadOrCreateKeyFile(env.CUSTOS_KEYS_FILE, { create: true });
  }
  const config = loadConfig(env);
  // Unless a test brings its own logger, every server logs at trace level into memory, and on stop the
  // log is searched for every PII value a test sent it: the whole integration suite is a log-leak check.
  const logs = opts.logger ? null : captureLogs();
  const sentPii = new Set<string>();
  const custos = await startCustos(config, { clock, logger: opts.logger ?? logs!.logger, passwordParams: DEFAULT_PASSWORD_PARAMS });
  const admin = new Client({ connectionString: db.url });
  await admin.connect();

  const gql: TestServer["gql"] = async (query, variables, o = {}) => {
    collectPii(variables, sentPii);
    const res = await fetch(custos.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...(o.purpose === null ? {} : { "x-custos-purpose": o.purpose ?? "CASE_HANDLING" }),
        ...(o.headers ?? {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: GraphQLResponse["errors"] };
    return { status: res.status, headers: res.headers, data: body.data ?? null, errors: body.errors };
  };

  const staff: TestServer["staff"] = async (role, businessLine = null, staffOpts = {}) => {
    const email = `${role.toLowerCase()}.${++staffCounter}.${process.pid}@test.custos`;
    const password = `correct horse battery ${staffCounter}`;
    const actor = { principal: null, ability: null, meta: { requestId: `test-setup-${staffCounter}`, operation: "test-setup", clientAddress: null, purpose: null } };
    const now = clock.now();
    const accessExpiresAt = role === "AUDITOR" ? new Date(now.getTime() + 30 * DAY_MS) : null;
    const user = await custos.services.staff.add(actor, { email, role, businessLine, password, accessExpiresAt });
    if (staffOpts.training !== false) {
      await admin.query(
        `INSERT INTO staff_training (staff_id, course, completed_at, expires_at, recorded_at) VALUES ($1, $2, $3, $4, $3)`,
        [user.id, MANDATORY_TRAINING_COURSE, new Date(now.getTime() - DAY_MS), new Date(now.getTime() + 365 * DAY_MS)],
      );
    }
    const res = await gql<{ login: { accessToken: string } }>(
      `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
      { e: email, p: password },
    );
    if (!res.data) throw new Error(`login of test user failed: ${JSON.stringify(res.errors)}`);
    return { id: user.id, email, password, role, businessLine, token: res.data.login.accessToken };
  };

  let stopped: Promise<void> | null = null;
  return {
    url: custos.url,
    clock,
    custos,
    databaseUrl: db.url,
    gql,
    staff,
    sql: async (text, params) => (await admin.query(text, params)).rows,
    stop: () =>
      (stopped ??= (async () => {
        await admin.end();
        await custos.stop();
        await db.drop();
        await rm(dataDir, { recursive: true, force: true });
        const leaked = logs ? logs.leaks([...sentPii]) : [];
        if (leaked.length > 0) throw new Error(`the server logged ${leaked.length} PII value(s) a test sent it`);
      })()),
  };
}
