// A database for one benchmark run: DATABASE_URL if set (a fresh database is created on that server), else an
// embedded PostgreSQL of its own (fsync off, deleted afterwards); the schema built by the real migrations.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import { quoteIdent, withDatabase } from "../../src/db/database-url";
import { createDataSource, runMigrations } from "../../src/db/data-source";
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres";

export interface BenchDb {
  url: string;
  ds: DataSource;
  /** "embedded (fsync off)" or "DATABASE_URL". */
  kind: string;
  connect(): Promise<Client>;
  close(): Promise<void>;
}

/** A port the OS says is free now (other benchmarks and test runs share this machine). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function openBenchDb(name: string): Promise<BenchDb> {
  let url: string;
  let kind: string;
  let cleanup: () => Promise<void>;
  if (process.env.DATABASE_URL) {
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    const db = `custos_bench_${name}_${process.pid}`;
    await admin.query(`CREATE DATABASE ${quoteIdent(db)}`);
    await admin.end();
    url = withDatabase(process.env.DATABASE_URL, db);
    kind = "DATABASE_URL";
    cleanup = async () => {
      const c = new Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`);
      await c.end();
    };
  } else {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), `custos-bench-${name}-`));
    const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: () => {}, persistent: false });
    url = server.url;
    kind = "embedded PostgreSQL (fsync off)";
    cleanup = async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const ds = createDataSource(url, { poolSize: 4, applicationName: `custos-bench-${name}` });
  await ds.initialize();
  await runMigrations(ds);
  return {
    url,
    ds,
    kind,
    async connect() {
      const c = new Client({ connectionString: url });
      await c.connect();
      return c;
    },
    async close() {
      await ds.destroy();
      await cleanup();
    },
  };
}
