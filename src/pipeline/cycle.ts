/**
 * One sync cycle: snapshot the store, translate (unless the snapshot is the one last translated), report
 * what could not be used as Warning events, and hand the translation to the sender. It never waits on
 * Kong or on status writes: the sender and the status writer run loops of their own.
 */
import type { Logger } from "pino";
import { refKey } from "../model/object-ref.ts";
import { EventReason, type EventRequest } from "../status/events.ts";
import type { ProblemReporter } from "../status/problem-events.ts";
import type { StoreSnapshot } from "../store/snapshot.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { ObjectResult, Snapshot, TranslationResult } from "../translator/types.ts";
import type { Clock } from "../util/clock.ts";

/** One translation as the sender and the status side receive it. */
export interface Translated {
  readonly snapshot: StoreSnapshot;
  readonly result: TranslationResult;
  /** When the store reported the first change this translation carries (the sync loop's batch). */
  readonly changedAt?: number;
}

export interface SyncCycleOptions {
  /** The store's snapshotter: the same frozen snapshot until the store changes. */
  readonly snapshots: { take(): StoreSnapshot };
  /** The translator with its options bound. */
  readonly translate: (snapshot: Snapshot) => TranslationResult;
  /** Takes the newest translation; must not block (the sender's `update`). */
  readonly send: (input: Translated) => void;
  /** Gets every problem of every translation; writes an Event only when an object's problems change. */
  readonly events: ProblemReporter;
  readonly metrics: Pick<Metrics, "recordTranslation" | "snapshotCacheHit" | "snapshotCacheMiss">;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told about every new translation (status reporting, config dumps). */
  readonly onTranslated?: (input: Translated) => void;
  /**
   * Changes whenever translation input from outside the store changes (what Kong's listens say), so
   * that an unchanged snapshot is translated again.
   */
  readonly inputsVersion?: () => number;
}

function hasProblems(result: ObjectResult): boolean {
  return result.problems.length > 0;
}

/** Runs cycles for the sync loop; keeps the last translation so an unchanged snapshot costs nothing. */
export class SyncCycle {
  readonly #o: SyncCycleOptions;
  readonly #log: Logger;
  #last: Translated | undefined;
  #lastSnapshot: StoreSnapshot | undefined;
  #lastInputs = 0;

  constructor(options: SyncCycleOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: "sync-cycle" });
  }

  /** The newest translation, if any. */
  get last(): Translated | undefined {
    return this.#last;
  }

  /**
   * One cycle. Synchronous: nothing here waits on Kong or on the API server. `changedAt` travels with the
   * translation to the sender, which measures event-to-push latency from it.
   */
  run(changedAt?: number): void {
    const snapshot = this.#o.snapshots.take();
    // Invalid objects are not part of the hash, so a change to one alone still reaches here.
    if (snapshot !== this.#lastSnapshot) this.#reportInvalid(snapshot);
    this.#lastSnapshot = snapshot;
    const inputs = this.#o.inputsVersion?.() ?? 0;
    if (this.#last?.snapshot.hash === snapshot.hash && this.#lastInputs === inputs) {
      this.#o.metrics.snapshotCacheHit.inc();
      this.#log.debug({ snapshotHash: snapshot.hash }, "Snapshot unchanged; translation skipped");
      return;
    }
    this.#o.metrics.snapshotCacheMiss.inc();
    const result = this.#translate(snapshot);
    const translated: Translated = {
      snapshot,
      result,
      ...(changedAt === undefined ? {} : { changedAt }),
    };
    this.#last = translated;
    this.#lastInputs = inputs;
    this.#reportProblems(result);
    this.#o.send(translated);
    this.#o.onTranslated?.(translated);
  }

  #translate(snapshot: StoreSnapshot): TranslationResult {
    const started = this.#o.clock.now();
    let result: TranslationResult;
    try {
      result = this.#o.translate(snapshot);
    } catch (err) {
      // A throw inside the translator is a bug; Kong keeps what it runs and the next change retries.
      const durationMs = this.#o.clock.now() - started;
      this.#o.metrics.recordTranslation({
        success: false,
        fallback: false,
        durationMs,
        brokenResources: 0,
      });
      throw err;
    }
    const durationMs = this.#o.clock.now() - started;
    const broken = result.results.filter(hasProblems).length;
    this.#o.metrics.recordTranslation({
      success: broken === 0,
      fallback: false,
      durationMs,
      brokenResources: broken,
    });
    this.#log.debug(
      { snapshotHash: snapshot.hash, durationMs, objects: result.results.length, broken },
      "Translated",
    );
    return result;
  }

  #reportProblems(result: TranslationResult): void {
    const problems: EventRequest[] = [];
    for (const r of result.results) {
      for (const problem of r.problems) {
        problems.push({
          ref: r.ref,
          type: "Warning",
          reason: EventReason.TranslationFailed,
          message: problem.message,
        });
      }
    }
    this.#o.events.report("translation", problems);
  }

  #reportInvalid(snapshot: StoreSnapshot): void {
    const problems: EventRequest[] = [];
    for (const invalid of snapshot.invalid) {
      this.#log.debug(
        { object: refKey(invalid.ref), reason: invalid.reason },
        "Object left out: it does not parse",
      );
      problems.push({
        ref: invalid.ref,
        type: "Warning",
        reason: EventReason.TranslationFailed,
        message: `invalid object: ${invalid.reason}`,
      });
    }
    this.#o.events.report("invalid", problems);
  }
}
