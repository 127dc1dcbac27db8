// SQL of the export bundles (docs/audit-bundle-format.md) on the audit tables: which events a bundle holds (a
// period's contiguous seq range, or one customer's events), keyset batches of them, erasure seqs and the
// checkpoints that cover them. Customer and case rows are read in src/store/audit-bundle.store.ts.
import type { DataSource, EntityManager } from "typeorm";
import { AUDIT_SELECT, rowToSealedEvent, type AuditEventRow } from "./append";
import type { SealedAuditEvent } from "./core";
import { selectCustomerCaseIds } from "../store/audit-bundle.store";

type Db = DataSource | EntityManager;

/** What a bundle covers: [from, to) and optionally one customer; events up to `upToSeq` (the head when asked). */
export interface BundleScope {
  from: Date;
  to: Date;
  customerId: string | null;
}

export interface BundleRange {
  firstSeq: number;
  lastSeq: number;
  count: number;
  /** The customer's case ids (customer bundles only). */
  caseIds: string[];
}

/**
 * A period bundle holds the contiguous seq range from the first to the last event that occurred in
 * [from, to): occurredAt is the request's clock and seq the sealing order, so a few events near the edges
 * may lie just outside the period; they are kept so that every event links to its predecessor.
 */
async function periodRange(db: Db, scope: BundleScope, upToSeq: number): Promise<BundleRange | null> {
  const [row]: Array<{ first: string | null; last: string | null }> = await db.query(
    `SELECT min(seq)::text AS first, max(seq)::text AS last FROM audit_event WHERE occurred_at >= $1 AND occurred_at < $2 AND seq <= $3`,
    [scope.from, scope.to, upToSeq],
  );
  if (row.first === null || row.last === null) return null;
  const first = Number(row.first);
  const last = Number(row.last);
  return { firstSeq: first, lastSeq: last, count: last - first + 1, caseIds: [] };
}

const CUSTOMER_EVENTS = `occurred_at >= $1 AND occurred_at < $2 AND seq <= $3
  AND ((resource_type = 'customer' AND resource_id = $4) OR (resource_type = 'case' AND resource_id = ANY($5::text[])))`;

/** A customer bundle: the events whose resource is the customer or one of their cases (as accessReport finds them). */
async function customerRange(db: Db, scope: BundleScope, upToSeq: number): Promise<BundleRange | null> {
  const caseIds = await selectCustomerCaseIds("manager" in db ? db.manager : db, scope.customerId!);
  const [row]: Array<{ first: string | null; last: string | null; n: string }> = await db.query(
    `SELECT min(seq)::text AS first, max(seq)::text AS last, count(*)::text AS n FROM audit_event WHERE ${CUSTOMER_EVENTS}`,
    [scope.from, scope.to, upToSeq, scope.customerId, caseIds],
  );
  if (row.first === null || row.last === null) return null;
  return { firstSeq: Number(row.first), lastSeq: Number(row.last), count: Number(row.n), caseIds };
}

export function selectBundleRange(db: Db, scope: BundleScope, upToSeq: number): Promise<BundleRange | null> {
  return scope.customerId === null ? periodRange(db, scope, upToSeq) : customerRange(db, scope, upToSeq);
}

/** The next batch of the bundle's events after `afterSeq`, in seq order (keyset on the primary key). */
export async function selectBundleBatch(db: Db, scope: BundleScope, range: BundleRange, afterSeq: number, limit: number): Promise<SealedAuditEvent[]> {
  const rows: AuditEventRow[] =
    scope.customerId === null
      ? await db.query(`${AUDIT_SELECT} WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT ${Math.floor(limit)}`, [afterSeq, range.lastSeq])
      : await db.query(`${AUDIT_SELECT} WHERE ${CUSTOMER_EVENTS} AND seq > $6 ORDER BY seq LIMIT ${Math.floor(limit)}`, [
          scope.from,
          scope.to,
          range.lastSeq,
          scope.customerId,
          range.caseIds,
          afterSeq,
        ]);
  return rows.map(rowToSealedEvent);
}

/** The seq of each erased customer's `customer.erase` event (the first successful one). */
export async function selectErasureSeqs(db: Db, customerIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (customerIds.length === 0) return out;
  const rows: Array<{ resource_id: string; seq: string }> = await db.query(
    `SELECT resource_id, min(seq)::text AS seq FROM audit_event
      WHERE resource_type = 'customer' AND resource_id = ANY($1::text[]) AND action = 'customer.erase' AND outcome = 'SUCCESS'
      GROUP BY resource_id`,
    [[...new Set(customerIds)]],
  );
  for (const r of rows) out.set(r.resource_id, Number(r.seq));
  return out;
}

export interface CheckpointRow {
  seq: number;
  jws: string;
}

/** The checkpoints with afterSeq < seq ≤ uptoSeq, in seq order. */
export async function selectCheckpoints(db: Db, afterSeq: number, uptoSeq: number): Promise<CheckpointRow[]> {
  const rows: Array<{ seq: string; jws: string }> = await db.query(
    `SELECT seq::text AS seq, jws FROM audit_checkpoint WHERE seq > $1 AND seq <= $2 ORDER BY audit_checkpoint.seq`,
    [afterSeq, uptoSeq],
  );
  return rows.map((r) => ({ seq: Number(r.seq), jws: r.jws }));
}

/** The last checkpoint before `seq` (the one a bundle's first event extends), if any. */
export async function selectCheckpointBefore(db: Db, seq: number): Promise<CheckpointRow | null> {
  const rows: Array<{ seq: string; jws: string }> = await db.query(
    `SELECT seq::text AS seq, jws FROM audit_checkpoint WHERE seq < $1 ORDER BY audit_checkpoint.seq DESC LIMIT 1`,
    [seq],
  );
  return rows.length ? { seq: Number(rows[0].seq), jws: rows[0].jws } : null;
}

/** Checkpoints at or after `seq`, in seq order, at most `limit` (where the anchor is looked for). */
export async function selectCheckpointsFrom(db: Db, seq: number, limit: number): Promise<CheckpointRow[]> {
  const rows: Array<{ seq: string; jws: string }> = await db.query(
    `SELECT seq::text AS seq, jws FROM audit_checkpoint WHERE seq >= $1 ORDER BY audit_checkpoint.seq LIMIT ${Math.floor(limit)}`,
    [seq],
  );
  return rows.map((r) => ({ seq: Number(r.seq), jws: r.jws }));
}
