// The checkpointer's policy against a real database: seals at N new events or after T seconds (by the
// injected clock), not otherwise, never twice for one head, and one at a time across processes.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { importCheckpointKey, type CheckpointSigningKey } from "../../src/audit/checkpoint-jws";
import { DirectorySink, type CheckpointSink } from "../../src/audit/checkpoint-sink";
import { Checkpointer } from "../../src/audit/checkpointer";
import { generateSigningKey } from "../../src/crypto/key-material";
import { createTestServer, type TestServer } from "../support/test-server";

let server: TestServer;
let dir: string;

beforeEach(async () => {
  server = await createTestServer();
  dir = await mkdtemp(path.join(os.tmpdir(), "custos-cpr-"));
});
afterEach(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const actor = { principal: null, ability: null, meta: { requestId: "cp-test", operation: "cp-test", clientAddress: null, purpose: null } };

async function append(n: number) {
  const drafts = Array.from({ length: n }, () => ({ action: "test.event", resourceType: "test", resourceId: null, outcome: "SUCCESS" as const }));
  await server.custos.services.store.recordStandalone(actor, drafts);
}

const checkpointRows = () => server.sql<{ seq: number }>(`SELECT seq::int AS seq FROM audit_checkpoint ORDER BY seq`);
const headSeq = async () => (await server.sql<{ head: number }>(`SELECT coalesce(max(seq), 0)::int AS head FROM audit_event`))[0].head;

async function checkpointer(sink: CheckpointSink = new DirectorySink(dir), key?: CheckpointSigningKey) {
  key ??= await importCheckpointKey(await generateSigningKey());
  return new Checkpointer({ ds: server.custos.ds, key, sink, clock: server.clock, policy: { everyEvents: 5, everyMs: 60_000 } });
}

describe("Checkpointer", () => {
  it("seals once N events are new, and not before", async () => {
    const cpr = await checkpointer();
    const start = await headSeq();
    await append(Math.max(0, 4 - start));
    if ((await headSeq()) < 5) expect(await cpr.checkpointNow()).toBeNull();
    await append(5);
    const sealed = await cpr.checkpointNow();
    expect(sealed?.seq).toBe(await headSeq());
    expect((await checkpointRows()).map((r) => r.seq)).toEqual([sealed!.seq]);
    expect(await readdir(dir)).toHaveLength(1);
    // Nothing new → nothing sealed, however often asked.
    expect(await cpr.checkpointNow()).toBeNull();
    expect(await cpr.checkpointNow({ force: true })).toBeNull();
    // Fewer than N new events and no time passed → not due.
    await append(2);
    expect(await cpr.checkpointNow()).toBeNull();
    expect(await checkpointRows()).toHaveLength(1);
  });

  it("seals after T seconds if anything is new, by the injected clock", async () => {
    const cpr = await checkpointer();
    await append(6);
    const first = await cpr.checkpointNow();
    expect(first).not.toBeNull();
    await append(1);
    server.clock.advance(59_999);
    expect(await cpr.checkpointNow()).toBeNull();
    server.clock.advance(1);
    const second = await cpr.checkpointNow();
    expect(second?.seq).toBe(first!.seq + 1);
    expect(second?.issuedAt).toBe(server.clock.now().toISOString());
    // Time alone, with nothing new, seals nothing.
    server.clock.advance(3_600_000);
    expect(await cpr.checkpointNow()).toBeNull();
  });

  it("two checkpointers racing for the same head produce one checkpoint", async () => {
    // Replicas share the one checkpoint key; each has its own connection and transaction.
    const key = await importCheckpointKey(await generateSigningKey());
    const [a, b] = [await checkpointer(new DirectorySink(dir), key), await checkpointer(new DirectorySink(dir), key)];
    await append(7);
    const results = await Promise.all([a.checkpointNow({ force: true }), b.checkpointNow({ force: true })]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await checkpointRows()).toHaveLength(1);
    expect(await readdir(dir)).toHaveLength(1);
  });

  it("copies a database checkpoint the sink missed on the next run", async () => {
    let failing = true;
    const real = new DirectorySink(dir);
    const flaky = { location: dir, list: () => real.list(), latest: () => real.latest(), write: async (cp: Parameters<DirectorySink["write"]>[0]) => {
      if (failing) throw new Error("sink down");
      return real.write(cp);
    } };
    const cpr = await checkpointer(flaky);
    await append(6);
    await expect(cpr.checkpointNow()).rejects.toThrow("sink down");
    expect(await checkpointRows()).toHaveLength(1);
    expect(await readdir(dir)).toHaveLength(0);
    failing = false;
    expect(await cpr.publishPending()).toBe(1);
    expect(await readdir(dir)).toHaveLength(1);
  });

  it("refuses to sign a head whose events since the last checkpoint do not verify", async () => {
    const cpr = await checkpointer();
    await append(6);
    await server.sql(`SET session_replication_role = replica`);
    await server.sql(`UPDATE audit_event SET outcome = 'DENIED' WHERE seq = 2`);
    await server.sql(`RESET session_replication_role`);
    await expect(cpr.checkpointNow({ force: true })).rejects.toMatchObject({ name: "CheckpointRefusedError", seq: 2 });
    expect(await checkpointRows()).toHaveLength(0);
  });
});
