// SQL of the regulators' reports (docs/regulatory-reports.md): the complaint rows of a period, the default
// business calendar, staff training status, the control programme's state and access to customer data
// from the audit log. Every filter runs in PostgreSQL; the cells are computed by src/domain/report-*.ts.
import type { EntityManager } from "typeorm";
import { MANDATORY_TRAINING_COURSE } from "../domain/enums";
import type { ReportCalendar } from "../domain/report-calendar";
import type { ClosedComplaint, ReceivedComplaint } from "../domain/report-complaints";
import { ACCESS_ACTIONS } from "./audit-report.store";

/** The DEFAULT business calendar: its time zone, the weekdays with working hours, and its holidays. */
export async function selectReportCalendar(em: EntityManager): Promise<ReportCalendar> {
  const [cal]: Array<{ time_zone: string; week: Record<string, unknown[]> }> = await em.query(`SELECT time_zone, week FROM business_calendar WHERE id = 'DEFAULT'`);
  if (!cal) throw new Error("the DEFAULT business calendar is missing");
  const holidays: Array<{ day: string }> = await em.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day FROM business_holiday WHERE calendar_id = 'DEFAULT'`);
  const weekdays = Object.entries(cal.week)
    .filter(([, periods]) => Array.isArray(periods) && periods.length > 0)
    .map(([d]) => Number(d));
  return { timeZone: cal.time_zone, workingWeekdays: new Set(weekdays), holidays: new Set(holidays.map((h) => h.day)) };
}

export async function selectReceivedComplaints(em: EntityManager, from: Date, to: Date): Promise<ReceivedComplaint[]> {
  const rows: Array<{ business_line: string; category: string; root_cause_code: string | null; channel: string; received_at: Date }> = await em.query(
    `SELECT business_line, category, root_cause_code, channel, received_at FROM support_case
      WHERE kind = 'COMPLAINT' AND received_at >= $1 AND received_at < $2 ORDER BY received_at, id`,
    [from, to],
  );
  return rows.map((r) => ({ businessLine: r.business_line, category: r.category, rootCause: r.root_cause_code, channel: r.channel, receivedAt: r.received_at }));
}

/** Complaints with a transition to CLOSED in [from, to), at the first such transition; outcome and redress as recorded now. */
export async function selectClosedComplaints(em: EntityManager, from: Date, to: Date): Promise<ClosedComplaint[]> {
  const rows: Array<{ business_line: string; received_at: Date; closed_at: Date; outcome: ClosedComplaint["outcome"]; amount: string | null; currency: string | null }> = await em.query(
    `SELECT s.business_line, s.received_at, c.closed_at, s.resolution_outcome AS outcome, s.redress_amount::text AS amount, s.redress_currency AS currency
       FROM support_case s
       JOIN LATERAL (
         SELECT min(e.occurred_at) AS closed_at FROM case_event e
          WHERE e.case_id = s.id AND e.type = 'STATUS_CHANGED' AND e.data->>'to' = 'CLOSED' AND e.occurred_at >= $1 AND e.occurred_at < $2
       ) c ON c.closed_at IS NOT NULL
      WHERE s.kind = 'COMPLAINT'
      ORDER BY c.closed_at, s.id`,
    [from, to],
  );
  return rows.map((r) => ({ businessLine: r.business_line, receivedAt: r.received_at, closedAt: r.closed_at, outcome: r.outcome, redressAmount: r.amount, redressCurrency: r.currency }));
}

/** Complaints received before `at` whose last status change before `at` was not to CLOSED. */
export async function countOutstandingComplaints(em: EntityManager, at: Date): Promise<number> {
  const [row]: Array<{ n: number }> = await em.query(
    `SELECT count(*)::int AS n FROM support_case s
      WHERE s.kind = 'COMPLAINT' AND s.received_at < $1
        AND coalesce((SELECT e.data->>'to' FROM case_event e
                       WHERE e.case_id = s.id AND e.type = 'STATUS_CHANGED' AND e.occurred_at < $1
                       ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1), '') <> 'CLOSED'`,
    [at],
  );
  return row.n;
}

export interface AccessByActor {
  actorId: string | null;
  actorRole: string | null;
  events: number;
  customers: number;
  cases: number;
  searches: number;
}

/** Successful reads of customer data in [from, to) per actor: events, distinct customers and cases read, searches. */
export async function selectAccessByActor(em: EntityManager, from: Date, to: Date): Promise<AccessByActor[]> {
  const rows: Array<{ actor_id: string | null; actor_role: string | null; events: number; customers: number; cases: number; searches: number }> = await em.query(
    `SELECT actor_id, actor_role, count(*)::int AS events,
            count(DISTINCT resource_id) FILTER (WHERE action = 'customer.read')::int AS customers,
            count(DISTINCT resource_id) FILTER (WHERE action = 'case.read')::int AS cases,
            count(*) FILTER (WHERE action = 'customer.search')::int AS searches
       FROM audit_event
      WHERE action = ANY($1::text[]) AND outcome = 'SUCCESS' AND occurred_at >= $2 AND occurred_at < $3
      GROUP BY actor_id, actor_role
      ORDER BY events DESC, actor_id NULLS LAST, actor_role`,
    [[...ACCESS_ACTIONS], from, to],
  );
  return rows.map((r) => ({ actorId: r.actor_id, actorRole: r.actor_role, events: r.events, customers: r.customers, cases: r.cases, searches: r.searches }));
}

export interface TrainingStatusRow {
  staffId: string;
  role: string;
  active: boolean;
  /** Latest expiry of the mandatory course completed by `at`; null: never trained. */
  expiresAt: Date | null;
}

/** Every staff user (as the table holds them now) with their mandatory training's latest expiry as recorded by `at`. */
export async function selectTrainingStatus(em: EntityManager, at: Date): Promise<TrainingStatusRow[]> {
  const rows: Array<{ id: string; role: string; active: boolean; expires_at: Date | null }> = await em.query(
    `SELECT u.id, u.role, u.active,
            (SELECT max(t.expires_at) FROM staff_training t
              WHERE t.staff_id = u.id AND t.course = $2 AND t.completed_at <= $1 AND t.recorded_at <= $1) AS expires_at
       FROM staff_user u
      ORDER BY u.role, u.id`,
    [at, MANDATORY_TRAINING_COURSE],
  );
  return rows.map((r) => ({ staffId: r.id, role: r.role, active: r.active, expiresAt: r.expires_at }));
}

export interface ControlStatus {
  measuresByStatus: Array<{ key: string; count: number }>;
  milestones: { total: number; done: number; cancelled: number; open: number; overdue: number };
  actionItems: { total: number; done: number; cancelled: number; open: number; overdue: number };
  suggestions: { submitted: number; accepted: number; rejected: number; overdueForReview: number };
  overdue: Array<{ kind: "MILESTONE" | "ACTION_ITEM"; reference: string; dueAt: Date }>;
}

/** The control programme as of `at` (rows created by then; overdue as docs/control-programme.md defines it). */
export async function selectControlStatus(em: EntityManager, at: Date, reviewDays: number): Promise<ControlStatus> {
  const measures: Array<{ status: string; n: number }> = await em.query(
    `SELECT status, count(*)::int AS n FROM control_measure WHERE created_at <= $1 GROUP BY status ORDER BY status`,
    [at],
  );
  const items = async (table: string) => {
    const [r]: Array<{ total: number; done: number; cancelled: number; overdue: number }> = await em.query(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE status = 'DONE' AND closed_at <= $1)::int AS done,
              count(*) FILTER (WHERE status = 'CANCELLED' AND closed_at <= $1)::int AS cancelled,
              count(*) FILTER (WHERE due_at <= $1 AND (closed_at IS NULL OR closed_at > $1))::int AS overdue
         FROM ${table} WHERE created_at <= $1`,
      [at],
    );
    return { total: r.total, done: r.done, cancelled: r.cancelled, open: r.total - r.done - r.cancelled, overdue: r.overdue };
  };
  const [s]: Array<{ submitted: number; accepted: number; rejected: number; overdue: number }> = await em.query(
    `SELECT count(*)::int AS submitted,
            count(*) FILTER (WHERE status = 'ACCEPTED' AND reviewed_at <= $1)::int AS accepted,
            count(*) FILTER (WHERE status = 'REJECTED' AND reviewed_at <= $1)::int AS rejected,
            count(*) FILTER (WHERE submitted_at <= $1::timestamptz - make_interval(days => $2::int) AND (reviewed_at IS NULL OR reviewed_at > $1))::int AS overdue
       FROM improvement_suggestion WHERE submitted_at <= $1`,
    [at, reviewDays],
  );
  const overdue: Array<{ kind: "MILESTONE" | "ACTION_ITEM"; reference: string; due_at: Date }> = await em.query(
    `SELECT 'MILESTONE' AS kind, m.reference || ' / ' || ms.id::text AS reference, ms.due_at FROM control_milestone ms JOIN control_measure m ON m.id = ms.measure_id
      WHERE ms.created_at <= $1 AND ms.due_at <= $1 AND (ms.closed_at IS NULL OR ms.closed_at > $1)
     UNION ALL
     SELECT 'ACTION_ITEM', a.id::text, a.due_at FROM control_action_item a
      WHERE a.created_at <= $1 AND a.due_at <= $1 AND (a.closed_at IS NULL OR a.closed_at > $1)
     ORDER BY due_at, reference`,
    [at],
  );
  return {
    measuresByStatus: measures.map((m) => ({ key: m.status, count: m.n })),
    milestones: await items("control_milestone"),
    actionItems: await items("control_action_item"),
    suggestions: { submitted: s.submitted, accepted: s.accepted, rejected: s.rejected, overdueForReview: s.overdue },
    overdue: overdue.map((o) => ({ kind: o.kind, reference: o.reference, dueAt: o.due_at })),
  };
}
