// Verifies the stored chain by streaming it in seq order in batches (constant memory), with progress.
import type { DataSource, EntityManager } from "typeorm";
import { describeBreak, verifyEventsAsync, type SealedAuditEvent, type VerifyResult } from "./core";
import { AUDIT_SELECT, rowToSealedEvent, type AuditEventRow } from "./append";

const BATCH = 5_000;

export interface StoredChainReport extends VerifyResult {
  /** One line naming the first bad position and why, without any event content. */
  message: string | null;
}

export async function verifyStoredChain(
  db: DataSource | EntityManager,
  onProgress?: (checked: number, total: number) => void,
): Promise<StoredChainReport> {
  // Verify up to the head as of the start; events appended meanwhile are for the next run. A row
  // deleted from the very tail is invisible here; signed checkpoints (the ledger issue) catch that.
  const [{ head }] = await db.query(`SELECT coalesce(max(seq), 0)::text AS head FROM audit_event`);
  const total = Number(head);
  async function* stream(): AsyncGenerator<SealedAuditEvent> {
    let last = 0;
    while (last < total) {
      const rows: AuditEventRow[] = await db.query(`${AUDIT_SELECT} WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT ${BATCH}`, [last, total]);
      if (rows.length === 0) return;
      for (const row of rows) yield rowToSealedEvent(row);
      last = Number(rows[rows.length - 1].seq);
      onProgress?.(last, total);
    }
  }
  const result = await verifyEventsAsync(stream());
  if (result.ok || result.firstBadSeq === null || result.reason === null) return { ...result, message: null };
  return {
    ...result,
    message: describeBreak({ seq: result.firstBadSeq, reason: result.reason, expected: result.expected ?? "", found: result.found ?? "" }),
  };
}
