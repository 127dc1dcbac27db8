// Service-quality counts (docs/service-quality.md) for a period [from, to) and a cut, scoped in SQL by the
// caller's ServiceQuality read rules (a team lead's line), so no count ever includes a row the caller may
// not see. On-time rates replay each case's clock events with the clock engine, the clocks' only rules.
import type { EntityManager } from "typeorm";
import { QUALITY_METRICS, QUALITY_TARGETS, REPEAT_COMPLAINT_WINDOW_DAYS, SATISFIED_SCORE, judge, rate, type QualityMetric, type TargetStatus } from "../domain/quality-metrics";
import { computeClockState, type CalendarLookup, type ClockEvent, type ClockKind } from "../domain/service-clocks";
import { forbidden } from "../errors";
import { rulesToSql, type ColumnMap, type SqlPredicate } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { loadCalendars, loadClockEvents } from "./case-clock-data";
import { unauthenticated } from "../errors";
import type { AppAbility } from "../policies";

/**
 * The ability the figures are computed under: a caller's, or a scheduled task's (no principal; see
 * src/policies/system.ts). Either way the same rules scope the SQL.
 */
export function qualityAbility(uow: UnitOfWork): AppAbility {
  const { ability } = uow.actor;
  if (!ability) throw unauthenticated("Authentication required");
  return ability;
}

export const QUALITY_CUTS = ["NONE", "BUSINESS_LINE", "CHANNEL", "CATEGORY", "TEAM", "AGENT"] as const;
export type QualityCut = (typeof QUALITY_CUTS)[number];

/** The cut value of a case; unassigned cases form their own AGENT group. */
const CUT_EXPR: Record<QualityCut, string> = {
  NONE: `''`,
  BUSINESS_LINE: `sc.business_line`,
  CHANNEL: `sc.channel`,
  CATEGORY: `sc.category`,
  TEAM: `sc.team_id::text`,
  AGENT: `coalesce(sc.assignee_id::text, 'UNASSIGNED')`,
};

const CASE_SCOPE: ColumnMap = { businessLine: { column: "sc.business_line" } };

export interface MetricValue {
  metric: QualityMetric;
  numerator: number;
  denominator: number;
  value: number | null;
  target: number;
  targetKind: "AT_LEAST" | "BELOW";
  status: TargetStatus | null;
}

export interface QualityGroup {
  cutValue: string;
  volume: number;
  complaints: number;
  surveys: number;
  averageScore: number | null;
  metrics: MetricValue[];
}

export interface QualityResult {
  from: Date;
  to: Date;
  cut: QualityCut;
  evaluatedAt: Date;
  /** True when the caller's scope is the whole bank (alerts are raised only from such a result). */
  unrestricted: boolean;
  groups: QualityGroup[];
}

type Counts = Map<QualityMetric, [number, number]>;
interface Acc {
  volume: number;
  complaints: number;
  surveys: number;
  scoreSum: number;
  counts: Counts;
}

function accFor(groups: Map<string, Acc>, key: string): Acc {
  let a = groups.get(key);
  if (!a) {
    a = { volume: 0, complaints: 0, surveys: 0, scoreSum: 0, counts: new Map() };
    groups.set(key, a);
  }
  return a;
}

function add(a: Acc, metric: QualityMetric, numerator: number, denominator: number): void {
  const [n, d] = a.counts.get(metric) ?? [0, 0];
  a.counts.set(metric, [n + numerator, d + denominator]);
}

/** Binds TypeORM-style `:name` parameters of a policy predicate as positional ones after `offset`. */
function positional(p: SqlPredicate, offset: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const sql = p.sql.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    params.push(p.params[name]);
    return `$${offset + params.length}`;
  });
  return { sql, params };
}

