// Composition root: config → database → keys → services → schema → HTTP server, and clean shutdown.
import "reflect-metadata";
import path from "node:path";
import pino, { type Logger } from "pino";
import type { DataSource } from "typeorm";
import { systemClock, type Clock } from "./clock";
import { loadConfig, type Config } from "./config";
import { LocalKeyProvider, loadOrCreateKeyFile, parseKeyMaterial, type PasswordParams } from "./crypto";
import { checkAuditPrivileges, resolveAppRole } from "./db/app-role";
import { createDataSource, runMigrations } from "./db/data-source";
import { leaveSignalsToCaller, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "./db/embedded-postgres";
import { startHttpServer } from "./http/server";
import { buildGraphQLSchema } from "./schema/build-schema";
import { seedDemo } from "./seed/demo-seed";
import { createServices, type Services } from "./services";
import type { AuditSink } from "./store/audited-store";
import { DirectorySink } from "./audit/checkpoint-sink";
import { loadCheckpointSigningKey } from "./services/checkpoint.service";

export interface Custos {
  config: Config;
  url: string;
  databaseUrl: string;
  ds: DataSource;
  services: Services;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  passwordParams?: PasswordParams;
  /** Print the demo banner (the CLI and npm start do; tests don't). */
  banner?: boolean;
  /** Benchmarks only: where the audited store sends events (default: the journal and the sequencer). */
  auditSink?: AuditSink;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: "custos" }, redact: { paths: ["req.headers.authorization"], remove: true } });
}

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL under the data directory. */
export async function openDatabase(config: Config, logger: Logger): Promise<{ url: string; embedded: EmbeddedPostgresHandle | null }> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  logger.info({ dataDir: config.dataDir, port: config.embeddedPgPort }, "starting embedded PostgreSQL");
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(config.dataDir),
    port: config.embeddedPgPort,
    log: (msg) => logger.debug({ pg: msg }, "embedded postgres"),
    persistent: true,
  });
  return { url: embedded.url, embedded };
}

export async function loadKeys(config: Config, logger: Logger, clock: Clock = systemClock): Promise<LocalKeyProvider> {
  // From the environment: validated like the file, but nothing to follow (a restart picks up new keys).
  if (config.keysJson) return new LocalKeyProvider(parseKeyMaterial(config.keysJson));
  const { material, created } = await loadOrCreateKeyFile(config.keysFile, { create: config.generateKeys });
  if (created) logger.warn({ keysFile: config.keysFile }, "generated development key material (never do this in production)");
  // Token signing keys follow the file, so `custos keys rotate-signing` needs no restart.
  const onReloadError = (error: unknown) =>
    logger.error({ err: { name: (error as Error)?.name, code: (error as { code?: string })?.code }, keysFile: config.keysFile }, "key file reload failed: keeping the signing keys in use");
  return new LocalKeyProvider(material, { follow: { file: config.keysFile, clock, onReloadError } });
}

/** Database, migrations, keys and services: everything but HTTP (the CLI's commands use this too). */
export interface CustosCore {
  config: Config;
  databaseUrl: string;
  ds: DataSource;
  services: Services;
  logger: Logger;
  clock: Clock;
  close(): Promise<void>;
}

