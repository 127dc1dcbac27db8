// Append throughput and seal lag at 1, 8, 32 and 64 concurrent writers against a baseline trigger that
// locks the chain head and hashes inside the insert, for both ways events reach the sequencer: a write's
// (one transaction journals its events and commits, then it awaits the receipt) and a read's (its events
// are submitted to the sequencer and sealed with the next round; no commit of its own). Baseline and Custos runs
// alternate (order flipped every round) so that noise on the shared machine hits both.
import "reflect-metadata";
import type { DataSource } from "typeorm";
import { createHash } from "node:crypto";
import { canonicalEvent, sealEvents, GENESIS_HEAD } from "../src/audit/core";
import { journalAuditEvents } from "../src/audit/journal";
import { createDataSource } from "../src/db/data-source";
import { anatomyOfSeal } from "./support/append-anatomy";
import { BASELINE_SCHEMA, insertBaselineEvents } from "./support/append-baseline";
import { openAppendDb } from "./support/append-db";
import { percentile, RecordingSequencer, requestEvents, runSubmitters, runWriters, type LoadResult, type SealRound } from "./support/append-load";

const list = (v: string | undefined, d: string) => (v ?? d).split(",").filter(Boolean).map(Number);
const WRITERS = list(process.env.BENCH_WRITERS, "1,8,32,64");
const PER_TXN = list(process.env.BENCH_EVENTS_PER_TXN, "1,3,10");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BATCH = Number(process.env.BENCH_SEAL_BATCH ?? 5_000);
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0)).padStart(6);

async function main(): Promise<void> {
  const db = await openAppendDb("append");
  const ds = createDataSource(db.url, { poolSize: Math.max(...WRITERS) + 4, applicationName: "custos-bench-append" });
  await ds.initialize();
  const sequencer = new RecordingSequencer(ds, { batch: BATCH, onError: (e) => console.error("seal failed", e) });
  try {
    for (const sql of BASELINE_SCHEMA) await ds.query(sql);
    console.log(`database: ${db.kind}; pool ${Math.max(...WRITERS) + 4} connections; seal batch ${BATCH}`);
    console.log(`each configuration: ${ROUNDS} rounds of ${SECONDS} s per side, baseline and Custos alternating\n`);

    const baseline = (writers: number, perTxn: number, secs = SECONDS) =>
      runWriters(ds, writers, secs, perTxn, (em, events) => insertBaselineEvents(em, events));
    const custos = (writers: number, perTxn: number, secs = SECONDS) =>
      runWriters(ds, writers, secs, perTxn, (em, events) => journalAuditEvents(em, events), (ids) => sequencer.sealed(ids));
    const submit = (writers: number, perTxn: number, secs = SECONDS) => runSubmitters(sequencer, writers, secs, perTxn);
    // Warm-up: connections, plans, JIT of every path.
    await baseline(8, 1, 0.5);
    await custos(8, 1, 0.5);
    await submit(8, 1, 0.5);
    sequencer.takeRounds();

    for (const perTxn of PER_TXN) {
      console.log(`${perTxn} event(s) per transaction${perTxn > 3 ? " (VARIANT: our requests journal 1-3)" : ""}`);
      console.log(`  writers | baseline ev/s  e2e p50/p99 ms | writes: journal ev/s sealed  seal lag p50/p99 ms  e2e p99 ms | seal rounds (both paths): batch, ms | writes/baseline | reads: submit ev/s  p50/p99 ms | reads/baseline`);
      for (const writers of WRITERS) {
        const b: LoadResult[] = [];
        const c: LoadResult[] = [];
        const r: LoadResult[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          if (round % 2 === 0) {
            b.push(await baseline(writers, perTxn));
            c.push(await custos(writers, perTxn));
            r.push(await submit(writers, perTxn));
          } else {
            r.push(await submit(writers, perTxn));
            c.push(await custos(writers, perTxn));
            b.push(await baseline(writers, perTxn));
          }
        }
        const rounds = sequencer.takeRounds();
        const rate = (rs: LoadResult[]) => rs.reduce((s, r) => s + r.events, 0) / rs.reduce((s, r) => s + r.seconds, 0);
        const all = (rs: LoadResult[], k: "endToEnd" | "sealLag") => rs.flatMap((r) => r[k]);
        const ratios = b.map((br, i) => c[i].events / c[i].seconds / (br.events / br.seconds));
        console.log(
          `  ${String(writers).padStart(7)} | ${fmt(rate(b)).padStart(13)} ${ms(percentile(all(b, "endToEnd"), 50))}/${ms(percentile(all(b, "endToEnd"), 99)).trim().padEnd(6)} | ` +
            `${fmt(rate(c)).padStart(18)} ${ms(percentile(all(c, "sealLag"), 50))}/${ms(percentile(all(c, "sealLag"), 99)).trim().padEnd(12)} ${ms(percentile(all(c, "endToEnd"), 99))}     | ` +
            `${describeRounds(rounds).padEnd(33)}| ${(rate(c) / rate(b)).toFixed(1)}x (rounds: ${ratios.map((x) => x.toFixed(1)).join(", ")}) | ` +
            `${fmt(rate(r)).padStart(18)} ${ms(percentile(all(r, "endToEnd"), 50))}/${ms(percentile(all(r, "endToEnd"), 99)).trim().padEnd(6)} | ${(rate(r) / rate(b)).toFixed(1)}x`,
        );
      }
    }
    await profile(ds, sequencer);
  } finally {
    await sequencer.stop();
    await ds.destroy();
    await db.close();
  }
}

