// Runs checkChunk on worker threads, one pool per verification run. The worker must be compiled JavaScript:
// beside this file when running from dist/, else dist/src/audit/ when running from TypeScript source (vitest,
// after `npm run build`). With no usable compiled worker the same pure function runs on the calling thread.
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { checkChunk, type ChunkResult } from "./verify-rows";

export interface ChunkChecker {
  /** Worker threads in use; 0 when chunks are checked on the calling thread. */
  readonly parallelism: number;
  /** Chunks handed out and not yet answered. */
  readonly inFlight: number;
  /** Takes ownership of `chunk` (its memory is transferred to a worker). */
  check(chunk: Uint8Array): Promise<ChunkResult>;
  close(): Promise<void>;
}

export interface ChunkCheckerOptions {
  /** Worker threads; 0 checks on the calling thread. Default: one per available CPU, at most 8. */
  workers?: number;
  signed: ReadonlyMap<number, string>;
}

/**
 * The compiled worker entry, or null. From TypeScript source (vitest) this is dist/'s copy, built from the same
 * sources by `npm run build`, which `npm test` runs first: a source edited since the last build is not
 * picked up by the workers until the next build.
 */
export function resolveWorkerEntry(dir: string = __dirname): string | null {
  const beside = path.join(dir, "verify-worker.js");
  if (existsSync(beside)) return beside;
  const compiled = path.resolve(dir, "../../dist/src/audit/verify-worker.js");
  return existsSync(compiled) ? compiled : null;
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

export function createChunkChecker(opts: ChunkCheckerOptions): ChunkChecker {
  const wanted = opts.workers ?? defaultWorkerCount();
  const entry = wanted > 0 ? resolveWorkerEntry() : null;
  return entry ? new WorkerPool(entry, wanted, opts.signed) : new InlineChecker(opts.signed);
}

class InlineChecker implements ChunkChecker {
  readonly parallelism = 0;
  inFlight = 0;
  #queue: Promise<unknown> = Promise.resolve();
  constructor(private readonly signed: ReadonlyMap<number, string>) {}

  check(chunk: Uint8Array): Promise<ChunkResult> {
    this.inFlight += 1;
    // One at a time, each after a turn of the event loop, so socket reads interleave with checking.
    const run = this.#queue.then(
      () =>
        new Promise<ChunkResult>((resolve, reject) =>
          setImmediate(() => {
            this.inFlight -= 1;
            try {
              resolve(checkChunk(chunk, this.signed));
            } catch (error) {
              reject(error);
            }
          }),
        ),
    );
    this.#queue = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.#queue;
  }
}

interface Pending {
  resolve(r: ChunkResult): void;
  reject(e: unknown): void;
  worker: number;
}

class WorkerPool implements ChunkChecker {
  readonly parallelism: number;
  readonly #workers: Worker[];
  readonly #load: number[];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #failure: unknown = null;

  constructor(entry: string, count: number, signed: ReadonlyMap<number, string>) {
    this.parallelism = count;
    this.#load = new Array(count).fill(0);
    this.#workers = Array.from({ length: count }, (_, i) => {
      const w = new Worker(entry, { workerData: { signed: [...signed] } });
      w.on("message", (m: { id: number; result?: ChunkResult; error?: string }) => this.#settle(m));
      w.on("error", (error) => this.#fail(error));
      w.on("exit", (code) => {
        if (this.#load[i] > 0) this.#fail(new Error(`audit verify worker exited with code ${code}`));
      });
      return w;
    });
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  check(chunk: Uint8Array): Promise<ChunkResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    let worker = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i] < this.#load[worker]) worker = i;
    const id = this.#nextId++;
    this.#load[worker] += 1;
    return new Promise<ChunkResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker });
      const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer;
      this.#workers[worker].postMessage({ id, chunk }, whole ? [chunk.buffer as ArrayBuffer] : []);
    });
  }

  #settle(m: { id: number; result?: ChunkResult; error?: string }): void {
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    this.#load[p.worker] -= 1;
    if (m.result) p.resolve(m.result);
    else p.reject(new Error(m.error ?? "audit verify worker failed"));
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    this.#load.fill(0);
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
