// The daily service-quality evaluation (docs/service-quality.md, "Scheduled evaluation"): once a day of
// the bank's time zone (the DEFAULT business calendar's) is over, its figures and the month to date are
// computed for the whole bank and per business line, breached targets are raised as alerts, and
// compliance is notified through the outbox. It runs as the system (no principal, the task's own ability)
// through the audited store: the figures in READ ONLY units, the alerts in one write unit.
//
// Why not the clock scheduler's job table: a clock_job row belongs to a case (case_id NOT NULL, joined in
// the claim); reusing it would mean loosening its constraints and claim query for one job a day. A day's
// evaluation needs only "has this day been done": the quality_evaluation row, keyed by the day and
// inserted in the transaction that raises the alerts, gives exactly-once across replicas and restarts
// without locks held across the reads (a replica that loses the race has only repeated audited reads).
import { PeriodicRun } from "./periodic";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import { dayPeriod } from "../domain/quality-metrics";
import { drainOutbox } from "../notify/outbox";
import type { Notifier } from "../notify/notifier";
import { defineSystemAbility } from "../policies";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { raiseQualityAlerts, type QualityAlertView } from "../store/quality-alert.store";
import { bankTimeZone, claimEvaluationDay, lastEvaluatedDay, notifyComplianceOfAlert, recordAlertsRaised } from "../store/quality-evaluation.store";
import { computeServiceQuality, type QualityCut, type QualityResult } from "../store/quality-metrics.store";

/** After an outage, at most this many missed days are caught up (the most recent ones). */
export const MAX_CATCH_UP_DAYS = 31;
const CUTS: readonly QualityCut[] = ["NONE", "BUSINESS_LINE"];

/** The calendar day (YYYY-MM-DD) of `timeZone` that `at` falls in. */
export function localDay(at: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** The days to evaluate at `now`: every day over since the last one evaluated (the last MAX_CATCH_UP_DAYS). */
export function dueDays(now: Date, timeZone: string, last: string | null): string[] {
  const yesterday = addDays(localDay(now, timeZone), -1);
  let first = last === null ? yesterday : addDays(last, 1);
  const earliest = addDays(yesterday, -(MAX_CATCH_UP_DAYS - 1));
  if (first < earliest) first = earliest;
  const days: string[] = [];
  for (let d = first; d <= yesterday; d = addDays(d, 1)) days.push(d);
  return days;
}

/** The periods evaluated for `day`: the day itself and the month to date (the same on the 1st). */
export function evaluationPeriods(day: string, timeZone: string): Array<{ from: Date; to: Date }> {
  const dayP = dayPeriod(day, timeZone);
  const monthStart = dayPeriod(`${day.slice(0, 8)}01`, timeZone).from;
  return monthStart.getTime() === dayP.from.getTime() ? [dayP] : [dayP, { from: monthStart, to: dayP.to }];
}

export interface QualityEvaluationResult {
  /** Days this run evaluated (claimed); a day another replica evaluated first is not listed. */
  readonly days: readonly string[];
  readonly alertsRaised: number;
  readonly delivered: number;
}

export interface QualitySchedulerDeps {
  ds: DataSource;
  store: AuditedStore;
  clock: Clock;
  notifier: Notifier;
  logger: Logger;
  /** How often start()'s timer looks for a day that is over; 0 leaves the timer off. */
  intervalMs: number;
}

export class QualityScheduler {
  readonly #loop: PeriodicRun;

  constructor(private readonly deps: QualitySchedulerDeps) {
    this.#loop = new PeriodicRun(this.deps.intervalMs, () => this.runDueOnce(), (error) => this.deps.logger.error({ err: { name: (error as Error)?.name, code: (error as { code?: string })?.code } }, "quality evaluation failed; retried on the next tick"));
  }

  /** Evaluates every day that is over at `now` and not evaluated yet, then delivers the outbox. Tests call this. */
  async runDueOnce(now: Date = this.deps.clock.now()): Promise<QualityEvaluationResult> {
    const actor = this.actor();
    const { timeZone, last } = await this.deps.store.run(actor, null, async (uow) => ({ timeZone: await bankTimeZone(uow), last: await lastEvaluatedDay(uow) }));
    const days: string[] = [];
    let alertsRaised = 0;
    for (const day of dueDays(now, timeZone, last)) {
      const raised = await this.evaluateDay(actor, day, timeZone);
      if (raised === null) continue;
      days.push(day);
      alertsRaised += raised.length;
    }
    let delivered = 0;
    try {
      for (let n = -1; n !== 0; ) delivered += n = await drainOutbox(this.deps.ds, this.deps.notifier, now);
    } catch (error) {
      this.deps.logger.error({ err: { name: (error as Error)?.name }, notifier: this.deps.notifier.name }, "notification delivery failed; retried on the next run");
    }
    return { days, alertsRaised, delivered };
  }

  /** One day: figures (read units), then alerts, notifications and the day's claim in one write unit. */
  private async evaluateDay(actor: AuditActor, day: string, timeZone: string): Promise<QualityAlertView[] | null> {
    const results: QualityResult[] = [];
    for (const period of evaluationPeriods(day, timeZone)) {
      for (const cut of CUTS) results.push(await this.deps.store.run(actor, null, (uow) => computeServiceQuality(uow, period.from, period.to, cut)));
    }
    return this.deps.store.run(actor, { action: "quality.evaluation.run", resourceType: "quality_evaluation", resourceId: day }, async (uow) => {
      if (!(await claimEvaluationDay(uow, day, timeZone, dayPeriod(day, timeZone)))) return null;
      const raised: QualityAlertView[] = [];
      for (const r of results) raised.push(...(await raiseQualityAlerts(uow, r)));
      for (const a of raised) await notifyComplianceOfAlert(uow, a);
      await recordAlertsRaised(uow, day, raised.length);
      uow.record({ action: "quality.evaluation.run", resourceType: "quality_evaluation", resourceId: day, outcome: "SUCCESS", details: { timeZone, alertsRaised: raised.length } });
      return raised;
    });
  }

  /** Starts the timer loop (every replica runs one; what a run claims keeps them apart). */
  start(): void {
    this.#loop.start();
  }

  /** Stops the loop and waits for a run in progress (its transactions need the pool). */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  private actor(): AuditActor {
    return {
      principal: null,
      ability: defineSystemAbility("quality-evaluation"),
      meta: { requestId: `quality-evaluation-${randomUUID()}`, operation: "quality-evaluation", clientAddress: null, purpose: "SERVICE_QUALITY_MONITORING" },
    };
  }
}
