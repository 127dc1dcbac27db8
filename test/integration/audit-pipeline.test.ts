// Pipelined seal rounds (docs/audit-sequencer.md, "Pipelined rounds"): a round hashed onto the head the round
// before it will leave is sent before that one commits, and applies only if the stored head is still that one.
// Whatever happens to the rounds in front of it (another replica seals, a round fails), the chain comes out
// gapless and verifying, the Merkle tree equals a recomputation, and every receipt names its stored event.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DataSource } from "typeorm";
import { AUDIT_CHAIN_LOCK } from "../../src/audit/append";
import { journalAuditEvents } from "../../src/audit/journal";
import { eventLeafHash, rootFromLeafHashes } from "../../src/audit/merkle";
import { storedRoot } from "../../src/audit/merkle/node-store";
import { AuditSequencer, type AuditReceipt } from "../../src/audit/sequencer";
import { createDataSource } from "../../src/db/data-source";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

let server: TestServer;
let compliance: StaffLogin;
const replicas: DataSource[] = [];
let next = 0;

function event(overrides: { actorId?: string } = {}) {
  const i = next++;
  return {
    occurredAt: new Date(Date.UTC(2026, 10, 3, 9, 0, 0, i)).toISOString(),
    actorId: overrides.actorId ?? null,
    actorRole: null,
    action: "test.pipeline",
    resourceType: "test",
    resourceId: String(i),
    fields: [],
    outcome: "SUCCESS",
    requestId: `pipeline-${i}`,
    operation: null,
    clientAddress: null,
    purpose: null,
    details: { i },
  };
}

async function replica(applicationName: string): Promise<DataSource> {
  const ds = createDataSource(server.databaseUrl, { poolSize: 6, applicationName });
  await ds.initialize();
  replicas.push(ds);
  return ds;
}

