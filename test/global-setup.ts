// Owns the one PostgreSQL server a test run uses: TEST_DATABASE_URL / DATABASE_URL, else an embedded one.
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { withDatabase } from "../src/db/database-url";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../src/db/embedded-postgres";
import { freePort } from "./support/free-port";

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  // `||`, not `??`: an exported-but-empty variable (common in CI templates) means "not set".
  const external = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (external) {
    project.provide("adminDatabaseUrl", external);
    return;
  }

  // Server output is noise unless something breaks; CUSTOS_TEST_PG_LOG=1 shows it.
  const log = process.env.CUSTOS_TEST_PG_LOG ? (m: string) => console.error(`[pg] ${m}`) : () => {};
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-test-pg-"));
  let server: EmbeddedPostgresHandle;
  try {
    server = await startEmbeddedPostgres({ dataDir, port: await freePort(), log, persistent: false });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  // Tests create their own databases; hand them the maintenance database, not the app's `custos`.
  project.provide("adminDatabaseUrl", withDatabase(server.url, "postgres"));
  // Ctrl-C exits without teardown; startEmbeddedPostgres then stops the server and deletes the cluster
  // (its exit handler is registered first), and this removes the now-empty temp directory.
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  process.once("exit", removeDir);

  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    process.off("exit", removeDir);
  };
}
