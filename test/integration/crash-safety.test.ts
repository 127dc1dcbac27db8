// Crash safety (issue 5, item 6): the real server (`node dist/src/main.js`) as a child process under a load of
// concurrent audited reads and writes over HTTP, killed with SIGKILL, or with its PostgreSQL crashed and
// restarted under it. Afterwards every write acknowledged to its client exists with its audit event, no
// event names a write that did not commit, the chain verifies (`custos verify`), and the server serves
// again without a manual step.
//
// This file always runs on a PostgreSQL cluster of its own, also when the suite is pointed at the machine's
// server (TEST_DATABASE_URL/DATABASE_URL): the second scenario crashes and restarts PostgreSQL, which would
// break the test files running in parallel on the shared server, and the machine's server must never be
// restarted by a test.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errors";
import { freePort } from "../support/free-port";
import {
  ListReads,
  Load,
  READ_ACTIONS,
  WRITE_ACTIONS,
  runCli,
  serverEnv,
  startCluster,
  startServer,
  waitForAuditDrain,
  waitUntil,
  withClient,
  type Action,
  type Cluster,
  type ListOp,
  type Op,
  type ServerProcess,
} from "./crash-support";

const CLIENTS = 24;
const LIST_CLIENTS = 8;
const LEAD_EMAIL = "lead.crash@test.custos";
const PASSWORD = "crash safety under load 7";

let cluster: Cluster;
const servers: ServerProcess[] = [];
const dirs: string[] = [];
beforeAll(async () => {
  cluster = await startCluster();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await cluster?.destroy();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Scenario {
  databaseUrl: string;
  env: Record<string, string>;
  server: ServerProcess;
  token: string;
}

/** A database, a data directory (keys, checkpoint copies), staff added through the CLI, a running server. */
async function prepare(database: string): Promise<Scenario> {
  const databaseUrl = await cluster.createDatabase(database);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-crash-"));
  dirs.push(dataDir);
  const env = serverEnv(databaseUrl, dataDir, await freePort());
  // As an operator would: the first CLI run applies the migrations and generates the development keys.
  // The agent is there so that new cases get assigned (one more audited write in the same transaction).
  for (const [email, role] of [[LEAD_EMAIL, "TEAM_LEAD"], ["agent.crash@test.custos", "AGENT"]]) {
    const added = await runCli(env, ["user", "add", "--email", email, "--role", role, "--business-line", "PERSONAL_BANKING"], `${PASSWORD}\n`);
    expect(added.code, added.stderr).toBe(0);
  }
  const server = await startServer(env);
  servers.push(server);
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, variables: { e: LEAD_EMAIL, p: PASSWORD } }),
  });
  const body = (await res.json()) as { data?: { login: { accessToken: string } } };
  expect(body.data?.login.accessToken, JSON.stringify(body)).toBeTruthy();
  return { databaseUrl, env, server, token: body.data!.login.accessToken };
}

const isWrite = (op: Op) => (WRITE_ACTIONS as readonly string[]).includes(op.action);
/** A readiness check for waitUntil: at least `n` writes acknowledged (in `phase`, if given). */
const ackedWrites = (load: Load, n: number, phase?: string) => () =>
  load.count((op) => isWrite(op) && op.outcome === "acked" && (phase === undefined || op.phase === phase)) >= n;

// ---- What the database holds afterwards, and the invariants over it and what the clients were told.

interface EventRow {
  seq: number;
  action: string;
  resource_id: string | null;
  outcome: string;
  request_id: string | null;
  note_id: string | null;
}

interface Snapshot {
  seqs: number[];
  events: EventRow[];
  customers: Map<string, number>; // id → version
  cases: Set<string>;
  notes: Set<string>;
}

