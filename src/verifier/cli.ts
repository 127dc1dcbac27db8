#!/usr/bin/env node
// custos-verify BUNDLE --key PUBLIC_KEY [--json]: the standalone offline verifier of an audit bundle. Its only
// inputs are the two files: no database, no server, no configuration. Exit 0 VALID, 1 INVALID, 2 bad usage.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { importVerifierKeys, KeyFileError } from "./jws";
import { verifyBundle, type BundleVerdict } from "./verify-bundle";

const USAGE = `Usage: custos-verify BUNDLE --key PUBLIC_KEY [--json]

Verifies an audit bundle written by \`custos export\` or the exportAuditBundle mutation, offline.
  BUNDLE       the bundle file (JSON)
  --key FILE   the checkpoint public keys: the JWK Set published at /.well-known/audit-checkpoint-keys.json
               (or printed by \`custos keys checkpoint-public\`), or a single Ed25519 JWK
  --json       print the verdict as one JSON object instead of text
Exit status: 0 VALID, 1 INVALID, 2 bad usage or unreadable input.`;

class UsageError extends Error {}

function describe(v: BundleVerdict): string {
  if (!v.valid) return `INVALID: ${v.reason} at ${v.position}: ${v.message}\n`;
  const scope = v.scope!.customerId === null ? "period" : "customer";
  const lines = [
    `VALID: ${v.events} events, seq ${v.firstSeq}..${v.lastSeq} (${scope} ${v.scope!.from} .. ${v.scope!.to})`,
    `  ${v.events - v.redacted} verified by content and chain link, ${v.redacted} redacted (erased subject) verified by chain link and inclusion`,
    `  ${v.checkpoints} signed checkpoints, ${v.consistencyProofs} consistency proofs; every event included in tree size ${v.anchorTreeSize} (root ${v.anchorRoot})`,
    `  manifest signed by ${v.kid}`,
  ];
  return `${lines.join("\n")}\n`;
}

export async function runVerifier(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  try {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { bundle, keyFile, json } = parsed;
    const keys = await importVerifierKeys(JSON.parse(await read(keyFile, "key file")));
    const verdict = await verifyBundle(Buffer.from(await readBytes(bundle)), keys);
    out.write(json ? `${JSON.stringify(verdict)}\n` : describe(verdict));
    return verdict.valid ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError || error instanceof KeyFileError || error instanceof SyntaxError) {
      err.write(`custos-verify: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    err.write(`custos-verify: failed: ${(error as Error)?.message ?? String(error)}\n`);
    return 2;
  }
}

function parse(argv: string[]): { bundle: string; keyFile: string; json: boolean } {
  const { values, positionals } = parseArgs({ args: argv, options: { key: { type: "string" }, json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  if (values.help) throw new UsageError("help");
  if (positionals.length !== 1) throw new UsageError("exactly one BUNDLE file is needed");
  if (!values.key) throw new UsageError("--key PUBLIC_KEY is needed");
  return { bundle: positionals[0], keyFile: values.key, json: values.json! };
}

async function readBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read the bundle ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

async function read(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

if (require.main === module) {
  runVerifier(process.argv.slice(2)).then((code) => process.exit(code));
}
