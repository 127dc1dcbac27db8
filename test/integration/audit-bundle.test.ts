// Signed export bundles end to end: exported through GraphQL and `custos export` from a real, growing log
// with real checkpoints, then checked by the standalone verifier as a child process (node
// dist/src/verifier/cli.js, built by `npm run build`). Tampering with any section, or another key, is
// refused with its reason; an erased customer's events are redacted and the bundle still verifies.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportBundleCommand } from "../../src/audit/export-bundle-command";
import type { CustosCore } from "../../src/main";
import { importVerifierKeys } from "../../src/verifier/jws";
import { verifyBundle, type BundleVerdict } from "../../src/verifier/verify-bundle";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { createCustomer } from "./api-helpers";

const run = promisify(execFile);
const VERIFIER = path.resolve(__dirname, "../../dist/src/verifier/cli.js");
const EXPORT = `mutation($from: DateTimeISO!, $to: DateTimeISO!, $c: ID) {
  exportAuditBundle(from: $from, to: $to, customerId: $c) { content eventCount redactedCount checkpointCount consistencyProofCount firstSeq lastSeq anchorTreeSize kid }
}`;
const FROM = "2026-11-01T00:00:00.000Z";
const TO = "2026-11-03T00:00:00.000Z";

let server: TestServer;
let compliance: StaffLogin;
let auditor: StaffLogin;
let agent: StaffLogin;
let dir: string;
let keyFile: string;
let jwks: { keys: Array<Record<string, unknown>> };

async function verifyFile(file: string, key = keyFile): Promise<{ code: number; verdict: BundleVerdict }> {
  try {
    const { stdout } = await run(process.execPath, [VERIFIER, file, "--key", key, "--json"]);
    return { code: 0, verdict: JSON.parse(stdout) };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (e.code !== 1) throw new Error(`verifier exit ${e.code}: ${e.stderr}`);
    return { code: 1, verdict: JSON.parse(e.stdout!) };
  }
}

