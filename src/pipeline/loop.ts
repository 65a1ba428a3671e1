/**
 * The event-driven sync loop (STYLE.md rule 5): a lone change is rebuilt at once, bursts are coalesced.
 *
 * - Leading edge. A change is *quiet* when no change is already waiting, no cycle is running, and the last
 *   cycle ended at least `holdoffMs` before it. A quiet change runs a cycle at once: a user's
 *   `kubectl apply` after seconds of calm costs no holdoff.
 * - Coalescing. Any other change joins the waiting batch, which runs `holdoffMs` after its last change but
 *   never later than `maxDelayMs` after its first (Contour's holdoff), so continuous churn still converges
 *   and runs at most one cycle per `maxDelayMs`. A burst thus costs two cycles: its first change at the
 *   leading edge, the rest once the burst has been quiet for `holdoffMs`.
 * - One cycle at a time; changes that arrive during a cycle are never quiet and cause exactly one more.
 * - Nothing runs before every watcher has synced (an empty or partial config would blank Kong); changes
 *   before then are carried by the first cycle, which runs at once on sync even if no event ever comes
 *   (incident a).
 *
 * Each cycle is told when the store reported the first change it carries, so the push that delivers it
 * can measure event-to-push latency.
 */
import type { Logger } from "pino";
import type { Clock } from "../util/clock.ts";

export interface SyncLoopOptions {
  readonly clock: Clock;
  readonly holdoffMs: number;
  readonly maxDelayMs: number;
  /**
   * One cycle: snapshot, translate, hand to the sender and the status writer. Errors are logged, never
   * fatal. `firstChangeAt` is when the store reported the first change this cycle carries (epoch ms,
   * injected clock); undefined for the first cycle after sync, which carries the initial lists.
   */
  readonly cycle: (signal: AbortSignal, firstChangeAt: number | undefined) => Promise<void>;
  readonly logger: Logger;
}

/** Changes waiting for the next cycle. */
interface Batch {
  /** The first change the store reported for this batch; undefined while it holds only the sync. */
  firstChangeAt: number | undefined;
  /** When the batch began (its first change, or the sync): `maxDelayMs` counts from here. */
  readonly openedAt: number;
  lastChangeAt: number;
  /** Began with a quiet change (or the sync): runs at once. */
  readonly leading: boolean;
}

export class SyncLoop {
  readonly #options: SyncLoopOptions;
  #synced = false;
  #batch: Batch | undefined;
  #running = false;
  #lastCycleEndedAt = Number.NEGATIVE_INFINITY;
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
    // Before sync the first cycle, owed anyway, carries every change.
    if (!this.#synced) return;
    const now = this.#options.clock.now();
    if (this.#batch === undefined) {
      const quiet = !this.#running && now - this.#lastCycleEndedAt >= this.#options.holdoffMs;
      this.#batch = { firstChangeAt: now, openedAt: now, lastChangeAt: now, leading: quiet };
    } else {
      this.#batch.firstChangeAt ??= now;
      this.#batch.lastChangeAt = now;
    }
    this.#wake?.();
  }

  /** Every watcher finished its initial list: the first cycle runs at once. */
  markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    // The first cycle is owed even when no change will ever arrive (an empty cluster).
    const now = this.#options.clock.now();
    this.#batch = { firstChangeAt: undefined, openedAt: now, lastChangeAt: now, leading: true };
    this.#wake?.();
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const batch = this.#batch;
      if (batch === undefined) {
        await this.#sleepUntilWoken(signal);
        continue;
      }
      // A batch's due time only moves later while it waits, and never past openedAt + maxDelayMs.
      const wait = this.#dueAt(batch) - this.#options.clock.now();
      if (wait > 0) {
        await this.#options.clock.sleep(wait, signal).catch(() => undefined);
        continue;
      }
      this.#batch = undefined;
      await this.#runCycle(signal, batch.firstChangeAt);
    }
  }

  #dueAt(batch: Batch): number {
    if (batch.leading) return batch.openedAt;
    return Math.min(
      batch.lastChangeAt + this.#options.holdoffMs,
      batch.openedAt + this.#options.maxDelayMs,
    );
  }

  async #runCycle(signal: AbortSignal, firstChangeAt: number | undefined): Promise<void> {
    this.#cycles++;
    this.#running = true;
    try {
      await this.#options.cycle(signal, firstChangeAt);
    } catch (err) {
      this.#options.logger.error({ err }, "Sync cycle failed");
    } finally {
      this.#running = false;
      this.#lastCycleEndedAt = this.#options.clock.now();
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
