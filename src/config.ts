// The only reader of process.env: validates every setting at start-up and returns a frozen object.
import path from "node:path";

export type NodeEnv = "development" | "production" | "test";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly host: string;
  readonly port: number;
  /** null → start the embedded PostgreSQL under dataDir. */
  readonly databaseUrl: string | null;
  /** The role application sessions SET after migrations (docs/audit-immutability.md); "none" to keep the login role. */
  readonly dbRole: string;
  readonly dataDir: string;
  readonly embeddedPgPort: number;
  /** Path of the key-material JSON file; generated in development, required in production. */
  readonly keysFile: string;
  /**
   * Key material as JSON from CUSTOS_KEYS_JSON (e.g. injected by a secret manager) instead of the file;
   * read-only: rotation commands need the file. Never logged.
   */
  readonly keysJson: string | null;
  readonly generateKeys: boolean;
  /** Retention periods per record type (whole years); see README "Customer data protection". */
  readonly retention: RetentionPolicy;
  readonly tokenIssuer: string;
  readonly tokenAudience: string;
  readonly accessTokenTtlSeconds: number;
  readonly logLevel: LogLevel;
  readonly introspection: boolean;
  readonly trustProxy: boolean;
  readonly seedDemo: boolean;
  /** Signed audit checkpoints (docs/audit-checkpoints.md): outside copy directory and when to seal. */
  readonly checkpoints: CheckpointSettings;
  /** When staff are expected to work: reads outside it are findings of `unusualAccess` (docs/audit-reports.md). */
  readonly workingHours: WorkingHours;
  /** Period of the service-clock sweep (warnings, escalations) in seconds; 0 turns the timer off. */
  readonly clockSweepSeconds: number;
  /** The audit sequencer (docs/audit-sequencer.md). */
  readonly auditSequencer: AuditSequencerSettings;
}

export interface AuditSequencerSettings {
  /** Most events sealed onto the chain per transaction. */
  readonly batch: number;
  /** How long a read waits for its audit events to be sealed before it fails closed. */
  readonly sealTimeoutMs: number;
}

export interface WorkingHours {
  /** IANA time zone the hours are read in (PostgreSQL `AT TIME ZONE`). */
  readonly timeZone: string;
  /** First working hour, inclusive (0–23). */
  readonly startHour: number;
  /** End of the working day, exclusive (1–24): 20 means work ends at 20:00. */
  readonly endHour: number;
  /** ISO weekdays worked: 1 = Monday … 7 = Sunday. */
  readonly days: readonly number[];
}

export interface CheckpointSettings {
  /** Directory sink for the outside copies; put it where the database's operators cannot rewrite it. */
  readonly dir: string;
  readonly everyEvents: number;
  readonly everySeconds: number;
}

