// Storage adapter for audit_checkpoint: the database copy of every sealed checkpoint, and event streaming
// in keyset batches shared by verification and sealing.
import type { DataSource, EntityManager } from "typeorm";
import type { SignedCheckpoint } from "./checkpoint-jws";
import type { SealedAuditEvent } from "./core";
import { AUDIT_SELECT, rowToSealedEvent, type AuditEventRow } from "./append";

type Db = DataSource | EntityManager;

/** Serialises sealing across replicas: only the holder reads the head and inserts a checkpoint. */
export const AUDIT_CHECKPOINT_LOCK = 0x637573746f74; // "custot"

/** A row of audit_checkpoint; the columns are copies of the JWS payload, which verification compares. */
export interface StoredCheckpoint {
  seq: number;
  headHash: string;
  issuedAt: string;
  kid: string;
  jws: string;
}

const SELECT = `SELECT seq::text AS seq, encode(head_hash, 'hex') AS head_hash, issued_at, kid, jws FROM audit_checkpoint`;

interface Row {
  seq: string;
  head_hash: string;
  issued_at: Date;
  kid: string;
  jws: string;
}

const toStored = (r: Row): StoredCheckpoint => ({ seq: Number(r.seq), headHash: r.head_hash, issuedAt: r.issued_at.toISOString(), kid: r.kid, jws: r.jws });

export async function listStoredCheckpoints(db: Db, afterSeq = 0): Promise<StoredCheckpoint[]> {
  // Qualified: a bare "seq" in ORDER BY would sort the ::text output column, putting "10" before "9".
  const rows: Row[] = await db.query(`${SELECT} WHERE seq > $1 ORDER BY audit_checkpoint.seq`, [afterSeq]);
  return rows.map(toStored);
}

export async function latestStoredCheckpoint(db: Db): Promise<StoredCheckpoint | null> {
  const rows: Row[] = await db.query(`${SELECT} ORDER BY audit_checkpoint.seq DESC LIMIT 1`);
  return rows.length ? toStored(rows[0]) : null;
}

export async function insertCheckpoint(em: EntityManager, cp: SignedCheckpoint): Promise<void> {
  await em.query(`INSERT INTO audit_checkpoint (seq, head_hash, issued_at, kid, jws) VALUES ($1, $2, $3, $4, $5)`, [
    cp.seq,
    Buffer.from(cp.headHash, "hex"),
    cp.issuedAt,
    cp.kid,
    cp.jws,
  ]);
}

export async function storedEventHash(db: Db, seq: number): Promise<string | null> {
  const rows: Array<{ hash: string }> = await db.query(`SELECT encode(hash, 'hex') AS hash FROM audit_event WHERE seq = $1`, [seq]);
  return rows.length ? rows[0].hash : null;
}

export async function storedHeadSeq(db: Db): Promise<number> {
  const [{ head }] = await db.query(`SELECT coalesce(max(seq), 0)::text AS head FROM audit_event`);
  return Number(head);
}

/**
 * Events with afterSeq < seq ≤ uptoSeq in seq order, `batch` rows per query (keyset paging on the primary
 * key): memory stays constant however long the log. Stopping early just stops asking.
 */
export async function* streamEvents(
  db: Db,
  afterSeq: number,
  uptoSeq: number,
  opts: { batch?: number; onBatch?: (lastSeq: number) => void } = {},
): AsyncGenerator<SealedAuditEvent> {
  const batch = opts.batch ?? 5_000;
  let last = afterSeq;
  while (last < uptoSeq) {
    const rows: AuditEventRow[] = await db.query(`${AUDIT_SELECT} WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT ${batch}`, [last, uptoSeq]);
    if (rows.length === 0) return;
    for (const row of rows) yield rowToSealedEvent(row);
    last = Number(rows[rows.length - 1].seq);
    opts.onBatch?.(last);
  }
}
