// Load for the append benchmark: request-like audit events, closed-loop writers for a fixed time, latency
// percentiles, and a sequencer that records its rounds (batch size, duration) without changing its code.
import { randomUUID } from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import type { AuditEventContent } from "../../src/audit/core";
import { AuditSequencer } from "../../src/audit/sequencer";

const FIELDS = ["customer.fullName", "customer.nationalId", "customer.phone", "customer.email", "case.summary"];

/** The events of one request: a case read with its customer's PII, then related reads. */
export function requestEvents(n: number): AuditEventContent[] {
  const requestId = randomUUID();
  const actorId = randomUUID();
  const at = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => ({
    occurredAt: at,
    actorId,
    actorRole: "AGENT",
    action: i === 0 ? "case.read" : "customer.read",
    resourceType: i === 0 ? "case" : "customer",
    resourceId: randomUUID(),
    fields: i === 0 ? ["case.summary", "case.status"] : FIELDS,
    outcome: "SUCCESS",
    requestId,
    operation: "CaseById",
    clientAddress: "10.20.30.40",
    purpose: "CASE_HANDLING",
    details: { businessLine: "PERSONAL_BANKING", index: i },
  }));
}

export interface LoadResult {
  events: number;
  seconds: number;
  /** Start of the transaction to the moment the events are on the chain (the request could answer). */
  endToEnd: number[];
  /** Journal commit to receipt (Custos only; the baseline seals inside its own insert). */
  sealLag: number[];
}

/**
 * `writers` closed loops for `seconds`: each runs `txn` (one transaction, one request's events), then
 * `afterCommit` (waiting for the seal), and starts again. Counts events whose seal was confirmed.
 */
export async function runWriters(
  ds: DataSource,
  writers: number,
  seconds: number,
  perTxn: number,
  txn: (em: EntityManager, events: AuditEventContent[]) => Promise<number[] | void>,
  afterCommit?: (ids: number[]) => Promise<unknown>,
): Promise<LoadResult> {
  const result: LoadResult = { events: 0, seconds: 0, endToEnd: [], sealLag: [] };
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        const events = requestEvents(perTxn);
        const s = performance.now();
        const ids = await ds.transaction("READ COMMITTED", (em) => txn(em, events));
        const committed = performance.now();
        if (afterCommit && ids) {
          await afterCommit(ids);
          result.sealLag.push(performance.now() - committed);
        }
        result.endToEnd.push(performance.now() - s);
        result.events += events.length;
      }
    }),
  );
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/**
 * `writers` closed loops for `seconds`, each handing one request's events straight to the sequencer and
 * waiting for their receipts: what a read (or a login, a refusal) does after its READ ONLY transaction.
 */
export async function runSubmitters(sequencer: AuditSequencer, writers: number, seconds: number, perRequest: number): Promise<LoadResult> {
  const result: LoadResult = { events: 0, seconds: 0, endToEnd: [], sealLag: [] };
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        const events = requestEvents(perRequest);
        const s = performance.now();
        await sequencer.submit(events);
        const lag = performance.now() - s;
        result.sealLag.push(lag);
        result.endToEnd.push(lag);
        result.events += events.length;
      }
    }),
  );
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface SealRound {
  events: number;
  ms: number;
}

/** The real sequencer, recording every round it seals (size and time) through its own hook. */
export class RecordingSequencer extends AuditSequencer {
  #recorded: SealRound[] = [];

  protected override roundSealed(events: number, ms: number): void {
    this.#recorded.push({ events, ms });
  }

  takeRounds(): SealRound[] {
    const r = this.#recorded;
    this.#recorded = [];
    return r;
  }
}