export interface RetentionPolicy {
  /** A CLOSED customer is due for erasure this many years after their last activity. */
  readonly customerYears: number;
  /** A complaint record is kept this long after it was resolved or closed; until then it blocks erasure. */
  readonly complaintYears: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function readEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(", ")} (got "${raw}")`);
  }
  return raw as T;
}

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number (got "${raw}")`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${value})`);
  return value;
}

function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw.toLowerCase())) return true;
  if (["0", "false", "no", "off"].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

const WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"] as const;

function readWorkingHours(env: Env): WorkingHours {
  const startHour = readInt(env, "CUSTOS_WORKING_HOURS_START", 7, 0, 23);
  const endHour = readInt(env, "CUSTOS_WORKING_HOURS_END", 20, 1, 24);
  if (endHour <= startHour) {
    throw new ConfigError("CUSTOS_WORKING_HOURS_END", `must be after CUSTOS_WORKING_HOURS_START (${startHour}; got ${endHour})`);
  }
  const rawDays = env.CUSTOS_WORKING_DAYS || "MON,TUE,WED,THU,FRI";
  const days = rawDays.split(",").map((d) => d.trim().toUpperCase());
  const unknown = days.filter((d) => !(WEEKDAYS as readonly string[]).includes(d));
  if (unknown.length || days.length === 0) {
    throw new ConfigError("CUSTOS_WORKING_DAYS", `must be a comma-separated list of ${WEEKDAYS.join(", ")} (got "${rawDays}")`);
  }
  const timeZone = env.CUSTOS_WORKING_TIMEZONE || "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone });
  } catch {
    throw new ConfigError("CUSTOS_WORKING_TIMEZONE", `must be an IANA time zone such as UTC or Europe/Paris (got "${timeZone}")`);
  }
  const iso = [...new Set(days.map((d) => WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]) + 1))].sort((a, b) => a - b);
  return Object.freeze({ timeZone, startHour, endHour, days: Object.freeze(iso) });
}

function readDatabaseUrl(env: Env): string | null {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === "") return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The value may hold a password: never echo it.
    throw new ConfigError("DATABASE_URL", "is not a valid URL");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError("DATABASE_URL", "must start with postgres:// or postgresql://");
  }
  return raw;
}

/** Builds the configuration from an environment (process.env by default) and freezes it. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const nodeEnv = readEnum<NodeEnv>(env, "NODE_ENV", ["development", "production", "test"], "development");
  const production = nodeEnv === "production";
  const dataDir = path.resolve(cwd, env.CUSTOS_DATA_DIR || ".data");
  const databaseUrl = readDatabaseUrl(env);
  const keysFileRaw = env.CUSTOS_KEYS_FILE;
  const keysJson = env.CUSTOS_KEYS_JSON || null;
  if (keysJson && keysFileRaw) throw new ConfigError("CUSTOS_KEYS_JSON", "cannot be set together with CUSTOS_KEYS_FILE (choose one source of keys)");
  if (production && !keysFileRaw && !keysJson) {
    throw new ConfigError("CUSTOS_KEYS_FILE", "is required when NODE_ENV=production (keys are never generated in production)");
  }
  if (production && !databaseUrl) {
    throw new ConfigError("DATABASE_URL", "is required when NODE_ENV=production (the embedded database is for development)");
  }
  const seedDemo = readBool(env, "CUSTOS_SEED_DEMO", !production);
  if (production && seedDemo) {
    throw new ConfigError("CUSTOS_SEED_DEMO", "cannot be on when NODE_ENV=production (demo users have published passwords)");
  }
  const host = env.HOST || "127.0.0.1";
  const config: Config = {
    nodeEnv,
    host,
    port: readInt(env, "PORT", 4000, 0, 65535),
    databaseUrl,
    dbRole: env.CUSTOS_DB_ROLE?.trim() || "custos_app",
    dataDir,
    embeddedPgPort: readInt(env, "CUSTOS_EMBEDDED_PG_PORT", 54329, 1024, 65535),
    keysFile: keysFileRaw ? path.resolve(cwd, keysFileRaw) : path.join(dataDir, "keys.json"),
    keysJson,
    generateKeys: !production && !keysJson,
    retention: Object.freeze({
      customerYears: readInt(env, "CUSTOS_RETENTION_CUSTOMER_YEARS", 10, 1, 100),
      complaintYears: readInt(env, "CUSTOS_RETENTION_COMPLAINT_YEARS", 5, 0, 100),
    }),
    tokenIssuer: env.CUSTOS_TOKEN_ISSUER || "urn:custos:api",
    tokenAudience: env.CUSTOS_TOKEN_AUDIENCE || "urn:custos:clients",
    accessTokenTtlSeconds: readInt(env, "CUSTOS_ACCESS_TOKEN_TTL", 900, 30, 900),
    logLevel: readEnum<LogLevel>(
      env,
      "LOG_LEVEL",
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
      nodeEnv === "test" ? "silent" : "info",
    ),
    introspection: readBool(env, "CUSTOS_INTROSPECTION", !production),
    trustProxy: readBool(env, "CUSTOS_TRUST_PROXY", false),
    seedDemo,
    checkpoints: Object.freeze({
      dir: env.CUSTOS_CHECKPOINT_DIR ? path.resolve(cwd, env.CUSTOS_CHECKPOINT_DIR) : path.join(dataDir, "checkpoints"),
      everyEvents: readInt(env, "CUSTOS_CHECKPOINT_EVERY_EVENTS", 1000, 1, 10_000_000),
      everySeconds: readInt(env, "CUSTOS_CHECKPOINT_EVERY_SECONDS", 60, 1, 86_400),
    }),
    workingHours: readWorkingHours(env),
    // Off under test unless asked for: tests drive the sweep with runDueOnce and a manual clock.
    clockSweepSeconds: readInt(env, "CUSTOS_CLOCK_SWEEP_SECONDS", nodeEnv === "test" ? 0 : 30, 0, 3_600),
    auditSequencer: Object.freeze({
      batch: readInt(env, "CUSTOS_AUDIT_SEAL_BATCH", 5_000, 1, 50_000),
      sealTimeoutMs: readInt(env, "CUSTOS_AUDIT_SEAL_TIMEOUT_MS", 10_000, 50, 600_000),
    }),
  };
  if (production && config.introspection) {
    throw new ConfigError("CUSTOS_INTROSPECTION", "cannot be on when NODE_ENV=production");
  }
  return Object.freeze(config);
}
