// The stored chain: its head, its columns, and rows read back as sealed events. Appends go through the
// journal (journal.ts) and the sequencer (sequencer.ts).
import type { EntityManager } from "typeorm";
import { GENESIS_HEAD, type ChainHead, type SealedAuditEvent } from "./core";
import { CONTENT_COLUMNS, rowToContent, type AuditContentRow } from "./journal";

/**
 * Advisory-lock key of the chain head: the sequencer reads and extends the head under it, held until
 * its seal transaction ends, so seq stays gapless and the chain linear.
 */
export const AUDIT_CHAIN_LOCK = 0x637573746f73; // "custos"

const COLUMNS = ["seq", "prev_hash", "hash", ...CONTENT_COLUMNS] as const;

export async function readChainHead(em: EntityManager): Promise<ChainHead> {
  const rows: Array<{ seq: string; hash: string }> = await em.query(
    `SELECT seq::text AS seq, encode(hash, 'hex') AS hash FROM audit_event ORDER BY audit_event.seq DESC LIMIT 1`,
  );
  return rows.length === 0 ? GENESIS_HEAD : { seq: Number(rows[0].seq), hash: rows[0].hash };
}

export interface AuditEventRow extends AuditContentRow {
  seq: string;
  prev_hash: Buffer;
  hash: Buffer;
}

export const AUDIT_SELECT = `SELECT ${COLUMNS.join(", ")} FROM audit_event`;

export function rowToSealedEvent(r: AuditEventRow): SealedAuditEvent {
  return { seq: Number(r.seq), prevHash: r.prev_hash.toString("hex"), hash: r.hash.toString("hex"), ...rowToContent(r) };
}
