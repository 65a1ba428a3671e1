import type { Readiness } from "./health-server.ts";

export interface ReadinessTrackerOptions {
  /** Every watched kind; readiness needs each one's first list processed. */
  readonly watchedKinds: readonly string[];
  /** Also wait for {@link ReadinessTracker.kindsDiscovered} (when optional kinds are looked for). */
  readonly awaitDiscovery?: boolean;
  /**
   * Whether this replica must see a config in Kong before it is ready; asked on every report. A
   * replica that does not push (a follower, when only the leader pushes to Kongs the replicas
   * share) would otherwise never be ready (incident a). Always, when unset.
   */
  readonly configRequired?: () => boolean;
}

/**
 * What /readyz reports (STYLE rule 15, KIC's `IsReady`): ready once every watcher has synced and, when
 * this replica pushes, a config is known to be in Kong, either pushed by us or found there already
 * (same hash). Leadership plays no other part. Both are one-way: a watch that restarts keeps its
 * cache, and a later failed push does not empty Kong.
 */
export class ReadinessTracker {
  readonly #pending: Set<string>;
  readonly #configRequired: () => boolean;
  #configApplied = false;
  #kindsDiscovered: boolean;

  constructor(opts: ReadinessTrackerOptions) {
    this.#pending = new Set(opts.watchedKinds);
    this.#kindsDiscovered = opts.awaitDiscovery !== true;
    this.#configRequired = opts.configRequired ?? (() => true);
  }

  /** The first list of `kind` has been processed. */
  watcherSynced(kind: string): void {
    this.#pending.delete(kind);
  }

  /** The API server has said which optional kinds it serves (their watchers are then pending too). */
  kindsDiscovered(): void {
    this.#kindsDiscovered = true;
  }

  /** Kong accepted a config from us, or already held the one we would push. */
  configApplied(): void {
    this.#configApplied = true;
  }

  report(): Readiness {
    const reasons = [...this.#pending].sort().map(kind => `watch of ${kind} has not synced`);
    if (!this.#kindsDiscovered) reasons.push("the optional kinds served are not known yet");
    if (!this.#configApplied && this.#configRequired())
      reasons.push("no config has reached Kong yet");
    return { ready: reasons.length === 0, reasons };
  }
}