/** Every receipt is its stored event; the chain is gapless and verifies; the stored tree is the recomputed one. */
async function chainHolds(receipts: readonly AuditReceipt[]): Promise<void> {
  const rows = await server.sql<{ seq: number; hash: string }>(`SELECT seq::int AS seq, encode(hash, 'hex') AS hash FROM audit_event ORDER BY seq`);
  expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
  const stored = new Map(rows.map((r) => [r.seq, r.hash]));
  for (const r of receipts) expect(stored.get(r.seq)).toBe(r.hash);
  expect(new Set(receipts.map((r) => r.seq)).size).toBe(receipts.length);
  const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_pending`);
  expect(n).toBe(0);
  const leaves = rows.map((r) => eventLeafHash(r.hash));
  expect((await storedRoot(server.custos.ds, leaves.length)).toString("hex")).toBe(rootFromLeafHashes(leaves).toString("hex"));
  const verified = await server.gql(`{ verifyAuditChain { ok firstBadSeq } }`, {}, { token: compliance.token });
  expect(verified.data?.verifyAuditChain).toMatchObject({ ok: true, firstBadSeq: null });
}

beforeAll(async () => {
  server = await createTestServer();
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(async () => {
  for (const ds of replicas) await ds.destroy();
  await server?.stop();
});

/** Backends of the data source named `app` waiting on a lock (the chain lock, or a table lock held here). */
async function waitingOnLocks(app: string): Promise<number> {
  const [{ n }] = await server.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
    [app],
  );
  return n;
}

/** A connection of the test's own (the database owner: the API's role may not lock tables) holding locks a seal needs: the chain lock, and the Merkle table (which every seal statement writes). */
async function lockHolder() {
  const runner = (await replica("lock-holder")).createQueryRunner();
  await runner.connect();
  return {
    chain: () => runner.query(`SELECT pg_advisory_lock(${AUDIT_CHAIN_LOCK})`),
    releaseChain: () => runner.query(`SELECT pg_advisory_unlock(${AUDIT_CHAIN_LOCK})`),
    async tree() {
      await runner.query(`BEGIN`);
      await runner.query(`LOCK TABLE audit_merkle_node IN SHARE MODE`);
    },
    releaseTree: () => runner.query(`ROLLBACK`),
    release: () => runner.release(),
  };
}

const request = (n: number, overrides: { actorId?: string } = {}) => Array.from({ length: n }, (_, i) => event(i === 0 ? overrides : {}));

describe("pipelined seal rounds", () => {
  it("overlap rounds under load, and seal the reads and writes of two replicas gaplessly", async () => {
    const [a, b] = [await replica("replica-a"), await replica("replica-b")];
    const sequencers = [new AuditSequencer(a, { batch: 400 }), new AuditSequencer(b, { batch: 400 })];
    // Each replica: closed loops of reads (submitted, 3 to 7 events) and writes (journalled, then awaited).
    const receipts = (
      await Promise.all(
        sequencers.flatMap((s, r) =>
          Array.from({ length: 40 }, async (_, k) => {
            const mine: AuditReceipt[] = [];
            for (let round = 0; round < 10; round++) {
              const events = request(3 + ((k + round) % 5));
              if ((k + round) % 4 === 0) {
                const ds = r === 0 ? a : b;
                mine.push(...(await s.sealed(await ds.transaction((em) => journalAuditEvents(em, events)))));
              } else {
                mine.push(...(await s.submit(events)));
              }
            }
            return mine;
          }),
        ),
      )
    ).flat();
    for (const s of sequencers) await s.stop();
    const kinds = sequencers.map((s) => s.rounds);
    // Some rounds were sent while the one before was still committing.
    expect(kinds[0].speculative + kinds[1].speculative).toBeGreaterThan(0);
    expect(kinds[0].failed + kinds[1].failed).toBe(0);
    await chainHolds(receipts);
  });

  it("a round sent onto a head that another replica then moves writes nothing, and its events go into the next", async () => {
    const [a, b] = [await replica("replica-c"), await replica("replica-d")];
    const mine = new AuditSequencer(a);
    const other = new AuditSequencer(b);
    const holder = await lockHolder();
    await holder.chain();
    await holder.tree();
    // Two requests of 80 events: the locked round takes the first, and the second follows at once.
    const ours = [mine.submit(request(80)), mine.submit(request(80))];
    await vi.waitFor(async () => expect(await waitingOnLocks("replica-c")).toBe(1));
    // The other replica queues for the chain lock after our locked round and before our next one.
    const theirs = other.submit(request(2));
    await vi.waitFor(async () => expect(await waitingOnLocks("replica-d")).toBe(1));
    await holder.releaseChain();
    // Our locked round now waits for the tree table, our speculative one for the chain lock behind theirs.
    await vi.waitFor(async () => expect(await waitingOnLocks("replica-c")).toBe(2));
    expect(mine.rounds.speculative).toBe(1);
    await holder.releaseTree();
    await holder.release();
    const [first, second] = await Promise.all(ours);
    const between = await theirs;
    await mine.stop();
    await other.stop();
    expect(mine.rounds).toMatchObject({ speculative: 1, notApplied: 1, failed: 0 });
    expect(between[0].seq).toBe(first[79].seq + 1);
    expect(second[0].seq).toBe(between[1].seq + 1);
    await chainHolds([...first, ...between, ...second]);
  });

  it("when a round fails, its events are refused, and the round sent after it writes nothing and is sealed again", async () => {
    const ds = await replica("replica-e");
    const sequencer = new AuditSequencer(ds);
    const holder = await lockHolder();
    await holder.tree();
    // Three requests of 50 events: the locked round takes the first, the next two follow at once. An actor id
    // that is no uuid passes the canonical form and fails in PostgreSQL, failing the first round.
    const settled = Promise.allSettled([
      sequencer.submit(request(50, { actorId: "not-a-uuid" })),
      sequencer.submit(request(50)),
      sequencer.submit(request(50)),
    ]);
    await vi.waitFor(async () => expect(await waitingOnLocks("replica-e")).toBe(2));
    expect(sequencer.rounds.speculative).toBe(1);
    await holder.releaseTree();
    await holder.release();
    const outcomes = await settled;
    await sequencer.stop();
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(sequencer.rounds).toMatchObject({ speculative: 1, notApplied: 1, failed: 1 });
    const sealed = outcomes.flatMap((o) => (o.status === "fulfilled" ? o.value : []));
    expect(sealed.map((r) => r.seq)).toEqual(sealed.map((_, i) => sealed[0].seq + i));
    await chainHolds(sealed);
  });
});
