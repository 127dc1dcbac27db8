// Login timing: an unknown e-mail must cost about what a wrong password costs, or response time tells an
// attacker which accounts exist. Measured side by side, interleaved, in one run; prints the ratio.
import "reflect-metadata";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { loadConfig } from "../src/config";
import { openCore } from "../src/main";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-bench-"));
  const config = loadConfig({ ...process.env, NODE_ENV: "development", CUSTOS_DATA_DIR: dataDir, CUSTOS_SEED_DEMO: "false", CUSTOS_EMBEDDED_PG_PORT: "54611" });
  const core = await openCore(config, { logger: pino({ level: "silent" }) });
  try {
    const actor = { principal: null, ability: null, meta: { requestId: "bench", operation: "bench", clientAddress: null, purpose: null } };
    const email = `bench.${Date.now()}@bench.custos`;
    await core.services.staff.add(actor, { email, role: "COMPLIANCE_OFFICER", password: "the right password 1" });
    const cases = {
      unknownEmail: () => core.services.auth.login(actor.meta, `nobody.${Math.random()}@bench.custos`, "whatever password"),
      wrongPassword: () => core.services.auth.login(actor.meta, email, "the wrong password 2"),
      rightPassword: () => core.services.auth.login(actor.meta, email, "the right password 1"),
    };
    const times: Record<keyof typeof cases, number[]> = { unknownEmail: [], wrongPassword: [], rightPassword: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const name of Object.keys(cases) as Array<keyof typeof cases>) {
        const t0 = process.hrtime.bigint();
        await cases[name]().catch(() => undefined);
        times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<keyof typeof cases, number>;
    console.log(`login timing, ${ROUNDS} interleaved rounds (median ms):`);
    for (const [k, v] of Object.entries(m)) console.log(`  ${k.padEnd(14)} ${v.toFixed(1)} ms`);
    console.log(`  ratio unknownEmail / wrongPassword = ${(m.unknownEmail / m.wrongPassword).toFixed(3)} (1.0 = indistinguishable)`);
  } finally {
    await core.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
