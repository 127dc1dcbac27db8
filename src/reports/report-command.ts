// `custos report <complaints|access|training-controls> --from ISO --to ISO --format json|csv|xlsx|pdf --out FILE`
// (writes FILE and FILE.jws, never replacing either) and `custos report verify FILE SIG --key JWKS` (offline:
// no database, no configuration). src/cli.ts dispatches here.
import { link, readFile, unlink, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { readCheckpointKeyFile } from "../audit/checkpoint-commands";
import { isOneOf } from "../domain/enums";
import { badInput } from "../errors";
import type { CustosCore } from "../main";
import type { AuditActor } from "../store/audited-store";
import { REPORT_FORMATS, REPORT_KINDS } from "./report-document";
import { ReportSignatureError, verifyReportSignature } from "./report-signature";

function parseDate(value: string | undefined, name: string): Date {
  if (value === undefined) throw badInput(`--${name} is needed (an ISO-8601 date or time)`, name);
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw badInput(`--${name} must be an ISO-8601 date or time`, name);
  return at;
}

/** Writes through a temporary name hard-linked into place: never a half file, never a replaced one. */
async function writeNew(file: string, bytes: Uint8Array | string): Promise<void> {
  const partial = `${file}.partial-${process.pid}`;
  try {
    await writeFile(partial, bytes, { flag: "wx", mode: 0o644 });
    await link(partial, file).catch((error: NodeJS.ErrnoException) => {
      throw error.code === "EEXIST" ? badInput(`${file} exists already; choose another --out`, "out") : error;
    });
  } finally {
    await unlink(partial).catch(() => undefined);
  }
}

export async function reportCommand(core: CustosCore, argv: string[], actor: AuditActor): Promise<number> {
  const [kind, ...rest] = argv;
  if (!isOneOf(REPORT_KINDS, kind)) throw badInput(`report kind must be one of ${REPORT_KINDS.join(", ")} (or verify)`, "kind");
  const { values } = parseArgs({ args: rest, options: { from: { type: "string" }, to: { type: "string" }, format: { type: "string" }, out: { type: "string" } }, strict: true });
  const format = values.format ?? "";
  if (!isOneOf(REPORT_FORMATS, format)) throw badInput(`--format must be one of ${REPORT_FORMATS.join(", ")}`, "format");
  if (!values.out) throw badInput("--out FILE is needed (FILE.jws is written next to it)", "out");
  const report = await core.services.regulatoryReports.generate(actor, { kind, from: parseDate(values.from, "from"), to: parseDate(values.to, "to"), format }, { operator: true });
  await writeNew(`${values.out}.jws`, `${report.signature}\n`);
  await writeNew(values.out, report.content);
  process.stderr.write(`report: ${kind} ${format}, ${report.content.length} bytes, sha256 ${report.sha256}, checkpoint ${report.checkpointSeq}, signed by ${report.kid}; written to ${values.out} and ${values.out}.jws\n`);
  return 0;
}

/** Exit 0 and VALID, or exit 1 and INVALID with the reason code. */
export async function reportVerifyCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { key: { type: "string" } }, allowPositionals: true, strict: true });
  if (positionals.length !== 2 || !values.key) throw badInput("usage: custos report verify FILE SIG --key JWKS", "key");
  const [file, sig] = positionals;
  const keys = await readCheckpointKeyFile(values.key);
  try {
    const p = await verifyReportSignature(await readFile(file), await readFile(sig, "utf8"), keys);
    out.write(`VALID: ${p.kind} ${p.format} of ${p.from} to ${p.to}, sha256 ${p.sha256}, checkpoint ${p.checkpoint.seq} root ${p.checkpoint.rootHash}, signed by ${p.kid} at ${p.generatedAt}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ReportSignatureError)) throw error;
    out.write(`INVALID: ${error.code}${error.expected !== undefined ? ` (expected ${error.expected}, found ${error.found})` : error.found !== undefined ? ` (${error.found})` : ""}\n`);
    return 1;
  }
}
