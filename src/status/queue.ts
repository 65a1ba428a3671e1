import type { Clock } from "../util/clock.ts";

/** One unit of work handed to a worker. */
export interface QueueItem<T> {
  readonly key: string;
  /** The latest value added for the key. */
  readonly value: T;
  /** Failed attempts so far for this key (0 on a first try). */
  readonly failures: number;
}

export interface CoalescingQueueOptions {
  readonly clock: Clock;
  /** Delay after the first failure; doubles per failure. */
  readonly baseDelayMs?: number;
  /** Cap of that delay, so a failing key is retried forever but never waits longer than this. */
  readonly maxDelayMs: number;
  /** Called with the number of waiting keys whenever it changes (a gauge). */
  readonly onDepth?: (depth: number) => void;
}

interface Entry<T> {
  value: T;
  /** Epoch ms before which the entry is not handed out (backoff). */
  notBefore: number;
  /** Insertion order, so equal deadlines are served first come, first served. */
  seq: number;
}

const DEFAULT_BASE_DELAY_MS = 500;

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    signal.addEventListener(
      "abort",
      () => {
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * A work queue keyed by object, in the manner of client-go's workqueue: adding a key that is already
 * waiting replaces its value (the latest desired status wins), a key is never handed to two workers
 * at once, and a failed key comes back after a capped exponential backoff. `add` never blocks, so a
 * producer (the sync loop) never waits on the status writer.
 */
export class CoalescingQueue<T> {
  readonly #clock: Clock;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onDepth: ((depth: number) => void) | undefined;
  readonly #waiting = new Map<string, Entry<T>>();
  readonly #processing = new Set<string>();
  /** Values added while their key was being processed; they wait for `done`/`retry`. */
  readonly #dirty = new Map<string, T>();
  readonly #failures = new Map<string, number>();
  readonly #wakers = new Set<AbortController>();
  #seq = 0;

  constructor(opts: CoalescingQueueOptions) {
    this.#clock = opts.clock;
    this.#baseDelayMs = opts.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.#maxDelayMs = opts.maxDelayMs;
    this.#onDepth = opts.onDepth;
  }

  /** Keys waiting to be handed out, ready or backing off (not those being processed). */
  get depth(): number {
    return this.#waiting.size + this.#dirty.size;
  }

  /** Sets the desired value for `key`. A waiting key keeps its place and its backoff. */
  add(key: string, value: T): void {
    if (this.#processing.has(key)) {
      this.#dirty.set(key, value);
    } else {
      const existing = this.#waiting.get(key);
      if (existing === undefined) {
        this.#waiting.set(key, { value, notBefore: this.#clock.now(), seq: this.#seq++ });
      } else {
        existing.value = value;
      }
    }
    this.#changed();
  }

  /** Waits for the next ready key and marks it as being processed. Rejects when `signal` aborts. */
  async take(signal: AbortSignal): Promise<QueueItem<T>> {
    for (;;) {
      signal.throwIfAborted();
      const item = this.#takeReady();
      if (item !== undefined) return item;
      await this.#waitForChange(signal);
    }
  }

  /** The key was handled: forget its failures; a value added meanwhile becomes ready at once. */
  done(key: string): void {
    this.#failures.delete(key);
    this.#release(key, this.#clock.now());
  }

  /**
   * Handling the key failed: it comes back after the backoff, with the newest value if one was added
   * meanwhile. Returns the delay in milliseconds.
   */
  retry(key: string, value: T): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const delay = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (failures - 1));
    if (!this.#dirty.has(key)) this.#dirty.set(key, value);
    this.#release(key, this.#clock.now() + delay);
    return delay;
  }

  /** Drops the key (e.g. its object is gone); a value added meanwhile is kept. */
  forget(key: string): void {
    this.#failures.delete(key);
    this.#release(key, this.#clock.now());
  }

  #release(key: string, notBefore: number): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) {
      const value = this.#dirty.get(key) as T;
      this.#dirty.delete(key);
      this.#waiting.set(key, { value, notBefore, seq: this.#seq++ });
    }
    this.#changed();
  }

  #takeReady(): QueueItem<T> | undefined {
    const now = this.#clock.now();
    let best: [string, Entry<T>] | undefined;
    for (const pair of this.#waiting) {
      const [, e] = pair;
      if (e.notBefore > now) continue;
      if (best === undefined || e.seq < best[1].seq) best = pair;
    }
    if (best === undefined) return undefined;
    const [key, entry] = best;
    this.#waiting.delete(key);
    this.#processing.add(key);
    this.#onDepth?.(this.depth);
    return { key, value: entry.value, failures: this.#failures.get(key) ?? 0 };
  }

  async #waitForChange(signal: AbortSignal): Promise<void> {
    const waker = new AbortController();
    const onAbort = (): void => {
      waker.abort();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    this.#wakers.add(waker);
    const deadlines = [...this.#waiting.values()].map(e => e.notBefore);
    try {
      if (deadlines.length === 0) await waitForAbort(waker.signal);
      else await this.#clock.sleep(Math.min(...deadlines) - this.#clock.now(), waker.signal);
    } catch {
      // Woken early by a change or by `signal`; the caller's loop decides which.
    } finally {
      this.#wakers.delete(waker);
      signal.removeEventListener("abort", onAbort);
    }
  }

  #changed(): void {
    this.#onDepth?.(this.depth);
    for (const waker of this.#wakers) waker.abort();
  }
}