export async function openCore(config: Config, opts: StartOptions = {}): Promise<CustosCore> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? systemClock;
  const { url: databaseUrl, embedded } = await openDatabase(config, logger);
  let ds = createDataSource(databaseUrl);
  let services: Services | null = null;
  let sealDs: DataSource | null = null;
  const close = async () => {
    // The round in progress finishes first: its transaction needs the pool.
    await services?.sequencer.stop();
    if (sealDs?.isInitialized) await sealDs.destroy();
    if (ds.isInitialized) await ds.destroy();
    await embedded?.stop();
  };
  try {
    await ds.initialize();
    const applied = await runMigrations(ds);
    if (applied.length) logger.info({ applied }, "migrations applied");
    // Migrations ran as the connecting user; the application works as the restricted role from here on.
    const role = await resolveAppRole(ds, config.dbRole);
    if (role) {
      await ds.destroy();
      ds = createDataSource(databaseUrl, { role });
      await ds.initialize();
    }
    await checkAuditPrivileges(ds, config.nodeEnv === "production", logger);
    // Seal rounds get their own connections: behind 10 busy request connections they would queue. Two rounds
    // may be in flight at once (docs/audit-sequencer.md), and the sweep's queries need one more.
    sealDs = createDataSource(databaseUrl, { role, poolSize: 3, applicationName: "custos-sequencer" });
    await sealDs.initialize();
    const keys = await loadKeys(config, logger, clock);
    const checkpointKey = await loadCheckpointSigningKey(config, logger);
    services = await createServices({
      ds,
      keys,
      clock,
      logger,
      tokens: { issuer: config.tokenIssuer, audience: config.tokenAudience, ttlSeconds: config.accessTokenTtlSeconds },
      passwordParams: opts.passwordParams,
      retention: config.retention,
      workingHours: config.workingHours,
      clockSweep: { intervalMs: config.clockSweepSeconds * 1000 },
      sequencer: config.auditSequencer,
      sealDs,
      auditSink: opts.auditSink,
      checkpoints: {
        key: checkpointKey,
        sink: new DirectorySink(config.checkpoints.dir),
        policy: { everyEvents: config.checkpoints.everyEvents, everyMs: config.checkpoints.everySeconds * 1000 },
      },
    });
    return { config, databaseUrl, ds, services, logger, clock, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

export async function startCustos(config: Config, opts: StartOptions = {}): Promise<Custos> {
  const core = await openCore(config, opts);
  const { ds, services, logger, clock } = core;
  let server: Awaited<ReturnType<typeof startHttpServer>> | null = null;
  const stopAll = async () => {
    await services.clockScheduler.stop();
    await services.qualityScheduler.stop();
    await services.checkpoints.stop();
    await server?.stop();
    await core.close();
  };
  try {
    const seeded = config.seedDemo ? await seedDemo(ds, services, { clock, onlyIfEmpty: true }) : null;
    const schema = await buildGraphQLSchema(services);
    server = await startHttpServer(
      { host: config.host, port: config.port, introspection: config.introspection, production: config.nodeEnv === "production", trustProxy: config.trustProxy },
      { schema, services, ds, logger },
    );
    logger.info({ url: server.url }, "custos is serving");
    // Sealing runs on a timer in every replica; the advisory lock lets one at a time seal.
    services.checkpoints.start();
    // Clock warnings and escalations: every replica sweeps; row locks make each happen once.
    services.clockScheduler.start();
    // The daily service-quality evaluation: every replica looks; the day's claim makes it run once.
    services.qualityScheduler.start();
    // Journal entries a crashed process left (or a CLI's) are sealed now and by the sweep from then on.
    services.sequencer.start();
    services.sequencer.kick();
    if (opts.banner) printBanner(server.url, seeded !== null, config);
    let stopping: Promise<void> | null = null;
    return { config, url: server.url, databaseUrl: core.databaseUrl, ds, services, logger, stop: () => (stopping ??= stopAll()) };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

function printBanner(url: string, seededNow: boolean, config: Config): void {
  const lines = [
    "",
    `Custos GraphQL API: ${url}`,
    `Health: ${url.replace(/\/graphql$/, "/healthz")}   Readiness: ${url.replace(/\/graphql$/, "/readyz")}`,
  ];
  if (config.seedDemo) {
    lines.push(
      seededNow ? "Seeded a demo database." : "Using the existing demo database.",
      "Demo logins (password for all: custos-demo-password):",
      "  agent.personal@demo.custos (AGENT, PERSONAL_BANKING)   agent.insurance@demo.custos (AGENT, INSURANCE)",
      "  lead.personal@demo.custos (TEAM_LEAD)   compliance@demo.custos (COMPLIANCE_OFFICER)",
      "  security@demo.custos (SECURITY_ANALYST)   admin@demo.custos (ADMIN)   auditor@demo.custos (AUDITOR)",
      "Full PII needs a stated purpose: send the header x-custos-purpose: CASE_HANDLING",
      `Try: curl -s ${url} -H 'content-type: application/json' -d '{"query":"mutation { login(email: \\"agent.personal@demo.custos\\", password: \\"custos-demo-password\\") { accessToken } }"}'`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n\n`);
}

/** Runs the server until SIGINT/SIGTERM, then shuts everything down, embedded database included. */
export async function serve(config: Config = loadConfig()): Promise<void> {
  const custos = await startCustos(config, { banner: true });
  // We drain HTTP first and then stop the embedded database ourselves.
  if (!config.databaseUrl) await leaveSignalsToCaller();
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    custos.logger.info({ signal }, "shutting down");
    custos.stop().then(
      () => process.exit(0),
      (error) => {
        custos.logger.error({ err: { name: (error as Error)?.name } }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

if (require.main === module) {
  serve().catch((error) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`custos failed to start: ${message}\n`);
    process.exit(1);
  });
}
