// Parallel verification (binary COPY, rows checked on worker threads) names the same first bad seq, reason and
// hashes as the sequential reference (ChainVerifier over keyset batches) on tampered logs: tampering at the
// first row, at chunk and COPY-segment boundaries, in the middle and at the head, and with a checkpoint.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sealEvents, type AuditEventContent, type ChainHead } from "../../src/audit/core";
import { verifyAuditLog, type AuditLogReport, type VerifyLogOptions } from "../../src/audit/verify-log";
import { createTestServer, type TestServer } from "../support/test-server";

let server: TestServer;
/** Seq of the last event the server wrote itself; the test's events follow it. */
let base: number;
const N = 1_000;
const CHUNK_ROWS = 100;
const SEGMENT = 350;

beforeEach(async () => {
  server = await createTestServer();
  const [head] = await server.sql<{ seq: string; hash: string }>(`SELECT seq::text AS seq, encode(hash, 'hex') AS hash FROM audit_event ORDER BY seq DESC LIMIT 1`);
  const start: ChainHead = head ? { seq: Number(head.seq), hash: head.hash } : { seq: 0, hash: "0".repeat(64) };
  base = start.seq;
  const now = server.clock.now().getTime();
  const contents: AuditEventContent[] = Array.from({ length: N }, (_, i) => ({
    occurredAt: new Date(now - (N - i) * 1000).toISOString(),
    actorId: i % 7 ? "0d7f0c4e-6a9b-4c1e-9a55-1f2e3d4c5b6a" : null,
    actorRole: i % 7 ? "AGENT" : null,
    action: i % 3 ? "customer.read" : "case.read",
    resourceType: i % 3 ? "customer" : "case",
    resourceId: `r-${i}`,
    fields: i % 2 ? ["phone", "fullName"] : [],
    outcome: i % 11 ? "SUCCESS" : "DENIED",
    requestId: `req-${i}`,
    operation: "Bench",
    clientAddress: "10.0.0.1",
    purpose: i % 5 ? "CASE_HANDLING" : null,
    details: i % 13 ? {} : ({ rule: "policy", n: i } as Record<string, string | number>),
  }));
  const sealed = sealEvents(start, contents);
  await server.sql(
    `INSERT INTO audit_event (seq, prev_hash, hash, occurred_at, actor_id, actor_role, action, resource_type, resource_id, fields, outcome, request_id, operation, client_address, purpose, details)
     SELECT s, decode(p, 'hex'), decode(h, 'hex'), o, a::uuid, ar, ac, rt, ri, string_to_array(f, ','), oc, rq, op, ca, pu, d::jsonb
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
         AS t(s, p, h, o, a, ar, ac, rt, ri, f, oc, rq, op, ca, pu, d)`,
    [
      sealed.map((e) => e.seq),
      sealed.map((e) => e.prevHash),
      sealed.map((e) => e.hash),
      sealed.map((e) => e.occurredAt),
      sealed.map((e) => e.actorId),
      sealed.map((e) => e.actorRole),
      sealed.map((e) => e.action),
      sealed.map((e) => e.resourceType),
      sealed.map((e) => e.resourceId),
      sealed.map((e) => (e.fields.length ? e.fields.join(",") : "")),
      sealed.map((e) => e.outcome),
      sealed.map((e) => e.requestId),
      sealed.map((e) => e.operation),
      sealed.map((e) => e.clientAddress),
      sealed.map((e) => e.purpose),
      sealed.map((e) => JSON.stringify(e.details)),
    ],
  );
});
afterEach(() => server?.stop());

/** As superuser with the append-only triggers off for this session only. */
async function tamper(sql: string, params: unknown[] = []) {
  await server.sql(`SET session_replication_role = replica`);
  try {
    await server.sql(sql, params);
  } finally {
    await server.sql(`RESET session_replication_role`);
  }
}

const sources = () => server.custos.services.checkpoints.sources();
const parallel: VerifyLogOptions = { copy: { workers: 2, chunkRows: CHUNK_ROWS, segmentSeqs: SEGMENT } };
const sequential: VerifyLogOptions = { reader: "keyset", batch: 64 };

/** Both readers on the same log; they must agree on everything but the thread count. */
async function both(): Promise<AuditLogReport> {
  const ref = await verifyAuditLog(server.custos.ds, sources(), sequential);
  const par = await verifyAuditLog(server.custos.ds, sources(), parallel);
  // Worker threads run the compiled checker from dist/: `npm test` builds it first (run `npm run build`).
  expect(par.parallelism, "parallel verification ran without worker threads: is dist/ built and current?").toBe(2);
  expect({ ...par, parallelism: 0 }).toEqual({ ...ref, parallelism: 0 });
  return par;
}

/** The n-th test event (1-based): base + n. Chunk k holds test events 100k+1 … 100k+100. */
const at = (n: number) => base + n;

