// Owns throwaway per-test databases on the run's admin server, optionally cloned from a once-built template.
import { createHash, randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { Client } from "pg";
import { inject } from "vitest";
import { quoteIdent, withDatabase } from "../../src/db/database-url";

export interface TestDatabase {
  name: string;
  url: string;
  /** DROP DATABASE … WITH (FORCE); idempotent. */
  drop(): Promise<void>;
}

export interface TemplateSpec {
  /** Template family, [a-z0-9]{1,16}: stale templates are only pruned within the same family. */
  name: string;
  /** Changes whenever the template's content would (e.g. a hash of the migrations). Any string. */
  fingerprint: string;
  /** Fills the freshly created, empty template database; must close all its connections before resolving. */
  build: (url: string) => Promise<void>;
  /** Defaults to inject("adminDatabaseUrl"); pass it when calling from globalSetup, where inject is unavailable. */
  adminUrl?: string;
}

const TEMPLATE_PREFIX = "custos_tpl_";
// Advisory-lock namespaces (first key of the two-int form). Arbitrary; only need to differ from other users'.
const LOCK_BUILD = 0x43555354; // held exclusively while any worker builds or prunes templates
const LOCK_IN_USE = 0x43555355; // (ns, hashtext(template)) held shared by every process that clones it

/** Creates an empty database (or a clone of `template`, a name returned by ensureTemplate). */
export async function createTestDatabase(opts: { template?: string; adminUrl?: string } = {}): Promise<TestDatabase> {
  const admin = opts.adminUrl ?? inject("adminDatabaseUrl");
  const name = `custos_t_${randomBytes(8).toString("hex")}`;
  const from = opts.template ? ` TEMPLATE ${quoteIdent(opts.template)}` : "";
  await withAdmin(admin, async (c) => {
    // With fsync off (the embedded test server) FILE_COPY's checkpoint is nearly free and cloning is ~5x
    // faster (≈20 vs ≈110 ms here); with fsync on, PostgreSQL's default WAL_LOG is the faster one.
    const fsyncOff = (await c.query("SELECT current_setting('fsync') = 'off' AS off")).rows[0]?.off === true;
    await c.query(`CREATE DATABASE ${quoteIdent(name)}${from}${fsyncOff ? " STRATEGY FILE_COPY" : ""}`);
  });
  let dropping: Promise<void> | undefined;
  return {
    name,
    url: withDatabase(admin, name),
    drop: () =>
      (dropping ??= withAdmin(admin, async (c) => {
        // FORCE: a test that leaked a connection (or a pool still closing) must not make cleanup fail.
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      })),
  };
}

const templates = new Map<string, Promise<string>>();
// Advisory locks are re-entrant within a session, and every build in this process shares one session:
// serialise builds here, or two concurrent ensureTemplate calls would both "hold" the build lock.
let buildQueue: Promise<unknown> = Promise.resolve();

/**
 * Returns the name of template database custos_tpl_<name>_<fingerprint>, building it with `spec.build`
 * if no finished copy exists on the server. Parallel workers (and parallel runs against a shared server)
 * serialise on an advisory lock: the first builds, the others wait and then reuse it. A template is
 * marked IS_TEMPLATE only after a successful build, so a half-built leftover is detected and rebuilt.
 * Templates of the same family with another fingerprint are dropped when no live process still uses them.
 */
export function ensureTemplate(spec: TemplateSpec): Promise<string> {
  if (!/^[a-z0-9]{1,16}$/.test(spec.name)) throw new Error(`ensureTemplate: bad template name ${spec.name}`);
  const fp = /^[a-z0-9]{1,32}$/.test(spec.fingerprint)
    ? spec.fingerprint
    : createHash("sha256").update(spec.fingerprint).digest("hex").slice(0, 32);
  const dbName = `${TEMPLATE_PREFIX}${spec.name}_${fp}`;
  let ready = templates.get(dbName);
  if (!ready) {
    const admin = spec.adminUrl ?? inject("adminDatabaseUrl");
    ready = buildQueue.then(() => buildOnce(admin, dbName, `${TEMPLATE_PREFIX}${spec.name}_`, spec.build));
    buildQueue = ready.catch(() => undefined);
    templates.set(dbName, ready);
    ready.catch(() => templates.delete(dbName)); // let a later call retry after a failed build
  }
  return ready;
}

async function buildOnce(admin: string, dbName: string, family: string, build: TemplateSpec["build"]) {
  const session = await lockSession(admin);
  const q = quoteIdent(dbName);
  session.socket.ref(); // keep the process alive while we wait on the lock or a query
  try {
    await session.client.query("SELECT pg_advisory_lock($1, 0)", [LOCK_BUILD]);
    try {
      const found = await session.client.query<{ datistemplate: boolean }>(
        "SELECT datistemplate FROM pg_database WHERE datname = $1",
        [dbName],
      );
      if (!found.rows[0]?.datistemplate) {
        if (found.rows[0]) await session.client.query(`DROP DATABASE ${q} WITH (FORCE)`); // half-built
        await session.client.query(`CREATE DATABASE ${q}`);
        try {
          await build(withDatabase(admin, dbName));
          // Cloning refuses a template with open sessions; a build that forgot to close one must not
          // break every later CREATE DATABASE … TEMPLATE.
          await session.client.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            [dbName],
          );
          await session.client.query(`ALTER DATABASE ${q} WITH IS_TEMPLATE true`);
        } catch (err) {
          await session.client.query(`DROP DATABASE IF EXISTS ${q} WITH (FORCE)`).catch(() => undefined);
          throw err;
        }
      }
      // Taken before the build lock is released, so no pruner can slip in between "exists" and "in use".
      await session.client.query("SELECT pg_advisory_lock_shared($1, hashtext($2))", [LOCK_IN_USE, dbName]);
      await pruneStaleTemplates(session.client, dbName, family);
    } finally {
      await session.client.query("SELECT pg_advisory_unlock($1, 0)", [LOCK_BUILD]);
    }
  } finally {
    session.socket.unref();
  }
  return dbName;
}

