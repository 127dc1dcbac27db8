// The sequencer: seals committed journal entries onto the hash chain, a batch per transaction, one sealer
// at a time across every replica (advisory lock). Requests wait here for the receipt of their events.
// Design, guarantees and the commit-to-seal window: docs/audit-sequencer.md.
import type { DataSource, EntityManager } from "typeorm";
import { AUDIT_CHAIN_LOCK } from "./append";
import { GENESIS_HEAD, sealEvents, type AuditEventContent } from "./core";
import { CONTENT_COLUMNS } from "./journal";
import { INSERT_NODES_SQL, TreeAppender } from "./merkle/node-store";

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
  events: AuditEventContent[];
  resolve(receipts: AuditReceipt[]): void;
  reject(error: Error): void;
}

interface PendingRow {
  id: string;
  occurred_at: Date;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  fields: string[];
  outcome: string;
  request_id: string | null;
  operation: string | null;
  client_address: string | null;
  purpose: string | null;
  details: AuditEventContent["details"];
}

const COPY_COLUMNS = CONTENT_COLUMNS.map((c) => `p.${c}`).join(", ");

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
    let timer: NodeJS.Timeout | undefined;
    return new Promise<AuditReceipt[]>((resolve, reject) => {
      const submission: Submission = { events: [...events], resolve, reject };
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
    const direct = this.#takeSubmissions();
    const runner = this.#ds.createQueryRunner();
    let receipts: AuditReceipt[];
    try {
      await runner.connect();
      await runner.query(`BEGIN; SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
      try {
        receipts = await this.#seal(runner.manager, direct.flatMap((d) => d.events));
        await runner.query(`COMMIT`);
      } catch (error) {
        await runner.query(`ROLLBACK`).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      // Submitted events exist nowhere else: their requests fail now (a read then returns no data).
      for (const d of direct) d.reject(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      await runner.release();
    }
    let at = receipts.length - direct.reduce((n, d) => n + d.events.length, 0);
    for (const r of receipts.slice(0, at)) this.#settle(r);
    for (const d of direct) {
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

  /** The seal itself, inside the transaction that holds the chain lock: journal entries first, then `direct`. */
  async #seal(em: EntityManager, direct: readonly AuditEventContent[]): Promise<AuditReceipt[]> {
    // One row at least (the head), with the journal's columns null when it is empty.
    const result: Array<PendingRow & { id: string | null; head_seq: string | null; head_hash: string | null }> = await em.query(
      `WITH head AS (SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1),
            journal AS (SELECT * FROM audit_pending ORDER BY id LIMIT $1)
       SELECT p.id::text AS id, ${CONTENT_COLUMNS.map((c) => `p.${c}`).join(", ")},
              h.seq::text AS head_seq, encode(h.hash, 'hex') AS head_hash
       FROM (SELECT 1) one LEFT JOIN head h ON true LEFT JOIN journal p ON true
       ORDER BY p.id`,
      [this.#batch],
    );
    const rows = result.filter((r) => r.id !== null);
    if (rows.length === 0 && direct.length === 0) return [];
    const head = result[0].head_seq === null ? GENESIS_HEAD : { seq: Number(result[0].head_seq), hash: result[0].head_hash! };
    const sealed = sealEvents(head, [...rows.map(toContent), ...direct]);
    const ids = rows.map((r) => r.id!);
    const fromJournal = sealed.slice(0, rows.length);
    const submitted = sealed.slice(rows.length);
    // The Merkle tree grows in the same statement: it always has exactly as many leaves as the chain.
    const nodes = await this.#tree.nodesFor(em, head, sealed.map((e) => e.hash));
    // The journal's delete guard (an AFTER STATEMENT trigger) sees the rows this same statement inserted.
    await em.query(
      `WITH moved AS (
         INSERT INTO audit_event (seq, prev_hash, hash, pending_id, ${CONTENT_COLUMNS.join(", ")})
         SELECT s.seq, decode(s.prev_hash, 'hex'), decode(s.hash, 'hex'), p.id, ${COPY_COLUMNS}
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS s(pending_id, seq, prev_hash, hash)
         JOIN audit_pending p ON p.id = s.pending_id
         ORDER BY s.seq
         RETURNING pending_id),
       direct AS (
         INSERT INTO audit_event (seq, prev_hash, hash, ${CONTENT_COLUMNS.join(", ")})
         SELECT d.seq, decode(d.prev_hash, 'hex'), decode(d.hash, 'hex'), d.occurred_at, d.actor_id, d.actor_role,
                d.action, d.resource_type, d.resource_id, ARRAY(SELECT jsonb_array_elements_text(d.fields)), d.outcome,
                d.request_id, d.operation, d.client_address, d.purpose, d.details
         FROM unnest($8::bigint[], $9::text[], $10::text[], $11::timestamptz[], $12::uuid[], $13::text[], $14::text[],
                     $15::text[], $16::text[], $17::jsonb[], $18::text[], $19::text[], $20::text[], $21::text[],
                     $22::text[], $23::jsonb[])
              AS d(seq, prev_hash, hash, occurred_at, actor_id, actor_role, action, resource_type, resource_id, fields,
                   outcome, request_id, operation, client_address, purpose, details)
         ORDER BY d.seq
         RETURNING 1),
       tree AS (${INSERT_NODES_SQL("$5", "$6", "$7")})
       DELETE FROM audit_pending WHERE id IN (SELECT pending_id FROM moved)`,
      [
        ids,
        fromJournal.map((e) => e.seq),
        fromJournal.map((e) => e.prevHash),
        fromJournal.map((e) => e.hash),
        nodes.levels,
        nodes.idxs,
        nodes.hashes,
        submitted.map((e) => e.seq),
        submitted.map((e) => e.prevHash),
        submitted.map((e) => e.hash),
        submitted.map((e) => e.occurredAt),
        submitted.map((e) => e.actorId),
        submitted.map((e) => e.actorRole),
        submitted.map((e) => e.action),
        submitted.map((e) => e.resourceType),
        submitted.map((e) => e.resourceId),
        submitted.map((e) => JSON.stringify(e.fields)),
        submitted.map((e) => e.outcome),
        submitted.map((e) => e.requestId),
        submitted.map((e) => e.operation),
        submitted.map((e) => e.clientAddress),
        submitted.map((e) => e.purpose),
        submitted.map((e) => JSON.stringify(e.details)),
      ],
    );
    return sealed.map((e, i) => ({ pendingId: i < ids.length ? Number(ids[i]) : null, seq: e.seq, hash: e.hash }));
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

function toContent(r: PendingRow): AuditEventContent {
  return {
    occurredAt: r.occurred_at.toISOString(),
    actorId: r.actor_id,
    actorRole: r.actor_role,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    fields: r.fields,
    outcome: r.outcome,
    requestId: r.request_id,
    operation: r.operation,
    clientAddress: r.client_address,
    purpose: r.purpose,
    details: r.details,
  };
}
