#!/usr/bin/env node
// Command line: serve, migrate, seed, verify, user add, keys rotate-signing / rotate-checkpoint. Exit codes: 0 done, 1 failed check, 2 bad usage.
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, type Config } from "./config";
import { checkpointCommand, checkpointPublicCommand, rotateCheckpointCommand, verifyCommand } from "./audit/checkpoint-commands";
import { auditExportCommand } from "./audit/export-command";
import { ProofUsageError, proofCommand } from "./audit/proof-commands";
import { exportBundleCommand } from "./audit/export-bundle-command";
import { reportCommand, reportVerifyCommand } from "./reports/report-command";
import { BUSINESS_LINES, STAFF_ROLES } from "./domain/enums";
import { SERVICE_SCOPES } from "./policies";
import { CustosError } from "./errors";
import { openCore, serve, type CustosCore } from "./main";
import { renderPolicyMatrix } from "./policies/matrix";
import { seedDemo } from "./seed/demo-seed";
import { rotateSigningKeys } from "./services/key-rotation.service";
import { retireMasterKey, rotateMasterKey } from "./services/master-key-rotation.service";
import { retireBlindIndexKey, rotateBlindIndexKey } from "./services/blind-index-rotation.service";
import { createProgressBar } from "./progress-bar";
import { SIGNING_KEYS_RECHECK_MS } from "./crypto";
import type { AuditActor } from "./store/audited-store";
import { riskTrainCommand } from "./services/risk-train.command";

const USAGE = `Usage: custos <command> [options]

Commands:
  serve                         run the GraphQL API (same as npm start)
  migrate                       apply pending database migrations
  seed                          seed the demo data set into an empty database
  verify [--since-checkpoint] [--key FILE]
                                verify the audit hash chain against the signed checkpoints; exit 1 naming
                                the first bad seq (--since-checkpoint: only events after the last checkpoint;
                                --key: trust only the checkpoint keys in FILE, a saved JWK Set or JWK)
  checkpoint                    seal a signed checkpoint of the audit chain head now (if anything is new)
  audit export --format csv|jsonl [--from ISO] [--to ISO] [--actor ID] [--action A] [--resource-type T] [--resource-id R]
                                stream the filtered audit trail to stdout in keyset batches (audited)
  export --from ISO --to ISO [--customer ID] [--out FILE]
                                signed audit bundle of a period (or one customer): events, checkpoints,
                                inclusion and consistency proofs, signed manifest; check it offline with
                                custos-verify BUNDLE --key KEYS (audited; progress on stderr)
  report complaints|access|training-controls --from ISO --to ISO --format json|csv|xlsx|pdf --out FILE
                                a regulators' report of [from, to) written to FILE, with its detached
                                signature (JWS, checkpoint key) in FILE.jws (audited)
  report verify FILE SIG --key JWKS
                                check a report file against its signature and the published checkpoint keys,
                                offline; exit 0 VALID, 1 INVALID with the reason
  proof inclusion --seq N --tree-size M
                                the Merkle inclusion proof of event N in the tree of the first M events, as
                                JSON; checked against the signed checkpoint at M if any (exit 1 if it fails)
  proof consistency --from A --to B
                                the Merkle consistency proof from tree size A to B, as JSON, checked likewise
  policies                      print the role × action × field policy matrix (markdown)
  service add --name N --scopes S1,S2
                                register an internal app (client credentials); prints its secret once
  user add --email E --role R [--business-line L] [--name N] [--expires ISO]
                                create a staff user; the password is read from standard input
  keys rotate-signing           make a new token signing key current; the old one verifies for one token
                                lifetime more (writes CUSTOS_KEYS_FILE, never creates it)
  keys rotate [--batch-size N]  new master key version; re-wraps every customer's data key in batches while
                                the API serves (re-run to resume an interrupted rotation)
  keys checkpoint-public        print the public JWK Set that verifies audit checkpoints (current and retired)
  keys rotate-checkpoint        make a new checkpoint signing key current; the old one keeps only its public
                                half and verifies checkpoints issued before its retirement (writes CUSTOS_KEYS_FILE)
  keys retire --version N       remove master key version N; refused while any data key uses it
  keys rotate-blind-index [--batch-size N]
                                new blind-index key version; rebuilds every customer's indexes in batches
                                while lookups keep working (re-run to resume an interrupted rebuild)
  keys retire-blind-index --version N
                                remove blind-index key version N; refused while any customer is indexed under it
  retention [--apply]           report customers due for erasure under the retention periods; --apply erases
  risk train [--l2 X]           train the case and churn risk models on the database's history, print the
                                held-out AUC and Brier score against the constant baseline, store new versions
  help                          show this text

Staff roles: ${STAFF_ROLES.join(", ")} (AUDITOR needs --expires, at most 90 days ahead)
Service scopes: ${SERVICE_SCOPES.join(", ")}
Business lines: ${BUSINESS_LINES.join(", ")}
Configuration comes from the environment (see README: DATABASE_URL, CUSTOS_DATA_DIR, ...).`;

