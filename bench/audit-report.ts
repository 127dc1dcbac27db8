// accessReport(customerId, from, to) latency over BENCH_EVENTS (default 10,000,000) audit events with a
// realistic mix, through the service as the API calls it (which also records its own audit.report event), and
// the report's SQL alone. Hashes are placeholders: this benchmark needs volume and distribution, not a valid chain.
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { loadConfig } from "../src/config";
import { openCore } from "../src/main";
import { defineAbilityFor, type Principal } from "../src/policies";
import { selectCustomerAccess } from "../src/store/audit-report.store";
import { COPY_COLUMNS, makeWorld, rng, unchainedEventChunks, type World } from "./support/audit-gen";
import { openBenchDb, type BenchDb } from "./support/bench-db";
import { copyIn, copyText } from "./support/pg-copy-in";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);
const DAYS = 365;
const END_MS = Date.UTC(2026, 10, 1);
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Customers and support cases behind the case.read events, so accessReport's case half joins real rows. */
async function loadCases(db: BenchDb, world: World): Promise<string> {
  const client = await db.connect();
  try {
    await client.query(`INSERT INTO team (id, name, business_line) VALUES ($1, 'Bench team', 'PERSONAL_BANKING') ON CONFLICT DO NOTHING`, [randomUUID()]);
    const [{ id: team }] = (await client.query(`SELECT id FROM team WHERE business_line = 'PERSONAL_BANKING'`)).rows;
    const needed = [...new Set(world.cases.map((c) => c.customer))];
    await copyIn(client, `COPY customer (id, reference, status, full_name_enc, national_id_enc, national_id_bidx, bidx_version) FROM STDIN`, function* () {
      for (let i = 0; i < needed.length; i += 5000) {
        yield Buffer.from(needed.slice(i, i + 5000).map((k) => `${world.customers[k]}\tBENCH-${k}\tACTIVE\t\\\\x00\t\\\\x00\t\\\\x${k.toString(16).padStart(16, "0")}\t1\n`).join(""));
      }
    });
    const received = new Date(END_MS - DAYS * 86_400_000).toISOString();
    await copyIn(client, `COPY support_case (id, reference, customer_id, channel, kind, category, complexity, business_line, team_id, status, received_at, first_response_due_at, summary_enc) FROM STDIN`, function* () {
      for (let i = 0; i < world.cases.length; i += 5000) {
        yield Buffer.from(
          world.cases
            .slice(i, i + 5000)
            .map((c, j) => `${c.id}\tBC-${i + j}\t${world.customers[c.customer]}\tPHONE\tINQUIRY\t${copyText("general")}\tCOMMON\tPERSONAL_BANKING\t${team}\tNEW\t${received}\t${received}\t\\\\x00\n`)
            .join(""),
        );
      }
    });
    return `${fmt(needed.length)} customers, ${fmt(world.cases.length)} cases`;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const db = await openBenchDb("report");
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-bench-report-"));
  try {
    const random = rng(23);
    const world = makeWorld(random, { staff: 5_000, customers: 1_000_000, cases: 300_000 });
    console.log(`database: ${db.kind}; ${fmt(EVENTS)} events over ${DAYS} days, ${fmt(world.staff.length)} staff, ${fmt(world.customers.length)} customers`);
    let cases: string;
    try {
      cases = await loadCases(db, world);
    } catch (error) {
      // The case schema is someone else's and may change: the customer half of the report still runs.
      cases = `not loaded (${(error as Error).message}); accessReport's case half finds nothing`;
    }
    console.log(`support data: ${cases}`);

    const client = await db.connect();
    const t0 = performance.now();
    const copied = await copyIn(client, `COPY audit_event (${COPY_COLUMNS}) FROM STDIN`, () => unchainedEventChunks(world, EVENTS, END_MS, DAYS, 29));
    const genSecs = (performance.now() - t0) / 1000;
    console.log(`generated ${fmt(copied)} events (COPY FROM STDIN into the indexed table) in ${genSecs.toFixed(1)} s = ${fmt(copied / genSecs)} events/s`);
    const a0 = performance.now();
    await client.query(`VACUUM (ANALYZE) audit_event`);
    await client.query(`ANALYZE customer; ANALYZE support_case`);
    console.log(`VACUUM ANALYZE in ${((performance.now() - a0) / 1000).toFixed(1)} s`);
    await client.end();

    const config = loadConfig({ ...process.env, NODE_ENV: "development", DATABASE_URL: db.url, CUSTOS_DATA_DIR: dataDir, CUSTOS_SEED_DEMO: "false" });
    const core = await openCore(config, { logger: pino({ level: "silent" }) });
    try {
      const principal: Principal = { id: world.staff[0].id, role: "SECURITY_ANALYST", businessLine: null, teamId: null, kind: "staff", trainingCurrent: true, scopes: [] };
      const meta = { requestId: "bench-report", operation: "AccessReport", clientAddress: null, purpose: "FRAUD_INVESTIGATION" };
      const actor = { principal, ability: defineAbilityFor(principal, { purpose: meta.purpose }), meta };
      // Half the customers by read popularity (as investigated customers tend to be), half uniformly; windows 7–90 days.
      const queries = Array.from({ length: QUERIES }, () => {
        const k = random() < 0.5 ? Math.floor(world.customers.length * random() ** 3) : Math.floor(world.customers.length * random());
        const days = 7 + Math.floor(random() * 84);
        const to = END_MS - Math.floor(random() * (DAYS - days)) * 86_400_000;
        return { customerId: world.customers[k], from: new Date(to - days * 86_400_000), to: new Date(to) };
      });
      const times = { service: [] as number[], sql: [] as number[] };
      let rows = 0;
      for (const q of queries.slice(0, 20)) await core.services.auditReports.accessReport(actor, q.customerId, q.from, q.to); // warm-up
      for (const q of queries) {
        let s = performance.now();
        const report = await core.services.auditReports.accessReport(actor, q.customerId, q.from, q.to);
        times.service.push(performance.now() - s);
        rows += report.entries.length;
        s = performance.now();
        await selectCustomerAccess(core.ds.manager, q.customerId, q.from, q.to, 10_001);
        times.sql.push(performance.now() - s);
      }
      console.log(`accessReport over ${QUERIES} random customers and 7–90-day windows (${fmt(rows / QUERIES)} entries per report on average):`);
      for (const [name, xs] of Object.entries(times)) {
        console.log(`  ${name === "service" ? "through the service (incl. its audit.report event)" : "report SQL alone                                  "}  p50 ${pct(xs, 50).toFixed(2)} ms  p95 ${pct(xs, 95).toFixed(2)} ms  p99 ${pct(xs, 99).toFixed(2)} ms`);
      }
      console.log(`target p95 < 50 ms`);
    } finally {
      await core.close();
    }
  } finally {
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
