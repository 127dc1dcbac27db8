// Seals signed checkpoints of the chain head: when enough events or enough time have gone by, one replica
// at a time (advisory lock) verifies what was appended since the last checkpoint, signs the head, stores it
// in audit_checkpoint and copies it to the outside sink.
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import { signCheckpoint, verifyCheckpoint, type CheckpointSigningKey, type SignedCheckpoint } from "./checkpoint-jws";
import type { CheckpointSink } from "./checkpoint-sink";
import { AUDIT_CHECKPOINT_LOCK, insertCheckpoint, latestStoredCheckpoint, listStoredCheckpoints, streamEvents } from "./checkpoint-store";
import { readChainHead } from "./append";
import { ChainVerifier, GENESIS_HEAD, describeBreak } from "./core";
import { eventLeafHash } from "./merkle";
import { storedRootIfComplete, treeAt } from "./merkle/node-store";

export interface CheckpointPolicy {
  /** Seal once this many events were appended since the last checkpoint. */
  everyEvents: number;
  /** Seal once this long has passed since the last checkpoint (or since start), if anything is new. */
  everyMs: number;
}

export const DEFAULT_CHECKPOINT_POLICY: Readonly<CheckpointPolicy> = Object.freeze({ everyEvents: 1_000, everyMs: 60_000 });

/** Sealing refused because the events since the last checkpoint do not verify: never sign a broken head. */
export class CheckpointRefusedError extends Error {
  constructor(readonly seq: number, detail: string) {
    super(`checkpoint refused: ${detail}`);
    this.name = "CheckpointRefusedError";
  }
}

export interface CheckpointerDeps {
  ds: DataSource;
  key: CheckpointSigningKey;
  sink: CheckpointSink;
  clock: Clock;
  policy?: CheckpointPolicy;
  /** Errors of timer-driven runs (a sink that is down, a refused seal); the timer keeps going. */
  onError?: (error: unknown) => void;
  onSealed?: (checkpoint: SignedCheckpoint) => void;
}

export class Checkpointer {
  readonly #deps: CheckpointerDeps;
  readonly #policy: CheckpointPolicy;
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;

  constructor(deps: CheckpointerDeps) {
    this.#deps = deps;
    this.#policy = deps.policy ?? DEFAULT_CHECKPOINT_POLICY;
    if (!Number.isSafeInteger(this.#policy.everyEvents) || this.#policy.everyEvents < 1) throw new TypeError("policy.everyEvents must be a positive integer");
    if (!Number.isSafeInteger(this.#policy.everyMs) || this.#policy.everyMs < 1) throw new TypeError("policy.everyMs must be a positive integer");
    this.#startedAt = deps.clock.now().getTime();
  }

  /**
   * Seals a checkpoint if one is due (or, with `force`, whenever anything was appended since the last
   * one) and returns it; null when nothing was sealed. First copies to the sink any database checkpoint
   * the sink still lacks (a previous sink write that failed after commit).
   */
  async checkpointNow(opts: { force?: boolean } = {}): Promise<SignedCheckpoint | null> {
    await this.publishPending();
    const { ds, key, clock } = this.#deps;
    const sealed = await ds.transaction("READ COMMITTED", async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock($1)`, [AUDIT_CHECKPOINT_LOCK]);
      const last = await latestStoredCheckpoint(em);
      const head = await readChainHead(em);
      const lastSeq = last?.seq ?? 0;
      if (head.seq <= lastSeq) return null; // idempotent: nothing new
      const now = clock.now();
      const since = last ? new Date(last.issuedAt).getTime() : this.#startedAt;
      const due = opts.force || head.seq - lastSeq >= this.#policy.everyEvents || now.getTime() - since >= this.#policy.everyMs;
      if (!due) return null;
      // Everything appended since the last signed head must verify before we sign a new one.
      const verifier = new ChainVerifier(last ? { seq: last.seq, hash: last.headHash } : GENESIS_HEAD);
      // The Merkle root is recomputed from the same events, starting at the last checkpoint's stored
      // frontier (which must give the root that checkpoint signed): O(new events), no rebuild.
      const tree = await treeAt(em, lastSeq);
      const lastRoot = last ? signedRootOf(last.jws) : null;
      if (lastRoot !== null && tree.root().toString("hex") !== lastRoot) {
        throw new CheckpointRefusedError(lastSeq, "the stored Merkle tree does not give the last checkpoint's root");
      }
      for await (const e of streamEvents(em, lastSeq, head.seq)) {
        const b = verifier.push(e);
        if (b) throw new CheckpointRefusedError(b.seq, describeBreak(b));
        tree.push(eventLeafHash(e.hash));
      }
      if (verifier.head.seq !== head.seq || verifier.head.hash !== head.hash) {
        throw new CheckpointRefusedError(verifier.head.seq + 1, "the head moved or rows are missing");
      }
      const rootHash = tree.root().toString("hex");
      // Stored nodes that contradict the chain are refused; nodes not stored yet (events inserted without the
      // sequencer, whose next seal catches up) are not a contradiction.
      const stored = await storedRootIfComplete(em, head.seq);
      if (stored !== null && stored.toString("hex") !== rootHash) {
        throw new CheckpointRefusedError(head.seq, "the stored Merkle tree does not match the chain");
      }
      const checkpoint = await signCheckpoint(key, head, now, rootHash);
      await insertCheckpoint(em, checkpoint);
      return checkpoint;
    });
    if (sealed) {
      // After commit: a sink copy of a checkpoint the database never committed would read as tampering.
      await this.#deps.sink.write(sealed);
      this.#deps.onSealed?.(sealed);
    }
    return sealed;
  }

  /** Writes to the sink every database checkpoint newer than the sink's latest; returns how many. */
  async publishPending(): Promise<number> {
    const latest = await this.#deps.sink.latest();
    const pending = await listStoredCheckpoints(this.#deps.ds, latest?.seq ?? 0);
    for (const cp of pending) {
      // Only what our key signed goes outside: a row forged into the table must not gain an outside copy.
      await verifyCheckpoint(cp.jws, [this.#deps.key]).catch(() => {
        throw new CheckpointRefusedError(cp.seq, `audit_checkpoint row ${cp.seq} does not verify`);
      });
      await this.#deps.sink.write({ v: 1, ...cp });
    }
    return pending.length;
  }

  /** Checks every `tickMs` (real time) whether a checkpoint is due; decisions use the injected clock. */
  start(tickMs = Math.min(this.#policy.everyMs, 5_000)): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#running) return; // one run at a time per process
      this.#running = this.checkpointNow()
        .catch((error) => this.#deps.onError?.(error))
        .finally(() => {
          this.#running = null;
        });
    }, tickMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in progress, so the database can be closed after it. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}

/**
 * The Merkle root a stored checkpoint's payload names (null for a v1 checkpoint). Read without checking the
 * signature, like the row's head_hash column beside it: this is only where sealing resumes from, and
 * verification checks every checkpoint's signature.
 */
function signedRootOf(jws: string): string | null {
  try {
    const payload = JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString("utf8"));
    return payload?.v === 2 && typeof payload.rootHash === "string" ? payload.rootHash : null;
  } catch {
    return null;
  }
}