function describeRounds(rounds: SealRound[]): string {
  if (rounds.length === 0) return "-";
  const events = rounds.reduce((s, r) => s + r.events, 0);
  const time = rounds.reduce((s, r) => s + r.ms, 0);
  return `${fmt(rounds.length)} rounds, ${(events / rounds.length).toFixed(1)} ev, ${(time / rounds.length).toFixed(1)} ms`;
}

/** Where the time goes: the journal's commit capacity alone, the sequencer's sealing capacity alone, JS hashing. */
async function profile(ds: DataSource, sequencer: RecordingSequencer): Promise<void> {
  const writers = Math.max(...WRITERS);
  console.log(`\nprofile (${writers} writers, 3 events per transaction):`);
  const journalOnly = await runWriters(ds, writers, SECONDS, 3, (em, events) => journalAuditEvents(em, events));
  console.log(`  journal only (commit, no seal wait):   ${fmt(journalOnly.events / journalOnly.seconds)} events/s, e2e p50/p99 ${percentile(journalOnly.endToEnd, 50).toFixed(1)}/${percentile(journalOnly.endToEnd, 99).toFixed(1)} ms`);
  const s = performance.now();
  await sequencer.drain();
  const secs = (performance.now() - s) / 1000;
  const rounds = sequencer.takeRounds();
  const sealedEvents = rounds.reduce((t, r) => t + r.events, 0);
  console.log(`  seal only (drain that backlog, idle writers): ${fmt(sealedEvents / secs)} events/s (${fmt(sealedEvents)} events, ${describeRounds(rounds)})`);
  // One round of BATCH events taken apart, on a backlog journalled while nothing seals.
  await runWriters(ds, writers, Math.max(1, (BATCH / (journalOnly.events / journalOnly.seconds)) * 1.2), 3, (em, evs) => journalAuditEvents(em, evs));
  const steps = await anatomyOfSeal(ds, BATCH);
  const total = steps.reduce((t, [, d]) => t + d, 0);
  console.log(`  one seal round taken apart (same statements as the sequencer, ${fmt(BATCH)} events, ${total.toFixed(0)} ms = ${fmt((BATCH / total) * 1000)} events/s):`);
  for (const [name, d] of steps) console.log(`    ${name.padEnd(48)} ${d.toFixed(1).padStart(7)} ms  ${((d / total) * 100).toFixed(0).padStart(3)}%`);
  await sequencer.drain();
  sequencer.takeRounds();
  const events = Array.from({ length: 2_000 }, () => requestEvents(5)).flat();
  sealEvents(GENESIS_HEAD, events.slice(0, 1_000)); // warm-up
  const h = performance.now();
  sealEvents(GENESIS_HEAD, events);
  const hashUs = ((performance.now() - h) * 1000) / events.length;
  const c = performance.now();
  const texts = events.map((e, i) => canonicalEvent(i + 1, e));
  const canonUs = ((performance.now() - c) * 1000) / events.length;
  const d = performance.now();
  for (const text of texts) createHash("sha256").update(GENESIS_HEAD.hash, "hex").update(text, "utf8").digest("hex");
  const shaUs = ((performance.now() - d) * 1000) / events.length;
  console.log(
    `  sealEvents in Node: ${hashUs.toFixed(1)} µs/event = ${fmt(1e6 / hashUs)} events/s on one core ` +
      `(canonical form ${canonUs.toFixed(1)} µs, sha256 ${shaUs.toFixed(1)} µs, the rest validation and copying)`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