export async function computeServiceQuality(uow: UnitOfWork, from: Date, to: Date, cut: QualityCut): Promise<QualityResult> {
  const ability = qualityAbility(uow);
  if (!ability.can("read", "ServiceQuality")) {
    uow.recordAttempt({ action: "quality.metrics.read", resourceType: "service_quality", resourceId: null, outcome: "DENIED" });
    throw forbidden();
  }
  const casePredicate = rulesToSql(ability, "read", "ServiceQuality", CASE_SCOPE, "qs");
  const unrestricted = casePredicate.sql === "TRUE";
  const scope = positional(casePredicate, 2);
  const cutExpr = CUT_EXPR[cut];
  const em = uow.em;
  const now = uow.now;
  const groups = new Map<string, Acc>();

  // Volumes and repeat complaints: cases received in [from, to). A repeat is a complaint whose customer had
  // another complaint of the same business line received in the REPEAT window before it.
  const received: Array<{ cut: string; volume: string; complaints: string; repeats: string }> = await em.query(
    `SELECT ${cutExpr} AS cut, count(*) AS volume,
            count(*) FILTER (WHERE sc.kind = 'COMPLAINT') AS complaints,
            count(*) FILTER (WHERE sc.kind = 'COMPLAINT' AND EXISTS (
              SELECT 1 FROM support_case p
               WHERE p.customer_id = sc.customer_id AND p.kind = 'COMPLAINT' AND p.business_line = sc.business_line AND p.id <> sc.id
                 AND p.received_at > sc.received_at - make_interval(days => ${REPEAT_COMPLAINT_WINDOW_DAYS}) AND p.received_at < sc.received_at)) AS repeats
       FROM support_case sc
      WHERE sc.received_at >= $1 AND sc.received_at < $2 AND ${scope.sql}
      GROUP BY 1`,
    [from, to, ...scope.params],
  );
  for (const r of received) {
    const a = accFor(groups, r.cut);
    a.volume += Number(r.volume);
    a.complaints += Number(r.complaints);
    add(a, "REPEAT_COMPLAINT_RATE", Number(r.repeats), Number(r.complaints));
  }

  // Satisfaction: surveys recorded in [from, to), by their case's cut.
  const surveys: Array<{ cut: string; surveys: string; satisfied: string; score_sum: string }> = await em.query(
    `SELECT ${cutExpr} AS cut, count(*) AS surveys, count(*) FILTER (WHERE s.score >= ${SATISFIED_SCORE}) AS satisfied, sum(s.score) AS score_sum
       FROM case_survey s JOIN support_case sc ON sc.id = s.case_id
      WHERE s.recorded_at >= $1 AND s.recorded_at < $2 AND ${scope.sql}
      GROUP BY 1`,
    [from, to, ...scope.params],
  );
  for (const r of surveys) {
    const a = accFor(groups, r.cut);
    a.surveys += Number(r.surveys);
    a.scoreSum += Number(r.score_sum);
    add(a, "SATISFACTION_RATE", Number(r.satisfied), Number(r.surveys));
  }

  // Reopen rate: cases with a transition to RESOLVED in [from, to) (the timeline, since a reopen clears
  // resolved_at); reopened if a later transition to REOPENED exists, or a follow-up case links to them.
  const reopens: Array<{ cut: string; resolved: string; reopened: string }> = await em.query(
    `WITH res AS (
       SELECT e.case_id, min(e.occurred_at) AS first_resolved
         FROM case_event e
        WHERE e.type = 'STATUS_CHANGED' AND e.data->>'to' = 'RESOLVED' AND e.occurred_at >= $1 AND e.occurred_at < $2
        GROUP BY e.case_id)
     SELECT ${cutExpr} AS cut, count(*) AS resolved,
            count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM case_event r WHERE r.case_id = res.case_id AND r.type = 'STATUS_CHANGED' AND r.data->>'to' = 'REOPENED' AND r.occurred_at > res.first_resolved)
              OR EXISTS (SELECT 1 FROM support_case f WHERE f.linked_case_id = res.case_id)) AS reopened
       FROM res JOIN support_case sc ON sc.id = res.case_id
      WHERE ${scope.sql}
      GROUP BY 1`,
    [from, to, ...scope.params],
  );
  for (const r of reopens) add(accFor(groups, r.cut), "REOPEN_RATE", Number(r.reopened), Number(r.resolved));

  await countClocks(em, groups, { from, to, now, cutExpr, scope });
  if (cut === "NONE" || cut === "BUSINESS_LINE") await countChurn(uow, groups, { from, to, cut });

  const result: QualityGroup[] = [...groups.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([cutValue, a]) => ({
      cutValue,
      volume: a.volume,
      complaints: a.complaints,
      surveys: a.surveys,
      averageScore: a.surveys === 0 ? null : a.scoreSum / a.surveys,
      metrics: QUALITY_METRICS.map((metric) => {
        const [numerator, denominator] = a.counts.get(metric) ?? [0, 0];
        const target = QUALITY_TARGETS[metric];
        const value = rate(numerator, denominator);
        return { metric, numerator, denominator, value, target: target.value, targetKind: target.kind, status: judge(value, target) };
      }),
    }));
  uow.record({
    action: "quality.metrics.read",
    resourceType: "service_quality",
    resourceId: null,
    outcome: "SUCCESS",
    details: { from: from.toISOString(), to: to.toISOString(), cut, groups: result.length },
  });
  return { from, to, cut, evaluatedAt: now, unrestricted, groups: result };
}

/** The first run of one clock kind in a case's events (a reopen starts later runs; the first is the promise made at receipt). */
function firstRun(events: readonly ClockEvent[], kind: ClockKind): ClockEvent[] {
  const mine = events.filter((e) => e.clockKind === kind);
  const next = mine.findIndex((e, i) => i > 0 && e.type === "STARTED");
  return next === -1 ? mine : mine.slice(0, next);
}

