// A database for the append benchmark with durable commits: the commit flush is exactly what group commit
// saves, so fsync stays on (a throwaway embedded cluster started as "persistent", deleted afterwards), or
// DATABASE_URL (a fresh database on that server). BENCH_FSYNC=off uses the fsync-off bench database instead.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { createDataSource, runMigrations } from "../../src/db/data-source";
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres";
import { openBenchDb } from "./bench-db";

export interface AppendDb {
  url: string;
  kind: string;
  close(): Promise<void>;
}

/** A port the OS says is free now (other benchmarks and test runs share this machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function openAppendDb(name: string): Promise<AppendDb> {
  if (process.env.DATABASE_URL || process.env.BENCH_FSYNC === "off") {
    const db = await openBenchDb(name);
    // The bench database's own pool is only for the migrations; callers size their own.
    return { url: db.url, kind: db.kind, close: () => db.close() };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `custos-bench-${name}-`));
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: () => {}, persistent: true });
  const ds = createDataSource(server.url, { poolSize: 2, applicationName: `custos-bench-${name}` });
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();
  const c = new Client({ connectionString: server.url });
  await c.connect();
  const settings = await c.query(`SELECT current_setting('fsync') AS f, current_setting('synchronous_commit') AS s`);
  await c.end();
  return {
    url: server.url,
    kind: `embedded PostgreSQL (fsync=${settings.rows[0].f}, synchronous_commit=${settings.rows[0].s})`,
    async close() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
