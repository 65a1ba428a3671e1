/**
 * A translation can change with its snapshot unchanged: a served certificate becomes valid, comes
 * within the expiry warning or expires (TranslationResult.revisitAt). The sync cycle skips translating
 * an unchanged snapshot, so this timer marks such an instant as a change of input: when it is due, its
 * `version` moves (part of the cycle's `inputsVersion`) and the sync loop is told.
 */
import type { Clock } from "../util/clock.ts";

/**
 * The longest single sleep: a revisit can lie years ahead, beyond what a timer can hold (2^31 - 1 ms,
 * about 24.8 days), so it is reached in steps of a day, each checking the clock again.
 */
export const MAX_REVISIT_SLEEP_MS = 86_400_000;

export interface RevisitTimerOptions {
  readonly clock: Clock;
  /** Called when a revisit is due, after `version` moved: the sync loop's `notify`. */
  readonly onDue: () => void;
}

export class RevisitTimer {
  readonly #o: RevisitTimerOptions;
  #version = 0;
  #at: number | undefined;
  #sleeping: AbortController | undefined;
  #closed = false;

  constructor(options: RevisitTimerOptions) {
    this.#o = options;
  }

  /** Moves once for every revisit that came due. */
  get version(): number {
    return this.#version;
  }

  /** The instant waited for, if any. */
  get pendingAt(): number | undefined {
    return this.#at;
  }

  /** The newest translation's `revisitAt` replaces whatever was waited for; undefined: nothing. */
  schedule(at: number | undefined): void {
    if (this.#closed || at === this.#at) return;
    this.#sleeping?.abort();
    this.#sleeping = undefined;
    this.#at = at;
    if (at !== undefined) this.#sleep(at);
  }

  /** Stops waiting for good. */
  close(): void {
    this.#closed = true;
    this.#sleeping?.abort();
    this.#sleeping = undefined;
    this.#at = undefined;
  }

  #sleep(at: number): void {
    const sleeping = new AbortController();
    this.#sleeping = sleeping;
    const ms = Math.min(Math.max(0, at - this.#o.clock.now()), MAX_REVISIT_SLEEP_MS);
    this.#o.clock.sleep(ms, sleeping.signal).then(
      () => {
        if (sleeping.signal.aborted) return;
        this.#woken(at);
      },
      () => undefined,
    );
  }

  #woken(at: number): void {
    if (this.#o.clock.now() < at) {
      this.#sleep(at);
      return;
    }
    this.#sleeping = undefined;
    this.#at = undefined;
    this.#version++;
    this.#o.onDue();
  }
}
