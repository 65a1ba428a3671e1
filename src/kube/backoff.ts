/** Capped exponential backoff with jitter, for restarting watches after errors. */

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
