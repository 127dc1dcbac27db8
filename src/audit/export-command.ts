// `custos audit export --format csv|jsonl [filters]`: the filtered trail to stdout in keyset batches, for
// exports larger than the GraphQL one allows. src/cli.ts parses the command and dispatches here.
import { parseArgs } from "node:util";
import { once } from "node:events";
import type { CustosCore } from "../main";
import { badInput } from "../errors";
import { assertTrailFilter, selectHeadSeq, selectTrailBatch, type TrailFilter } from "../store/audit-report.store";
import type { AuditActor } from "../store/audited-store";
import { csvHeader, formatEvents, type ExportFormat } from "./export-format";

const BATCH = 5_000;

function parseDate(value: string | undefined, name: string): Date | null {
  if (value === undefined) return null;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw badInput(`--${name} must be an ISO-8601 date or time`, name);
  return at;
}

export function parseExportArgs(argv: string[]): { format: ExportFormat; filter: TrailFilter } {
  const { values } = parseArgs({
    args: argv,
    options: {
      format: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      actor: { type: "string" },
      action: { type: "string" },
      "resource-type": { type: "string" },
      "resource-id": { type: "string" },
    },
    strict: true,
  });
  const format = values.format?.toUpperCase();
  if (format !== "CSV" && format !== "JSONL") throw badInput("--format must be csv or jsonl", "format");
  const filter: TrailFilter = {
    from: parseDate(values.from, "from"),
    to: parseDate(values.to, "to"),
    actorId: values.actor ?? null,
    action: values.action ?? null,
    resourceType: values["resource-type"] ?? null,
    resourceId: values["resource-id"] ?? null,
  };
  assertTrailFilter(filter);
  return { format, filter };
}

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, "drain");
}

/**
 * Records the export as an `audit.report` event first (fail-closed: nothing is written if it cannot be
 * recorded), then streams the events committed up to that moment, batch by batch.
 */
export async function auditExportCommand(core: CustosCore, argv: string[], actor: AuditActor, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { format, filter } = parseExportArgs(argv);
  const head = await selectHeadSeq(core.ds.manager);
  const given = Object.entries(filter).filter(([, v]) => v !== null).map(([k]) => k);
  await core.services.store.recordStandalone(actor, [
    { action: "audit.report", resourceType: "audit", resourceId: null, outcome: "SUCCESS", fields: ["format", ...given].sort(), details: { report: "auditTrailExport", format, upToSeq: head } },
  ]);
  if (format === "CSV") await write(out, csvHeader());
  let after = 0;
  for (;;) {
    const batch = await selectTrailBatch(core.ds.manager, filter, { afterSeq: after, upToSeq: head, limit: BATCH });
    if (batch.length === 0) break;
    await write(out, formatEvents(format, batch));
    after = batch[batch.length - 1].seq;
    if (batch.length < BATCH) break;
  }
  return 0;
}
