// The sequencer: seals journal entries and submitted events onto the hash chain, a round per transaction,
// one sealer at a time across every replica (advisory lock); under a heavy load the next round is already
// hashed and waiting for the lock while one commits. Requests wait here for their receipts. Design,
// guarantees, pipelining and the commit-to-seal window: docs/audit-sequencer.md; the statements: seal-round.ts.
import type { DataSource } from "typeorm";
import type { PoolClient, QueryResult } from "pg";
import { AUDIT_CHAIN_LOCK } from "./append";
import { prepareEvent, type AuditEventContent, type ChainHead, type PreparedAuditEvent } from "./core";
import { TreeAppender } from "./merkle/node-store";
import { lockedRound, readJournal, speculativeRound } from "./seal-round";

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
  /** Arrival order: a submission put back after a round that did not apply keeps its place. */
  order: number;
  /** Answered (sealed, failed or timed out): never sealed again after a round that did not apply. */
  settled: boolean;
  resolve(receipts: AuditReceipt[]): void;
  reject(error: Error): void;
}

/** A round whose statement is sent and not yet answered: locked (its COMMIT pending) or speculative. */
interface Flight {
  /** Journal entries it seals, then its submitted events: its receipts in that order. */
  pendingIds: string[];
  receipts: AuditReceipt[];
  taken: Submission[];
  /** A locked round refuses its own submissions when it fails (#lockedRound); a speculative one is refused here. */
  speculative: boolean;
  /** The value of #epoch when it was sent: a round of an older epoch no longer decides the head. */
  epoch: number;
  startedAt: number;
  done: Promise<void>;
}

/**
 * Rounds in flight at most: one committing while the next waits on the chain lock with its statement
 * already in PostgreSQL, and Node hashing a third meanwhile (docs/audit-sequencer.md, "Pipelined rounds").
 */
const PIPELINE_DEPTH = 2;

/**
 * Below this many events waiting, with no round in flight, a locked round serves better: its two round trips
 * before it takes the submissions gather more of them, and when the process, not the database, is the
 * bottleneck (an API server busy with GraphQL and decryption), fewer and larger rounds cost less CPU than
 * overlapped smaller ones (bench/README.md, "fourth session").
 */
const PIPELINE_MIN_EVENTS = 128;

/** With a round in flight, the next goes out early only if it carries at least this many events. */
const FLIGHT_MIN_EVENTS = PIPELINE_MIN_EVENTS / 2;

/** How the sequencer's rounds went since it started (tests, benchmarks, operators' metrics). */
export interface SequencerRounds {
  /** Rounds that read the head under the lock. */
  locked: number;
  /** Rounds sent hashed onto the head the rounds before them leave (docs/audit-sequencer.md). */
  speculative: number;
  /** Speculative rounds that found another head and wrote nothing; their events went into later rounds. */
  notApplied: number;
  /** Rounds that failed (their submitted events refused). */
  failed: number;
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
  readonly #flights: Flight[] = [];
  /** The head the last round sent leaves, if it applies; null: the next round reads it under the lock. */
  #head: ChainHead | null = null;
  /** Bumped whenever #head is set from the database or given up. */
  #epoch = 0;
  #arrivals = 0;
  readonly #rounds: SequencerRounds = { locked: 0, speculative: 0, notApplied: 0, failed: 0 };
  /** The journal may hold entries nobody here waits for (the sweep, a round that did not apply, a full batch). */
  #journalDue = true;
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

  /** Counts of the rounds run so far, by kind. */
  get rounds(): Readonly<SequencerRounds> {
    return { ...this.#rounds };
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
    this.#wakeLoop();
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
      const submission: Submission = {
        events: prepared,
        order: this.#arrivals++,
        settled: false,
        resolve(receipts) {
          submission.settled = true;
          resolve(receipts);
        },
        reject(error) {
          submission.settled = true;
          reject(error);
        },
      };
      this.#queue.push(submission);
      timer = setTimeout(() => {
        // Still queued: withdrawn. Already in a round: that round may still seal it (an over-record).
        const i = this.#queue.indexOf(submission);
        if (i >= 0) this.#queue.splice(i, 1);
        submission.reject(new SealTimeoutError(`audit events not sealed within ${this.#sealTimeoutMs} ms`));
      }, this.#sealTimeoutMs);
      this.#wakeLoop();
    }).finally(() => clearTimeout(timer));
  }

