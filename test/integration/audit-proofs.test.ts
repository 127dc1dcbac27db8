// Merkle proofs against a real log (docs/audit-merkle.md): receipts in API responses prove inclusion under a
// signed checkpoint's root; two real checkpoints of a growing log are consistent, a checkpoint and a forked log
// are not; the nodes the sequencer stores seal by seal equal a full recomputation; verification checks every
// signed root against the recomputed tree and the stored nodes.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AUDIT_SELECT, rowToSealedEvent, type AuditEventRow } from "../../src/audit/append";
import { importCheckpointPublicJwk, verifyCheckpoint, type CheckpointVerificationKey, type SignedCheckpoint } from "../../src/audit/checkpoint-jws";
import { hashEvent, sealEvents } from "../../src/audit/core";
import { journalAuditEvents } from "../../src/audit/journal";
import {
  MerkleProofError,
  RootMismatchError,
  appendToFrontier,
  consistencyProofFromLeafHashes,
  eventLeafHash,
  frontierNodes,
  hexToHash,
  inclusionProofFromLeafHashes,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from "../../src/audit/merkle";
import { TILE_LEVEL, TILE_WIDTH, readNodes, storedConsistencyProof, storedInclusionProof, storedRoot } from "../../src/audit/merkle/node-store";
import { checkTreeRoots } from "../../src/audit/merkle/tree-check";
import { AuditSequencer } from "../../src/audit/sequencer";
import { verifyAuditLog } from "../../src/audit/verify-log";
import { runCli } from "../../src/cli";
import { createDataSource } from "../../src/db/data-source";
import { AuditMerkle1764384000000 } from "../../migrations/1764384000000-audit-merkle";
import { AuditMerkleTiles1764400000000 } from "../../migrations/1764400000000-audit-merkle-tiles";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

let server: TestServer;
let agent: StaffLogin;
let compliance: StaffLogin;
let customerId: string;

interface Receipt {
  seq: number;
  leafHash: string;
}
interface RawResponse {
  data?: Record<string, any> | null;
  errors?: Array<{ extensions?: { code?: string } }>;
  extensions?: { auditReceipts?: Receipt[] };
}

/** Like server.gql, but the whole body: the receipts are in `extensions`. */
async function post(query: string, variables: Record<string, unknown>, token: string): Promise<RawResponse> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-custos-purpose": "CASE_HANDLING" },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as RawResponse;
}

async function readCustomer(times = 1): Promise<Receipt[]> {
  const receipts: Receipt[] = [];
  for (let i = 0; i < times; i += 1) {
    const res = await post(`query($id: ID!) { customer(id: $id) { fullName } }`, { id: customerId }, agent.token);
    expect(res.errors).toBeUndefined();
    receipts.push(...res.extensions!.auditReceipts!);
  }
  return receipts;
}

/** The published checkpoint keys, as an outside verifier fetches them. */
async function publishedKeys(): Promise<CheckpointVerificationKey[]> {
  const res = await fetch(server.url.replace(/\/graphql$/, "/.well-known/audit-checkpoint-keys.json"));
  const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> };
  return Promise.all(keys.map((k) => importCheckpointPublicJwk(k as never)));
}

async function seal(): Promise<SignedCheckpoint> {
  const cp = await server.custos.services.checkpoints.checkpointNow({ force: true });
  expect(cp).not.toBeNull();
  // What an auditor trusts: the JWS checked with the published key, not our return value.
  const verified = await verifyCheckpoint(cp!.jws, await publishedKeys());
  expect(verified).toMatchObject({ v: 2, seq: cp!.seq, treeSize: cp!.seq });
  return verified;
}

const headSeq = async () => (await server.sql<{ head: number }>(`SELECT coalesce(max(seq), 0)::int AS head FROM audit_event`))[0].head;
const chainHashes = async () => (await server.sql<{ hash: string }>(`SELECT encode(hash, 'hex') AS hash FROM audit_event ORDER BY seq`)).map((r) => r.hash);

