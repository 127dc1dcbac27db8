// Full audit-log verification over BENCH_EVENTS (default 1,000,000) valid chained events, side by side with a
// raw `COPY (SELECT <the columns> FROM audit_event ORDER BY seq) TO STDOUT` of the same table: the floor any
// verifier must read through. Rounds alternate raw COPY and verification; the ratio is per round.
import "reflect-metadata";
import { COPY_COLUMNS, chainedEventChunks, makeWorld, rng } from "./support/audit-gen";
import { openBenchDb } from "./support/bench-db";
import { copyIn } from "./support/pg-copy-in";
import { copyOut } from "../src/audit/verify-copy";
import { verifyAuditLog } from "../src/audit/verify-log";
import { VERIFY_COLUMNS } from "../src/audit/verify-rows";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const fmt = (n: number) => Math.round(n).toLocaleString("en");

async function main(): Promise<void> {
  const db = await openBenchDb("verify");
  try {
    console.log(`database: ${db.kind}; ${EVENTS.toLocaleString("en")} events, ${ROUNDS} rounds`);
    const world = makeWorld(rng(7), { staff: 2_000, customers: 200_000, cases: 60_000 });
    const client = await db.connect();
    try {
      const t0 = performance.now();
      const copied = await copyIn(client, `COPY audit_event (${COPY_COLUMNS}) FROM STDIN`, () => chainedEventChunks(world, EVENTS, Date.UTC(2026, 10, 1), 365, 11));
      const genSecs = (performance.now() - t0) / 1000;
      console.log(`generated ${fmt(copied)} chained events (hashed in Node, loaded with COPY FROM STDIN) in ${genSecs.toFixed(1)} s = ${fmt(copied / genSecs)} events/s`);
      await client.query("VACUUM (ANALYZE) audit_event"); // hint bits set once, so no round pays for them

      const rawSql = (binary: boolean) =>
        `COPY (SELECT ${binary ? VERIFY_COLUMNS.join(", ") : COPY_COLUMNS} FROM audit_event ORDER BY seq) TO STDOUT${binary ? " (FORMAT binary)" : ""}`;
      const raw = async (binary: boolean) => {
        const s = performance.now();
        let bytes = 0;
        const rows = await copyOut(client, rawSql(binary), (chunk) => {
          bytes += chunk.length;
        }).done;
        const secs = (performance.now() - s) / 1000;
        return { rate: rows / secs, mb: bytes / 1e6 };
      };
      const ratios: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const text = await raw(false);
        const binary = await raw(true);
        const s = performance.now();
        const report = await verifyAuditLog(db.ds, { keys: [], sink: null });
        const secs = (performance.now() - s) / 1000;
        if (!report.ok || report.checked !== EVENTS) throw new Error(`verification failed: ${JSON.stringify(report)}`);
        const rate = report.checked / secs;
        ratios.push(rate / text.rate);
        console.log(
          `round ${round}: raw COPY text ${fmt(text.rate)} rows/s (${text.mb.toFixed(0)} MB) | raw COPY binary ${fmt(binary.rate)} rows/s (${binary.mb.toFixed(0)} MB) | ` +
            `verify ${fmt(rate)} events/s (${report.parallelism} workers, ${secs.toFixed(2)} s) | verify / raw text = ${(rate / text.rate).toFixed(2)}`,
        );
      }
      if (process.env.BENCH_SEQUENTIAL !== "0") {
        const s = performance.now();
        const report = await verifyAuditLog(db.ds, { keys: [], sink: null }, { reader: "keyset" });
        const secs = (performance.now() - s) / 1000;
        console.log(`sequential reference (keyset batches, one thread): ${fmt(report.checked / secs)} events/s (${secs.toFixed(1)} s, ok=${report.ok})`);
      }
      const sorted = [...ratios].sort((a, b) => a - b);
      console.log(`median verify / raw COPY text = ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} (target ≥ 0.5; target rate ≥ 250,000 events/s)`);
    } finally {
      await client.end();
    }
  } finally {
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
