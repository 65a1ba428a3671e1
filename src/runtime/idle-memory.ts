/**
 * Gives the heap's unused memory back to the system once the controller has been quiet for a while.
 *
 * V8 grows its heap while translations run and keeps what it grew. Its memory reducer shrinks the heap
 * only when it judges the allocation rate low, and it judges that from samples taken at garbage
 * collections, which a process with nothing to do no longer runs: the rate it last saw, during the
 * work, stays "high" for as long as the process is idle (`--trace-memory-reducer` says so every 8 s).
 * V8's memory saver mode makes the reducer shrink the heap regardless of that rate. With it on, a
 * translation costs about twice the CPU, so it is on only while quiet: after `quietMs` without a sync
 * cycle, off when the next cycle starts (or the controller stops).
 *
 * Measured at 10k objects (docs/benchmarks.md, 2026-12-04, commit 244ee04): RSS 408–421 → 245–248 MiB.
 * The price is paid once per quiet period: the shrinking collection (about 0.6 CPU-s, all threads) and
 * the first changes after it, which regrow the heap (offline, about +0.1 CPU-s for the first and +0.06
 * for the second).
 */
import { setFlagsFromString } from "node:v8";
import type { Logger } from "pino";
import type { Clock } from "../util/clock.ts";

export interface IdleMemoryOptions {
  readonly clock: Clock;
  /** How long without a sync cycle counts as quiet; 0 turns the release off. */
  readonly quietMs: number;
  /** Turns V8's memory saver mode on or off (tests record the calls instead). */
  readonly memorySaver: (on: boolean) => void;
  readonly logger: Logger;
}

/** Why a quiet timer is cancelled: routine, so no DOMException (and its stack) per cycle. */
const CANCELLED = Symbol("cancelled");

export class IdleMemoryRelease {
  readonly #o: IdleMemoryOptions;
  #timer: AbortController | undefined;
  #saving = false;
  /** The stop signal a listener is on: the saver is process-wide, and a stopped controller turns it off. */
  #stop: AbortSignal | undefined;

  constructor(opts: IdleMemoryOptions) {
    this.#o = opts;
  }

  /** Whether the memory saver is on now. */
  get saving(): boolean {
    return this.#saving;
  }

  /** A sync cycle starts: full speed again. */
  busy(): void {
    this.#timer?.abort(CANCELLED);
    this.#timer = undefined;
    if (!this.#saving) return;
    this.#saving = false;
    this.#o.memorySaver(false);
  }

  /** A sync cycle ended: the release follows `quietMs` later unless another cycle starts, or `stop` aborts. */
  quiet(stop: AbortSignal): void {
    if (this.#o.quietMs <= 0 || stop.aborted) return;
    if (this.#stop !== stop) {
      this.#stop = stop;
      stop.addEventListener(
        "abort",
        () => {
          this.busy();
        },
        { once: true },
      );
    }
    this.#timer?.abort(CANCELLED);
    const timer = new AbortController();
    this.#timer = timer;
    void this.#o.clock.sleep(this.#o.quietMs, AbortSignal.any([timer.signal, stop])).then(
      () => {
        if (this.#timer !== timer) return;
        this.#timer = undefined;
        this.#saving = true;
        this.#o.memorySaver(true);
        this.#o.logger.debug(
          { quietMs: this.#o.quietMs },
          "Quiet: V8 may now give unused heap memory back",
        );
      },
      () => undefined,
    );
  }
}

/** The production switch: V8's `--memory-saver-mode`, which V8 reads whenever its memory reducer runs. */
export function v8MemorySaver(on: boolean): void {
  setFlagsFromString(on ? "--memory-saver-mode" : "--no-memory-saver-mode");
}