/** As superuser with the append-only triggers off for this session only. */
async function tamper(sql: string, params: unknown[] = []) {
  await server.sql(`SET session_replication_role = replica`);
  try {
    return await server.sql(sql, params);
  } finally {
    await server.sql(`RESET session_replication_role`);
  }
}

/** `custos <args>` in-process, with this server's database, keys and checkpoint directory. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
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
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  try {
    return { code: await runCli(args), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    vi.unstubAllEnvs();
  }
}

const INCLUSION = `query($s: SafeInt!, $t: SafeInt!) { auditInclusionProof(seq: $s, treeSize: $t) { seq leafIndex treeSize eventHash leafHash proof rootHash checkpoint } }`;
const CONSISTENCY = `query($a: SafeInt!, $b: SafeInt!) { auditConsistencyProof(fromSize: $a, toSize: $b) { fromSize toSize proof fromRootHash toRootHash fromCheckpoint toCheckpoint } }`;

beforeEach(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  const created = await post(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, { i: { fullName: "Proof Subject", nationalId: "PRF12345" } }, agent.token);
  expect(created.errors).toBeUndefined();
  customerId = created.data!.createCustomer.id;
  // A write's response carries its receipts too.
  expect(created.extensions?.auditReceipts?.length).toBeGreaterThan(0);
});
afterEach(() => server?.stop());

describe("receipts", () => {
  it("a read's receipt names its own event, and its inclusion proof verifies against a signed checkpoint's root", async () => {
    const [receipt] = await readCustomer();
    const [row] = await server.sql<AuditEventRow>(`${AUDIT_SELECT} WHERE seq = $1`, [receipt.seq]);
    const event = rowToSealedEvent(row);
    expect(event).toMatchObject({ action: "customer.read", resourceId: customerId, actorId: agent.id });
    expect(receipt.leafHash).toBe(eventLeafHash(event.hash).toString("hex"));

    await readCustomer(3); // the tree grows past the receipt before the checkpoint
    const cp = await seal();
    expect(cp.seq).toBeGreaterThan(receipt.seq);

    const res = await post(INCLUSION, { s: receipt.seq, t: cp.seq }, compliance.token);
    expect(res.errors).toBeUndefined();
    const p = res.data!.auditInclusionProof;
    expect(p).toMatchObject({ seq: receipt.seq, leafIndex: receipt.seq - 1, treeSize: cp.seq, eventHash: event.hash, leafHash: receipt.leafHash, rootHash: cp.rootHash, checkpoint: cp.jws });
    const proof = (p.proof as string[]).map((h) => hexToHash(h));
    // The client's check: its receipt, the proof, and the root of a checkpoint it verified itself.
    verifyInclusion(hexToHash(receipt.leafHash), receipt.seq - 1, cp.seq, proof, hexToHash(cp.rootHash!));
    expect(() => verifyInclusion(eventLeafHash(hashEvent(event.prevHash, event.seq, { ...event, action: "customer.search" })), receipt.seq - 1, cp.seq, proof, hexToHash(cp.rootHash!))).toThrow(RootMismatchError);
    expect(() => verifyInclusion(hexToHash(receipt.leafHash), receipt.seq, cp.seq, proof, hexToHash(cp.rootHash!))).toThrow(MerkleProofError);
    // Asking for the proof is itself an audit event, with its own receipt.
    const [asked] = res.extensions!.auditReceipts!;
    const [askedRow] = await server.sql<{ action: string; details: Record<string, unknown> }>(`SELECT action, details FROM audit_event WHERE seq = $1`, [asked.seq]);
    expect(askedRow).toEqual({ action: "audit.proof", details: { kind: "inclusion", seq: receipt.seq, treeSize: cp.seq } });
  });

  it("refuses roles that may not read the audit log (recorded as DENIED) and sizes beyond the head", async () => {
    const denied = await post(INCLUSION, { s: 1, t: 1 }, agent.token);
    expect(denied.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const [last] = await server.sql<{ action: string; outcome: string }>(`SELECT action, outcome FROM audit_event WHERE actor_id = $1 ORDER BY seq DESC LIMIT 1`, [agent.id]);
    expect(last).toEqual({ action: "audit.proof", outcome: "DENIED" });
    const head = await headSeq();
    for (const [s, t] of [[1, head + 1], [0, 1], [3, 2]]) {
      expect((await post(INCLUSION, { s, t }, compliance.token)).errors?.[0].extensions?.code, `${s}, ${t}`).toBe("BAD_USER_INPUT");
    }
    expect((await post(CONSISTENCY, { a: 2, b: 1 }, compliance.token)).errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("consistency", () => {
  it("two real checkpoints of a growing log are consistent, over GraphQL and the CLI", async () => {
    await readCustomer(2);
    const first = await seal();
    await readCustomer(5);
    const second = await seal();
    expect(second.seq).toBeGreaterThan(first.seq);

    const res = await post(CONSISTENCY, { a: first.seq, b: second.seq }, compliance.token);
    expect(res.errors).toBeUndefined();
    const p = res.data!.auditConsistencyProof;
    expect(p).toMatchObject({ fromRootHash: first.rootHash, toRootHash: second.rootHash, fromCheckpoint: first.jws, toCheckpoint: second.jws });
    const proof = (p.proof as string[]).map((h) => hexToHash(h));
    verifyConsistency(first.seq, second.seq, proof, hexToHash(first.rootHash!), hexToHash(second.rootHash!));
    expect(() => verifyConsistency(first.seq, second.seq, proof.slice(1), hexToHash(first.rootHash!), hexToHash(second.rootHash!))).toThrow(MerkleProofError);

    const run = await cli(["proof", "consistency", "--from", String(first.seq), "--to", String(second.seq)]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ fromSize: first.seq, toSize: second.seq, proof: p.proof, fromRootHash: first.rootHash });
    expect(run.err).toMatch(/consistency of tree size \d+ → \d+ verified; root matches the signed checkpoint at \d+ .*root matches the signed checkpoint at \d+/);

    const inclusion = await cli(["proof", "inclusion", "--seq", "1", "--tree-size", String(second.seq)]);
    expect(inclusion.code).toBe(0);
    verifyInclusion(hexToHash(JSON.parse(inclusion.out).leafHash), 0, second.seq, JSON.parse(inclusion.out).proof.map((h: string) => hexToHash(h)), hexToHash(second.rootHash!));
    await expect(cli(["proof", "inclusion", "--seq", "x", "--tree-size", "1"])).rejects.toThrow(/--seq must be an integer/);
  });

  it("a checkpoint and a forked log are not: the rewritten log's own proofs fail against the signed root", async () => {
    await readCustomer(2);
    const signed = await seal();
    await readCustomer(3);
    // The fork: an event before the checkpoint edited, every later hash recomputed, and the Merkle nodes
    // rebuilt from the rewritten chain, so that the forked log is internally consistent.
    const k = Math.max(2, signed.seq - 3);
    const head = await headSeq();
    let prevHash = rowToSealedEvent((await server.sql<AuditEventRow>(`${AUDIT_SELECT} WHERE seq = $1`, [k]))[0]).prevHash;
    for (let seq = k; seq <= head; seq += 1) {
      const e = rowToSealedEvent((await server.sql<AuditEventRow>(`${AUDIT_SELECT} WHERE seq = $1`, [seq]))[0]);
      const action = seq === k ? "customer.search" : e.action;
      const hash = hashEvent(prevHash, seq, { ...e, action });
      await tamper(`UPDATE audit_event SET action = $2, prev_hash = $3, hash = $4 WHERE seq = $1`, [seq, action, Buffer.from(prevHash, "hex"), Buffer.from(hash, "hex")]);
      prevHash = hash;
    }
    await tamper(`DELETE FROM audit_merkle_node`);
    const { created } = appendToFrontier([], 0, (await chainHashes()).map((h) => eventLeafHash(h)));
    await tamper(`INSERT INTO audit_merkle_node (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`, [
      created.map((n) => n.level),
      created.map((n) => n.idx),
      created.map((n) => n.hash),
    ]);

    const res = await post(CONSISTENCY, { a: signed.seq, b: head }, compliance.token);
    expect(res.errors).toBeUndefined();
    const p = res.data!.auditConsistencyProof;
    const proof = (p.proof as string[]).map((h) => hexToHash(h));
    expect(p.fromRootHash).not.toBe(signed.rootHash);
    // Self-consistent, as a competent forger would make it…
    verifyConsistency(signed.seq, head, proof, hexToHash(p.fromRootHash), hexToHash(p.toRootHash));
    // …but not with the root the checkpoint signed before the fork.
    expect(() => verifyConsistency(signed.seq, head, proof, hexToHash(signed.rootHash!), hexToHash(p.toRootHash))).toThrow(RootMismatchError);
    const run = await cli(["proof", "consistency", "--from", String(signed.seq), "--to", String(head)]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/proof FAILED: the signed checkpoint at \d+ names root/);
  });
});

/** Test event number `i` of the tree tests. */
const merkleEvent = (i: number) => ({
  occurredAt: server.clock.now().toISOString(),
  actorId: null,
  actorRole: null,
  action: "test.merkle",
  resourceType: "test",
  resourceId: String(i),
  fields: [],
  outcome: "SUCCESS",
  requestId: `merkle-${i}`,
  operation: null,
  clientAddress: null,
  purpose: null,
  details: { i },
});