  /** Makes sure a sealing loop runs now and reads the journal; entries committed meanwhile go into its next round. */
  kick(): void {
    this.#journalDue = true;
    this.#wakeLoop();
  }

  #wakeLoop(): void {
    if (this.#stopped) return;
    if (this.#loop) {
      this.#again = true;
      this.#wake?.();
      return;
    }
    this.#loop = this.#run().finally(() => {
      this.#loop = null;
      // A request that came between the loop's last look and its end must not wait for the sweep.
      if (this.#again) this.#wakeLoop();
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
   * One locked seal: under the chain lock, takes up to `batch` committed journal entries in id order, hashes
   * them onto the head, inserts them into audit_event and deletes them from the journal, all in one
   * transaction (so each entry is sealed exactly once, or not at all if anything fails). Rounds of the
   * sealing loop in flight meanwhile are not waited for; the loop reads the head again after this.
   */
  async sealOnce(): Promise<AuditReceipt[]> {
    this.#forgetHead();
    const round = await this.#lockedRound(false);
    try {
      await round.commit;
    } finally {
      this.#forgetHead();
    }
    this.#deliver(round.receipts, round.taken, round.startedAt);
    return round.receipts;
  }

  /** Rounds about to be hashed onto #head must not be: it is read again, under the lock. */
  #forgetHead(): void {
    this.#head = null;
    this.#epoch += 1;
  }

  /**
   * A locked round up to the point where its events are hashed: BEGIN and the lock in one round trip,
   * journal and head in one, then the submissions are taken (as late as possible: requests answered by the
   * last round that came straight back join this one) and hashed. `commit` then runs its one statement and
   * COMMIT. The lock comes first, on its own: a statement's snapshot is taken when it starts, and the
   * journal must be read after. With `split`, when enough waits, it takes about half of the submissions,
   * and the loop sends the rest at once, hashed onto the head this round leaves ("Pipelined rounds").
   * Submitted events exist nowhere else: if the round fails, their requests fail now (a read then returns
   * no data), those it took and, if it failed before taking any, those it would have taken.
   */
  async #lockedRound(split: boolean): Promise<{ receipts: AuditReceipt[]; pendingIds: string[]; to: ChainHead; taken: Submission[]; startedAt: number; commit: Promise<void> }> {
    let direct: Submission[] | null = null;
    const take = () => {
      const queued = this.#queue.reduce((n, d) => n + d.events.length, 0);
      const half = split && this.#queue.length > 1 && queued >= PIPELINE_MIN_EVENTS;
      direct = this.#takeSubmissions(half ? Math.min(this.#batch, Math.ceil(queued / 2)) : this.#batch);
      return direct.flatMap((d) => d.events);
    };
    const refuse = (error: unknown) => {
      this.#rounds.failed += 1;
      for (const d of direct ?? this.#takeSubmissions(this.#batch)) d.reject(error instanceof Error ? error : new Error(String(error)));
    };
    const startedAt = performance.now();
    const runner = this.#ds.createQueryRunner();
    let round: Awaited<ReturnType<typeof lockedRound>>;
    try {
      await runner.connect();
      await runner.query(`BEGIN; SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
      round = await lockedRound(runner.manager, this.#batch, take, this.#tree);
    } catch (error) {
      refuse(error);
      await runner.query(`ROLLBACK`).catch(() => undefined);
      await runner.release();
      throw error;
    }
    const commit = (async () => {
      try {
        await round.write();
        await runner.query(`COMMIT`);
        this.#rounds.locked += 1;
      } catch (error) {
        refuse(error);
        await runner.query(`ROLLBACK`).catch(() => undefined);
        throw error;
      } finally {
        await runner.release();
      }
    })();
    return { receipts: round.receipts, pendingIds: round.pendingIds, to: round.to, taken: direct ?? [], startedAt, commit };
  }

  /** Hands a sealed round's receipts to whoever waits: journal entries first, then the submissions in order. */
  #deliver(receipts: readonly AuditReceipt[], taken: readonly Submission[], startedAt: number): void {
    let at = receipts.length - taken.reduce((n, d) => n + d.events.length, 0);
    for (const r of receipts.slice(0, at)) this.#settle(r);
    for (const d of taken) {
      d.resolve(receipts.slice(at, at + d.events.length));
      at += d.events.length;
    }
    if (receipts.length > 0) this.roundSealed(receipts.length, performance.now() - startedAt);
  }

  /** Called after every round that sealed something, with its size and how long it took (benchmarks). */
  protected roundSealed(_events: number, _ms: number): void {}

  /** Whole submissions, at least one, up to `limit` events. */
  #takeSubmissions(limit: number): Submission[] {
    const taken: Submission[] = [];
    let events = 0;
    while (this.#queue.length > 0 && (taken.length === 0 || events + this.#queue[0].events.length <= limit)) {
      const next = this.#queue.shift()!;
      taken.push(next);
      events += next.events.length;
    }
    return taken;
  }

  /** Submissions of a round that did not apply go back, in their places, unless they were answered meanwhile. */
  #requeue(taken: readonly Submission[]): void {
    const back = taken.filter((d) => !d.settled);
    if (back.length === 0) return;
    this.#queue.push(...back);
    this.#queue.sort((x, y) => x.order - y.order);
  }

  async #run(): Promise<void> {
    let failures = 0;
    try {
      while (!this.#stopped) {
        this.#again = false;
        // Nothing in flight and nothing to seal: done until a request, a write's wait or the sweep kicks.
        if (this.#flights.length === 0 && this.#queue.length === 0 && this.#waiters.size === 0 && !this.#journalDue) return;
        if (this.#flights.length >= PIPELINE_DEPTH || (this.#flights.length > 0 && !this.#worthAnotherFlight())) {
          await this.#flightOrWake();
          continue;
        }
        let sent: boolean;
        try {
          // Rounds in flight know the head they leave; with none, a locked round reads it (and gathers more).
          sent = this.#head === null || this.#flights.length === 0 ? await this.#sendLocked() : await this.#sendSpeculative();
          failures = 0;
        } catch (error) {
          this.#onError(error);
          this.#forgetHead();
          failures += 1;
          if (this.#waiters.size === 0 || this.#stopped) {
            if (this.#queue.length > 0 && !this.#stopped) continue;
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
          continue;
        }
        if (sent || this.#again) continue;
        if (this.#flights.length > 0) {
          await this.#flightOrWake();
          continue;
        }
        if (this.#waiters.size > 0) await this.#settleSealedElsewhere();
        if (!this.#again) return;
      }
    } finally {
      while (this.#flights.length > 0) await this.#flights[0].done;
    }
  }

  /** Until the oldest round in flight is answered, or a request or the sweep asks for a round. */
  async #flightOrWake(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      void this.#flights[0]?.done.then(resolve);
    });
    this.#wake = null;
  }

  /**
   * With a round in flight, whether to send the next one now rather than when it is answered: once it would
   * carry at least half as many events, and not too few. Under a steady load rounds then alternate in two
   * cohorts, one committing while the other is hashed; a trickle waits and joins the round after.
   */
  #worthAnotherFlight(): boolean {
    if (this.#head === null) return false;
    if (this.#journalDue) return true;
    const carried = new Set(this.#flights.flatMap((f) => f.pendingIds.map(Number)));
    const waiting = this.#waitingEvents(carried);
    return waiting >= FLIGHT_MIN_EVENTS && waiting * 2 >= this.#flights[0].receipts.length;
  }

  /** Submitted events queued, and journal entries waited for that no round in flight carries. */
  #waitingEvents(carried: ReadonlySet<number>): number {
    let waiting = this.#queue.reduce((n, d) => n + d.events.length, 0);
    for (const id of this.#waiters.keys()) if (!carried.has(id)) waiting += 1;
    return waiting;
  }

  /**
   * A locked round, once the rounds in flight are answered; it goes into flight once hashed, so that a
   * speculative round can follow on the head it leaves. True if it seals anything.
   */
  async #sendLocked(): Promise<boolean> {
    while (this.#flights.length > 0) await this.#flights[0].done;
    this.#journalDue = false;
    const round = await this.#lockedRound(true);
    this.#head = round.to;
    this.#epoch += 1;
    if (round.pendingIds.length >= this.#batch) this.#journalDue = true;
    if (round.receipts.length === 0) {
      await round.commit;
      return false;
    }
    const flight = { pendingIds: round.pendingIds, receipts: round.receipts, taken: round.taken, speculative: false, epoch: this.#epoch, startedAt: round.startedAt };
    this.#fly(flight, round.commit);
    return true;
  }

  /**
   * Hashes the next round onto the head the rounds in flight will leave and sends it, with no wait for them
   * (docs/audit-sequencer.md, "Pipelined rounds").
   */
  async #sendSpeculative(): Promise<boolean> {
    const withJournal = this.#journalDue || this.#waiters.size > 0;
    this.#journalDue = false;
    const runner = this.#ds.createQueryRunner();
    let flying = false;
    try {
      const client: PoolClient = await runner.connect();
      const exclude = this.#flights.flatMap((f) => f.pendingIds);
      const rows = withJournal ? await readJournal(runner.manager, this.#batch, exclude) : [];
      if (rows.length >= this.#batch) this.#journalDue = true;
      const head = this.#head;
      if (head === null) {
        if (rows.length > 0) this.#journalDue = true;
        return true; // given up while the journal was read: the loop goes on with a locked round
      }
      const taken = this.#takeSubmissions(this.#batch);
      if (rows.length === 0 && taken.length === 0) return false;
      const round = speculativeRound(head, rows, taken.flatMap((d) => d.events), (hashes) => this.#tree.nodesFromCache(head, hashes));
      if (round === null) {
        // The tree's remembered frontier is not at this head: a locked round reads it back.
        this.#requeue(taken);
        if (rows.length > 0) this.#journalDue = true;
        this.#forgetHead();
        return true;
      }
      this.#head = round.to;
      this.#rounds.speculative += 1;
      const flight = { pendingIds: round.pendingIds, receipts: round.receipts, taken, speculative: true, epoch: this.#epoch, startedAt: performance.now() };
      const sent = client.query(round.sql) as unknown as Promise<QueryResult[]>;
      this.#fly(flight, sent.then((results) => this.#applied(flight, results)), () => runner.release());
      flying = true;
      return true;
    } finally {
      if (!flying) await runner.release();
    }
  }

  /** Tracks a round sent: on success its receipts are delivered, on failure its events refused. */
  #fly(flight: Omit<Flight, "done">, outcome: Promise<boolean | void>, release?: () => Promise<void> | void): void {
    const f: Flight = { ...flight, done: Promise.resolve() };
    f.done = outcome
      .then(
        (applied) => {
          if (applied === false) this.#notApplied(f);
          else this.#deliver(f.receipts, f.taken, f.startedAt);
        },
        (error) => this.#crashed(f, error),
      )
      .catch((error) => this.#onError(error))
      .finally(() => {
        this.#flights.splice(this.#flights.indexOf(f), 1);
        return release?.();
      });
    this.#flights.push(f);
  }

  /** Whether a speculative round's statement wrote its events (every part of it is guarded by one check). */
  #applied(flight: Omit<Flight, "done">, results: QueryResult[]): boolean {
    const inserted = Number(results[results.length - 1]?.rows[0]?.inserted ?? -1);
    if (inserted === flight.receipts.length) return true;
    if (inserted === 0) return false;
    throw new Error(`audit seal round wrote ${inserted} of ${flight.receipts.length} events`);
  }

  /**
   * A speculative round that wrote nothing: another replica, a drain, or a round before it that failed, moved
   * the head. Its events go into a later round.
   */
  #notApplied(flight: Flight): void {
    this.#rounds.notApplied += 1;
    this.#requeue(flight.taken);
    if (flight.pendingIds.length > 0) this.#journalDue = true;
    if (flight.epoch === this.#epoch) this.#forgetHead();
    this.#again = true;
  }

  /** A round failed: its submitted events are refused (fail-closed), its journal entries stay. */
  #crashed(flight: Flight, error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (flight.speculative) {
      this.#rounds.failed += 1;
      for (const d of flight.taken) d.reject(failure);
    }
    this.#onError(failure);
    if (flight.pendingIds.length > 0) this.#journalDue = true;
    if (flight.epoch === this.#epoch) this.#forgetHead();
    this.#again = true;
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
