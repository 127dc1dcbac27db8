// Checkpoint-key rotation (`custos keys rotate-checkpoint`) and verification against an auditor-held key
// (`custos verify --key FILE`), with the CLI run as a child process (dist/) against the test database.
import { promises as fs } from "node:fs";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { importCheckpointKey, importCheckpointPublicJwk, signCheckpoint, verifyCheckpoint, type CheckpointError } from "../../src/audit/checkpoint-jws";
import { checkpointFileName } from "../../src/audit/checkpoint-sink";
import { generateKeyMaterial, generateSigningKey, loadOrCreateKeyFile, parseKeyMaterial, type KeyMaterial } from "../../src/crypto/key-material";
import { rotateCheckpointMaterial } from "../../src/crypto/rotate-checkpoint";
import { runCli } from "./crash-support";
import { createTestServer, type TestServer } from "../support/test-server";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const actor = { principal: null, ability: null, meta: { requestId: "cp-keys-test", operation: "cp-keys-test", clientAddress: null, purpose: null } };

async function append(s: TestServer, n: number) {
  const drafts = Array.from({ length: n }, () => ({ action: "test.event", resourceType: "test", resourceId: null, outcome: "SUCCESS" as const }));
  await s.custos.services.store.recordStandalone(actor, drafts);
}

/** Appends a few events and seals a checkpoint now (the CLI's `force`). */
async function seal(s: TestServer) {
  await append(s, 3);
  const cp = await s.custos.services.checkpoints.checkpointNow({ force: true });
  expect(cp).not.toBeNull();
  return cp!;
}

/** The environment of a CLI child: the test server's database, data directory (key file, checkpoint files). */
function cliEnv(s: TestServer): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    DATABASE_URL: s.databaseUrl,
    CUSTOS_DATA_DIR: s.custos.config.dataDir,
    CUSTOS_SEED_DEMO: "false",
  };
}

const readMaterial = async (s: TestServer): Promise<KeyMaterial> => (await loadOrCreateKeyFile(s.custos.config.keysFile, { create: false })).material;

async function publishedKeys(s: TestServer): Promise<{ keys: Array<Record<string, string>> }> {
  const res = await fetch(new URL("/.well-known/audit-checkpoint-keys.json", s.url));
  expect(res.status).toBe(200);
  return (await res.json()) as { keys: Array<Record<string, string>> };
}

describe("rotateCheckpointMaterial", () => {
  it("makes the new key current and keeps only the public half of the old one, with its retirement", async () => {
    const material = parseKeyMaterial(JSON.stringify(await generateKeyMaterial()));
    const old = material.checkpointSigning!;
    const next = await generateSigningKey();
    const at = new Date("2026-11-20T10:00:00.000Z");
    const { material: rotated, newKid, retiredKid } = rotateCheckpointMaterial(material, next, at);
    expect([newKid, retiredKid]).toEqual([next.kid, old.kid]);
    expect(rotated.checkpointSigning).toEqual({
      kid: next.kid,
      privateJwk: next.privateJwk,
      activatedAt: at.toISOString(),
      retired: [{ kid: old.kid, publicJwk: { kty: "OKP", crv: "Ed25519", x: old.privateJwk.x }, retiredAt: at.toISOString() }],
    });
    // The file round-trips, and no trace of the old private half remains.
    const text = JSON.stringify(rotated);
    expect(parseKeyMaterial(text)).toEqual(rotated);
    expect(text).not.toContain(old.privateJwk.d);
    // A retired entry that carries a private half is refused: retired keys must not sign again.
    const withPrivate = JSON.parse(text);
    withPrivate.checkpointSigning.retired[0].publicJwk.d = old.privateJwk.d;
    expect(() => parseKeyMaterial(JSON.stringify(withPrivate))).toThrow(/public Ed25519/);
    // A retired kid reused as the current one is refused.
    const dup = JSON.parse(text);
    dup.checkpointSigning.retired[0].kid = next.kid;
    expect(() => parseKeyMaterial(JSON.stringify(dup))).toThrow(/distinct/);
  });

  it("a retired key verifies what it signed up to its retirement and nothing after", async () => {
    const oldKey = await importCheckpointKey(await generateSigningKey());
    const retiredAt = "2026-11-20T10:00:00.000Z";
    const retiredPublic = await importCheckpointPublicJwk({ ...oldKey.publicJwk, kid: oldKey.kid, retiredAt });
    const head = { seq: 7, hash: "ab".repeat(32) };
    const before = await signCheckpoint(oldKey, head, new Date("2026-11-20T09:59:59.999Z"));
    const atRetirement = await signCheckpoint(oldKey, head, new Date(retiredAt));
    const after = await signCheckpoint(oldKey, head, new Date("2026-11-20T10:00:00.001Z"));
    await expect(verifyCheckpoint(before.jws, [retiredPublic])).resolves.toMatchObject({ seq: 7, kid: oldKey.kid });
    await expect(verifyCheckpoint(atRetirement.jws, [retiredPublic])).resolves.toMatchObject({ seq: 7 });
    await expect(verifyCheckpoint(after.jws, [retiredPublic])).rejects.toMatchObject({ reason: "key_retired" } satisfies Partial<CheckpointError>);
    // Without the validity (an auditor's copy saved before the rotation) the signature alone decides.
    const undated = await importCheckpointPublicJwk({ ...oldKey.publicJwk, kid: oldKey.kid });
    await expect(verifyCheckpoint(after.jws, [undated])).resolves.toMatchObject({ seq: 7 });
  });
});

