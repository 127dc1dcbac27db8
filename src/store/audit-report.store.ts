// SQL of the audit reports (docs/audit-reports.md): trail batches by keyset, a customer's access history,
// denied attempts and the three unusual-access findings. Every filter, grouping and threshold runs in
// PostgreSQL on an index; nothing here filters rows in JavaScript.
import type { EntityManager } from "typeorm";
import { AUDIT_SELECT, rowToSealedEvent, type AuditEventRow } from "../audit/append";
import type { SealedAuditEvent } from "../audit/core";
import type { WorkingHours } from "../config";
import { trailConditions, type TrailFilter } from "./audit-trail-filter";

export { assertTrailFilter, type TrailFilter } from "./audit-trail-filter";


/** Reads of customer data: what "access" means for volume and working hours. */
export const ACCESS_ACTIONS = ["customer.read", "case.read", "customer.search"] as const;
/** At most this many seqs are listed per finding; `eventCount` still counts them all. */
export const FINDING_SEQ_LIMIT = 1_000;
/** Volume: reads in the window above max(VOLUME_MIN_READS, VOLUME_FACTOR × the actor's baseline average). */
export const VOLUME_MIN_READS = 20;
export const VOLUME_FACTOR = 5;
export const BASELINE_DAYS = 30;

const UUID_RE = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/** One keyset batch of the filtered trail: seq in (afterSeq, upToSeq], in seq order. */
export async function selectTrailBatch(
  em: EntityManager,
  filter: TrailFilter,
  opts: { afterSeq: number; upToSeq: number | null; limit: number },
): Promise<SealedAuditEvent[]> {
  const params: unknown[] = [];
  const where = trailConditions(filter, params);
  params.push(opts.afterSeq);
  where.push(`seq > $${params.length}`);
  if (opts.upToSeq !== null) {
    params.push(opts.upToSeq);
    where.push(`seq <= $${params.length}`);
  }
  const rows: AuditEventRow[] = await em.query(`${AUDIT_SELECT} WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ${Math.floor(opts.limit)}`, params);
  return rows.map(rowToSealedEvent);
}

/** The last seq committed now: an export stops there, so it is one consistent prefix of the log. */
export async function selectHeadSeq(em: EntityManager): Promise<number> {
  const [row] = await em.query(`SELECT coalesce(max(seq), 0)::text AS seq FROM audit_event`);
  return Number(row.seq);
}

export interface AccessRow {
  event: SealedAuditEvent;
  via: "customer" | "case";
  caseId: string | null;
}

/**
 * Reads of one customer: customer.read on the customer, and case.read on any of the customer's cases
 * (a case event names the case; support_case.customer_id joins it back). Each half walks the
 * (resource_type, resource_id, seq) index.
 */
export async function selectCustomerAccess(em: EntityManager, customerId: string, from: Date, to: Date, limit: number): Promise<AccessRow[]> {
  const cols = AUDIT_SELECT.replace(/^SELECT /, "").replace(/ FROM audit_event$/, "");
  const prefixed = cols.split(", ").map((c) => `e.${c}`).join(", ");
  const rows: Array<AuditEventRow & { via: "customer" | "case"; case_id: string | null }> = await em.query(
    `SELECT * FROM (
       SELECT ${prefixed}, 'customer' AS via, NULL::uuid AS case_id
         FROM audit_event e
        WHERE e.resource_type = 'customer' AND e.resource_id = $1 AND e.action = 'customer.read'
          AND e.occurred_at >= $2 AND e.occurred_at < $3
       UNION ALL
       SELECT ${prefixed}, 'case' AS via, s.id AS case_id
         FROM support_case s
         JOIN audit_event e ON e.resource_type = 'case' AND e.resource_id = s.id::text
        WHERE s.customer_id = $4::uuid AND e.action = 'case.read'
          AND e.occurred_at >= $2 AND e.occurred_at < $3
     ) a ORDER BY seq LIMIT ${Math.floor(limit)}`,
    [customerId, from, to, customerId],
  );
  return rows.map((r) => ({ event: rowToSealedEvent(r), via: r.via, caseId: r.case_id }));
}

export interface DeniedCount {
  actorId: string | null;
  actorRole: string | null;
  denied: number;
  notFound: number;
  total: number;
}

// The predicate matches the partial index audit_event_unsuccessful_time_idx word for word.
const UNSUCCESSFUL = `outcome IN ('DENIED','NOT_FOUND')`;

export async function selectDeniedCounts(em: EntityManager, from: Date, to: Date): Promise<DeniedCount[]> {
  const rows: Array<{ actor_id: string | null; actor_role: string | null; denied: number; not_found: number; total: number }> = await em.query(
    `SELECT actor_id, actor_role,
            count(*) FILTER (WHERE outcome = 'DENIED')::int AS denied,
            count(*) FILTER (WHERE outcome = 'NOT_FOUND')::int AS not_found,
            count(*)::int AS total
       FROM audit_event
      WHERE ${UNSUCCESSFUL} AND occurred_at >= $1 AND occurred_at < $2
      GROUP BY actor_id, actor_role
      ORDER BY total DESC, actor_id NULLS LAST, actor_role`,
    [from, to],
  );
  return rows.map((r) => ({ actorId: r.actor_id, actorRole: r.actor_role, denied: r.denied, notFound: r.not_found, total: r.total }));
}

export async function selectDeniedEvents(em: EntityManager, from: Date, to: Date, limit: number): Promise<SealedAuditEvent[]> {
  const rows: AuditEventRow[] = await em.query(
    `${AUDIT_SELECT} WHERE ${UNSUCCESSFUL} AND occurred_at >= $1 AND occurred_at < $2 ORDER BY seq LIMIT ${Math.floor(limit)}`,
    [from, to],
  );
  return rows.map(rowToSealedEvent);
}

