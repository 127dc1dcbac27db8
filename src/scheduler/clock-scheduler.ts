// The clock scheduler: runs due clock jobs (warnings at 75 %, escalations at breach) and delivers the
// notifications they record. State lives in PostgreSQL (clock_job, notification_outbox), so a restart
// loses nothing; each job is claimed with FOR UPDATE SKIP LOCKED inside the transaction that performs
// it and marks it DONE, so with any number of replicas each warning and escalation happens exactly once.
//
// Why our own job table rather than pg-boss or graphile-worker: both current releases need Node 22
// (pg-boss 12 ">=22.12", graphile-worker 0.18 ">=22.18"; we run Node 20, see STACK.md), both bring their
// own schema, pool and wall-clock timing (so tests could not drive them with the injected Clock), and
// neither can run a job inside our AuditedStore transaction, which is what makes the escalation, its
// audit event and the job's completion one atomic step. The table needs only what we use: a due time,
// a status, a unique key per (clock, action, deadline) and SKIP LOCKED.
import { PeriodicRun } from "./periodic";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import { drainOutbox } from "../notify/outbox";
import type { Notifier } from "../notify/notifier";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { claimDueClockJob, retryClockJobLater, runClockJob, type ClockJobOutcome } from "../store/case-clock-jobs.store";

export interface SweepResult {
  readonly outcomes: Readonly<Partial<Record<ClockJobOutcome, number>>>;
  readonly failed: number;
  readonly delivered: number;
}

export interface ClockSchedulerDeps {
  ds: DataSource;
  store: AuditedStore;
  clock: Clock;
  notifier: Notifier;
  logger: Logger;
  /** Timer period of start(); 0 leaves the timer off (runDueOnce still works). */
  intervalMs: number;
  /** Most jobs one sweep runs, so one sweep never holds the loop for long. */
  maxJobsPerSweep?: number;
}

/** A failed job waits this long before it is tried again (it stays PENDING). */
const RETRY_DELAY_MS = 60_000;

export class ClockScheduler {
  readonly #loop: PeriodicRun;

  constructor(private readonly deps: ClockSchedulerDeps) {
    this.#loop = new PeriodicRun(this.deps.intervalMs, () => this.runDueOnce(), (error) => this.deps.logger.error({ err: { name: (error as Error)?.name } }, "clock sweep failed"));
  }

  /** One sweep at `now`: every due job once, then the outbox to the notifier. Tests call this. */
  async runDueOnce(now: Date = this.deps.clock.now()): Promise<SweepResult> {
    const outcomes: Partial<Record<ClockJobOutcome, number>> = {};
    let failed = 0;
    const limit = this.deps.maxJobsPerSweep ?? 500;
    for (let i = 0; i < limit; i++) {
      const actor = this.actor();
      let jobId: string | null = null;
      try {
        // A write unit of work (it claims, escalates and notifies), named so that a failure is audited too.
        const outcome = await this.deps.store.run(actor, { action: "case.clock.sweep", resourceType: "clock_job" }, async (uow) => {
          const job = await claimDueClockJob(uow, now);
          if (!job) return null;
          jobId = job.id;
          return runClockJob(uow, job, now);
        });
        if (outcome === null) break;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      } catch (error) {
        failed++;
        this.deps.logger.error({ err: { name: (error as Error)?.name, code: (error as { code?: string })?.code }, jobId, requestId: actor.meta.requestId }, "clock job failed; retried later");
        if (jobId === null) break; // the claim itself failed: the database is not answering
        await retryClockJobLater(this.deps.ds.manager, jobId, new Date(now.getTime() + RETRY_DELAY_MS));
      }
    }
    let delivered = 0;
    try {
      for (let n = -1; n !== 0; ) delivered += n = await drainOutbox(this.deps.ds, this.deps.notifier, now);
    } catch (error) {
      this.deps.logger.error({ err: { name: (error as Error)?.name }, notifier: this.deps.notifier.name }, "notification delivery failed; retried on the next sweep");
    }
    return { outcomes, failed, delivered };
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
    return { principal: null, ability: null, meta: { requestId: `clock-sweep-${randomUUID()}`, operation: "clock-sweep", clientAddress: null, purpose: "SLA_MONITORING" } };
  }
}
