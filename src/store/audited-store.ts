// The one path to customer and case data: every unit of work runs in a transaction that cannot commit
// without its audit events, and denied or failed attempts are recorded even when the work rolls back.
import type { DataSource, EntityManager } from "typeorm";
import type { AuditDetailValue, AuditEventContent } from "../audit/core";
import { journalAuditEvents } from "../audit/journal";
import { eventLeafHash } from "../audit/merkle";
import type { AuditReceipt, AuditSequencer } from "../audit/sequencer";
import type { Clock } from "../clock";
import type { RequestMeta } from "../context";
import type { AuditOutcome } from "../domain/enums";
import { auditUnavailable, CustosError, isDatabaseUnavailable, serviceUnavailable } from "../errors";
import type { AppAbility, Principal } from "../policies";

/** Who the events are attributed to: a verified principal, or nobody yet (a login attempt). */
export interface AuditActor {
  readonly principal: Principal | null;
  readonly ability: AppAbility | null;
  readonly meta: RequestMeta;
}

export interface AuditDraft {
  action: string;
  resourceType: string;
  resourceId: string | null;
  outcome: AuditOutcome;
  fields?: readonly string[];
  details?: Record<string, AuditDetailValue>;
}

/** Names a write, so that its failure can be recorded as its own event after the rollback. */
export interface WriteIntent {
  action: string;
  resourceType: string;
  resourceId?: string | null;
}

/**
 * Where a unit of work's events go. A write's are journalled in its transaction, then awaited until
 * sealed; a read's (and standalone events) are submitted straight to the sequencer after the read-only
 * transaction ends and awaited until sealed. Production always uses `journalAndSeal`; only a benchmark
 * measuring the cost of auditing passes another one.
 */
export interface AuditSink {
  journal(em: EntityManager, events: readonly AuditEventContent[]): Promise<number[]>;
  sealed(ids: readonly number[]): Promise<AuditReceipt[]>;
  submit(events: readonly AuditEventContent[]): Promise<AuditReceipt[]>;
}

/** The audit journal plus the sequencer's receipts (docs/audit-sequencer.md). */
export function journalAndSeal(sequencer: AuditSequencer): AuditSink {
  return { journal: journalAuditEvents, sealed: (ids) => sequencer.sealed(ids), submit: (events) => sequencer.submit(events) };
}

export interface AuditFailureSink {
  (error: unknown, context: { requestId: string; stage: string }): void;
}

/** A transaction's view for the stores: its manager, its actor, and the events it must leave behind. */
export class UnitOfWork {
  readonly #committed: AuditDraft[] = [];
  readonly #always: AuditDraft[];

  constructor(
    readonly em: EntityManager,
    readonly actor: AuditActor,
    readonly now: Date,
    always: AuditDraft[],
  ) {
    this.#always = always;
  }

  /** Recorded only if the unit of work commits (reads served, writes made). */
  record(draft: AuditDraft): void {
    this.#committed.push(draft);
  }

  /** Recorded whatever happens: denials and attempts on missing rows. */
  recordAttempt(draft: AuditDraft): void {
    this.#always.push(draft);
  }

  get pending(): readonly AuditDraft[] {
    return this.#committed;
  }
}