describe("parallel verification agrees with the sequential reference", () => {
  it("on an intact log, with progress reported in order up to the head", async () => {
    const seen: number[] = [];
    const r = await verifyAuditLog(server.custos.ds, sources(), { ...parallel, onProgress: (seq) => seen.push(seq) });
    expect(r).toMatchObject({ ok: true, checked: base + N, parallelism: 2 });
    expect(seen.at(-1)).toBe(base + N);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect((await both()).ok).toBe(true);
  });

  for (const n of [1, CHUNK_ROWS, CHUNK_ROWS + 1, 3 * CHUNK_ROWS + 50, N - 1, N]) {
    it(`finds an edited row at test event ${n} (HASH_MISMATCH)`, async () => {
      await tamper(`UPDATE audit_event SET resource_id = 'edited' WHERE seq = $1`, [at(n)]);
      expect(await both()).toMatchObject({ ok: false, firstBadSeq: at(n), reason: "HASH_MISMATCH" });
    });
  }

  it("finds a deleted row at a chunk boundary (SEQ_GAP)", async () => {
    await tamper(`DELETE FROM audit_event WHERE seq = $1`, [at(2 * CHUNK_ROWS + 1)]);
    expect(await both()).toMatchObject({ ok: false, firstBadSeq: at(2 * CHUNK_ROWS + 1), reason: "SEQ_GAP" });
  });

  it("finds a row whose own hash was recomputed: PREV_HASH_MISMATCH at the next row, across a chunk boundary", async () => {
    await tamper(`UPDATE audit_event SET hash = decode(repeat('ab', 32), 'hex') WHERE seq = $1`, [at(CHUNK_ROWS)]);
    const r = await both();
    // The edited row fails first (its stored hash is not its recomputation).
    expect(r).toMatchObject({ firstBadSeq: at(CHUNK_ROWS), reason: "HASH_MISMATCH", found: "ab".repeat(32) });
  });

  it("finds a prev_hash edited on the first row of a chunk (PREV_HASH_MISMATCH)", async () => {
    await tamper(`UPDATE audit_event SET prev_hash = decode(repeat('cd', 32), 'hex') WHERE seq = $1`, [at(CHUNK_ROWS + 1)]);
    expect(await both()).toMatchObject({ ok: false, firstBadSeq: at(CHUNK_ROWS + 1), reason: "PREV_HASH_MISMATCH", found: "cd".repeat(32) });
  });

  it("finds two rows swapped across a COPY segment boundary", async () => {
    const a = at(SEGMENT - base % SEGMENT);
    const far = 1_000_000_000;
    await tamper(`UPDATE audit_event SET seq = seq + $3 WHERE seq IN ($1, $2)`, [a, a + 1, far]);
    await tamper(`UPDATE audit_event SET seq = CASE WHEN seq = $1 THEN $4::bigint ELSE $3::bigint END WHERE seq IN ($1, $2)`, [a + far, a + 1 + far, a, a + 1]);
    expect(await both()).toMatchObject({ ok: false, firstBadSeq: a, reason: "PREV_HASH_MISMATCH" });
  });

  it("finds unhashable stored content (nested details) as HASH_MISMATCH / UNHASHABLE", async () => {
    await tamper(`UPDATE audit_event SET details = '{"nested": {"a": 1}}' WHERE seq = $1`, [at(450)]);
    expect(await both()).toMatchObject({ ok: false, firstBadSeq: at(450), reason: "HASH_MISMATCH", expected: "UNHASHABLE" });
  });

  it("agrees with the reference on sub-millisecond edits of occurred_at, which pg's parser drops", async () => {
    await tamper(`UPDATE audit_event SET occurred_at = occurred_at + interval '999 microseconds' WHERE seq = $1`, [at(10)]);
    expect((await both()).ok).toBe(true);
    await tamper(`UPDATE audit_event SET occurred_at = occurred_at + interval '1 microsecond' WHERE seq = $1`, [at(20)]);
    await tamper(`UPDATE audit_event SET occurred_at = occurred_at + interval '1 millisecond' WHERE seq = $1`, [at(30)]);
    expect(await both()).toMatchObject({ ok: false, firstBadSeq: at(30), reason: "HASH_MISMATCH" });
  });

  it("checks signed checkpoints on the way: a rewritten tail is CHECKPOINT_MISMATCH, --since-checkpoint agrees", async () => {
    if (!server.custos.services.checkpoints.enabled) throw new Error("the test server must have checkpoint signing on");
    const cp = await server.custos.services.checkpoints.checkpointNow({ force: true });
    expect(cp).not.toBeNull();
    expect((await both()).checkpointsChecked).toBeGreaterThanOrEqual(1);
    // Re-hash the checkpointed head row consistently with its content: only the signed head exposes it.
    await tamper(`UPDATE audit_event SET hash = decode(repeat('ef', 32), 'hex') WHERE seq = $1`, [cp!.seq]);
    const r = await both();
    expect(r.ok).toBe(false);
    expect(r.firstBadSeq).toBe(cp!.seq);
    const since = { ...parallel, sinceCheckpoint: true };
    const ref = await verifyAuditLog(server.custos.ds, sources(), { ...sequential, sinceCheckpoint: true });
    expect({ ...(await verifyAuditLog(server.custos.ds, sources(), since)), parallelism: 0 }).toEqual({ ...ref, parallelism: 0 });
  });
});
