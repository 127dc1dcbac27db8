// Customer-data crypto costs: (1) a customer read decrypting all PII vs the same read decrypting none,
// interleaved in one run, as a ratio; (2) master-key rotation throughput over BENCH_CUSTOMERS customers.
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { loadConfig } from "../src/config";
import { CUSTOMER_PII_FIELDS } from "../src/domain/enums";
import { openCore } from "../src/main";
import { defineAbilityFor, type Principal } from "../src/policies";
import { rotateMasterKey } from "../src/services/master-key-rotation.service";

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-bench-"));
  const config = loadConfig({ ...process.env, NODE_ENV: "development", CUSTOS_DATA_DIR: dataDir, CUSTOS_SEED_DEMO: "false", CUSTOS_EMBEDDED_PG_PORT: "54612" });
  const core = await openCore(config, { logger: pino({ level: "silent" }) });
  try {
    const { cipher } = core.services;
    // Bulk generator: encrypt like createCustomer does, insert 1,000 rows per multi-row INSERT.
    const t0 = Date.now();
    for (let start = 0; start < CUSTOMERS; start += 1000) {
      const n = Math.min(1000, CUSTOMERS - start);
      const cust: unknown[] = [];
      const keys: unknown[] = [];
      const cTuples: string[] = [];
      const kTuples: string[] = [];
      for (let i = 0; i < n; i++) {
        const id = randomUUID();
        const k = start + i;
        const { dek, stored } = cipher.newDataKey(id);
        const seal = (f: string, v: string) => cipher.sealCustomerField(dek, id, f, v);
        const b = cust.length;
        cust.push(id, `B${String(k).padStart(7, "0")}`, seal("fullName", `Bench Customer ${k}`), seal("nationalId", `BN${k}`), seal("phone", `+44 20 ${k}`), seal("email", `b${k}@bench.test`), cipher.blindIndex("nationalId", `BN${k}`));
        cTuples.push(`($${b + 1}, $${b + 2}, '{PERSONAL_BANKING}', 'ACTIVE', $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, 1)`);
        const kb = keys.length;
        keys.push(id, stored.version, stored.wrapped);
        kTuples.push(`($${kb + 1}, $${kb + 2}, $${kb + 3})`);
      }
      await core.ds.query(`INSERT INTO customer (id, reference, business_lines, status, full_name_enc, national_id_enc, phone_enc, email_enc, national_id_bidx, bidx_version) VALUES ${cTuples.join(",")}`, cust);
      await core.ds.query(`INSERT INTO customer_key (customer_id, kek_version, wrapped_dek) VALUES ${kTuples.join(",")}`, keys);
    }
    console.log(`generated ${CUSTOMERS.toLocaleString("en")} customers in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const principal: Principal = { id: randomUUID(), role: "COMPLIANCE_OFFICER", businessLine: null, teamId: null, kind: "staff", trainingCurrent: true, scopes: [] };
    const meta = { requestId: "bench", operation: "bench", clientAddress: null, purpose: "CASE_HANDLING" };
    const actor = { principal, ability: defineAbilityFor(principal, { purpose: meta.purpose }), meta };
    const ids: string[] = (await core.ds.query(`SELECT customer_id AS id FROM customer_key ORDER BY random() LIMIT $1`, [ROUNDS])).map((r: { id: string }) => r.id);
    const times = { decrypting: [] as number[], notDecrypting: [] as number[] };
    for (const id of ids) {
      for (const [name, wanted] of [["decrypting", CUSTOMER_PII_FIELDS], ["notDecrypting", []]] as const) {
        const s = process.hrtime.bigint();
        await core.services.customers.get(actor, id, wanted);
        times[name].push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }
    const d = median(times.decrypting);
    const p = median(times.notDecrypting);
    console.log(`customer read, ${ids.length} interleaved rounds (median, through the audited store incl. audit append):`);
    console.log(`  decrypting 5 PII fields  ${d.toFixed(3)} ms`);
    console.log(`  no decryption            ${p.toFixed(3)} ms`);
    console.log(`  ratio decrypting / not   = ${(d / p).toFixed(3)}`);

    const cli = { principal: null, ability: null, meta: { requestId: "bench-rotate", operation: "bench", clientAddress: null, purpose: null } };
    const r0 = Date.now();
    const result = await rotateMasterKey({ store: core.services.store, keysFile: config.keysFile, batchSize: 500, waitForReload: async () => {} }, cli);
    const secs = (Date.now() - r0) / 1000;
    console.log(`master-key rotation: ${result.rewrapped.toLocaleString("en")} data keys in ${result.batches} batches of 500, ${secs.toFixed(1)} s = ${Math.round(result.rewrapped / secs).toLocaleString("en")} customers/s`);
  } finally {
    await core.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