async function takeSnapshot(databaseUrl: string): Promise<Snapshot> {
  return withClient(databaseUrl, async (c) => {
    const seqs = (await c.query<{ seq: number }>(`SELECT seq::int AS seq FROM audit_event ORDER BY seq`)).rows.map((r) => r.seq);
    const events = (
      await c.query<EventRow>(
        `SELECT seq::int AS seq, action, resource_id, outcome, request_id, details->>'noteId' AS note_id
           FROM audit_event WHERE action = ANY($1) ORDER BY seq`,
        [[...WRITE_ACTIONS, ...READ_ACTIONS]],
      )
    ).rows;
    const customers = new Map((await c.query<{ id: string; version: number }>(`SELECT id, version FROM customer`)).rows.map((r) => [r.id, r.version]));
    const cases = new Set((await c.query<{ id: string }>(`SELECT id FROM support_case`)).rows.map((r) => r.id));
    const notes = new Set((await c.query<{ id: string }>(`SELECT id FROM case_note`)).rows.map((r) => r.id));
    return { seqs, events, customers, cases, notes };
  });
}

/** The id of the row an event or an acknowledged request is about, and whether that row exists. */
function rowExists(action: string, id: string | null, s: Snapshot): boolean {
  if (id === null) return false;
  if (action.startsWith("customer.")) return s.customers.has(id);
  if (action === "case.note.add") return s.notes.has(id);
  return s.cases.has(id);
}

function countBy<T>(items: readonly T[], key: (t: T) => string | null): Map<string | null, number> {
  const m = new Map<string | null, number>();
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return m;
}

/** Every broken invariant, as a message naming the request, event or row. Empty when all hold. */
function findViolations(ops: readonly Op[], s: Snapshot): string[] {
  const v: string[] = [];
  const gap = s.seqs.findIndex((seq, i) => seq !== i + 1);
  if (gap >= 0) v.push(`audit chain positions are not 1..${s.seqs.length}: seq ${s.seqs[gap]} at position ${gap + 1}`);
  const success = s.events.filter((e) => e.outcome === "SUCCESS");

  // Acknowledged → it exists, with exactly one SUCCESS event of its request (reads too: a read is answered
  // only once its event is durable).
  const byRequest = new Map<string, EventRow[]>();
  for (const e of success) byRequest.set(`${e.request_id} ${e.action}`, [...(byRequest.get(`${e.request_id} ${e.action}`) ?? []), e]);
  for (const op of ops.filter((o) => o.outcome === "acked")) {
    const noted = op.action === "case.note.add";
    const events = (byRequest.get(`${op.requestId} ${op.action}`) ?? []).filter(
      (e) => e.resource_id === (noted ? op.target : op.result) && (!noted || e.note_id === op.result),
    );
    if (events.length !== 1) v.push(`acknowledged ${op.action} ${op.requestId} (${op.result}) has ${events.length} SUCCESS events, not 1`);
    if (!rowExists(op.action, op.result, s)) v.push(`acknowledged ${op.action} ${op.requestId}: row ${op.result} does not exist`);
  }

  // A SUCCESS event of a write → the write committed (its row exists), and one request made one such event.
  const writeEvents = success.filter((e) => (WRITE_ACTIONS as readonly string[]).includes(e.action));
  for (const e of writeEvents) {
    const id = e.action === "case.note.add" ? e.note_id : e.resource_id;
    if (!rowExists(e.action, id, s)) v.push(`event seq ${e.seq} (${e.action}, request ${e.request_id}) names ${id}, which was never committed`);
  }
  for (const [key, n] of countBy(writeEvents, (e) => `${e.request_id} ${e.action}`)) if (n > 1) v.push(`request ${key} has ${n} SUCCESS events`);

  // A committed row → its event, exactly once, acknowledged or not; an update → the version it bumped.
  const checkRows = (ids: Iterable<string>, action: Action, key: (e: EventRow) => string | null) => {
    const counts = countBy(writeEvents.filter((e) => e.action === action), key);
    for (const id of ids) if (counts.get(id) !== 1) v.push(`row ${id} has ${counts.get(id) ?? 0} ${action} SUCCESS events, not 1`);
  };
  checkRows(s.customers.keys(), "customer.create", (e) => e.resource_id);
  checkRows(s.cases, "case.open", (e) => e.resource_id);
  checkRows(s.notes, "case.note.add", (e) => e.note_id);
  const updates = countBy(writeEvents.filter((e) => e.action === "customer.update"), (e) => e.resource_id);
  for (const [id, version] of s.customers) {
    if ((updates.get(id) ?? 0) !== version - 1) v.push(`customer ${id} is at version ${version} but has ${updates.get(id) ?? 0} customer.update SUCCESS events`);
  }
  return v;
}