describe("custos keys rotate-checkpoint", () => {
  it("rotates the key file (0600, audited); the running server seals with the new key; old checkpoints still verify", async () => {
    server = await createTestServer();
    const s = server;
    // Sealing by the timer would race the seals this test makes; checkpointNow works without it.
    await s.custos.services.checkpoints.stop();
    const before = await readMaterial(s);
    const oldKid = before.checkpointSigning!.kid;
    const cp1 = await seal(s);
    expect(cp1.kid).toBe(oldKid);

    const rotated = await runCli(cliEnv(s), ["keys", "rotate-checkpoint"]);
    expect(rotated.stderr).toBe("");
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain(`retired ${oldKid}`);

    const stat = await fs.stat(s.custos.config.keysFile);
    expect(stat.mode & 0o777).toBe(0o600);
    const after = await readMaterial(s);
    const newKid = after.checkpointSigning!.kid;
    expect(newKid).not.toBe(oldKid);
    expect(after.checkpointSigning!.retired).toEqual([
      { kid: oldKid, publicJwk: { kty: "OKP", crv: "Ed25519", x: before.checkpointSigning!.privateJwk.x }, retiredAt: expect.any(String) },
    ]);
    const retiredAt = after.checkpointSigning!.retired![0].retiredAt;
    expect(after.checkpointSigning!.activatedAt).toBe(retiredAt);
    // Never earlier than the last checkpoint issued with the old key.
    expect(Date.parse(retiredAt)).toBeGreaterThanOrEqual(Date.parse(cp1.issuedAt));
    expect(await fs.readFile(s.custos.config.keysFile, "utf8")).not.toContain(before.checkpointSigning!.privateJwk.d);
    // Everything else in the key file is untouched.
    expect({ ...after, checkpointSigning: undefined }).toEqual({ ...before, checkpointSigning: undefined });

    const events = await s.sql<{ resource_id: string; details: Record<string, string> }>(
      `SELECT resource_id, details FROM audit_event WHERE action = 'keys.rotate_checkpoint'`,
    );
    expect(events).toEqual([{ resource_id: newKid, details: { newKid, retiredKid: oldKid, retiredAt } }]);

    // No restart: the next seal re-reads the key file and signs with the new key, never before its activation.
    const cp2 = await seal(s);
    expect(cp2.kid).toBe(newKid);
    expect(Date.parse(cp2.issuedAt)).toBeGreaterThanOrEqual(Date.parse(retiredAt));
    expect(s.custos.services.checkpoints.currentKid).toBe(newKid);

    // Published: the current key and the retired one with its retirement.
    const published = await publishedKeys(s);
    expect(published.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    expect(published.keys[1]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", retiredAt });
    expect(published.keys.every((k) => k.d === undefined)).toBe(true);
    const printed = await runCli(cliEnv(s), ["keys", "checkpoint-public"]);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(published);

    // Both checkpoints, each under its own key, verify (database and outside copies).
    const report = await s.custos.services.checkpoints.verify(s.custos.ds);
    expect(report).toMatchObject({ ok: true, checkpointsChecked: 2 });
    const verified = await runCli(cliEnv(s), ["verify"]);
    expect(verified.stdout).toContain("audit chain intact");
    expect(verified.code).toBe(0);
  });

  it("flags a checkpoint forged with the retired key after its retirement (a leaked old key)", async () => {
    server = await createTestServer();
    const s = server;
    // Sealing by the timer would race the seals this test makes; checkpointNow works without it.
    await s.custos.services.checkpoints.stop();
    const leaked = await importCheckpointKey((await readMaterial(s)).checkpointSigning!);
    await seal(s);
    expect((await runCli(cliEnv(s), ["keys", "rotate-checkpoint"])).code).toBe(0);
    const retiredAt = (await readMaterial(s)).checkpointSigning!.retired![0].retiredAt;

    // The forger appends nothing of ours: it signs the real head, issued after the key's retirement,
    // and plants both copies.
    await append(s, 2);
    const [head] = await s.sql<{ seq: number; hash: string }>(`SELECT seq::int AS seq, encode(hash, 'hex') AS hash FROM audit_event ORDER BY seq DESC LIMIT 1`);
    const forged = await signCheckpoint(leaked, head, new Date(Date.parse(retiredAt) + 60_000));
    await s.sql(`INSERT INTO audit_checkpoint (seq, head_hash, issued_at, kid, jws) VALUES ($1, $2, $3, $4, $5)`, [
      forged.seq,
      Buffer.from(forged.headHash, "hex"),
      forged.issuedAt,
      forged.kid,
      forged.jws,
    ]);
    await fs.writeFile(path.join(s.custos.config.checkpoints.dir, checkpointFileName(forged.seq)), `${forged.jws}\n`);

    const report = await s.custos.services.checkpoints.verify(s.custos.ds);
    expect(report).toMatchObject({ ok: false, firstBadSeq: forged.seq, reason: "CHECKPOINT_INVALID", found: "key_retired" });
    const cli = await runCli(cliEnv(s), ["verify"]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`BROKEN at seq ${forged.seq} (CHECKPOINT_INVALID)`);
    // The same leaked key signing within its lifetime is indistinguishable by key checks alone (see the docs).
    const backdated = await signCheckpoint(leaked, head, new Date(Date.parse(retiredAt) - 1));
    await expect(verifyCheckpoint(backdated.jws, s.custos.services.checkpoints.sources().keys)).resolves.toMatchObject({ seq: head.seq });
  });
});

describe("custos verify --key FILE", () => {
  it("passes with the auditor's saved keys, and exits 1 naming a key the auditor does not hold", async () => {
    server = await createTestServer();
    const s = server;
    // Sealing by the timer would race the seals this test makes; checkpointNow works without it.
    await s.custos.services.checkpoints.stop();
    const oldKid = (await readMaterial(s)).checkpointSigning!.kid;
    await seal(s);
    await seal(s);
    const dir = path.dirname(s.custos.config.keysFile);
    const saved = path.join(dir, "auditor-checkpoint-keys.json");
    await fs.writeFile(saved, JSON.stringify(await publishedKeys(s)));

    const ok = await runCli(cliEnv(s), ["verify", "--key", saved]);
    expect(ok.stdout).toContain(`checkpoints matched against the keys in ${saved}`);
    expect(ok.code).toBe(0);
    const incremental = await runCli(cliEnv(s), ["verify", "--since-checkpoint", "--key", saved]);
    expect(incremental.stdout).toMatch(/audit chain intact: \d+ events \d+\.\.\d+ \(from checkpoint \d+\)/);
    expect(incremental.code).toBe(0);

    // A single public JWK without kid (the kid is its RFC 7638 thumbprint) works the same.
    const single = path.join(dir, "auditor-single.json");
    const { kid: _kid, alg: _alg, use: _use, ...bare } = (await publishedKeys(s)).keys[0];
    await fs.writeFile(single, JSON.stringify(bare));
    expect((await runCli(cliEnv(s), ["verify", "--key", single])).code).toBe(0);

    // Another key (a swapped installation key, from the auditor's point of view): exit 1, naming the kid.
    const { publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const stranger = path.join(dir, "stranger.json");
    await fs.writeFile(stranger, JSON.stringify(await exportJWK(publicKey)));
    const refused = await runCli(cliEnv(s), ["verify", "--key", stranger]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`checkpoints signed by a key not in ${stranger}: kid ${oldKid} (2 checkpoints`);
    expect(refused.stdout).toContain("unknown_kid");
    const refusedIncremental = await runCli(cliEnv(s), ["verify", "--since-checkpoint", "--key", stranger]);
    expect(refusedIncremental.code).toBe(1);
    expect(refusedIncremental.stdout).toContain(`kid ${oldKid}`);

    // After a rotation the saved copy lacks the new key: exit 1 until the auditor fetches the new set.
    expect((await runCli(cliEnv(s), ["keys", "rotate-checkpoint"])).code).toBe(0);
    await seal(s);
    const stale = await runCli(cliEnv(s), ["verify", "--key", saved]);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain(`kid ${(await readMaterial(s)).checkpointSigning!.kid} (1 checkpoints`);
    await fs.writeFile(saved, JSON.stringify(await publishedKeys(s)));
    const fresh = await runCli(cliEnv(s), ["verify", "--key", saved]);
    expect(fresh.stdout).toContain("audit chain intact");
    expect(fresh.code).toBe(0);

    // Unreadable key files are a usage error (2), not a verdict.
    const bad = await runCli(cliEnv(s), ["verify", "--key", path.join(dir, "missing.json")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("cannot read");
  });
});
