// What a notification is (ids, a clock kind and a due instant: never PII) and the pluggable delivery
// interface. Notifications are first recorded in the outbox, in the transaction that decided them;
// a Notifier then delivers them (at least once: a crash after delivery and before marking repeats it).
import type { Logger } from "pino";
import type { ClockKind } from "../domain/service-clocks";

export const NOTIFICATION_KINDS = ["CLOCK_WARNING", "CLOCK_BREACH_ESCALATION", "REGULATORY_BREACH_COMPLIANCE", "QUALITY_ALERT"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface Notification {
  readonly id: string;
  readonly kind: NotificationKind;
  /** The case a clock notification is about; null for a QUALITY_ALERT. */
  readonly caseId: string | null;
  readonly clockKind: ClockKind | null;
  /** A QUALITY_ALERT's alert (metric, period and cut are on the alert row); null for a clock notification. */
  readonly qualityAlertId: string | null;
  /** A clock's due instant; for a QUALITY_ALERT, the end of the period measured. */
  readonly dueAt: Date;
  /** The person to tell (the case owner, the team lead); null when a role is addressed (compliance). */
  readonly recipientStaffId: string | null;
  readonly recipientRole: string;
  readonly createdAt: Date;
}

/** Delivers recorded notifications somewhere (log, e-mail gateway, chat, a message bus). */
export interface Notifier {
  readonly name: string;
  deliver(notifications: readonly Notification[]): Promise<void>;
}

/** Writes each notification as a structured log line: enough for operators and for a log shipper. */
export class LogNotifier implements Notifier {
  readonly name = "log";
  constructor(private readonly logger: Logger) {}

  async deliver(notifications: readonly Notification[]): Promise<void> {
    for (const n of notifications) {
      this.logger.info(
        { notification: { id: n.id, kind: n.kind, caseId: n.caseId, clockKind: n.clockKind, qualityAlertId: n.qualityAlertId, dueAt: n.dueAt.toISOString(), recipientStaffId: n.recipientStaffId, recipientRole: n.recipientRole } },
        "notification",
      );
    }
  }
}

/** Keeps notifications in memory; for tests and for embedding Custos in another process. */
export class MemoryNotifier implements Notifier {
  readonly name = "memory";
  readonly delivered: Notification[] = [];
  async deliver(notifications: readonly Notification[]): Promise<void> {
    this.delivered.push(...notifications);
  }
}
