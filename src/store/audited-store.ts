// The one path to customer and case data: every unit of work runs in a transaction that cannot commit
// without its audit events, and denied or failed attempts are recorded even when the work rolls back.
import type { DataSource, EntityManager } from "typeorm";
import type { AuditDetailValue, AuditEventContent } from "../audit/core";
import { journalAuditEvents } from "../audit/journal";
import type { AuditReceipt, AuditSequencer } from "../audit/sequencer";
import type { Clock } from "../clock";
import type { RequestMeta } from "../context";
import type { AuditOutcome } from "../domain/enums";
import { auditUnavailable, CustosError } from "../errors";
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
 * Where a unit of work's events go: journalled in its transaction, then awaited until sealed. Production
 * always uses `journalAndSeal`; only a benchmark measuring the cost of auditing passes another one.
 */
export interface AuditSink {
  journal(em: EntityManager, events: readonly AuditEventContent[]): Promise<number[]>;
  sealed(ids: readonly number[]): Promise<AuditReceipt[]>;
}

/** The audit journal plus the sequencer's receipts (docs/audit-sequencer.md). */
export function journalAndSeal(sequencer: AuditSequencer): AuditSink {
  return { journal: journalAuditEvents, sealed: (ids) => sequencer.sealed(ids) };
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
   * Runs `work` in one transaction and journals its audit events in that same transaction before
   * commit. Nothing `work` returns leaves this method unless that commit succeeded, so a read's
   * events are durable before its data is handed out (fail-closed), and a write and its events
   * commit or vanish together. It then waits until the sequencer has sealed them onto the chain:
   * a read whose events are not sealed in time returns AUDIT_UNAVAILABLE instead of its data; a
   * write, already committed with its journalled events, returns (they are sealed when the chain
   * can take them, and /readyz reports the backlog).
   */
  async run<T>(actor: AuditActor, intent: WriteIntent | null, work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    const attempts: AuditDraft[] = [];
    let auditFailed = false;
    let journalled: number[] = [];
    let result: T;
    try {
      result = await this.ds.transaction("READ COMMITTED", async (em) => {
        const uow = new UnitOfWork(em, actor, this.clock.now(), attempts);
        const value = await work(uow);
        const events = [...uow.pending, ...attempts].map((d) => this.toContent(actor, d));
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
      // The commit itself can fail after a successful append (e.g. the connection dropped): the
      // data was not handed out and nothing was written, but we cannot tell the audit store is
      // healthy, so the attempt below decides.
      await this.recordAfterRollback(actor, intent, attempts, error);
      throw error;
    }
    try {
      await this.sink.sealed(journalled);
    } catch (error) {
      this.onAuditFailure(error, { requestId: actor.meta.requestId, stage: "seal" });
      if (intent === null) throw auditUnavailable();
    }
    return result;
  }

  /** Appends events outside any business transaction (logins, denials that end a request). */
  async recordStandalone(actor: AuditActor, drafts: readonly AuditDraft[]): Promise<AuditReceipt[]> {
    if (drafts.length === 0) return [];
    const now = this.clock.now();
    try {
      const ids = await this.ds.transaction("READ COMMITTED", (em) =>
        this.sink.journal(em, drafts.map((d) => this.toContent(actor, d, now))),
      );
      return await this.sink.sealed(ids);
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