/** The invariants must be able to fail: each kind of loss, planted in a copy of the snapshot, is reported. */
function expectCheckerCatchesLosses(ops: readonly Op[], s: Snapshot): void {
  const created = ops.find((o) => o.outcome === "acked" && o.action === "customer.create")!;
  const updated = ops.find((o) => o.outcome === "acked" && o.action === "customer.update")!;
  const withoutEventsOf = (requestId: string) => ({ ...s, events: s.events.filter((e) => e.request_id !== requestId) });
  expect(findViolations(ops, withoutEventsOf(created.requestId)).join("\n")).toContain(created.requestId);
  expect(findViolations(ops, withoutEventsOf(updated.requestId)).join("\n")).toContain(updated.requestId);
  const customers = new Map(s.customers);
  customers.delete(created.result!);
  expect(findViolations(ops, { ...s, customers }).join("\n")).toMatch(/never committed/);
  expect(findViolations(ops, { ...s, seqs: s.seqs.filter((seq) => seq !== 2) }).join("\n")).toMatch(/chain positions/);
  const phantom: Op = { ...created, requestId: "never-answered", result: "00000000-0000-4000-8000-000000000000" };
  expect(findViolations([...ops, phantom], s).join("\n")).toContain("never-answered");
}

async function expectCrashSafe(sc: Scenario, ops: readonly Op[]): Promise<void> {
  await waitForAuditDrain(sc.databaseUrl);
  const snapshot = await takeSnapshot(sc.databaseUrl);
  expect(findViolations(ops, snapshot), `server output:\n${sc.server.output()}`).toEqual([]);
  const verified = await runCli(sc.env, ["verify"]);
  expect(verified.code, `${verified.stdout}\n${verified.stderr}`).toBe(0);
  expect(verified.stdout).toMatch(/audit chain intact/);
  expectCheckerCatchesLosses(ops, snapshot);
}

/** Resolves once the server's sequencer has sent `n` speculative rounds (its /readyz counts them). */
function speculativeRounds(graphqlUrl: string, n: number): () => Promise<boolean> {
  return async () => {
    const res = await fetch(graphqlUrl.replace(/\/graphql$/, "/readyz"), { signal: AbortSignal.timeout(5_000) }).catch(() => null);
    const body = (await res?.json().catch(() => null)) as { auditRounds?: { speculative: number } } | null;
    return (body?.auditRounds?.speculative ?? 0) >= n;
  };
}

/** Every acknowledged page of customers left one SUCCESS customer.read per customer on it, no more, no fewer. */
async function expectListReadsSealed(sc: Scenario, ops: readonly ListOp[]): Promise<void> {
  const acked = ops.filter((o) => o.outcome === "acked" && o.customers > 0);
  expect(acked.length).toBeGreaterThan(0);
  const counts = await withClient(sc.databaseUrl, async (c) =>
    new Map(
      (
        await c.query<{ request_id: string; n: number }>(
          `SELECT request_id, count(*)::int AS n FROM audit_event
            WHERE action = 'customer.read' AND outcome = 'SUCCESS' AND request_id = ANY($1) GROUP BY request_id`,
          [acked.map((o) => o.requestId)],
        )
      ).rows.map((r) => [r.request_id, r.n]),
    ),
  );
  const short = acked.filter((o) => counts.get(o.requestId) !== o.customers).map((o) => `${o.requestId}: ${counts.get(o.requestId) ?? 0} of ${o.customers}`);
  expect(short).toEqual([]);
}

