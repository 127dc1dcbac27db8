// `custos export --from ISO --to ISO [--customer ID] [--out FILE]`: a signed audit bundle
// (docs/audit-bundle-format.md) with no size cap, streamed in batches, progress on stderr. src/cli.ts parses
// the command name and dispatches here; the operator's export is audited like any other.
import { createWriteStream } from "node:fs";
import { link, unlink } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { CustosCore } from "../main";
import { badInput } from "../errors";
import { createProgressBar } from "../progress-bar";
import type { AuditActor } from "../store/audited-store";

function parseDate(value: string | undefined, name: string): Date {
  if (value === undefined) throw badInput(`--${name} is needed (an ISO-8601 date or time)`, name);
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw badInput(`--${name} must be an ISO-8601 date or time`, name);
  return at;
}

export function parseBundleArgs(argv: string[]): { from: Date; to: Date; customerId: string | null; out: string | null } {
  const { values } = parseArgs({
    args: argv,
    options: { from: { type: "string" }, to: { type: "string" }, customer: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  return { from: parseDate(values.from, "from"), to: parseDate(values.to, "to"), customerId: values.customer ?? null, out: values.out ?? null };
}

/**
 * Writes to `--out` through a temporary name that is hard-linked into place only once complete, so a
 * failed export leaves no half bundle and an existing file is never replaced; without --out, to stdout.
 */
export async function exportBundleCommand(core: CustosCore, argv: string[], actor: AuditActor, stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const args = parseBundleArgs(argv);
  const bar = createProgressBar("exporting events");
  const request = { from: args.from, to: args.to, customerId: args.customerId };
  const opts = { operator: true, onProgress: (done: number, total: number) => bar.update(done, total) };
  let summary;
  if (args.out === null) {
    summary = await core.services.auditBundles.exportBundle(actor, request, stdout, opts);
  } else {
    const partial = `${args.out}.partial-${process.pid}`;
    const file = createWriteStream(partial, { flags: "wx", mode: 0o644 });
    try {
      summary = await core.services.auditBundles.exportBundle(actor, request, file, opts);
      await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())));
      await link(partial, args.out).catch((error: NodeJS.ErrnoException) => {
        throw error.code === "EEXIST" ? badInput(`${args.out} exists already; choose another --out`, "out") : error;
      });
    } finally {
      file.destroy();
      await unlink(partial).catch(() => undefined);
    }
  }
  bar.end();
  const { counts, range, anchor, kid } = summary.manifest;
  process.stderr.write(
    `bundle: ${counts.events} events (${counts.redacted} redacted), seq ${range.firstSeq}..${range.lastSeq}, ${counts.checkpoints} checkpoints, ` +
      `anchor tree size ${anchor.treeSize}, manifest signed by ${kid}${args.out ? `, written to ${args.out}` : ""}\n`,
  );
  return 0;
}