/** `n` test events journalled in batches of `batch` and sealed by a sequencer of its own, seal after seal. */
async function appendEvents(n: number, batch = 97): Promise<void> {
  const sequencer = new AuditSequencer(server.custos.ds, { batch });
  for (let at = 0; at < n; at += batch) {
    const count = Math.min(batch, n - at);
    await server.custos.ds.transaction((em) => journalAuditEvents(em, Array.from({ length: count }, (_, k) => merkleEvent(at + k))));
    while ((await sequencer.sealOnce()).length > 0);
  }
  await sequencer.stop();
}

/** What the stored tree must hold for these leaves: every complete node from the tile level up, tiles with their leaves. */
function expectedRows(leaves: Buffer[]): Map<string, { hash: string; leaves: string | null }> {
  return new Map(
    appendToFrontier([], 0, leaves)
      .created.filter((n) => n.level >= TILE_LEVEL)
      .map((n) => [
        `${n.level}/${n.idx}`,
        { hash: n.hash.toString("hex"), leaves: n.level === TILE_LEVEL ? Buffer.concat(leaves.slice(n.idx * TILE_WIDTH, (n.idx + 1) * TILE_WIDTH)).toString("hex") : null },
      ]),
  );
}

const STORED_ROWS = `SELECT level || '/' || idx AS id, encode(hash, 'hex') AS hash, encode(leaves, 'hex') AS leaves FROM audit_merkle_node`;

