// The command-line side of checkpoints: `custos verify [--since-checkpoint] [--key FILE]`, `custos checkpoint`,
// `custos keys checkpoint-public` and `custos keys rotate-checkpoint`. src/cli.ts parses and dispatches;
// these print and return exit codes.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from "jose";
import pino from "pino";
import type { Config } from "../config";
import { badInput } from "../errors";
import type { CustosCore } from "../main";
import { rotateCheckpointKeys } from "../services/checkpoint-key-rotation.service";
import { loadCheckpointSigningKey } from "../services/checkpoint.service";
import type { AuditActor } from "../store/audited-store";
import { checkpointJwks, importCheckpointPublicJwk, type CheckpointVerificationKey } from "./checkpoint-jws";
import { listStoredCheckpoints } from "./checkpoint-store";

/** Progress on a terminal only (stderr), at most every 50,000 events, so pipes and logs stay clean. */
function progressPrinter(stream: NodeJS.WriteStream) {
  let lastShown = 0;
  return {
    onProgress(verifiedSeq: number, headSeq: number) {
      if (!stream.isTTY || verifiedSeq - lastShown < 50_000) return;
      lastShown = verifiedSeq;
      const pct = headSeq ? Math.floor((verifiedSeq / headSeq) * 100) : 100;
      stream.write(`\rverified seq ${verifiedSeq.toLocaleString("en")} / ${headSeq.toLocaleString("en")} (${pct}%)`);
    },
    done() {
      if (stream.isTTY && lastShown) stream.write("\n");
    },
  };
}

/**
 * An auditor's saved checkpoint keys: a JWK Set as published, or one public JWK (a JWK without `kid` gets
 * its RFC 7638 thumbprint, which is how Custos names its keys). Private members are ignored.
 */
export async function readCheckpointKeyFile(file: string): Promise<CheckpointVerificationKey[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw badInput(`--key ${file}: cannot read a JSON key file (${(error as NodeJS.ErrnoException)?.code ?? "not JSON"})`);
  }
  const list = parsed && typeof parsed === "object" && Array.isArray((parsed as { keys?: unknown }).keys) ? (parsed as { keys: unknown[] }).keys : [parsed];
  const keys: CheckpointVerificationKey[] = [];
  for (const [i, entry] of list.entries()) {
    const jwk = entry as JWK & { activatedAt?: unknown; retiredAt?: unknown };
    try {
      if (jwk?.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new TypeError("not an Ed25519 OKP JWK");
      const kid = typeof jwk.kid === "string" ? jwk.kid : await calculateJwkThumbprint({ kty: "OKP", crv: "Ed25519", x: jwk.x });
      keys.push(await importCheckpointPublicJwk({ kty: "OKP", crv: "Ed25519", x: jwk.x, kid, activatedAt: jwk.activatedAt, retiredAt: jwk.retiredAt }));
    } catch (error) {
      throw badInput(`--key ${file}: key ${i + 1} is not a usable checkpoint key (${(error as Error).message})`);
    }
  }
  if (!keys.length) throw badInput(`--key ${file}: no keys`);
  return keys;
}

/** kids that signed checkpoints (database rows and outside copies) but are not among `keys`, with their seqs. */
async function foreignKids(core: CustosCore, keys: readonly CheckpointVerificationKey[]): Promise<Map<string, number[]>> {
  const known = new Set(keys.map((k) => k.kid));
  const seen = new Map<string, number[]>();
  const note = (kid: string, seq: number) => {
    if (known.has(kid)) return;
    const seqs = seen.get(kid) ?? [];
    if (!seqs.includes(seq)) seqs.push(seq);
    seen.set(kid, seqs);
  };
  for (const row of await listStoredCheckpoints(core.ds)) note(row.kid, row.seq);
  const sink = core.services.checkpoints.sources().sink;
  for (const entry of sink ? await sink.list() : []) {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(entry.jws).kid;
    } catch {
      continue; // malformed: verification reports it
    }
    note(typeof kid === "string" ? kid : "(none)", entry.seq);
  }
  return seen;
}

