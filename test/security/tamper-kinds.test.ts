// Every kind of tampering with the stored audit log, named by verification at the right seq, including a
// table rewritten end to end with consistent hashes, which only the signed outside checkpoints expose.
import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AUDIT_SELECT, rowToSealedEvent, type AuditEventRow } from "../../src/audit/append";
import { importCheckpointKey, signCheckpoint } from "../../src/audit/checkpoint-jws";
import { checkpointFileName } from "../../src/audit/checkpoint-sink";
import { verifyAuditLog } from "../../src/audit/verify-log";
import { hashEvent } from "../../src/audit/core";
import { runCli } from "../../src/cli";
import { generateSigningKey } from "../../src/crypto/key-material";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

let server: TestServer;
let agent: StaffLogin;
let compliance: StaffLogin;
let customerId: string;
/** Seq of the signed checkpoint sealed in beforeEach (the head then). */
let sealed: number;
let sealedHash: string;

async function readCustomer(times: number) {
  for (let n = 0; n < times; n++) {
    const read = await server.gql(`query($id: ID!) { customer(id: $id) { fullName } }`, { id: customerId }, { token: agent.token });
    expect(read.errors).toBeUndefined();
  }
}

beforeEach(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  const created = await server.gql(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, { i: { fullName: "Kinds Subject", nationalId: "KIND12345" } }, { token: agent.token });
  customerId = created.data!.createCustomer.id;
  await readCustomer(4);
  const cp = await server.custos.services.checkpoints.checkpointNow({ force: true });
  expect(cp).not.toBeNull();
  sealed = cp!.seq;
  sealedHash = cp!.headHash;
  expect(sealed).toBeGreaterThanOrEqual(8);
  await readCustomer(3); // events after the checkpoint
});
afterEach(() => server?.stop());

type Report = { ok: boolean; checked: number; firstBadSeq: number | null; reason: string | null; expected: string | null; found: string | null; message: string | null; checkpointsChecked: number };