export class AuditedStore {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly onAuditFailure: AuditFailureSink,
    /** Journals events and seals them onto the chain; requests wait for their receipts. */
    private readonly sink: AuditSink,
  ) {}

  /**
   * Runs `work` in one transaction; nothing it returns leaves this method unless its audit events are
   * on the chain (fail-closed).
   * - A write (`intent` given) journals its events in that same transaction, so the write and its events
   *   commit or vanish together; then it waits for the sequencer to seal them. If they are not sealed in
   *   time it still returns: it committed, and its events are sealed when the chain can take them
   *   (/readyz reports the backlog).
   * - A read (`intent` null) runs in a READ ONLY transaction (so it cannot write unaudited), then hands
   *   its events to the sequencer, which seals them with the other requests' in one commit; its data is
   *   returned only once that commit succeeded, AUDIT_UNAVAILABLE otherwise.
   */
  async run<T>(actor: AuditActor, intent: WriteIntent | null, work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    const attempts: AuditDraft[] = [];
    let auditFailed = false;
    let journalled: number[] = [];
    let readEvents: AuditEventContent[] = [];
    let result: T;
    try {
      result = await inTransaction(this.ds, intent === null ? "READ ONLY" : "READ WRITE", async (em) => {
        const uow = new UnitOfWork(em, actor, this.clock.now(), attempts);
        const value = await work(uow);
        const events = [...uow.pending, ...attempts].map((d) => this.toContent(actor, d));
        if (intent === null) {
          readEvents = events;
          return value;
        }
        try {
          journalled = await this.sink.journal(em, events);
        } catch (error) {
          auditFailed = true;
          throw error;
        }
        return value;
      });
    } catch (error) {
      if (auditFailed) {
        this.onAuditFailure(error, { requestId: actor.meta.requestId, stage: "append" });
        throw auditUnavailable();
      }
      // No database at all: nothing was read or written, and no attempt can be recorded either.
      if (isDatabaseUnavailable(error)) throw serviceUnavailable();
      // The commit itself can fail after a successful append (e.g. the connection dropped): the
      // data was not handed out and nothing was written, but we cannot tell the audit store is
      // healthy, so the attempt below decides.
      await this.recordAfterRollback(actor, intent, attempts, error);
      throw error;
    }
    if (intent === null) {
      const sealing = this.sink.submit(readEvents).then(
        (receipts) => keepReceipts(actor, receipts),
        (error) => {
          this.onAuditFailure(error, { requestId: actor.meta.requestId, stage: "seal" });
          throw auditUnavailable();
        },
      );
      // Within a GraphQL request the response waits for every read's seal before it leaves.
      const deferred = actor.meta.auditSeals;
      if (!deferred) {
        await sealing;
        return result;
      }
      sealing.catch(() => undefined); // observed by the response, not here
      deferred.push(sealing);
      return result;
    }
    try {
      keepReceipts(actor, await this.sink.sealed(journalled));
    } catch (error) {
      this.onAuditFailure(error, { requestId: actor.meta.requestId, stage: "seal" });
    }
    return result;
  }

  /** Records events outside any business transaction (logins, denials that end a request), sealed on return. */
  async recordStandalone(actor: AuditActor, drafts: readonly AuditDraft[]): Promise<AuditReceipt[]> {
    if (drafts.length === 0) return [];
    const now = this.clock.now();
    try {
      const receipts = await this.sink.submit(drafts.map((d) => this.toContent(actor, d, now)));
      keepReceipts(actor, receipts);
      return receipts;
    } catch (error) {
      this.onAuditFailure(error, { requestId: actor.meta.requestId, stage: "standalone" });
      throw auditUnavailable();
    }
  }

  private async recordAfterRollback(actor: AuditActor, intent: WriteIntent | null, attempts: AuditDraft[], error: unknown) {
    const drafts = [...attempts];
    const code = error instanceof CustosError ? error.code : "INTERNAL";
    // A write refused for lack of permission is already among the attempts as DENIED.
    if (intent && !attempts.some((a) => a.outcome === "DENIED" && a.action === intent.action)) {
      drafts.push({
        action: intent.action,
        resourceType: intent.resourceType,
        resourceId: intent.resourceId ?? null,
        outcome: "FAILURE",
        details: { code },
      });
    }
    await this.recordStandalone(actor, drafts);
  }

  private toContent(actor: AuditActor, d: AuditDraft, at: Date = this.clock.now()): AuditEventContent {
    return {
      occurredAt: at.toISOString(),
      actorId: actor.principal?.id ?? null,
      actorRole: actor.principal?.role ?? null,
      action: d.action,
      resourceType: d.resourceType,
      resourceId: d.resourceId,
      fields: [...(d.fields ?? [])],
      outcome: d.outcome,
      requestId: actor.meta.requestId,
      operation: actor.meta.operation,
      clientAddress: actor.meta.clientAddress,
      purpose: actor.meta.purpose,
      details: d.details ?? {},
    };
  }
}

/** Hands the request its events' receipts (seq and Merkle leaf hash) for the response's extensions. */
function keepReceipts(actor: AuditActor, receipts: readonly AuditReceipt[]): void {
  const into = actor.meta.auditReceipts;
  if (!into) return;
  for (const r of receipts) into.push({ seq: r.seq, leafHash: eventLeafHash(r.hash).toString("hex") });
}

/**
 * A READ COMMITTED transaction, READ ONLY for reads (a read can then never write unaudited), set in the
 * one statement after BEGIN. TypeORM's own wrapper would spend a third round trip on a read's mode.
 */
async function inTransaction<T>(ds: DataSource, access: "READ ONLY" | "READ WRITE", work: (em: EntityManager) => Promise<T>): Promise<T> {
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.startTransaction();
    let value: T;
    try {
      await runner.query(`SET TRANSACTION ISOLATION LEVEL READ COMMITTED ${access}`);
      value = await work(runner.manager);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
    return value;
  } finally {
    await runner.release();
  }
}