async function openCase(customerId: string): Promise<string> {
  const res = await server.gql(
    `mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`,
    { i: { customerId, channel: "APP", kind: "INQUIRY", category: "fees", complexity: "COMMON", businessLine: "SECURITIES", summary: "Asks about custody fees" } },
    { token: agent.token },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.openCase.id;
}

async function readCustomer(id: string): Promise<void> {
  const res = await server.gql(`query($id: ID!) { customer(id: $id) { id fullName } }`, { id }, { token: agent.token });
  expect(res.errors).toBeUndefined();
}

async function checkpoint(): Promise<number> {
  const cp = await server.custos.services.checkpoints.checkpointNow({ force: true });
  expect(cp?.v).toBe(2);
  return cp!.seq;
}

async function exportBundle(token: string, customerId: string | null = null) {
  const res = await server.gql(EXPORT, { from: FROM, to: TO, c: customerId }, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.exportAuditBundle;
}

let erasedCustomer: string;
let erasedCase: string;
let erasureSeq: number;
let keptCustomer: string;
let bundleFile: string;
let bundleBytes: Buffer;

beforeAll(async () => {
  server = await createTestServer();
  dir = await mkdtemp(path.join(os.tmpdir(), "custos-bundle-test-"));
  compliance = await server.staff("COMPLIANCE_OFFICER");
  auditor = await server.staff("AUDITOR");
  agent = await server.staff("AGENT", "SECURITIES");
  // A growing log: a checkpoint, more events, another checkpoint, more events (the export seals the anchor).
  keptCustomer = (await createCustomer(server, agent.token)).id;
  await openCase(keptCustomer);
  await checkpoint();
  erasedCustomer = (await createCustomer(server, agent.token)).id;
  erasedCase = await openCase(erasedCustomer);
  await readCustomer(erasedCustomer);
  await readCustomer(keptCustomer);
  await checkpoint();
  const erased = await server.gql(`mutation($id: ID!) { eraseCustomer(id: $id, reason: "GDPR-17") { customerId } }`, { id: erasedCustomer }, { token: compliance.token });
  expect(erased.errors).toBeUndefined();
  const [row] = await server.sql<{ seq: string }>(`SELECT seq::text FROM audit_event WHERE action = 'customer.erase' AND resource_id = $1`, [erasedCustomer]);
  erasureSeq = Number(row.seq);
  await readCustomer(keptCustomer);
  const res = await fetch(new URL("/.well-known/audit-checkpoint-keys.json", server.url));
  jwks = (await res.json()) as typeof jwks;
  keyFile = path.join(dir, "checkpoint-keys.json");
  await writeFile(keyFile, JSON.stringify(jwks));
  const bundle = await exportBundle(compliance.token);
  bundleFile = path.join(dir, "period.bundle.json");
  await writeFile(bundleFile, bundle.content);
  bundleBytes = Buffer.from(bundle.content, "utf8");
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a real bundle", () => {
  it("verifies offline with the published key, with at least two real checkpoints and a consistency proof", async () => {
    const { code, verdict } = await verifyFile(bundleFile);
    expect(code).toBe(0);
    expect(verdict).toMatchObject({ valid: true, reason: null, firstSeq: 1 });
    expect(verdict.checkpoints).toBeGreaterThanOrEqual(3);
    expect(verdict.consistencyProofs).toBe(verdict.checkpoints - 1);
    expect(verdict.events).toBe(verdict.lastSeq! - verdict.firstSeq! + 1);
    const { stdout } = await run(process.execPath, [VERIFIER, bundleFile, "--key", keyFile]);
    expect(stdout).toMatch(/^VALID: /);
  });

  it("is an audited export, and refused (and recorded) for a role without the grant", async () => {
    const rows = await server.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_event WHERE action = 'audit.report' AND actor_id = $1 AND details->>'report' = 'exportAuditBundle' AND outcome = 'SUCCESS'`,
      [compliance.id],
    );
    expect(rows[0].n).toBe(1);
    const denied = await server.gql(EXPORT, { from: FROM, to: TO, c: null }, { token: agent.token });
    expect(denied.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const [d] = await server.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_event WHERE action = 'audit.report' AND actor_id = $1 AND outcome = 'DENIED' AND details->>'report' = 'exportAuditBundle'`,
      [agent.id],
    );
    expect(d.n).toBe(1);
  });

  it("is available to auditors, and a customer bundle holds only that customer's events", async () => {
    const b = await exportBundle(auditor.token, keptCustomer);
    const file = path.join(dir, "customer.bundle.json");
    await writeFile(file, b.content);
    const { code, verdict } = await verifyFile(file);
    expect(code).toBe(0);
    expect(verdict.scope).toMatchObject({ customerId: keptCustomer });
    const events = JSON.parse(b.content).events as Array<{ resourceId: string | null; resourceType: string }>;
    expect(events.length).toBe(b.eventCount);
    expect(events.length).toBeGreaterThanOrEqual(4);
    for (const e of events) expect(e.resourceType === "customer" ? e.resourceId === keptCustomer : e.resourceType === "case").toBe(true);
  });

  it("refuses a period with more events than the mutation's cap says, and bad input", async () => {
    const res = await server.gql(EXPORT, { from: TO, to: FROM, c: null }, { token: compliance.token });
    expect(res.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const empty = await server.gql(EXPORT, { from: "2001-01-01T00:00:00.000Z", to: "2001-02-01T00:00:00.000Z", c: null }, { token: compliance.token });
    expect(empty.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("erasure receipts", () => {
  it("redacts every event about the erased customer or their case, names the erasure, and still verifies", async () => {
    const doc = JSON.parse(bundleBytes.toString("utf8"));
    const redacted = doc.events.filter((e: { redacted?: string }) => e.redacted !== undefined);
    // create, case open, read, erase at least; and nothing of theirs in clear anywhere in the file.
    expect(redacted.length).toBeGreaterThanOrEqual(4);
    for (const e of redacted) expect(Object.keys(e).sort()).toEqual(["erasureSeq", "hash", "prevHash", "redacted", "seq"]);
    expect(redacted.every((e: { erasureSeq: number }) => e.erasureSeq === erasureSeq)).toBe(true);
    expect(redacted.map((e: { seq: number }) => e.seq)).toContain(erasureSeq);
    const text = bundleBytes.toString("utf8");
    expect(text).not.toContain(erasedCustomer);
    expect(text).not.toContain(erasedCase);
    const [{ reference }] = await server.sql<{ reference: string }>(`SELECT reference FROM customer WHERE id = $1`, [erasedCustomer]);
    expect(text).not.toContain(`"${reference}"`);
    // The kept customer is there in clear.
    expect(text).toContain(keptCustomer);
    const { code, verdict } = await verifyFile(bundleFile);
    expect(code).toBe(0);
    expect(verdict.redacted).toBe(redacted.length);
  });
});

/** The bundle with byte `at` replaced by `value`. */
const withByte = (at: number, value: number) => {
  const copy = Buffer.from(bundleBytes);
  copy[at] = value;
  return copy;
};

describe("tampering", () => {
  /** The offset of `needle` within the line that starts with `linePrefix` (the nth such line). */
  function offsetIn(section: string, needle: (line: string) => number, pick: (line: string) => boolean = () => true): number {
    const text = bundleBytes.toString("latin1");
    let start = text.indexOf(`"${section}":[\n`) + section.length + 5;
    while (!pick(text.slice(start, text.indexOf("\n", start)))) start = text.indexOf("\n", start) + 1;
    const line = text.slice(start, text.indexOf("\n", start));
    const at = needle(line);
    expect(at).toBeGreaterThanOrEqual(0);
    return start + at;
  }

  // A hex digit becomes the next hex digit (still well formed, so the reason is about meaning); else one bit flips.
  const HEX = "0123456789abcdef";
  const flip = (b: number) => (HEX.includes(String.fromCharCode(b)) ? HEX.charCodeAt((HEX.indexOf(String.fromCharCode(b)) + 1) % 16) : b ^ 0x01);

  it.each([
    ["an event's action", "events", (l: string) => l.indexOf('"action":"') + 11, "HASH_MISMATCH"],
    ["an event's hash", "events", (l: string) => l.indexOf('"hash":"') + 10, "HASH_MISMATCH"],
    // A redacted event is checked by link and inclusion only: its successor no longer links to it.
    ["a redacted event's hash", "events", (l: string) => l.indexOf('"hash":"') + 10, "PREV_HASH_MISMATCH", (l: string) => l.includes('"redacted"')],
    ["an inclusion proof", "inclusionProofs", (l: string) => l.indexOf('"auditPath":["') + 20, "INCLUSION_PROOF_INVALID"],
    ["a checkpoint's signature", "checkpoints", (l: string) => l.lastIndexOf(".") + 10, "CHECKPOINT_INVALID"],
    ["a consistency proof", "consistencyProofs", (l: string) => l.indexOf('"proof":["') + 15, "CONSISTENCY_PROOF_INVALID"],
  ] as Array<[string, string, (l: string) => number, string, ((l: string) => boolean)?]>)("a byte of %s is refused with its reason (child process)", async (_what, section, needle, reason, pick) => {
    const at = offsetIn(section, needle, pick);
    const file = path.join(dir, `tampered-${section}-${at}.json`);
    await writeFile(file, withByte(at, flip(bundleBytes[at])));
    const { code, verdict } = await verifyFile(file);
    expect(code).toBe(1);
    expect(verdict.reason).toBe(reason);
    expect(verdict.position).toMatch(section === "events" || section === "inclusionProofs" ? /\(seq \d+\)/ : /\d/);
  });

  it("a byte of the manifest is refused (child process)", async () => {
    const at = bundleBytes.indexOf('"manifest":"') + 12 + 40;
    const file = path.join(dir, "tampered-manifest.json");
    await writeFile(file, withByte(at, flip(bundleBytes[at])));
    const { code, verdict } = await verifyFile(file);
    expect(code).toBe(1);
    expect(verdict.reason).toBe("MANIFEST_SIGNATURE");
  });

  it("a redacted event's erasure seq is refused by the signed section digest", async () => {
    const text = bundleBytes.toString("latin1");
    const marker = `"erasureSeq":${erasureSeq}`;
    const pos = text.indexOf(marker) + marker.length - 1;
    const changed = withByte(pos, bundleBytes[pos] === 0x39 ? 0x38 : bundleBytes[pos] + 1);
    const verdict = await verifyBundle(changed, await importVerifierKeys(jwks));
    expect(verdict.valid).toBe(false);
    expect(["SECTION_DIGEST_MISMATCH", "ERASURE_MARKER_INVALID"]).toContain(verdict.reason);
  });

  it("every 97th byte, changed two ways (bit flip, and a space: insignificant JSON whitespace), is refused", async () => {
    const keys = await importVerifierKeys(jwks);
    const reasons = new Map<string, number>();
    let checked = 0;
    for (let at = 0; at < bundleBytes.length; at += 97) {
      const variants = [bundleBytes[at] ^ 0x01, bundleBytes[at] === 0x20 ? 0x21 : 0x20];
      for (const value of variants) {
        const verdict = await verifyBundle(withByte(at, value), keys);
        if (verdict.valid) throw new Error(`byte ${at} changed from ${bundleBytes[at]} to ${value} still verifies`);
        reasons.set(verdict.reason!, (reasons.get(verdict.reason!) ?? 0) + 1);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(40);
    // Whitespace the layout does not have is refused as LAYOUT, not ignored.
    expect(reasons.get("LAYOUT") ?? 0).toBeGreaterThan(0);
  }, 120_000);

  it("the same bundle checked with another key is refused", async () => {
    const { publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const other = { ...(await exportJWK(publicKey)), kid: jwks.keys[0].kid };
    const file = path.join(dir, "other-key.json");
    await writeFile(file, JSON.stringify({ keys: [other] }));
    const { code, verdict } = await verifyFile(bundleFile, file);
    expect(code).toBe(1);
    expect(verdict).toMatchObject({ reason: "MANIFEST_SIGNATURE" });
    expect(verdict.message).toContain("bad_signature");
    const single = path.join(dir, "other-key-no-kid.json");
    await writeFile(single, JSON.stringify(await exportJWK(publicKey)));
    expect((await verifyFile(bundleFile, single)).verdict.message).toContain("unknown_kid");
  });
});

describe("custos export", () => {
  it("writes a bundle file that verifies, and never replaces an existing file", async () => {
    const core = { ...server.custos, clock: server.clock, close: async () => undefined } as unknown as CustosCore;
    const actor = { principal: null, ability: null, meta: { requestId: "cli-test-export", operation: "cli.export", clientAddress: null, purpose: null } };
    const out = path.join(dir, "cli.bundle.json");
    expect(await exportBundleCommand(core, ["--from", FROM, "--to", TO, "--out", out], actor)).toBe(0);
    const { code, verdict } = await verifyFile(out);
    expect(code).toBe(0);
    expect(verdict.redacted).toBeGreaterThanOrEqual(4);
    await expect(exportBundleCommand(core, ["--from", FROM, "--to", TO, "--out", out], actor)).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    expect((await readFile(out)).length).toBeGreaterThan(0);
    const [row] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event WHERE request_id = 'cli-test-export' AND details->>'report' = 'exportAuditBundle'`);
    expect(row.n).toBe(2);
  });

  it("bad usage of the verifier exits 2", async () => {
    await expect(run(process.execPath, [VERIFIER, bundleFile])).rejects.toMatchObject({ code: 2 });
    await expect(run(process.execPath, [VERIFIER, path.join(dir, "missing.json"), "--key", keyFile])).rejects.toMatchObject({ code: 2 });
  });
});