class UsageError extends Error {}

function cliActor(command: string): AuditActor {
  return { principal: null, ability: null, meta: { requestId: `cli-${randomUUID()}`, operation: `cli.${command}`, clientAddress: null, purpose: null } };
}

async function withCore<T>(config: Config, fn: (core: CustosCore) => Promise<T>): Promise<T> {
  const core = await openCore(config, {});
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("Password (input is visible; pipe it in to avoid that): ");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  // Only the line ending is stripped: spaces inside or around a password are part of it.
  return text.replace(/\r?\n$/, "");
}

async function verify(config: Config, argv: string[]): Promise<number> {
  return withCore(config, (core) => verifyCommand(core, argv, cliActor("verify")));
}

async function userAdd(config: Config, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      email: { type: "string" },
      role: { type: "string" },
      "business-line": { type: "string" },
      name: { type: "string" },
      expires: { type: "string" },
    },
    strict: true,
  });
  if (!values.email || !values.role) throw new UsageError("user add needs --email and --role");
  const password = await readPassword();
  return withCore(config, async (core) => {
    const user = await core.services.staff.add(cliActor("user.add"), {
      email: values.email!,
      role: values.role!,
      businessLine: values["business-line"] ?? null,
      displayName: values.name,
      password,
      accessExpiresAt: values.expires ? new Date(values.expires) : null,
    });
    process.stdout.write(`created ${user.role} ${user.email}${user.businessLine ? ` (${user.businessLine})` : ""} id=${user.id}\n`);
    return 0;
  });
}

async function serviceAdd(config: Config, argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { name: { type: "string" }, scopes: { type: "string" } }, strict: true });
  if (!values.name || !values.scopes) throw new UsageError("service add needs --name and --scopes");
  return withCore(config, async (core) => {
    const scopes = values.scopes!.split(",").map((s) => s.trim()).filter(Boolean);
    const client = await core.services.serviceClients.register(cliActor("service.add"), { name: values.name!, scopes });
    // The secret is shown once and stored only hashed: the operator hands it to the app's secret store.
    process.stdout.write(`client_id=${client.clientId}\nclient_secret=${client.clientSecret}\n`);
    return 0;
  });
}

async function masterKeys(config: Config, command: "rotate" | "retire", argv: string[]): Promise<number> {
  if (config.keysJson) throw new UsageError("master keys come from CUSTOS_KEYS_JSON: rotate them in the secret store that provides it");
  const { values } = parseArgs({ args: argv, options: { "batch-size": { type: "string" }, version: { type: "string" } }, strict: true });
  if (command === "retire") {
    const version = Number(values.version);
    if (!Number.isSafeInteger(version) || version < 1) throw new UsageError("keys retire needs --version N");
    return withCore(config, async (core) => {
      await retireMasterKey({ store: core.services.store, keysFile: config.keysFile }, cliActor("keys.retire"), version);
      process.stdout.write(`master key version ${version} retired and removed from the key file\n`);
      return 0;
    });
  }
  const batchSize = values["batch-size"] === undefined ? 500 : Number(values["batch-size"]);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError("--batch-size must be 1 to 10000");
  return withCore(config, async (core) => {
    const bar = createProgressBar("re-wrapping data keys");
    // Running servers re-read the key file at most every SIGNING_KEYS_RECHECK_MS (on their next request).
    const waitMs = SIGNING_KEYS_RECHECK_MS + 5_000;
    const result = await rotateMasterKey(
      {
        store: core.services.store,
        keysFile: config.keysFile,
        batchSize,
        onProgress: (done, total) => bar.update(done, total),
        waitForReload: async (reason) => {
          process.stderr.write(`${reason === "added" ? "new master key version written" : "re-wrap pass done"}; waiting ${waitMs / 1000} s for running servers to load the key file\n`);
          await new Promise((resolve) => setTimeout(resolve, waitMs));
        },
      },
      cliActor("keys.rotate"),
    );
    bar.end();
    process.stdout.write(
      `master key rotated${result.resumed ? " (resumed)" : ""}: current ${result.toVersion}; ${result.rewrapped} data keys re-wrapped in ${result.batches} batches` +
        (result.fromVersion !== result.toVersion ? `; retire the old key with: custos keys retire --version ${result.fromVersion}` : "") +
        "\n",
    );
    return 0;
  });
}