/**
 * First response and resolution on time: cases received in [from, to) whose clock is decided at the
 * evaluation instant (MET, or BREACHED: still running past its due instant, or stopped after it); on time
 * = MET (stopped at or before the due instant the engine computes, pauses and extensions included).
 * Regulatory-deadline compliance: complaints whose REGULATORY_DECISION clock fell due in [from, to) or was
 * met (final response sent) in [from, to), decided likewise.
 */
async function countClocks(
  em: EntityManager,
  groups: Map<string, Acc>,
  q: { from: Date; to: Date; now: Date; cutExpr: string; scope: { sql: string; params: unknown[] } },
): Promise<void> {
  // Candidates for the regulatory figure: complaints started before `to` whose deadline clock was not
  // stopped before `from` (stopped earlier, it can neither fall due nor be met in the period).
  const rows: Array<{ id: string; cut: string; received: boolean }> = await em.query(
    `SELECT sc.id, ${q.cutExpr} AS cut, (sc.received_at >= $1 AND sc.received_at < $2) AS received
       FROM support_case sc
      WHERE ${q.scope.sql} AND (
        (sc.received_at >= $1 AND sc.received_at < $2)
        OR (sc.kind = 'COMPLAINT' AND sc.received_at < $2 AND EXISTS (SELECT 1 FROM case_clock_event s WHERE s.case_id = sc.id AND s.clock_kind = 'REGULATORY_DECISION' AND s.type = 'STARTED')
            AND NOT EXISTS (SELECT 1 FROM case_clock_event x WHERE x.case_id = sc.id AND x.clock_kind = 'REGULATORY_DECISION' AND x.type = 'STOPPED' AND x.occurred_at < $1)))`,
    [q.from, q.to, ...q.scope.params],
  );
  if (rows.length === 0) return;
  const events = await loadClockEvents(em, rows.map((r) => r.id));
  const calendars: CalendarLookup = await loadCalendars(em);
  const inPeriod = (t: Date | null) => t !== null && t.getTime() >= q.from.getTime() && t.getTime() < q.to.getTime();
  for (const r of rows) {
    const a = accFor(groups, r.cut);
    const evs = events.get(r.id) ?? [];
    const decided = (kind: ClockKind) => {
      const run = firstRun(evs, kind);
      if (run.length === 0) return null;
      const s = computeClockState(run, q.now, calendars);
      return s.state === "MET" || s.state === "BREACHED" ? s : null;
    };
    if (r.received) {
      for (const [kind, metric] of [["FIRST_RESPONSE", "FIRST_RESPONSE_ON_TIME"], ["RESOLUTION", "RESOLUTION_ON_TIME"]] as const) {
        const s = decided(kind);
        if (s) add(a, metric, s.state === "MET" ? 1 : 0, 1);
      }
    }
    const reg = decided("REGULATORY_DECISION");
    if (reg && (inPeriod(reg.breachAt) || (reg.state === "MET" && inPeriod(reg.stoppedAt)))) {
      add(a, "REGULATORY_DEADLINE_COMPLIANCE", reg.state === "MET" ? 1 : 0, 1);
    }
  }
}

/**
 * Churn: customers whose relationship ended in [from, to) (coalesce(relationship_closed_at, erased_at))
 * over customers active at `from` (created before it, not ended before it, not CLOSED without an instant);
 * only customers of that base count as ended. Whole bank, or per business line (a customer counts for each
 * of their lines). The caller's scope applies to the customer's lines.
 */
async function countChurn(uow: UnitOfWork, groups: Map<string, Acc>, q: { from: Date; to: Date; cut: QualityCut }): Promise<void> {
  const ability = qualityAbility(uow);
  const perLine = q.cut === "BUSINESS_LINE";
  const predicate = rulesToSql(ability, "read", "ServiceQuality", perLine ? { businessLine: { column: "l.line" } } : { businessLine: { column: "c.business_lines", array: true } }, "qc");
  const scope = positional(predicate, 2);
  const rows: Array<{ cut: string; active: string; ended: string }> = await uow.em.query(
    `WITH base AS (
       SELECT c.id, ${perLine ? "l.line" : "''"} AS cut, coalesce(c.relationship_closed_at, c.erased_at) AS ended_at
         FROM customer c ${perLine ? "CROSS JOIN LATERAL unnest(c.business_lines) AS l(line)" : ""}
        WHERE c.created_at < $1
          AND NOT (c.status = 'CLOSED' AND c.relationship_closed_at IS NULL)
          AND (coalesce(c.relationship_closed_at, c.erased_at) IS NULL OR coalesce(c.relationship_closed_at, c.erased_at) >= $1)
          AND ${scope.sql})
     SELECT cut, count(*) AS active, count(*) FILTER (WHERE ended_at < $2) AS ended FROM base GROUP BY cut`,
    [q.from, q.to, ...scope.params],
  );
  for (const r of rows) add(accFor(groups, r.cut), "CHURN_RATE", Number(r.ended), Number(r.active));
}
