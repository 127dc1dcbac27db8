// Profiling aid for the append benchmark: one seal round taken apart. It repeats the statements of
// AuditSequencer.#seal (src/audit/sequencer.ts) one by one with a timer around each, on a journal backlog
// of `n` events, and commits (so the chain stays exactly what the sequencer would have made).
import type { DataSource } from "typeorm";
import { AUDIT_CHAIN_LOCK, readChainHead } from "../../src/audit/append";
import { sealEvents } from "../../src/audit/core";
import { CONTENT_COLUMNS, rowToContent } from "../../src/audit/journal";

const COPY_COLUMNS = CONTENT_COLUMNS.map((c) => `p.${c}`).join(", ");

export async function anatomyOfSeal(ds: DataSource, n: number): Promise<Array<[string, number]>> {
  const steps: Array<[string, number]> = [];
  const qr = ds.createQueryRunner();
  await qr.connect();
  let t = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    steps.push([name, now - t]);
    t = now;
  };
  try {
    await qr.startTransaction("READ COMMITTED");
    step("begin");
    await qr.query(`SELECT pg_advisory_xact_lock($1)`, [AUDIT_CHAIN_LOCK]);
    step("advisory lock");
    const rows = await qr.query(`SELECT id::text AS id, ${CONTENT_COLUMNS.join(", ")} FROM audit_pending ORDER BY id LIMIT $1`, [n]);
    step(`read ${rows.length} journal rows (incl. pg parsing)`);
    const head = await readChainHead(qr.manager);
    step("read chain head");
    const sealed = sealEvents(head, rows.map(rowToContent));
    step("canonical form + sha256 (Node)");
    const ids = rows.map((r: { id: string }) => r.id);
    await qr.query(
      `INSERT INTO audit_event (seq, prev_hash, hash, pending_id, ${CONTENT_COLUMNS.join(", ")})
       SELECT s.seq, decode(s.prev_hash, 'hex'), decode(s.hash, 'hex'), p.id, ${COPY_COLUMNS}
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS s(pending_id, seq, prev_hash, hash)
       JOIN audit_pending p ON p.id = s.pending_id
       ORDER BY s.seq`,
      [ids, sealed.map((e) => e.seq), sealed.map((e) => e.prevHash), sealed.map((e) => e.hash)],
    );
    step("INSERT … SELECT into audit_event (+ its indexes)");
    await qr.query(`DELETE FROM audit_pending WHERE id = ANY($1::bigint[])`, [ids]);
    step("DELETE from journal (+ sealed-only trigger)");
    await qr.commitTransaction();
    step("commit (WAL flush)");
  } finally {
    await qr.release();
  }
  return steps;
}
