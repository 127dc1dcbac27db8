// Owns the machinery of the crash-safety test: a private PostgreSQL cluster it may crash and restart, the
// real server (dist/src/main.js) and CLI as child processes, and a concurrent GraphQL load that records
// what each client was told.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Client } from "pg";
import { quoteIdent, withDatabase } from "../../src/db/database-url";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../../src/db/embedded-postgres";
import { freePort } from "../support/free-port";

const ROOT = path.resolve(__dirname, "../..");
const MAIN = path.join(ROOT, "dist/src/main.js");
const CLI = path.join(ROOT, "dist/src/cli.js");

/** Polls `check` every `everyMs` until it returns a truthy value; fails naming `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T> | T, timeoutMs: number, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await delay(everyMs);
  }
}

/** Keeps the last lines of a stream, for failure messages. */
class Tail {
  readonly #lines: string[] = [];
  push(chunk: unknown): void {
    for (const line of String(chunk).split("\n").filter((l) => l.trim() !== "")) {
      this.#lines.push(line);
      if (this.#lines.length > 60) this.#lines.shift();
    }
  }
  toString(): string {
    return this.#lines.join("\n");
  }
}

export interface Cluster {
  /** Superuser URL of the maintenance database `postgres`. */
  adminUrl: string;
  /** Creates an empty database and returns its superuser URL. */
  createDatabase(name: string): Promise<string>;
  /** Immediate shutdown (SIGQUIT to the postmaster): in-flight transactions are lost, recovery on start. */
  crash(): Promise<void>;
  /** Starts the cluster again on the same port and directory. */
  restart(): Promise<void>;
  /** Fast shutdown and removal of the cluster. */
  destroy(): Promise<void>;
  log(): string;
}

/**
 * A throwaway cluster of our own. Never the run's shared test server (other files use it in parallel,
 * and a restart would break them) nor the machine's PostgreSQL (which must not be restarted).
 */
export async function startCluster(): Promise<Cluster> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-crash-pg-"));
  const port = await freePort();
  const tail = new Tail();
  // persistent: true, because a non-persistent cluster is deleted by stop(), and we must restart it.
  const start = () => startEmbeddedPostgres({ dataDir, port, log: (m) => tail.push(m), persistent: true });
  let handle: EmbeddedPostgresHandle | null = await start();
  const adminUrl = withDatabase(handle.url, "postgres");
  await withClient(adminUrl, async (c) => {
    // A persistent cluster runs with fsync on; neither scenario crashes the kernel, so fsync only costs
    // time here. synchronous_commit stays on: a commit is acknowledged only once its WAL has reached the
    // kernel, and that is what survives both a killed server and an immediate PostgreSQL shutdown.
    await c.query("ALTER SYSTEM SET fsync = off");
    await c.query("SELECT pg_reload_conf()");
  });
  return {
    adminUrl,
    log: () => tail.toString(),
    async createDatabase(name) {
      await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
      return withDatabase(adminUrl, name);
    },
    async crash() {
      const pid = Number.parseInt(readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
      process.kill(pid, "SIGQUIT");
      await waitUntil("PostgreSQL to exit after an immediate shutdown", () => !isAlive(pid), 15_000);
      handle = null; // its child has exited; the handle's stop() would be a no-op
    },
    async restart() {
      handle = await start();
    },
    async destroy() {
      await handle?.stop();
      handle = null;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  client.on("error", () => undefined); // a restart may end the session; the query then rejects anyway
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The environment the server and the CLI get: nothing from ours (no stray DATABASE_URL or NODE_ENV). */
export function serverEnv(databaseUrl: string, dataDir: string, port: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    DATABASE_URL: databaseUrl,
    CUSTOS_DATA_DIR: dataDir,
    PORT: String(port),
    CUSTOS_SEED_DEMO: "false",
    // Checkpoints every few dozen events and every second, so that crashes also land in sealing.
    CUSTOS_CHECKPOINT_EVERY_EVENTS: "50",
    CUSTOS_CHECKPOINT_EVERY_SECONDS: "1",
  };
}

export async function runCli(env: Record<string, string>, args: string[], input = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += String(d)));
  child.stderr.on("data", (d) => (stderr += String(d)));
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  return { code, stdout, stderr };
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** The process is still running (not exited, not killed). */
  alive(): boolean;
  output(): string;
  kill9(): Promise<void>;
  /** SIGTERM and wait; the normal shutdown. */
  stop(): Promise<void>;
}

/** Starts `node dist/src/main.js` and resolves once /readyz answers 200 (migrations applied, database up). */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const tail = new Tail();
  child.stdout!.on("data", (d) => tail.push(d));
  child.stderr!.on("data", (d) => tail.push(d));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  const base = `http://127.0.0.1:${env.PORT}`;
  const server: ServerProcess = {
    url: `${base}/graphql`,
    pid: child.pid!,
    alive: () => exit === null,
    output: () => tail.toString(),
    async kill9() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (exit) return;
      child.kill("SIGTERM");
      const stopped = await Promise.race([exited.then(() => true), delay(15_000).then(() => false)]);
      if (!stopped) await server.kill9();
    },
  };
  try {
    await waitUntil(
      "the server to become ready",
      async () => {
        if (exit) throw new Error(`server exited (${JSON.stringify(exit)}) during startup:\n${tail}`);
        const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
        return res.status === 200;
      },
      45_000,
    );
  } catch (error) {
    await server.kill9();
    throw new Error(`${(error as Error).message}\nserver output:\n${tail}`);
  }
  return server;
}