interface FindingRow {
  actor_id: string;
  actor_role: string | null;
  n: number;
  seqs: string[];
  first_at: Date;
  last_at: Date;
}

export interface FindingBase {
  actorId: string;
  actorRole: string | null;
  eventCount: number;
  seqs: number[];
  firstAt: Date;
  lastAt: Date;
}

function toBase(r: FindingRow): FindingBase {
  return { actorId: r.actor_id, actorRole: r.actor_role, eventCount: r.n, seqs: r.seqs.map(Number), firstAt: r.first_at, lastAt: r.last_at };
}

const AGGREGATES = `count(*)::int AS n, (array_agg(e.seq ORDER BY e.seq))[1:${FINDING_SEQ_LIMIT}]::text[] AS seqs,
                    min(e.occurred_at) AS first_at, max(e.occurred_at) AS last_at`;

/**
 * (a) An AGENT read a customer none of whose cases is assigned to them; a TEAM_LEAD read a customer with
 * no case in their team. Judged against today's cases (assignment history is not consulted). One finding
 * per (actor, customer).
 */
export async function selectUnrelatedReads(em: EntityManager, from: Date, to: Date): Promise<Array<FindingBase & { customerId: string }>> {
  const rows: Array<FindingRow & { resource_id: string }> = await em.query(
    `SELECT e.actor_id, e.actor_role, e.resource_id, ${AGGREGATES}
       FROM audit_event e
       JOIN staff_user u ON u.id = e.actor_id
      WHERE e.action = 'customer.read' AND e.outcome = 'SUCCESS' AND e.occurred_at >= $1 AND e.occurred_at < $2
        AND e.actor_role IN ('AGENT','TEAM_LEAD')
        AND NOT EXISTS (
          SELECT 1 FROM support_case s
           WHERE s.customer_id = CASE WHEN e.resource_id ~ '${UUID_RE}' THEN e.resource_id::uuid END
             AND (s.assignee_id = e.actor_id OR (e.actor_role = 'TEAM_LEAD' AND s.team_id = u.team_id)))
      GROUP BY e.actor_id, e.actor_role, e.resource_id
      ORDER BY min(e.seq)`,
    [from, to],
  );
  return rows.map((r) => ({ ...toBase(r), customerId: r.resource_id }));
}

/**
 * (b) Reads in the window above max(VOLUME_MIN_READS, VOLUME_FACTOR × the actor's average per window of
 * the same length over the BASELINE_DAYS before it). Only actors past the floor get a baseline lookup.
 */
export async function selectVolumeAboveBaseline(em: EntityManager, from: Date, to: Date): Promise<Array<FindingBase & { baselineCount: number; threshold: number }>> {
  const rows: Array<FindingRow & { baseline: number; threshold: number }> = await em.query(
    `WITH win AS (
       SELECT e.actor_id, max(e.actor_role) AS actor_role, ${AGGREGATES}
         FROM audit_event e
        WHERE e.action = ANY($1::text[]) AND e.outcome = 'SUCCESS' AND e.occurred_at >= $2 AND e.occurred_at < $3
          AND e.actor_id IS NOT NULL
        GROUP BY e.actor_id
       HAVING count(*) > $4::int
     ), judged AS (
       SELECT win.*, base.n AS baseline,
              greatest(($4::int)::float8, $5::float8 * base.n * extract(epoch FROM ($3::timestamptz - $2::timestamptz)) / (($6::int)::float8 * 86400)) AS threshold
         FROM win
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS n FROM audit_event b
            WHERE b.actor_id = win.actor_id AND b.occurred_at >= $2::timestamptz - make_interval(days => $6::int) AND b.occurred_at < $2
              AND b.action = ANY($1::text[]) AND b.outcome = 'SUCCESS'
         ) base
     )
     SELECT * FROM judged WHERE n > threshold ORDER BY n DESC, actor_id`,
    [[...ACCESS_ACTIONS], from, to, VOLUME_MIN_READS, VOLUME_FACTOR, BASELINE_DAYS],
  );
  return rows.map((r) => ({ ...toBase(r), baselineCount: r.baseline, threshold: Number(r.threshold) }));
}

/** (c) Staff reads outside the configured working hours, one finding per actor and local day. */
export async function selectOutsideWorkingHours(em: EntityManager, from: Date, to: Date, hours: WorkingHours): Promise<Array<FindingBase & { day: string }>> {
  const local = `(e.occurred_at AT TIME ZONE $3)`;
  const rows: Array<FindingRow & { day: string }> = await em.query(
    `SELECT e.actor_id, e.actor_role, to_char(${local}, 'YYYY-MM-DD') AS day, ${AGGREGATES}
       FROM audit_event e
      WHERE e.action = ANY($4::text[]) AND e.outcome = 'SUCCESS' AND e.occurred_at >= $1 AND e.occurred_at < $2
        AND e.actor_id IS NOT NULL AND e.actor_role IS DISTINCT FROM 'SERVICE'
        AND NOT (extract(isodow FROM ${local})::int = ANY($5::int[])
                 AND extract(hour FROM ${local})::int >= $6 AND extract(hour FROM ${local})::int < $7)
      GROUP BY e.actor_id, e.actor_role, day
      ORDER BY min(e.seq)`,
    [from, to, hours.timeZone, [...ACCESS_ACTIONS], [...hours.days], hours.startHour, hours.endHour],
  );
  return rows.map((r) => ({ ...toBase(r), day: r.day }));
}
