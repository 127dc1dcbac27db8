// The command-line side of checkpoints: `custos verify [--since-checkpoint]`, `custos checkpoint` and
// `custos keys checkpoint-public`. src/cli.ts parses and dispatches; these print and return exit codes.
import { parseArgs } from "node:util";
import pino from "pino";
import type { Config } from "../config";
import type { CustosCore } from "../main";
import { loadCheckpointSigningKey } from "../services/checkpoint.service";
import type { AuditActor } from "../store/audited-store";
import { checkpointJwks } from "./checkpoint-jws";

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

export async function verifyCommand(core: CustosCore, argv: string[], actor: AuditActor): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { "since-checkpoint": { type: "boolean" } }, strict: true });
  const progress = progressPrinter(process.stderr);
  const report = await core.services.checkpoints.verify(core.ds, { sinceCheckpoint: values["since-checkpoint"] ?? false, onProgress: progress.onProgress });
  progress.done();
  await core.services.store.recordStandalone(actor, [
    {
      action: "audit.verify",
      resourceType: "audit",
      resourceId: null,
      outcome: "SUCCESS",
      details: { ok: report.ok, checked: report.checked, firstBadSeq: report.firstBadSeq, checkpointsChecked: report.checkpointsChecked, startSeq: report.startSeq },
    },
  ]);
  const scope = report.startSeq ? `events ${report.startSeq + 1}..${report.headSeq} (from checkpoint ${report.startSeq})` : `events`;
  if (report.ok) {
    process.stdout.write(`audit chain intact: ${report.checked} ${scope} verified, ${report.checkpointsChecked} checkpoints matched\n`);
    return 0;
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
  const key = await loadCheckpointSigningKey(config, pino({ level: "silent" }));
  if (!key) {
    process.stderr.write("custos: the key material has no checkpointSigning key\n");
    return 1;
  }
  process.stdout.write(`${JSON.stringify(checkpointJwks([key]), null, 2)}\n`);
  return 0;
}
