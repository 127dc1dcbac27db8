// Audited read throughput: `case(id)` with its customer's PII decrypted, over real HTTP GraphQL requests
// from BENCH_CONNECTIONS (default 32) concurrent clients, with auditing on (the journal + sequencer) versus
// off (a no-op audit sink, benchmark only) in the same run: two servers in this process on one database,
// rounds alternating between them (order flipped every pair) so that noise hits both.
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import http from "node:http";
import { loadConfig } from "../src/config";
import { MANDATORY_TRAINING_COURSE } from "../src/domain/enums";
import { startCustos, type Custos } from "../src/main";
import type { AuditSink } from "../src/store/audited-store";
import { freePort } from "./support/append-db";
import { percentile } from "./support/append-load";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const CASES = Number(process.env.BENCH_CASES ?? 256);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 4);
const fmt = (n: number) => Math.round(n).toLocaleString("en");

/** Benchmark only: the store's events go nowhere, so "off" costs exactly the audit work it skips. */
const NO_AUDIT: AuditSink = { journal: async () => [], sealed: async () => [], submit: async () => [] };

const READ = `query ReadCase($id: ID!) { case(id: $id) { id reference status summary customer { id fullName nationalId phone email address } } }`;

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-bench-read-"));
  const logger = pino({ level: "silent" });
  const pgPort = String(await freePort());
  // Always a throwaway embedded server: this benchmark creates staff, customers and cases.
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const base = { ...env, NODE_ENV: "development", CUSTOS_DATA_DIR: dataDir, CUSTOS_SEED_DEMO: "false", PORT: "0", CUSTOS_EMBEDDED_PG_PORT: pgPort };
  let on: Custos | null = null;
  let off: Custos | null = null;
  // Keep-alive connections, at most CONNECTIONS per server: the concurrency the figure is for.
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    on = await startCustos(loadConfig(base), { logger });
    // Same database, same key file: the "off" server differs only in its audit sink.
    off = await startCustos(loadConfig({ ...base, DATABASE_URL: on.databaseUrl }), { logger, auditSink: NO_AUDIT });
    const pg = "embedded PostgreSQL (fsync on)";
    const token = await agentToken(on);
    const ids = await seedCases(on, token);
    console.log(`database: ${pg}; ${ids.length} cases with customers; ${CONNECTIONS} concurrent HTTP clients; ${PAIRS} pairs of ${SECONDS} s rounds`);

    const post = (server: Custos, id: string) => postJson(agent, server.url, token, JSON.stringify({ query: READ, variables: { id } }));
    const round = async (server: Custos, seconds: number) => {
      const latencies: number[] = [];
      let n = 0;
      const t0 = performance.now();
      const deadline = t0 + seconds * 1000;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async (_, w) => {
          let k = w;
          while (performance.now() < deadline) {
            const s = performance.now();
            const body = (await post(server, ids[k++ % ids.length])) as { data?: { case?: { customer?: { fullName?: string } } }; errors?: Array<{ extensions?: { code?: string } }> };
            if (!body.data?.case?.customer?.fullName) throw new Error(`read failed: ${JSON.stringify(body.errors?.map((e) => e.extensions?.code))}`);
            latencies.push(performance.now() - s);
            n += 1;
          }
        }),
      );
      return { rate: n / ((performance.now() - t0) / 1000), latencies };
    };
    const events = async () => Number((await on!.ds.query(`SELECT (SELECT count(*) FROM audit_event) + (SELECT count(*) FROM audit_pending) AS n`))[0].n);

    // Warm-up, a full round each: connections, plans (the sequencer's pool plans its seal statement on
    // each of its connections), JIT. With one second, the first measured round of "on" ran cold.
    await round(on, SECONDS);
    await round(off, SECONDS);
    const results = { on: [] as number[], off: [] as number[], onLat: [] as number[], offLat: [] as number[] };
    let onRequests = 0;
    let onEvents = 0;
    for (let pair = 1; pair <= PAIRS; pair++) {
      const order: Array<"on" | "off"> = pair % 2 === 1 ? ["on", "off"] : ["off", "on"];
      const line: string[] = [];
      for (const mode of order) {
        const before = mode === "on" ? await events() : 0;
        const r = await round(mode === "on" ? on : off, SECONDS);
        results[mode].push(r.rate);
        results[mode === "on" ? "onLat" : "offLat"].push(...r.latencies);
        if (mode === "on") {
          onRequests += r.latencies.length;
          onEvents += (await events()) - before;
        }
        line.push(`${mode} ${fmt(r.rate)} req/s`);
      }
      console.log(`pair ${pair}: ${line.join(" | ")} | on/off = ${(results.on[pair - 1] / results.off[pair - 1]).toFixed(3)}`);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const lat = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms`;
    console.log(`auditing on:  ${fmt(mean(results.on))} req/s (${lat(results.onLat)}; ${(onEvents / onRequests).toFixed(2)} audit events sealed per request)`);
    console.log(`auditing off: ${fmt(mean(results.off))} req/s (${lat(results.offLat)})`);
    const pairRatios = results.on.map((r, i) => r / results.off[i]).sort((a, b) => a - b);
    console.log(`on / off = ${(mean(results.on) / mean(results.off)).toFixed(3)} (ratio of means); median of the per-pair ratios ${percentile(pairRatios, 50).toFixed(3)} (target >= 0.85)`);
  } finally {
    agent.destroy();
    await off?.stop();
    await on?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** One POST over the keep-alive agent; resolves with the parsed JSON body. */
function postJson(agent: http.Agent, url: string, token: string, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${token}`, "x-custos-purpose": "CASE_HANDLING" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          } catch (error) {
            reject(error);
          }
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A PERSONAL_BANKING agent with current training, logged in over HTTP. */
async function agentToken(custos: Custos): Promise<string> {
  const email = `bench.agent.${process.pid}@bench.custos`;
  const password = `bench agent password ${randomUUID()}`;
  const setup = { principal: null, ability: null, meta: { requestId: "bench-setup", operation: "bench-setup", clientAddress: null, purpose: null } };
  const user = await custos.services.staff.add(setup, { email, role: "AGENT", businessLine: "PERSONAL_BANKING", password, accessExpiresAt: null });
  const day = 86_400_000;
  await custos.ds.query(`INSERT INTO staff_training (staff_id, course, completed_at, expires_at, recorded_at) VALUES ($1, $2, $3, $4, $3)`, [
    user.id,
    MANDATORY_TRAINING_COURSE,
    new Date(Date.now() - day),
    new Date(Date.now() + 365 * day),
  ]);
  const res = await gql(custos, null, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: email, p: password });
  return res.login.accessToken;
}

/** BENCH_CASES customers of the agent's line, each with one case, created through the API. */
async function seedCases(custos: Custos, token: string): Promise<string[]> {
  const ids: string[] = [];
  const one = async (n: number) => {
    const c = await gql(custos, token, `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, {
      i: { fullName: `Bench Customer ${n}`, nationalId: `BC${process.pid}N${n}`, phone: `+44 20 7946 ${n}`, email: `bench.${n}@example.test`, address: `${n} Bench Road` },
    });
    const k = await gql(custos, token, `mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`, {
      i: { customerId: c.createCustomer.id, channel: "PHONE", kind: "SERVICE_REQUEST", category: "card.replacement", complexity: "COMMON", businessLine: "PERSONAL_BANKING", summary: `Lost debit card ${n}` },
    });
    ids.push(k.openCase.id);
  };
  for (let start = 0; start < CASES; start += 8) await Promise.all(Array.from({ length: Math.min(8, CASES - start) }, (_, i) => one(start + i)));
  return ids;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function gql(custos: Custos, token: string | null, query: string, variables: Record<string, unknown>): Promise<any> {
  const res = await fetch(custos.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-custos-purpose": "CASE_HANDLING", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`setup request failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
