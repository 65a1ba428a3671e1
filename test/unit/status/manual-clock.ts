import type { Clock } from "../../../src/util/clock.ts";

interface Timer {
  readonly due: number;
  readonly resolve: () => void;
}

/** Lets queued promise callbacks run, so code woken by a timer reaches its next await. */
export function settle(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve));
}

/** A Clock whose time moves only when a test calls `advance`. */
export class ManualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Sleepers not yet woken. */
  get pending(): number {
    return this.#timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const timer: Timer = {
        due: this.#now + ms,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#timers = this.#timers.filter(t => t !== timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Moves time forward without waking anyone: what a starved event loop looks like. */
  jump(ms: number): void {
    this.#now += ms;
  }

  /** Moves time forward, waking each sleeper at its due time in order and letting it run. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#timers.filter(t => t.due <= target).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.#timers = this.#timers.filter(t => t !== next);
      this.#now = next.due;
      next.resolve();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}