export async function verifyCommand(core: CustosCore, argv: string[], actor: AuditActor): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { "since-checkpoint": { type: "boolean" }, key: { type: "string" } }, strict: true });
  const keyFile = values.key;
  // With --key, only the auditor's keys count: the installation's key material is not consulted.
  const auditorKeys = keyFile !== undefined ? await readCheckpointKeyFile(keyFile) : null;
  const progress = progressPrinter(process.stderr);
  const opts = { sinceCheckpoint: values["since-checkpoint"] ?? false, onProgress: progress.onProgress };
  const report = auditorKeys
    ? await core.services.checkpoints.verifyWithKeys(core.ds, auditorKeys, opts)
    : await core.services.checkpoints.verify(core.ds, opts);
  progress.done();
  const foreign = auditorKeys ? await foreignKids(core, auditorKeys) : new Map<string, number[]>();
  await core.services.store.recordStandalone(actor, [
    {
      action: "audit.verify",
      resourceType: "audit",
      resourceId: null,
      outcome: "SUCCESS",
      details: {
        ok: report.ok && foreign.size === 0,
        checked: report.checked,
        firstBadSeq: report.firstBadSeq,
        checkpointsChecked: report.checkpointsChecked,
        startSeq: report.startSeq,
        ...(auditorKeys ? { withKeyFile: true, foreignKids: [...foreign.keys()].join(",") } : {}),
      },
    },
  ]);
  if (foreign.size) {
    // Named first: a swapped or unknown key is the finding an auditor with a saved key is looking for.
    for (const [kid, seqs] of foreign) {
      const sorted = seqs.sort((a, b) => a - b);
      process.stdout.write(`checkpoints signed by a key not in ${keyFile}: kid ${kid} (${sorted.length} checkpoints, seq ${sorted[0]}..${sorted[sorted.length - 1]})\n`);
    }
  }
  const scope = report.startSeq ? `events ${report.startSeq + 1}..${report.headSeq} (from checkpoint ${report.startSeq})` : `events`;
  const against = keyFile !== undefined ? ` against the keys in ${keyFile}` : "";
  if (report.ok && foreign.size === 0) {
    process.stdout.write(`audit chain intact: ${report.checked} ${scope} verified, ${report.checkpointsChecked} checkpoints matched${against}\n`);
    return 0;
  }
  if (report.ok) {
    process.stdout.write(`audit chain NOT verified${against}: checkpoints are signed by keys you do not hold (a swapped key, or a rotation you have not fetched)\n`);
    return 1;
  }
  process.stdout.write(`audit chain BROKEN at seq ${report.firstBadSeq} (${report.reason}): ${report.message}\n`);
  if (report.expected !== null) process.stdout.write(`  expected ${report.expected}\n  found    ${report.found}\n`);
  return 1;
}

export async function checkpointCommand(core: CustosCore): Promise<number> {
  const sealed = await core.services.checkpoints.checkpointNow({ force: true });
  if (!sealed) {
    process.stdout.write("no new audit events since the last checkpoint: nothing sealed\n");
    return 0;
  }
  process.stdout.write(`checkpoint sealed: seq ${sealed.seq} head ${sealed.headHash} kid ${sealed.kid} at ${sealed.issuedAt}\n`);
  return 0;
}

/** Needs only the key material: no database is opened. */
export async function checkpointPublicCommand(config: Config): Promise<number> {
  const keys = await loadCheckpointSigningKey(config, pino({ level: "silent" }));
  if (!keys) {
    process.stderr.write("custos: the key material has no checkpointSigning key\n");
    return 1;
  }
  process.stdout.write(`${JSON.stringify(checkpointJwks([keys.current, ...keys.retired]), null, 2)}\n`);
  return 0;
}

export async function rotateCheckpointCommand(core: CustosCore, actor: AuditActor): Promise<number> {
  if (core.config.keysJson) throw badInput("the checkpoint key comes from CUSTOS_KEYS_JSON: rotate it in the secret store that provides it, then restart");
  const rotation = await rotateCheckpointKeys({ ds: core.ds, store: core.services.store, keysFile: core.config.keysFile }, actor);
  process.stdout.write(
    `checkpoint key rotated: current ${rotation.newKid}, retired ${rotation.retiredKid} at ${rotation.retiredAt} (public half kept, private half removed); ` +
      `running servers seal with the new key from their next seal; publish the new key set (custos keys checkpoint-public) to auditors\n`,
  );
  return 0;
}
