/**
 * The event-driven sync loop (STYLE.md rule 5, Contour's holdoff): relevant changes are coalesced for
 * `holdoffMs` after the last one, but never delayed more than `maxDelayMs` after the first, so continuous
 * churn still converges. Nothing runs before every watcher has synced (an empty or partial config would
 * blank Kong), and then a first cycle runs even if no event ever comes (incident a). One cycle at a time;
 * changes that arrive during a cycle cause exactly one more.
 */
import type { Logger } from "pino";
import type { Clock } from "../util/clock.ts";

export interface SyncLoopOptions {
  readonly clock: Clock;
  readonly holdoffMs: number;
  readonly maxDelayMs: number;
  /** One cycle: snapshot, translate, hand to the sender and the status writer. Errors are logged, never fatal. */
  readonly cycle: (signal: AbortSignal) => Promise<void>;
  readonly logger: Logger;
}

export class SyncLoop {
  readonly #options: SyncLoopOptions;
  #synced = false;
  #firstChangeAt: number | undefined;
  #lastChangeAt = 0;
  #wake: (() => void) | undefined;
  #cycles = 0;

  constructor(options: SyncLoopOptions) {
    this.#options = options;
  }

  /** Number of cycles run so far. */
  get cycles(): number {
    return this.#cycles;
  }

  /** Something relevant changed. Cheap; call it from every store change. */
  notify(): void {
    const now = this.#options.clock.now();
    this.#firstChangeAt ??= now;
    this.#lastChangeAt = now;
    this.#wake?.();
  }

  /** Every watcher finished its initial list: the first cycle may run. */
  markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    // The first cycle is owed even when no change will ever arrive (an empty cluster).
    this.#firstChangeAt ??= this.#options.clock.now();
    this.#lastChangeAt = this.#firstChangeAt - this.#options.holdoffMs;
    this.#wake?.();
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.#synced || this.#firstChangeAt === undefined) {
        await this.#sleepUntilWoken(signal);
        continue;
      }
      const due = this.#dueAt();
      const now = this.#options.clock.now();
      if (due > now) {
        await this.#options.clock.sleep(due - now, signal).catch(() => undefined);
        continue;
      }
      this.#firstChangeAt = undefined;
      await this.#runCycle(signal);
    }
  }

  #dueAt(): number {
    const first = this.#firstChangeAt ?? 0;
    return Math.min(this.#lastChangeAt + this.#options.holdoffMs, first + this.#options.maxDelayMs);
  }

  async #runCycle(signal: AbortSignal): Promise<void> {
    this.#cycles++;
    try {
      await this.#options.cycle(signal);
    } catch (err) {
      this.#options.logger.error({ err }, "Sync cycle failed");
    }
  }

  #sleepUntilWoken(signal: AbortSignal): Promise<void> {
    return new Promise(resolve => {
      const done = (): void => {
        this.#wake = undefined;
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#wake = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