/**
 * With the group-commit sequencer, events are committed with their write into the journal `audit_pending`
 * and sealed into `audit_event` asynchronously: wait until the journal is empty (or does not exist).
 */
export async function waitForAuditDrain(databaseUrl: string, timeoutMs = 20_000): Promise<void> {
  await waitUntil(
    "the audit journal (audit_pending) to drain",
    () =>
      withClient(databaseUrl, async (c) => {
        const [{ exists }] = (await c.query("SELECT to_regclass('audit_pending') IS NOT NULL AS exists")).rows;
        if (!exists) return true;
        const [{ n }] = (await c.query("SELECT count(*)::int AS n FROM audit_pending")).rows;
        return n === 0;
      }),
    timeoutMs,
    100,
  );
}

// ---- The load: concurrent clients doing audited reads and writes, each remembering what it was told.

export const WRITE_ACTIONS = ["customer.create", "case.open", "case.note.add", "customer.update"] as const;
export const READ_ACTIONS = ["customer.read", "case.read"] as const;
export type WriteAction = (typeof WRITE_ACTIONS)[number];
export type Action = WriteAction | (typeof READ_ACTIONS)[number];

/**
 * One request and what its client learnt: `acked` (HTTP 200 with data: the client was told it happened),
 * `refused` (a GraphQL error response), or `no-reply` (connection refused or reset, or timed out: unknown).
 */
export interface Op {
  requestId: string;
  action: Action;
  /** The row the request named: the customer updated or read, the case read or noted, the customer of a new case. */
  target: string | null;
  /** The id the server returned: new customer, case or note (or the target, for updates and reads). */
  result: string | null;
  outcome: "acked" | "refused" | "no-reply" | "pending";
  codes: string[];
  status: number | null;
  phase: string;
}

const OPS: Record<Action, string> = {
  "customer.create": `mutation CrashCreate($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`,
  "case.open": `mutation CrashOpen($i: OpenCaseInput!) { openCase(input: $i) { id } }`,
  "case.note.add": `mutation CrashNote($c: ID!, $b: String!) { addCaseNote(caseId: $c, body: $b) { id } }`,
  "customer.update": `mutation CrashUpdate($id: ID!, $i: UpdateCustomerInput!) { updateCustomer(id: $id, input: $i) { id } }`,
  "customer.read": `query CrashReadCustomer($id: ID!) { customer(id: $id) { id fullName phone } }`,
  "case.read": `query CrashReadCase($id: ID!) { case(id: $id) { id summary } }`,
};

interface ClientState {
  n: number;
  customers: string[];
  cases: string[];
}