async function blindIndexKeys(config: Config, command: "rotate-blind-index" | "retire-blind-index", argv: string[]): Promise<number> {
  if (config.keysJson) throw new UsageError("blind-index keys come from CUSTOS_KEYS_JSON: rotate them in the secret store that provides it");
  const { values } = parseArgs({ args: argv, options: { "batch-size": { type: "string" }, version: { type: "string" } }, strict: true });
  if (command === "retire-blind-index") {
    const version = Number(values.version);
    if (!Number.isSafeInteger(version) || version < 1) throw new UsageError("keys retire-blind-index needs --version N");
    return withCore(config, async (core) => {
      await retireBlindIndexKey({ store: core.services.store, keysFile: config.keysFile }, cliActor("keys.retire-blind-index"), version);
      process.stdout.write(`blind-index key version ${version} retired and removed from the key file\n`);
      return 0;
    });
  }
  const batchSize = values["batch-size"] === undefined ? 500 : Number(values["batch-size"]);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError("--batch-size must be 1 to 10000");
  return withCore(config, async (core) => {
    const bar = createProgressBar("rebuilding blind indexes");
    const waitMs = SIGNING_KEYS_RECHECK_MS + 5_000;
    const result = await rotateBlindIndexKey(
      {
        store: core.services.store,
        keysFile: config.keysFile,
        batchSize,
        onProgress: (done, total) => bar.update(done, total),
        waitForReload: async (reason) => {
          process.stderr.write(`blind-index key ${reason}; waiting ${waitMs / 1000} s for running servers to load the key file\n`);
          await new Promise((resolve) => setTimeout(resolve, waitMs));
        },
      },
      cliActor("keys.rotate-blind-index"),
    );
    bar.end();
    process.stdout.write(
      `blind-index key rotated${result.resumed ? " (resumed)" : ""}: current ${result.toVersion}; ${result.rebuilt} customers re-indexed in ${result.batches} batches` +
        (result.fromVersion !== result.toVersion ? `; retire the old key with: custos keys retire-blind-index --version ${result.fromVersion}` : "") +
        "\n",
    );
    return 0;
  });
}

