// A background loop for the schedulers: runs `run` every `intervalMs` (real time; decisions inside use the
// injected clock), one run at a time, the next one scheduled only after the previous ended, and a stop that
// waits for the run in progress (its transactions need the pool).
export class PeriodicRun {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts the loop; an interval of 0 or less leaves it off. */
  start(): void {
    if (this.intervalMs <= 0 || this.#timer || this.#stopped) return;
    const tick = () => {
      this.#running = this.run()
        .catch(this.onError)
        .finally(() => {
          this.#running = null;
          if (!this.#stopped) this.#timer = setTimeout(tick, this.intervalMs).unref();
        });
    };
    this.#timer = setTimeout(tick, this.intervalMs).unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
