// The group-commit sequencer: concurrent requests journal their events without a lock and one sealer at a
// time moves them onto the chain. The chain must come out gapless, verifying, and holding every committed
// event exactly once, whatever the concurrency and however many replicas seal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataSource } from "typeorm";
import { AuditSequencer } from "../../src/audit/sequencer";
import { journalAuditEvents } from "../../src/audit/journal";
import { createDataSource } from "../../src/db/data-source";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

let server: TestServer;
let agent: StaffLogin;
let compliance: StaffLogin;
const extraSources: DataSource[] = [];

const count = async (sql: string, params: unknown[] = []) => (await server.sql<{ n: number }>(`SELECT (${sql})::int AS n`, params))[0].n;

async function chainIsGapless(): Promise<void> {
  const [row] = await server.sql<{ n: number; lo: number; hi: number; pending: number; distinct_pending: number }>(
    `SELECT count(*)::int AS n, min(seq)::int AS lo, max(seq)::int AS hi,
            count(pending_id)::int AS pending, count(DISTINCT pending_id)::int AS distinct_pending FROM audit_event`,
  );
  expect(row.lo).toBe(1);
  expect(row.hi).toBe(row.n);
  expect(row.distinct_pending).toBe(row.pending); // no journal entry sealed twice
  expect(await count(`SELECT count(*) FROM audit_pending`)).toBe(0);
  const verified = await server.gql(`{ verifyAuditChain { ok checked firstBadSeq } }`, {}, { token: compliance.token });
  expect(verified.data?.verifyAuditChain).toMatchObject({ ok: true, firstBadSeq: null });
}

function event(i: number) {
  return {
    occurredAt: new Date(Date.UTC(2026, 10, 2, 9, 0, 0, i)).toISOString(),
    actorId: null,
    actorRole: null,
    action: "test.sequencer",
    resourceType: "test",
    resourceId: String(i),
    fields: [],
    outcome: "SUCCESS",
    requestId: `seq-test-${i}`,
    operation: null,
    clientAddress: null,
    purpose: null,
    details: { i },
  };
}

beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(async () => {
  for (const ds of extraSources) await ds.destroy();
  await server?.stop();
});