/** Opportunistic: drops same-family templates with another fingerprint that no live process holds. */
async function pruneStaleTemplates(client: Client, keep: string, familyPrefix: string): Promise<void> {
  const likeFamily = familyPrefix.replace(/_/g, "\\_") + "%";
  const stale = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2",
    [likeFamily, keep],
  );
  for (const { datname } of stale.rows) {
    try {
      const free = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok", [
        LOCK_IN_USE,
        datname,
      ]);
      if (!free.rows[0]?.ok) continue; // a run still clones from it (older checkout on a shared server)
      try {
        await client.query(`ALTER DATABASE ${quoteIdent(datname)} WITH IS_TEMPLATE false`);
        await client.query(`DROP DATABASE ${quoteIdent(datname)} WITH (FORCE)`);
      } finally {
        await client.query("SELECT pg_advisory_unlock($1, hashtext($2))", [LOCK_IN_USE, datname]);
      }
    } catch {
      // Ignored on purpose: lacking rights or losing a race with another pruner only leaves a stale copy.
    }
  }
}

async function withAdmin<T>(admin: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: admin });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * One admin session per worker process that lives as long as the process: advisory locks belong to the
 * session, and the shared "in use" locks must outlive any single test. Note advisory locks are scoped to
 * a database, so runs only see each other's locks when their admin URLs name the same database.
 */
const lockSessions = new Map<string, Promise<{ client: Client; socket: Socket }>>();
function lockSession(admin: string): Promise<{ client: Client; socket: Socket }> {
  let session = lockSessions.get(admin);
  if (session) return session;
  session = (async () => {
    const client = new Client({ connectionString: admin });
    // The embedded server is stopped at teardown while this session may still be open: not an error.
    client.on("error", () => undefined);
    await client.connect();
    // pg has no public handle on its socket; unref'd while idle so it never keeps a worker from exiting.
    const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
    socket.unref();
    return { client, socket };
  })();
  lockSessions.set(admin, session);
  session.catch(() => lockSessions.delete(admin));
  return session;
}