export class Load {
  readonly ops: Op[] = [];
  /** Recorded on each request as it starts; the test moves it on as the scenario goes. */
  phase = "";
  #stopping = false;
  #loops: Promise<void>[] = [];
  readonly #clients: ClientState[];

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly tag: string,
    clients: number,
  ) {
    this.#clients = Array.from({ length: clients }, () => ({ n: 0, customers: [], cases: [] }));
  }

  /** Starts every client; they run until stop(). */
  start(phase: string): void {
    this.phase = phase;
    this.#stopping = false;
    this.#loops = this.#clients.map((state, i) => this.#run(i, state));
  }

  /** Lets each client finish the request it has in flight, then returns. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#loops);
  }

  count(pred: (op: Op) => boolean): number {
    return this.ops.reduce((n, op) => n + (pred(op) ? 1 : 0), 0);
  }

  async #run(i: number, state: ClientState): Promise<void> {
    while (!this.#stopping) {
      const op = await this.#request(i, state);
      // After a failure, a short pause so that 2 cores are not spent on a tight loop of refused requests.
      if (op.outcome !== "acked") await delay(25);
    }
  }

  #choose(i: number, state: ClientState): { action: Action; target: string | null; variables: Record<string, unknown> } {
    const pick = (ids: string[]) => ids[Math.floor(Math.random() * ids.length)]!;
    const roll = Math.random();
    const k = `${this.tag}${i}x${state.n}`; // unique per request: national ids must be
    if (state.customers.length === 0 || roll < 0.25) {
      const input = { fullName: `Crash Customer ${k}`, nationalId: `CR-${k}`, phone: `+44 20 7946 ${state.n}`, email: null, address: null };
      return { action: "customer.create", target: null, variables: { i: input } };
    }
    const customer = pick(state.customers);
    if (roll < 0.4) {
      const input = { customerId: customer, channel: "PHONE", kind: "SERVICE_REQUEST", category: "card.replacement", complexity: "COMMON", businessLine: "PERSONAL_BANKING", summary: `Card lost ${k}` };
      return { action: "case.open", target: customer, variables: { i: input } };
    }
    if (roll < 0.55 && state.cases.length > 0) {
      const c = pick(state.cases);
      return { action: "case.note.add", target: c, variables: { c, b: `Called back ${k}` } };
    }
    if (roll < 0.7) return { action: "customer.update", target: customer, variables: { id: customer, i: { phone: `+44 20 7000 ${state.n}` } } };
    if (roll < 0.85 || state.cases.length === 0) return { action: "customer.read", target: customer, variables: { id: customer } };
    const c = pick(state.cases);
    return { action: "case.read", target: c, variables: { id: c } };
  }

  async #request(i: number, state: ClientState): Promise<Op> {
    state.n++;
    const { action, target, variables } = this.#choose(i, state);
    const op: Op = { requestId: `${this.tag}-c${i}-${state.n}`, action, target, result: null, outcome: "pending", codes: [], status: null, phase: this.phase };
    this.ops.push(op);
    try {
      const res = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.token}`, "x-custos-purpose": "CASE_HANDLING", "x-request-id": op.requestId },
        body: JSON.stringify({ query: OPS[action], variables }),
        // Far above any healthy answer (the pool's connect timeout is 5 s): a request past it is a hang.
        signal: AbortSignal.timeout(30_000),
      });
      op.status = res.status;
      const text = await res.text();
      let body: { data?: Record<string, { id: string } | null> | null; errors?: Array<{ extensions?: { code?: string } }> };
      try {
        body = JSON.parse(text);
      } catch {
        op.outcome = "refused";
        op.codes = [`non-JSON ${res.status} response`];
        return op;
      }
      const data = body.data ? Object.values(body.data)[0] : null;
      if (res.status === 200 && !body.errors && data) {
        op.outcome = "acked";
        op.result = data.id;
        if (action === "customer.create") state.customers.push(data.id);
        if (action === "case.open") state.cases.push(data.id);
      } else {
        op.outcome = "refused";
        op.codes = body.errors?.length ? body.errors.map((e) => e.extensions?.code ?? "(no code)") : [`${res.status} without data or errors`];
      }
    } catch (error) {
      op.outcome = "no-reply";
      op.codes = [(error as Error).name];
    }
    return op;
  }
}

/** A list read and what its client learnt: acknowledged with `customers` rows, each an audited customer.read. */
export interface ListOp {
  requestId: string;
  outcome: "acked" | "refused" | "no-reply" | "pending";
  customers: number;
}

/**
 * Clients reading a page of up to 100 customers at a time: about 100 audit events per request, so that many
 * wait at once and the sequencer pipelines its rounds (docs/audit-sequencer.md, "Pipelined rounds").
 */
export class ListReads {
  readonly ops: ListOp[] = [];
  #stopping = false;
  #loops: Promise<void>[] = [];

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly tag: string,
    private readonly clients: number,
  ) {}

  start(): void {
    this.#stopping = false;
    this.#loops = Array.from({ length: this.clients }, (_, i) => this.#run(i));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#loops);
  }

  async #run(i: number): Promise<void> {
    for (let n = 1; !this.#stopping; n++) {
      const op: ListOp = { requestId: `${this.tag}-list${i}-${n}`, outcome: "pending", customers: 0 };
      this.ops.push(op);
      try {
        const res = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${this.token}`, "x-custos-purpose": "CASE_HANDLING", "x-request-id": op.requestId },
          body: JSON.stringify({ query: `query CrashList { customers(first: 100) { edges { node { id phone } } } }` }),
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json().catch(() => null)) as { data?: { customers?: { edges: unknown[] } } | null; errors?: unknown[] } | null;
        if (res.status === 200 && body?.data?.customers && !body.errors) {
          op.outcome = "acked";
          op.customers = body.data.customers.edges.length;
        } else {
          op.outcome = "refused";
        }
      } catch {
        op.outcome = "no-reply";
      }
      if (op.outcome !== "acked") await delay(25);
    }
  }
}