async function retention(config: Config, argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { apply: { type: "boolean", default: false } }, strict: true });
  return withCore(config, async (core) => {
    const bar = createProgressBar("erasing");
    const run = await core.services.dataProtection.runRetention(cliActor("retention"), { apply: values.apply!, onErased: (d, t) => bar.update(d, t) });
    bar.end();
    const { customerYears, complaintYears } = run.policy;
    process.stdout.write(`retention: CLOSED customers ${customerYears} years after last activity; complaints ${complaintYears} years after closure\n`);
    for (const c of run.candidates) {
      process.stdout.write(`  ${c.reference}  ${c.customerId}  last activity ${c.lastActivityAt.toISOString().slice(0, 10)}  ${c.blockedBy ? `kept: ${c.blockedBy}` : values.apply ? "erased" : "due"}\n`);
    }
    const due = run.candidates.filter((c) => !c.blockedBy).length;
    process.stdout.write(
      values.apply
        ? `${run.erased.length} erased, ${run.skipped.length} skipped (blocked meanwhile), ${run.candidates.length - due} kept\n`
        : `${due} due for erasure, ${run.candidates.length - due} kept (dry run: add --apply to erase)\n`,
    );
    return 0;
  });
}

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command === "report" && rest[0] === "verify") {
    // Offline: the file, its signature and the published keys; no configuration or database.
    return reportVerifyCommand(rest.slice(1));
  }
  if (command === "policies") {
    // Needs no configuration, database or keys: it reads the policy source only.
    process.stdout.write(renderPolicyMatrix());
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case "serve":
      await serve(config);
      return -1; // keeps running until a signal
    case "migrate":
      return withCore(config, async () => {
        process.stdout.write("migrations are up to date\n");
        return 0;
      });
    case "seed":
      return withCore(config, async (core) => {
        const summary = await seedDemo(core.ds, core.services, { clock: core.clock, onlyIfEmpty: true });
        process.stdout.write(
          summary
            ? `seeded ${summary.staff} staff, ${summary.customers} customers, ${summary.cases} cases\n`
            : "the database already has staff users: nothing seeded\n",
        );
        return 0;
      });
    case "verify":
      return verify(config, rest);
    case "audit":
      if (rest[0] !== "export") throw new UsageError("unknown audit command (try: audit export)");
      return withCore(config, (core) => auditExportCommand(core, rest.slice(1), cliActor("audit.export")));
    case "export":
      return withCore(config, (core) => exportBundleCommand(core, rest, cliActor("export")));
    case "report":
      return withCore(config, (core) => reportCommand(core, rest, cliActor("report")));
    case "proof":
      return withCore(config, (core) =>
        proofCommand(core, rest, cliActor("proof")).catch((error: unknown) => {
          throw error instanceof ProofUsageError ? new UsageError(error.message) : error;
        }),
      );
    case "checkpoint":
      return withCore(config, checkpointCommand);
    case "keys":
      if (rest[0] === "checkpoint-public" && rest.length === 1) return checkpointPublicCommand(config);
      if (rest[0] === "rotate-checkpoint" && rest.length === 1) {
        if (config.keysJson) throw new UsageError("the checkpoint key comes from CUSTOS_KEYS_JSON: rotate it in the secret store that provides it, then restart");
        return withCore(config, (core) => rotateCheckpointCommand(core, cliActor("keys.rotate-checkpoint")));
      }
      if (rest[0] === "rotate" || rest[0] === "retire") return masterKeys(config, rest[0], rest.slice(1));
      if (rest[0] === "rotate-blind-index" || rest[0] === "retire-blind-index") return blindIndexKeys(config, rest[0], rest.slice(1));
      if (rest[0] !== "rotate-signing" || rest.length !== 1) throw new UsageError("unknown keys command (try: keys rotate-signing, keys rotate-checkpoint, keys rotate, keys retire, keys rotate-blind-index, keys retire-blind-index)");
      return withCore(config, async (core) => {
        const rotation = await rotateSigningKeys(
          { store: core.services.store, clock: core.clock, keysFile: config.keysFile, graceSeconds: config.accessTokenTtlSeconds },
          cliActor("keys.rotate-signing"),
        );
        const dropped = rotation.dropped.length ? `; dropped ${rotation.dropped.join(", ")}` : "";
        process.stdout.write(`signing key rotated: current ${rotation.newKid}, retired ${rotation.retiredKid}${dropped}\n`);
        return 0;
      });
    case "retention":
      return retention(config, rest);
    case "risk":
      if (rest[0] !== "train") throw new UsageError("unknown risk command (try: risk train)");
      return withCore(config, (core) => riskTrainCommand(core.services, rest.slice(1), cliActor("risk.train")));
    case "service":
      if (rest[0] !== "add") throw new UsageError("unknown service command (try: service add)");
      return serviceAdd(config, rest.slice(1));
    case "user":
      if (rest[0] !== "add") throw new UsageError("unknown user command (try: user add)");
      return userAdd(config, rest.slice(1));
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (error: unknown) => {
      if (error instanceof UsageError || (error as { code?: string })?.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
        process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
        process.exit(2);
      }
      if (error instanceof ConfigError || error instanceof CustosError) {
        process.stderr.write(`custos: ${error.message}\n`);
        process.exit(error instanceof CustosError && error.code === "BAD_USER_INPUT" ? 2 : 1);
      }
      process.stderr.write(`custos: failed: ${(error as Error)?.name ?? "error"}: ${(error as Error)?.message ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