describe("the audit sequencer", () => {
  it("64 parallel writers over HTTP produce a gapless, verifying chain with every write's event", async () => {
    const writes = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        server.gql<{ createCustomer: { id: string } }>(
          `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`,
          { i: { fullName: `Parallel Writer ${i}`, nationalId: `PW${String(i).padStart(8, "0")}` } },
          { token: agent.token },
        ),
      ),
    );
    const ids = writes.map((w) => w.data?.createCustomer.id);
    expect(ids.every((id) => typeof id === "string")).toBe(true);
    expect(await count(`SELECT count(DISTINCT resource_id) FROM audit_event WHERE action = 'customer.create' AND outcome = 'SUCCESS' AND resource_id = ANY($1)`, [ids])).toBe(64);
    await chainIsGapless();
  });

  it("each request's response waits for its own events: they are on the chain when it returns", async () => {
    const created = await server.gql<{ createCustomer: { id: string } }>(
      `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`,
      { i: { fullName: "Receipt Waiter", nationalId: "RW00000001" } },
      { token: agent.token },
    );
    const id = created.data!.createCustomer.id;
    expect(await count(`SELECT count(*) FROM audit_event WHERE action = 'customer.create' AND resource_id = $1`, [id])).toBe(1);
  });

  it("two replicas' sequencers sealing the same journal at once seal each entry exactly once", async () => {
    const replicas = [createDataSource(server.databaseUrl, { poolSize: 4 }), createDataSource(server.databaseUrl, { poolSize: 4 })];
    for (const ds of replicas) {
      await ds.initialize();
      extraSources.push(ds);
    }
    const sequencers = replicas.map((ds) => new AuditSequencer(ds, { batch: 50 }));
    // Each replica journals its own events and waits for receipts while both seal concurrently.
    const batches = await Promise.all(
      replicas.flatMap((ds, r) =>
        Array.from({ length: 20 }, async (_, k) => {
          const ids = await ds.transaction((em) => journalAuditEvents(em, Array.from({ length: 10 }, (_, j) => event(r * 1000 + k * 10 + j))));
          return sequencers[r].sealed(ids);
        }),
      ),
    );
    const receipts = batches.flat();
    expect(receipts).toHaveLength(400);
    expect(new Set(receipts.map((x) => x.seq)).size).toBe(400);
    // A waiter may get its receipt from the other replica's seal: the receipts agree with the stored chain.
    const stored = await server.sql<{ seq: number; hash: string }>(
      `SELECT seq::int AS seq, encode(hash, 'hex') AS hash FROM audit_event WHERE pending_id = ANY($1)`,
      [receipts.map((x) => x.pendingId)],
    );
    expect(new Map(stored.map((s) => [s.seq, s.hash]))).toEqual(new Map(receipts.map((x) => [x.seq, x.hash])));
    for (const s of sequencers) await s.stop();
    await chainIsGapless();
  });

  it("the journal's delete guard is planned as index probes per deleted entry, never a scan of the chain", async () => {
    // PL/pgSQL keeps a trigger's plan for the life of the connection, and the sequencer's connections live
    // long: planned while a partition was small, a hash join read the whole partition on every seal from
    // then on (bench/README.md). The function carries settings that leave the planner only a nested loop
    // of index probes (migration 1764400000002).
    const [{ config }] = await server.sql<{ config: string[] | null }>(
      `SELECT proconfig AS config FROM pg_proc WHERE proname = 'audit_pending_refuse_unsealed_delete'`,
    );
    expect([...(config ?? [])].sort()).toEqual(["enable_hashjoin=off", "enable_mergejoin=off", "enable_seqscan=off"]);
  });

  it("submitted events are sealed as given, and a malformed one fails only its own request", async () => {
    const sequencer = new AuditSequencer(server.custos.ds, { batch: 1_000 });
    const good = Array.from({ length: 30 }, (_, i) => [event(7000 + 2 * i), event(7001 + 2 * i)]);
    const malformed = { ...event(7999), details: { nested: { no: true } } } as never;
    const outcomes = await Promise.allSettled([...good.map((evs) => sequencer.submit(evs)), sequencer.submit([event(7998), malformed])]);
    await sequencer.stop();
    expect(outcomes.at(-1)).toMatchObject({ status: "rejected", reason: { name: "TypeError", message: expect.stringMatching(/details\.nested must be/) } });
    const receipts = outcomes.slice(0, -1).map((o) => (o.status === "fulfilled" ? o.value : []));
    expect(receipts.flat()).toHaveLength(60);
    // Stored exactly as submitted (content, order within a request), under the receipts' hashes.
    const rows = await server.sql<{ seq: number; hash: string; resource_id: string; fields: string[]; details: unknown; occurred_at: Date; actor_id: string | null }>(
      `SELECT seq::int AS seq, encode(hash, 'hex') AS hash, resource_id, fields, details, occurred_at, actor_id FROM audit_event WHERE seq = ANY($1)`,
      [receipts.flat().map((r) => r.seq)],
    );
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    good.forEach((evs, k) =>
      evs.forEach((e, j) => {
        const row = bySeq.get(receipts[k][j].seq)!;
        expect(row).toMatchObject({ hash: receipts[k][j].hash, resource_id: e.resourceId, fields: [], details: e.details, actor_id: null });
        expect(row.occurred_at.toISOString()).toBe(e.occurredAt);
      }),
    );
    expect(receipts.every((r) => r[1].seq === r[0].seq + 1)).toBe(true);
    expect(await count(`SELECT count(*) FROM audit_event WHERE resource_id IN ('7998', '7999')`)).toBe(0);
    await chainIsGapless();
  });

  it("entries journalled by a process that died before sealing are sealed by the next sweep", async () => {
    const orphan = replicasOrServer();
    await orphan.transaction((em) => journalAuditEvents(em, [event(9001), event(9002)]));
    // Nobody waits for these: the server's sweep (or this drain) takes them.
    await server.custos.services.sequencer.drain();
    expect(await count(`SELECT count(*) FROM audit_event WHERE action = 'test.sequencer' AND resource_id IN ('9001', '9002')`)).toBe(2);
    await chainIsGapless();
  });

  it("an unsealed journal entry cannot be deleted, even by a superuser", async () => {
    // In one transaction, so that no sweep can seal the entry between the insert and the delete.
    await server.sql(`BEGIN`);
    try {
      await server.sql(`INSERT INTO audit_pending (occurred_at, action, resource_type, outcome) VALUES (now(), 'test.sequencer', 'test', 'SUCCESS')`);
      await expect(server.sql(`DELETE FROM audit_pending`)).rejects.toMatchObject({ code: "42501" });
    } finally {
      await server.sql(`ROLLBACK`);
    }
  });
});

function replicasOrServer(): DataSource {
  return extraSources[0] ?? server.custos.ds;
}