function summary(ops: readonly Op[]): string {
  const by = countBy(ops, (o) => `${o.phase}/${isWrite(o) ? "write" : "read"}/${o.outcome}${o.codes.length ? `(${o.codes.join(",")})` : ""}`);
  return [...by].map(([k, n]) => `${k}=${n}`).sort().join(" ");
}

describe("crash safety under concurrent load", () => {
  it("kill -9 of the server: acknowledged writes survive with their events, the chain verifies, a restart serves", async () => {
    const sc = await prepare("crash_kill");
    const load = new Load(sc.server.url, sc.token, "k", CLIENTS);
    load.start("before");
    await waitUntil("300 acknowledged writes", ackedWrites(load, 300), 90_000);
    // Pages of customers beside it, so that the sequencer pipelines its rounds when the kill lands.
    const lists = new ListReads(sc.server.url, sc.token, "k", LIST_CLIENTS);
    lists.start();
    await waitUntil("pipelined seal rounds", speculativeRounds(sc.server.url, 3), 60_000, 200);
    const inFlight = load.count((o) => o.outcome === "pending");
    await sc.server.kill9();
    await Promise.all([load.stop(), lists.stop()]);
    expect(inFlight, "the kill should land while requests are in flight").toBeGreaterThan(0);

    // Same environment, no repair step: the restart itself must bring it back.
    sc.server = await startServer(sc.env);
    servers.push(sc.server);
    load.start("after");
    await waitUntil("50 writes acknowledged by the restarted server", ackedWrites(load, 50, "after"), 60_000);
    await load.stop();
    const failedAfter = load.ops.filter((o) => o.phase === "after" && o.outcome !== "acked");
    expect(failedAfter, summary(load.ops)).toEqual([]);

    await expectCrashSafe(sc, load.ops);
    await expectListReadsSealed(sc, lists.ops);
    console.info(`crash-safety kill -9: ${summary(load.ops)}; list reads acknowledged ${lists.ops.filter((o) => o.outcome === "acked").length}`);
  }, 240_000);

  it("PostgreSQL crashes and restarts under load: coded errors meanwhile, the same server reconnects, nothing is lost", async () => {
    const sc = await prepare("crash_pg");
    const load = new Load(sc.server.url, sc.token, "p", CLIENTS);
    load.start("before");
    await waitUntil("200 acknowledged writes", ackedWrites(load, 200), 90_000);

    await cluster.crash();
    load.phase = "outage";
    await waitUntil("40 answers during the outage", () => load.count((o) => o.phase === "outage" && o.outcome !== "pending") >= 40, 60_000);
    const readiness = await fetch(sc.server.url.replace(/\/graphql$/, "/readyz"), { signal: AbortSignal.timeout(30_000) });
    expect(readiness.status).toBe(503);

    await cluster.restart();
    load.phase = "recovered";
    await waitUntil("50 writes acknowledged after PostgreSQL came back", ackedWrites(load, 50, "recovered"), 90_000);
    await load.stop();

    // The same process throughout; every request answered (none cut off or hung), failures with a code.
    expect(sc.server.alive(), sc.server.output()).toBe(true);
    const unanswered = load.ops.filter((o) => o.outcome === "no-reply");
    expect(unanswered, summary(load.ops)).toEqual([]);
    const uncoded = load.ops.filter((o) => o.outcome === "refused" && !o.codes.every((c) => (ERROR_CODES as readonly string[]).includes(c)));
    expect(uncoded, summary(load.ops)).toEqual([]);
    expect(load.count((o) => o.phase === "outage" && o.outcome === "refused")).toBeGreaterThan(0);

    await expectCrashSafe(sc, load.ops);
    console.info(`crash-safety PostgreSQL restart: ${summary(load.ops)}`);
  }, 240_000);
});
