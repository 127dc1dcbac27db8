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

async function replica(): Promise<DataSource> {
  const ds = createDataSource(server.databaseUrl, { poolSize: 6 });
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

describe("pipelined seal rounds", () => {
  it("send the next round before the last commits, and seal reads and writes of two replicas gaplessly", async () => {
    const [a, b] = [await replica(), await replica()];
    const sequencers = [new AuditSequencer(a, { batch: 40 }), new AuditSequencer(b, { batch: 40 })];
    // Each replica: closed loops of reads (submitted, 1 to 5 events) and writes (journalled, then awaited).
    const receipts = (
      await Promise.all(
        sequencers.flatMap((s, r) =>
          Array.from({ length: 24 }, async (_, k) => {
            const mine: AuditReceipt[] = [];
            for (let round = 0; round < 12; round++) {
              const events = Array.from({ length: 1 + ((k + round) % 5) }, () => event());
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
    // The rounds really were pipelined, and the replicas really did take the head from each other.
    expect(kinds[0].speculative + kinds[1].speculative).toBeGreaterThan(20);
    expect(kinds[0].notApplied + kinds[1].notApplied).toBeGreaterThan(0);
    expect(kinds[0].failed + kinds[1].failed).toBe(0);
    await chainHolds(receipts);
  });

  it("a round hashed onto a head another replica has moved writes nothing, and its events go into the next", async () => {
    const [a, b] = [await replica(), await replica()];
    const mine = new AuditSequencer(a);
    const other = new AuditSequencer(b);
    const first = await mine.submit([event()]); // a locked round: now it knows the head
    const theirs = await other.submit([event(), event()]);
    const ours = await mine.submit([event(), event(), event()]);
    await mine.stop();
    await other.stop();
    expect(mine.rounds).toEqual({ locked: 2, speculative: 1, notApplied: 1, failed: 0 });
    expect(theirs.map((r) => r.seq)).toEqual([first[0].seq + 1, first[0].seq + 2]);
    expect(ours.map((r) => r.seq)).toEqual([first[0].seq + 3, first[0].seq + 4, first[0].seq + 5]);
    await chainHolds([...first, ...theirs, ...ours]);
  });

  it("when a round fails, its events are refused and the round sent after it is not applied but sealed again", async () => {
    const ds = await replica();
    const sequencer = new AuditSequencer(ds);
    const first = await sequencer.submit([event()]);
    // The chain lock held here keeps both rounds waiting in PostgreSQL until they are both sent.
    const holder = server.custos.ds.createQueryRunner();
    await holder.query(`SELECT pg_advisory_lock(${AUDIT_CHAIN_LOCK})`);
    // Four requests queued at once: with nothing in flight the first round takes half of them, the second
    // round follows at once. An actor id that is no uuid passes the canonical form and fails in PostgreSQL.
    const settled = Promise.allSettled([
      sequencer.submit([event({ actorId: "not-a-uuid" })]),
      sequencer.submit([event()]),
      sequencer.submit([event()]),
      sequencer.submit([event()]),
    ]);
    await vi.waitFor(() => expect(sequencer.rounds.speculative).toBe(2));
    await holder.query(`SELECT pg_advisory_unlock(${AUDIT_CHAIN_LOCK})`);
    await holder.release();
    const outcomes = await settled;
    await sequencer.stop();
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "fulfilled", "fulfilled"]);
    expect(sequencer.rounds).toMatchObject({ speculative: 2, notApplied: 1, failed: 1 });
    const sealed = outcomes.flatMap((o) => (o.status === "fulfilled" ? o.value : []));
    expect(sealed.map((r) => r.seq)).toEqual([first[0].seq + 1, first[0].seq + 2]);
    await chainHolds([...first, ...sealed]);
  });
});
