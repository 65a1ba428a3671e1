/** Capped exponential backoff with jitter, for restarting watches after errors. */
import type { Clock } from "../util/clock.ts";

export interface BackoffOptions {
  /** The first delay (before jitter). */
  readonly initialMs: number;
  /** No delay exceeds this. */
  readonly maxMs: number;
  /** Growth per attempt; 2 doubles. */
  readonly factor?: number;
  /**
   * Fraction of each delay that is random, in [0, 1]: a delay `d` becomes uniform in
   * `[d * (1 - jitter), d]`, so watchers that failed together do not retry in lockstep.
   */
  readonly jitter?: number;
}

export const DEFAULT_WATCH_BACKOFF: BackoffOptions = Object.freeze({
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.3,
});

/** Tracks consecutive failures; `next()` gives the delay before the next attempt. */
export class Backoff {
  readonly #opts: Required<BackoffOptions>;
  readonly #random: () => number;
  #attempts = 0;

  constructor(opts: BackoffOptions, random: () => number) {
    this.#opts = { factor: 2, jitter: 0.3, ...opts };
    this.#random = random;
  }

  /** Consecutive failures since the last reset. */
  get attempts(): number {
    return this.#attempts;
  }

  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.#opts;
    // Capping the exponent keeps the arithmetic finite however long an outage lasts.
    const exponent = Math.min(this.#attempts, 64);
    this.#attempts += 1;
    const base = Math.min(maxMs, initialMs * factor ** exponent);
    const clampedJitter = Math.min(1, Math.max(0, jitter));
    return Math.round(base * (1 - clampedJitter * this.#random()));
  }

  reset(): void {
    this.#attempts = 0;
  }
}

/** How a wait between retries ended. */
export type RetryWaitEnd = "elapsed" | "recovered" | "aborted";

/**
 * Where a client of the API server waits between retries. A plain gate just sleeps; the API server
 * probe (apiserver-probe.ts) ends every wait early, with "recovered", when the API server answers
 * again after an outage, so that no watcher sits out the rest of a backoff that grew during it.
 */
export interface RetryGate {
  /** Waits `delayMs` at most; never rejects. */
  wait(delayMs: number, signal: AbortSignal): Promise<RetryWaitEnd>;
  /** A request to the API server succeeded: it answers. */
  answered(): void;
}

/** A gate that only sleeps on `clock`: the whole delay, unless `signal` aborts. */
export function sleepingGate(clock: Pick<Clock, "sleep">): RetryGate {
  return {
    wait: (delayMs, signal) =>
      clock.sleep(delayMs, signal).then(
        () => "elapsed" as const,
        () => "aborted" as const,
      ),
    answered: () => undefined,
  };
}