async function verify(sinceCheckpoint = false): Promise<Report> {
  const res = await server.gql(
    `query($s: Boolean) { verifyAuditChain(sinceCheckpoint: $s) { ok checked firstBadSeq reason expected found message checkpointsChecked } }`,
    { s: sinceCheckpoint },
    { token: compliance.token },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.verifyAuditChain as Report;
}

/** As superuser with the append-only triggers off for this session only. */
async function tamper(sql: string, params: unknown[] = []) {
  await server.sql(`SET session_replication_role = replica`);
  try {
    return await server.sql(sql, params);
  } finally {
    await server.sql(`RESET session_replication_role`);
  }
}

async function storedEvent(seq: number) {
  const [row] = await server.sql<AuditEventRow>(`${AUDIT_SELECT} WHERE seq = $1`, [seq]);
  return rowToSealedEvent(row);
}

const headSeq = async () => (await server.sql<{ head: number }>(`SELECT max(seq)::int AS head FROM audit_event`))[0].head;

/** `custos <args>` in-process, with this server's database, keys and checkpoint directory. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const { config } = server.custos;
  const env = {
    NODE_ENV: "test",
    DATABASE_URL: server.databaseUrl,
    CUSTOS_DATA_DIR: config.dataDir,
    CUSTOS_KEYS_FILE: config.keysFile,
    CUSTOS_CHECKPOINT_DIR: config.checkpoints.dir,
    LOG_LEVEL: "silent",
    CUSTOS_SEED_DEMO: "false",
  };
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  let out = "";
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await runCli(args), out };
  } finally {
    write.mockRestore();
    vi.unstubAllEnvs();
  }
}

describe("an intact log", () => {
  it("verifies with its checkpoint matched, through the API and the CLI", async () => {
    expect(await verify()).toMatchObject({ ok: true, firstBadSeq: null, reason: null, checkpointsChecked: 1 });
    const run = await cli(["verify"]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/audit chain intact: \d+ events verified, 1 checkpoints matched/);
  });

  it("keeps a copy of each checkpoint outside the database, published key included", async () => {
    const files = await fs.readdir(server.custos.config.checkpoints.dir);
    expect(files).toEqual([checkpointFileName(sealed)]);
    const res = await fetch(new URL("/.well-known/audit-checkpoint-keys.json", server.url));
    const jwks = (await res.json()) as { keys: Array<Record<string, string>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA" });
    expect(jwks.keys[0].d).toBeUndefined();
    const tokenKeys = (await (await fetch(new URL("/.well-known/jwks.json", server.url))).json()) as { keys: Array<{ kid: string }> };
    expect(tokenKeys.keys.map((k) => k.kid)).not.toContain(jwks.keys[0].kid);
  });
});

describe("each tamper kind is named at its seq", () => {
  it("a field edited → HASH_MISMATCH at that seq, with expected and found hashes", async () => {
    const mid = Math.floor(sealed / 2);
    const before = await storedEvent(mid);
    await tamper(`UPDATE audit_event SET outcome = 'DENIED' WHERE seq = $1`, [mid]);
    const report = await verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: mid, reason: "HASH_MISMATCH", found: before.hash });
    expect(report.expected).toMatch(/^[0-9a-f]{64}$/);
    const run = await cli(["verify"]);
    expect(run.code).toBe(1);
    expect(run.out).toContain(`seq ${mid} (HASH_MISMATCH)`);
    expect(run.out).toContain(`found    ${before.hash}`);
  });

  it("a row deleted → SEQ_GAP at the deleted seq", async () => {
    const mid = Math.floor(sealed / 2);
    await tamper(`DELETE FROM audit_event WHERE seq = $1`, [mid]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: mid, reason: "SEQ_GAP", expected: String(mid), found: String(mid + 1) });
  });

  it("a row inserted (later rows renumbered) → PREV_HASH_MISMATCH at the first original row after it", async () => {
    const mid = Math.floor(sealed / 2);
    const prev = await storedEvent(mid);
    await tamper(`UPDATE audit_event SET seq = seq + 1000000 WHERE seq > $1`, [mid]);
    await tamper(`UPDATE audit_event SET seq = seq - 999999 WHERE seq > 1000000`);
    const forged = { ...prev, seq: mid + 1, action: "customer.search", prevHash: prev.hash };
    const hash = hashEvent(prev.hash, mid + 1, forged);
    await tamper(
      `INSERT INTO audit_event (seq, prev_hash, hash, occurred_at, actor_id, actor_role, action, resource_type, resource_id, fields, outcome,
         request_id, operation, client_address, purpose, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [mid + 1, Buffer.from(prev.hash, "hex"), Buffer.from(hash, "hex"), forged.occurredAt, forged.actorId, forged.actorRole, forged.action, forged.resourceType,
        forged.resourceId, forged.fields, forged.outcome, forged.requestId, forged.operation, forged.clientAddress, forged.purpose, JSON.stringify(forged.details)],
    );
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: mid + 2, reason: "PREV_HASH_MISMATCH", found: prev.hash });
  });

  it("two rows swapped → PREV_HASH_MISMATCH at the first of them", async () => {
    const mid = Math.floor(sealed / 2);
    await tamper(`UPDATE audit_event SET seq = 1000000 WHERE seq = $1`, [mid]);
    await tamper(`UPDATE audit_event SET seq = $1 WHERE seq = $2`, [mid, mid + 1]);
    await tamper(`UPDATE audit_event SET seq = $1 WHERE seq = 1000000`, [mid + 1]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: mid, reason: "PREV_HASH_MISMATCH" });
  });

  it("the tail truncated past a checkpoint, database checkpoints removed too → TRUNCATED from the outside copy", async () => {
    await tamper(`DELETE FROM audit_event WHERE seq >= $1`, [sealed - 1]);
    await tamper(`DELETE FROM audit_checkpoint`);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: sealed - 1, reason: "TRUNCATED", expected: String(sealed), found: String(sealed - 2) });
  });

  it("the whole table rewritten with recomputed hashes → CHECKPOINT_MISMATCH, caught only by the outside copy", async () => {
    const mid = Math.floor(sealed / 2);
    const head = await headSeq();
    // Rewrite from mid on: edit one event, then re-hash every later one so the chain is internally consistent.
    let prevHash = (await storedEvent(mid)).prevHash;
    for (let seq = mid; seq <= head; seq++) {
      const e = await storedEvent(seq);
      const action = seq === mid ? "customer.search" : e.action;
      const hash = hashEvent(prevHash, seq, { ...e, action });
      await tamper(`UPDATE audit_event SET action = $2, prev_hash = $3, hash = $4 WHERE seq = $1`, [seq, action, Buffer.from(prevHash, "hex"), Buffer.from(hash, "hex")]);
      prevHash = hash;
    }
    await tamper(`DELETE FROM audit_checkpoint`);
    const rewritten = (await storedEvent(sealed)).hash;
    expect(rewritten).not.toBe(sealedHash);

    // With nothing but the database, the rewrite is invisible.
    const keysOnly = { keys: server.custos.services.checkpoints.sources().keys, sink: null };
    expect(await verifyAuditLog(server.custos.ds, keysOnly)).toMatchObject({ ok: true });
    // The outside copy exposes it at the checkpoint's seq, with the signed and the stored hash.
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: sealed, reason: "CHECKPOINT_MISMATCH", expected: sealedHash, found: rewritten });
    const run = await cli(["verify"]);
    expect(run.code).toBe(1);
    expect(run.out).toContain(`seq ${sealed} (CHECKPOINT_MISMATCH)`);
  });

  it("a rewritten table with the database's checkpoints left in place is caught by them as well", async () => {
    const head = await headSeq();
    let prevHash = (await storedEvent(2)).prevHash;
    for (let seq = 2; seq <= head; seq++) {
      const e = await storedEvent(seq);
      const hash = hashEvent(prevHash, seq, { ...e, outcome: seq === 2 ? "FAILURE" : e.outcome });
      await tamper(`UPDATE audit_event SET outcome = $2, prev_hash = $3, hash = $4 WHERE seq = $1`, [seq, seq === 2 ? "FAILURE" : e.outcome, Buffer.from(prevHash, "hex"), Buffer.from(hash, "hex")]);
      prevHash = hash;
    }
    const keysOnly = { keys: server.custos.services.checkpoints.sources().keys, sink: null };
    expect(await verifyAuditLog(server.custos.ds, keysOnly)).toMatchObject({ ok: false, firstBadSeq: sealed, reason: "CHECKPOINT_MISMATCH", expected: sealedHash });
  });
});

describe("forged checkpoints", () => {
  it("an outside file signed by another key → CHECKPOINT_INVALID at its seq", async () => {
    const stranger = await importCheckpointKey(await generateSigningKey());
    const forged = await signCheckpoint(stranger, await storedEvent(3).then((e) => ({ seq: 3, hash: e.hash })), new Date());
    await fs.writeFile(path.join(server.custos.config.checkpoints.dir, checkpointFileName(3)), forged.jws);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 3, reason: "CHECKPOINT_INVALID", found: "unknown_kid" });
  });

  it("an outside file with its payload changed → CHECKPOINT_INVALID (bad signature)", async () => {
    const file = path.join(server.custos.config.checkpoints.dir, checkpointFileName(sealed));
    const [h, p, s] = (await fs.readFile(file, "utf8")).trim().split(".");
    const payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    payload.headHash = "0".repeat(64);
    await fs.chmod(file, 0o644);
    await fs.writeFile(file, `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: sealed, reason: "CHECKPOINT_INVALID", found: "bad_signature" });
  });

  it("a database checkpoint row edited → CHECKPOINT_INVALID at its seq", async () => {
    await tamper(`UPDATE audit_checkpoint SET head_hash = $2 WHERE seq = $1`, [sealed, Buffer.alloc(32, 1)]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: sealed, reason: "CHECKPOINT_INVALID" });
  });

  it("the database refuses to change or remove a checkpoint, superuser included", async () => {
    await expect(server.sql(`DELETE FROM audit_checkpoint`)).rejects.toMatchObject({ code: "42501" });
    await expect(server.sql(`UPDATE audit_checkpoint SET kid = 'x'`)).rejects.toMatchObject({ code: "42501" });
  });
});

describe("incremental verification", () => {
  it("starts from the last checkpoint both copies agree on and checks only later events", async () => {
    const full = await verify();
    const incremental = await verify(true);
    expect(incremental).toMatchObject({ ok: true });
    expect(incremental.checked).toBeLessThan(full.checked);
    // Before the checkpoint is trusted history: an edit there is the full run's job ...
    await tamper(`UPDATE audit_event SET outcome = 'DENIED' WHERE seq = 2`);
    expect(await verify(true)).toMatchObject({ ok: true });
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 2, reason: "HASH_MISMATCH" });
    // ... after it, the incremental run names it.
    await tamper(`UPDATE audit_event SET outcome = 'DENIED' WHERE seq = $1`, [sealed + 2]);
    expect(await verify(true)).toMatchObject({ ok: false, firstBadSeq: sealed + 2, reason: "HASH_MISMATCH" });
    const run = await cli(["verify", "--since-checkpoint"]);
    expect(run.code).toBe(1);
    expect(run.out).toContain(`seq ${sealed + 2} (HASH_MISMATCH)`);
  });

  it("custos checkpoint seals the new head, and says so when there is nothing new", async () => {
    const first = await cli(["checkpoint"]);
    expect(first.code).toBe(0);
    const head = await headSeq();
    expect(first.out).toContain(`checkpoint sealed: seq ${head}`);
    const again = await cli(["checkpoint"]);
    expect(again.out).toContain("nothing sealed");
    expect(await fs.readdir(server.custos.config.checkpoints.dir)).toEqual([checkpointFileName(sealed), checkpointFileName(head)]);
    const pub = await cli(["keys", "checkpoint-public"]);
    expect(JSON.parse(pub.out).keys[0].kid).toBe(server.custos.services.checkpoints.jwks().keys[0].kid);
  });
});