async function storedRows(): Promise<Map<string, { hash: string; leaves: string | null }>> {
  return new Map((await server.sql<{ id: string; hash: string; leaves: string | null }>(STORED_ROWS)).map((r) => [r.id, { hash: r.hash, leaves: r.leaves }]));
}

describe("the stored tree", () => {
  it("equals a full recomputation after many seals of varying batch sizes: tiles of 256 leaves and the nodes above them", async () => {
    const sequencers = [1, 2, 3, 5, 8, 13, 300].map((batch) => new AuditSequencer(server.custos.ds, { batch }));
    let n = 0;
    for (let round = 0; round < 40; round += 1) {
      const count = 5 + ((round * 7) % 31);
      await server.custos.ds.transaction((em) => journalAuditEvents(em, Array.from({ length: count }, () => merkleEvent(n++))));
      const s = sequencers[round % sequencers.length];
      // Sometimes several rounds wait in the journal and one sequencer takes them in small batches.
      if (round % 3 !== 2) while ((await s.sealOnce()).length > 0);
    }
    await sequencers[0].drain();
    await Promise.all(sequencers.map((s) => s.stop()));
    await readCustomer(2); // and the server's own sequencer, through the API

    const hashes = await chainHashes();
    expect(hashes.length).toBe(await headSeq());
    expect(hashes.length).toBeGreaterThan(3 * TILE_WIDTH); // three complete tiles, a level-9 node, an open tile
    expect(hashes.length % TILE_WIDTH).not.toBe(0);
    const leaves = hashes.map((h) => eventLeafHash(h));
    const expected = expectedRows(leaves);
    expect(expected.size).toBeGreaterThanOrEqual(4);
    expect(await storedRows()).toEqual(expected);
    expect(await storedRoot(server.custos.ds, hashes.length)).toEqual(rootFromLeafHashes(leaves));
    // Every node of the tree, served from tiles, stored nodes or (the open tile) the events, is the computed one.
    const all = appendToFrontier([], 0, leaves).created;
    const served = await readNodes(server.custos.ds, all);
    for (const node of all) expect(served.get(`${node.level}/${node.idx}`)!.toString("hex")).toBe(node.hash.toString("hex"));
    // The checkpointer signs that root.
    const cp = await seal();
    expect(cp.rootHash).toBe(rootFromLeafHashes((await chainHashes()).slice(0, cp.seq).map((h) => eventLeafHash(h))).toString("hex"));
  });

  it("serves inclusion and consistency proofs inside complete tiles, across tile boundaries and in the open tile", async () => {
    await appendEvents(2 * TILE_WIDTH + 70);
    const leaves = (await chainHashes()).map((h) => eventLeafHash(h));
    const size = leaves.length;
    const root = rootFromLeafHashes(leaves);
    for (const index of [0, 1, 127, TILE_WIDTH - 1, TILE_WIDTH, TILE_WIDTH + 1, 2 * TILE_WIDTH - 1, 2 * TILE_WIDTH, size - 2, size - 1]) {
      const p = await storedInclusionProof(server.custos.ds, index, size);
      expect(p.root).toEqual(root);
      expect(p.leafHash).toEqual(leaves[index]);
      expect(p.proof).toEqual(inclusionProofFromLeafHashes(leaves, index));
      verifyInclusion(leaves[index], index, size, p.proof, root);
    }
    // A smaller tree whose right edge cuts through a tile, and one that ends on a tile boundary.
    for (const [size1, size2] of [[1, size], [100, size], [TILE_WIDTH, TILE_WIDTH + 1], [TILE_WIDTH + 3, 2 * TILE_WIDTH + 5], [2 * TILE_WIDTH, size], [size - 1, size]]) {
      const c = await storedConsistencyProof(server.custos.ds, size1, size2);
      expect(c.proof).toEqual(consistencyProofFromLeafHashes(leaves.slice(0, size2), size1));
      verifyConsistency(size1, size2, c.proof, rootFromLeafHashes(leaves.slice(0, size1)), rootFromLeafHashes(leaves.slice(0, size2)));
    }
  });

  it("catches up on events an older replica sealed without nodes, tiles included, then equals a full recomputation", async () => {
    await readCustomer(2);
    // An old replica (no Merkle code) seals more than a tile of events: on the chain, not in the tree.
    const [top] = await server.sql<AuditEventRow>(`${AUDIT_SELECT} ORDER BY seq DESC LIMIT 1`);
    const head = rowToSealedEvent(top);
    const contents = Array.from({ length: TILE_WIDTH + 40 }, (_, i) => ({
      occurredAt: server.clock.now().toISOString(),
      actorId: null,
      actorRole: null,
      action: "test.old_replica",
      resourceType: "test",
      resourceId: String(i),
      fields: [],
      outcome: "SUCCESS",
      requestId: null,
      operation: null,
      clientAddress: null,
      purpose: null,
      details: {},
    }));
    const sealed = sealEvents({ seq: head.seq, hash: head.hash }, contents);
    await server.sql(
      `INSERT INTO audit_event (seq, prev_hash, hash, occurred_at, action, resource_type, resource_id, fields, outcome, details)
       SELECT s, p, h, $4, 'test.old_replica', 'test', r, '{}', 'SUCCESS', '{}' FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $5::text[]) AS t(s, p, h, r)`,
      [sealed.map((e) => e.seq), sealed.map((e) => Buffer.from(e.prevHash, "hex")), sealed.map((e) => Buffer.from(e.hash, "hex")), sealed[0].occurredAt, sealed.map((e) => e.resourceId)],
    );
    expect((await storedRows()).size).toBe(0);
    await readCustomer(1); // the next seal catches up
    const hashes = await chainHashes();
    const leaves = hashes.map((h) => eventLeafHash(h));
    expect(await storedRows()).toEqual(expectedRows(leaves));
    expect((await storedRows()).size).toBe(1);
    expect(await storedRoot(server.custos.ds, hashes.length)).toEqual(rootFromLeafHashes(leaves));
    expect((await seal()).seq).toBe(await headSeq());
  });

  it("a log whose tree was stored at every level (before tiles) keeps serving proofs and grows with tiles", async () => {
    await appendEvents(TILE_WIDTH + 30);
    // Replays the first Merkle migration on this database, as its owner: its backfill stores every level, in
    // SQL, with no tile leaves; then the tiles migration.
    await server.sql(`DROP TABLE audit_merkle_node`);
    const owner = createDataSource(server.databaseUrl, { poolSize: 1 });
    await owner.initialize();
    const runner = owner.createQueryRunner();
    try {
      await new AuditMerkle1764384000000().up(runner);
      await new AuditMerkleTiles1764400000000().up(runner);
    } finally {
      await runner.release();
      await owner.destroy();
    }
    let leaves = (await chainHashes()).map((h) => eventLeafHash(h));
    const legacy = new Map(appendToFrontier([], 0, leaves).created.map((n) => [`${n.level}/${n.idx}`, { hash: n.hash.toString("hex"), leaves: null }]));
    expect(await storedRows()).toEqual(legacy);

    // A new server process (no remembered frontier) seals onto it: the open tile is finished with its leaves.
    await appendEvents(TILE_WIDTH);
    leaves = (await chainHashes()).map((h) => eventLeafHash(h));
    const rows = await storedRows();
    const tile1 = rows.get(`${TILE_LEVEL}/1`)!;
    expect(tile1.leaves).toBe(Buffer.concat(leaves.slice(TILE_WIDTH, 2 * TILE_WIDTH)).toString("hex"));
    expect(rows.get(`${TILE_LEVEL}/0`)!.leaves).toBeNull();
    expect(rows.get(`${TILE_LEVEL + 1}/0`)!.hash).toBe(rootFromLeafHashes(leaves.slice(0, 2 * TILE_WIDTH)).toString("hex"));
    for (const index of [3, TILE_WIDTH + 3, leaves.length - 1]) {
      const p = await storedInclusionProof(server.custos.ds, index, leaves.length);
      verifyInclusion(leaves[index], index, leaves.length, p.proof, rootFromLeafHashes(leaves));
    }
    expect((await seal()).rootHash).toBe(rootFromLeafHashes((await chainHashes()).map((h) => eventLeafHash(h))).toString("hex"));

    await expect(server.sql(`UPDATE audit_merkle_node SET hash = hash`)).rejects.toMatchObject({ code: "42501" });
    await expect(server.sql(`TRUNCATE audit_merkle_node`)).rejects.toMatchObject({ code: "42501" });
    const [grants] = await server.sql<{ ins: boolean; upd: boolean; del: boolean }>(
      `SELECT has_table_privilege('custos_app', 'audit_merkle_node', 'INSERT') AS ins, has_table_privilege('custos_app', 'audit_merkle_node', 'UPDATE') AS upd,
              has_table_privilege('custos_app', 'audit_merkle_node', 'DELETE') AS del`,
    );
    expect(grants).toEqual({ ins: true, upd: false, del: false });
  });
});

