/** A manual clock for tests of backoff, holdoff, deadlines and lag: time moves only when a test says so. */
import type { Clock } from "../../src/util/clock.ts";

interface Timer {
  readonly due: number;
  readonly resolve: () => void;
}

/**
 * Lets pending I/O callbacks and promise chains run (undici's MockAgent answers across several
 * macrotasks), so code woken by a timer or a mocked answer reaches its next await.
 */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise(resolve => setImmediate(resolve));
}

/** A Clock whose time moves only when a test calls `advance` (or `jump`). Records every sleep asked for. */
export class ManualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  readonly sleeps: number[] = [];

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

  /** Due times of pending sleepers, relative to now, ascending. */
  pendingDelays(): number[] {
    return this.#timers.map(t => t.due - this.#now).sort((a, b) => a - b);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
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
      this.#now = Math.max(this.#now, next.due);
      next.resolve();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}
