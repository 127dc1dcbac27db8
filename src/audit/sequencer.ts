// The sequencer: seals journal entries and submitted events onto the hash chain, a round per transaction,
// one sealer at a time across every replica (advisory lock). Requests wait here for their receipts. Design,
// guarantees and the commit-to-seal window: docs/audit-sequencer.md; the round's statements: seal-round.ts.
import type { DataSource } from "typeorm";
import { AUDIT_CHAIN_LOCK } from "./append";
import { prepareEvent, type AuditEventContent, type PreparedAuditEvent } from "./core";
import { TreeAppender } from "./merkle/node-store";
import { sealRound } from "./seal-round";

/** Where an event landed on the chain: what a client can later ask an inclusion proof for. */
export interface AuditReceipt {
  /** The journal entry it was sealed from; null for events submitted straight to the sequencer (reads). */
  pendingId: number | null;
  seq: number;
  hash: string;
}

export interface SequencerOptions {
  /** Most events sealed per transaction (one multi-row insert, one delete). */
  batch?: number;
  /** How long a request waits for its events to be sealed before it is told AUDIT_UNAVAILABLE. */
  sealTimeoutMs?: number;
  /** How often the journal is swept for entries nobody kicked for (a crashed replica's, a CLI's). */
  sweepMs?: number;
  onError?: (error: unknown) => void;
}

/** The events were committed to the journal but not sealed in time (or the sequencer is stopping). */
export class SealTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SealTimeoutError";
  }
}

interface Waiter {
  resolve(receipt: AuditReceipt): void;
  reject(error: Error): void;
}

/** Events handed straight to the sequencer: they exist only in memory until their seal commits. */
interface Submission {
  /** Checked and in canonical form but the seq, before they wait: a round only numbers and hashes them. */
  events: PreparedAuditEvent[];
  resolve(receipts: AuditReceipt[]): void;
  reject(error: Error): void;
}


export class AuditSequencer {
  readonly #ds: DataSource;
  readonly #batch: number;
  readonly #sealTimeoutMs: number;
  readonly #sweepMs: number;
  readonly #onError: (error: unknown) => void;
  /** Computes each seal's new Merkle nodes (docs/audit-merkle.md); remembers the frontier between seals. */
  readonly #tree = new TreeAppender((error) => this.#onError(error));
  readonly #waiters = new Map<number, Waiter>();
  readonly #queue: Submission[] = [];
  #loop: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  #timer: NodeJS.Timeout | null = null;
  /** Ends a backoff pause early: a new request, or the sweep, asks for a retry now. */
  #wake: (() => void) | null = null;