describe("verification", () => {
  it("checks each signed root against the recomputed tree and the stored nodes and tile leaves", async () => {
    await appendEvents(TILE_WIDTH + 10);
    const first = await seal();
    await appendEvents(TILE_WIDTH + 20);
    const second = await seal();
    const sources = server.custos.services.checkpoints.sources();
    const intact = await verifyAuditLog(server.custos.ds, sources);
    expect(intact).toMatchObject({ ok: true, rootsChecked: 2 });

    // A stored node on the second checkpoint's frontier edited: proofs from it would not verify.
    const [node] = frontierNodes(second.seq);
    expect(node.level).toBeGreaterThanOrEqual(TILE_LEVEL);
    const [original] = await server.sql<{ hash: Buffer }>(`SELECT hash FROM audit_merkle_node WHERE level = $1 AND idx = $2`, [node.level, node.idx]);
    await tamper(`UPDATE audit_merkle_node SET hash = $3 WHERE level = $1 AND idx = $2`, [node.level, node.idx, Buffer.alloc(32, 7)]);
    const report = await verifyAuditLog(server.custos.ds, sources);
    expect(report).toMatchObject({ ok: false, reason: "TREE_MISMATCH", firstBadSeq: second.seq, expected: second.rootHash });
    expect(report.message).toMatch(/stored Merkle nodes do not give the signed root/);
    await tamper(`UPDATE audit_merkle_node SET hash = $3 WHERE level = $1 AND idx = $2`, [node.level, node.idx, original.hash]);
    expect(await verifyAuditLog(server.custos.ds, sources)).toMatchObject({ ok: true });

    // One leaf hash inside the tile the first checkpoint's right edge cuts through: the nodes hashed from it
    // no longer give the signed root.
    const tile = Math.floor(first.seq / TILE_WIDTH);
    await tamper(`UPDATE audit_merkle_node SET leaves = overlay(leaves placing $2 from ${((first.seq - 1) % TILE_WIDTH) * 32 + 1}) WHERE level = ${TILE_LEVEL} AND idx = $1`, [tile, Buffer.alloc(32, 5)]);
    expect(await verifyAuditLog(server.custos.ds, sources)).toMatchObject({ ok: false, reason: "TREE_MISMATCH", firstBadSeq: first.seq, expected: first.rootHash });

    // A root no tree over these events has (what only a forged or faulty signer could sign).
    const wrong = "ab".repeat(32);
    const outcome = await checkTreeRoots(server.custos.ds, new Map([[second.seq, wrong]]), 0, second.seq);
    expect(outcome.finding).toMatchObject({ seq: second.seq, reason: "ROOT_MISMATCH", expected: wrong, found: second.rootHash });
  });

  it("the checkpointer refuses to sign when the stored tree does not match the chain", async () => {
    await appendEvents(TILE_WIDTH + 5);
    const stored = frontierNodes(await headSeq()).filter((n) => n.level >= TILE_LEVEL);
    const node = stored[stored.length - 1]; // the smallest stored subtree on the right edge
    await tamper(`UPDATE audit_merkle_node SET hash = $3 WHERE level = $1 AND idx = $2`, [node.level, node.idx, Buffer.alloc(32, 9)]);
    await expect(server.custos.services.checkpoints.checkpointNow({ force: true })).rejects.toThrow(/stored Merkle tree does not match the chain/);
  });
});
