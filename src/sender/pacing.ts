/**
 * How long a Kong node is left alone after it loaded a config, derived from what the node shows.
 *
 * Kong DB-less answers `POST /config` once the new config is in its cache, then every worker rebuilds its
 * router and plugin iterators in the background; loads that follow each other too fast break it (KIC
 * #1398, Kong #8976), and a load that comes while one is under way gets 429. KIC answers with a fixed
 * 3 s gap (`--proxy-sync-seconds`), which every change pays. Here the gap after a load is `factor` times
 * that load's measured duration, clamped to [floor, cap]: the duration already grows with the body size
 * and with how busy the node is, so a slow node is given room and a fast one is not held back. The gap
 * counts from the end of the last *load* (`applied`): a first push, a push after a quiet period, a fallback
 * after a rejection and a retry after a failure (which has its own backoff) all go out at once.
 */

export interface PacingOptions {
  /** Gap after a load, in multiples of that load's duration. */
  readonly factor: number;
  /** Shortest gap: how often even an instant node may be made to reload. */
  readonly floorMs: number;
  /** Longest gap (`--proxy-sync-seconds` when set). */
  readonly capMs: number;
}

export const DEFAULT_PACING: PacingOptions = Object.freeze({
  factor: 2,
  floorMs: 250,
  // KIC's fixed period: however slow a node looks, a change never waits longer than it would with KIC.
  capMs: 3000,
});

/** The gap after a load that took `loadMs`. A cap below the floor wins (`--proxy-sync-seconds=0`). */
export function pacingGapMs(loadMs: number, options: PacingOptions): number {
  const cap = Math.max(0, options.capMs);
  const floor = Math.min(Math.max(0, options.floorMs), cap);
  return Math.min(cap, Math.max(floor, options.factor * Math.max(0, loadMs)));
}

/** One node's pacing: when the next push may start. */
export class PushPacer {
  readonly #options: PacingOptions;
  #readyAt = Number.NEGATIVE_INFINITY;

  constructor(options: PacingOptions) {
    this.#options = options;
  }

  /** The node loaded a config in a POST that took `durationMs` and ended at `endedAt`. */
  loaded(endedAt: number, durationMs: number): void {
    this.#readyAt = endedAt + pacingGapMs(durationMs, this.#options);
  }

  /** How long to wait at `now` before the next push; 0 when it may go out at once. */
  waitMs(now: number): number {
    return Math.max(0, this.#readyAt - now);
  }
}