  constructor(ds: DataSource, opts: SequencerOptions = {}) {
    this.#ds = ds;
    this.#batch = opts.batch ?? 5_000;
    this.#sealTimeoutMs = opts.sealTimeoutMs ?? 10_000;
    this.#sweepMs = opts.sweepMs ?? 1_000;
    this.#onError = opts.onError ?? (() => undefined);
    if (!Number.isSafeInteger(this.#batch) || this.#batch < 1) throw new TypeError("batch must be a positive integer");
  }

  /** How long a request waits for its seal (and how old a backlog may get before /readyz says no). */
  get sealTimeoutMs(): number {
    return this.#sealTimeoutMs;
  }

  /** Resolves once every journal entry in `pendingIds` is on the chain, with their receipts in order. */
  sealed(pendingIds: readonly number[]): Promise<AuditReceipt[]> {
    if (pendingIds.length === 0) return Promise.resolve([]);
    if (this.#stopped) return Promise.reject(new SealTimeoutError("the audit sequencer is stopped"));
    const receipts = pendingIds.map(
      (id) => new Promise<AuditReceipt>((resolve, reject) => this.#waiters.set(id, { resolve, reject })),
    );
    this.kick();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        for (const id of pendingIds) this.#waiters.delete(id);
        reject(new SealTimeoutError(`audit events not sealed within ${this.#sealTimeoutMs} ms`));
      }, this.#sealTimeoutMs);
    });
    return Promise.race([Promise.all(receipts), timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Seals `events` directly, grouped with every other submission and journal entry of the next round into
   * one transaction, and resolves with their receipts once that commits. For events that accompany no
   * write (reads, logins, denials): nothing else has to commit with them, so they need no journal entry
   * and no commit of their own. They are durable only when this resolves; if the seal fails it rejects at
   * once, and the caller must not hand out what the events recorded.
   */
  submit(events: readonly AuditEventContent[]): Promise<AuditReceipt[]> {
    if (events.length === 0) return Promise.resolve([]);
    if (this.#stopped) return Promise.reject(new SealTimeoutError("the audit sequencer is stopped"));
    let prepared: PreparedAuditEvent[];
    try {
      // A malformed event fails its own request here, never the round it would have shared.
      prepared = events.map(prepareEvent);
    } catch (error) {
      return Promise.reject(error);
    }
    let timer: NodeJS.Timeout | undefined;
    return new Promise<AuditReceipt[]>((resolve, reject) => {
      const submission: Submission = { events: prepared, resolve, reject };
      this.#queue.push(submission);
      timer = setTimeout(() => {
        // Still queued: withdrawn. Already in a round: that round may still seal it (an over-record).
        const i = this.#queue.indexOf(submission);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(new SealTimeoutError(`audit events not sealed within ${this.#sealTimeoutMs} ms`));
      }, this.#sealTimeoutMs);
      this.kick();
    }).finally(() => clearTimeout(timer));
  }

  /** Makes sure a sealing loop runs now; entries committed meanwhile are taken by its next round. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#loop) {
      this.#again = true;
      this.#wake?.();
      return;
    }
    this.#loop = this.#run().finally(() => {
      this.#loop = null;
    });
  }

  /** Seals until the journal is empty (tests, the CLI before it exits, benchmarks). */
  async drain(): Promise<void> {
    while ((await this.sealOnce()).length >= this.#batch || this.#queue.length > 0);
  }

  /**
   * Sweeps the journal every `sweepMs` (real time) for entries no request of this process kicked for,
   * and keeps monthly partitions of audit_event made three months ahead (checked hourly).
   */
  start(): void {
    if (this.#timer || this.#stopped) return;
    let partitionsCheckedAt = 0;
    this.#timer = setInterval(() => {
      this.kick();
      if (Date.now() - partitionsCheckedAt < 3_600_000) return;
      partitionsCheckedAt = Date.now();
      this.ensurePartitions().catch((error) => this.#onError(error));
    }, this.#sweepMs);
    this.#timer.unref();
  }

  /** Creates the monthly partitions of audit_event for this month and the next two (database time). */
  async ensurePartitions(): Promise<number> {
    const [row] = await this.#ds.query(`SELECT audit_event_ensure_partitions(now()::date, 3) AS made`);
    return Number(row.made);
  }

  /** Stops sweeping, finishes the round in progress, and fails whoever still waits. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#loop;
    for (const w of this.#waiters.values()) w.reject(new SealTimeoutError("the audit sequencer stopped"));
    this.#waiters.clear();
    for (const d of this.#queue.splice(0)) d.reject(new SealTimeoutError("the audit sequencer stopped"));
  }

  /**
   * One seal: under the chain lock, takes up to `batch` committed journal entries in id order, hashes
   * them onto the head, inserts them into audit_event and deletes them from the journal, all in one
   * transaction (so each entry is sealed exactly once, or not at all if anything fails).
   */
  async sealOnce(): Promise<AuditReceipt[]> {
    // Few round trips, because under load a round's fixed cost is what limits it: BEGIN and the lock in
    // one, journal and head in one, every insert and the journal delete in one, COMMIT. The lock comes
    // first, on its own: a statement's snapshot is taken when it starts, and the journal must be read after.
    // Submitted events are taken as late as possible, once the journal and head are read: requests that
    // were answered by the last round and came straight back join this one rather than wait for the next.
    let direct: Submission[] | null = null;
    const take = () => {
      direct = this.#takeSubmissions();
      return direct.flatMap((d) => d.events);
    };
    const runner = this.#ds.createQueryRunner();
    let receipts: AuditReceipt[];
    try {
      await runner.connect();
      await runner.query(`BEGIN; SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
      try {
        receipts = await sealRound(runner.manager, this.#batch, take, this.#tree);
        await runner.query(`COMMIT`);
      } catch (error) {
        await runner.query(`ROLLBACK`).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      // Submitted events exist nowhere else: their requests fail now (a read then returns no data), those of
      // this round and, if it failed before taking any, those it would have taken.
      for (const d of direct ?? this.#takeSubmissions()) d.reject(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      await runner.release();
    }
    const taken: Submission[] = direct ?? [];
    let at = receipts.length - taken.reduce((n, d) => n + d.events.length, 0);
    for (const r of receipts.slice(0, at)) this.#settle(r);
    for (const d of taken) {
      d.resolve(receipts.slice(at, at + d.events.length));
      at += d.events.length;
    }
    return receipts;
  }

  /** Up to one batch of submitted events, whole submissions only (at least one). */
  #takeSubmissions(): Submission[] {
    const taken: Submission[] = [];
    let events = 0;
    while (this.#queue.length > 0 && (taken.length === 0 || events + this.#queue[0].events.length <= this.#batch)) {
      const next = this.#queue.shift()!;
      taken.push(next);
      events += next.events.length;
    }
    return taken;
  }

  async #run(): Promise<void> {
    let failures = 0;
    do {
      this.#again = false;
      try {
        const receipts = await this.sealOnce();
        failures = 0;
        if (receipts.length >= this.#batch || this.#queue.length > 0) this.#again = true;
        else if (!this.#again && this.#waiters.size > 0) await this.#settleSealedElsewhere();
      } catch (error) {
        this.#onError(error);
        failures += 1;
        if (this.#waiters.size === 0 || this.#stopped) {
          if (this.#queue.length > 0 && !this.#stopped) {
            this.#again = true;
            continue;
          }
          return;
        }
        // Entries stay in the journal; retry with backoff while anyone waits (the sweep retries otherwise),
        // sooner if a new request or the sweep kicks.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(2_000, 25 * 2 ** failures));
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = null;
        this.#again = true;
      }
    } while (this.#again && !this.#stopped);
  }

  /**
   * Waiters whose entries were committed before the last round read the journal and yet were not in
   * it: another replica sealed them. Their receipts are read back from the chain.
   */
  async #settleSealedElsewhere(): Promise<void> {
    const ids = [...this.#waiters.keys()];
    const rows: Array<{ pending_id: string; seq: string; hash: string }> = await this.#ds.query(
      `SELECT pending_id::text AS pending_id, seq::text AS seq, encode(hash, 'hex') AS hash
       FROM audit_event WHERE pending_id = ANY($1::bigint[])`,
      [ids],
    );
    for (const r of rows) this.#settle({ pendingId: Number(r.pending_id), seq: Number(r.seq), hash: r.hash });
  }

  #settle(receipt: AuditReceipt): void {
    if (receipt.pendingId === null) return;
    const waiter = this.#waiters.get(receipt.pendingId);
    if (!waiter) return;
    this.#waiters.delete(receipt.pendingId);
    waiter.resolve(receipt);
  }
}
