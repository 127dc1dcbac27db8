// The notifications outbox: recording a notification inside the deciding transaction (exactly once,
// by its dedupe key), and draining undelivered ones to a Notifier with row locks, so that replicas
// draining at the same time never hand the same row to their notifiers concurrently.
import type { DataSource, EntityManager } from "typeorm";
import type { ClockKind } from "../domain/service-clocks";
import type { Notification, NotificationKind, Notifier } from "./notifier";

export interface NotificationDraft {
  /** Unique per decision: a second attempt to record the same notification does nothing. */
  readonly dedupeKey: string;
  readonly kind: NotificationKind;
  readonly caseId: string | null;
  readonly clockKind: ClockKind | null;
  readonly qualityAlertId?: string | null;
  readonly dueAt: Date;
  readonly recipientStaffId: string | null;
  readonly recipientRole: string;
}

/** Records the notification; false when one with the same dedupe key already exists. */
export async function recordNotification(em: EntityManager, n: NotificationDraft, at: Date): Promise<boolean> {
  const rows: unknown[] = await em.query(
    `INSERT INTO notification_outbox (dedupe_key, kind, case_id, clock_kind, quality_alert_id, due_at, recipient_staff_id, recipient_role, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [n.dedupeKey, n.kind, n.caseId, n.clockKind, n.qualityAlertId ?? null, n.dueAt, n.recipientStaffId, n.recipientRole, at],
  );
  return rows.length === 1;
}

interface OutboxRow {
  id: string;
  kind: NotificationKind;
  case_id: string | null;
  clock_kind: ClockKind | null;
  quality_alert_id: string | null;
  due_at: Date;
  recipient_staff_id: string | null;
  recipient_role: string;
  created_at: Date;
}

/**
 * Hands up to `limit` undelivered notifications to the notifier and marks them delivered, in one
 * transaction holding their row locks (SKIP LOCKED: another replica takes other rows). If the notifier
 * throws, the transaction rolls back and they stay undelivered for the next drain.
 */
export async function drainOutbox(ds: DataSource, notifier: Notifier, at: Date, limit = 100): Promise<number> {
  return ds.transaction("READ COMMITTED", async (em) => {
    const rows: OutboxRow[] = await em.query(
      `SELECT id, kind, case_id, clock_kind, quality_alert_id, due_at, recipient_staff_id, recipient_role, created_at
         FROM notification_outbox WHERE delivered_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    if (rows.length === 0) return 0;
    await notifier.deliver(rows.map(toNotification));
    await em.query(`UPDATE notification_outbox SET delivered_at = $2, delivery_attempts = delivery_attempts + 1 WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id), at]);
    return rows.length;
  });
}

function toNotification(r: OutboxRow): Notification {
  return {
    id: String(r.id),
    kind: r.kind,
    caseId: r.case_id,
    clockKind: r.clock_kind,
    qualityAlertId: r.quality_alert_id,
    dueAt: new Date(r.due_at),
    recipientStaffId: r.recipient_staff_id,
    recipientRole: r.recipient_role,
    createdAt: new Date(r.created_at),
  };
}
