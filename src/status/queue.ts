import type { Clock } from "../util/clock.ts";
import { MinHeap } from "./min-heap.ts";

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
}

/** A key backing off: handed out no earlier than `notBefore` (epoch ms). */
interface Delayed {
  readonly key: string;
  readonly notBefore: number;
  /** Release order, so equal deadlines are served first come, first served. */
  readonly seq: number;
}

const DEFAULT_BASE_DELAY_MS = 500;

// A wake-up is routine, not an error: one shared reason spares a DOMException (and its stack) per wake.
const WOKEN = Symbol("woken");

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
 *
 * Nothing scans: ready keys wait in a FIFO, keys backing off in a min-heap by deadline, and `take`
 * moves the due ones over. A waiting key is in exactly one of the two, since only `take` removes it.
 */
export class CoalescingQueue<T> {
  readonly #clock: Clock;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onDepth: ((depth: number) => void) | undefined;
  readonly #waiting = new Map<string, Entry<T>>();
  /** Keys ready to be handed out, oldest first; `#head` is the first one not yet taken. */
  #ready: string[] = [];
  #head = 0;
  readonly #delayed = new MinHeap<Delayed>(
    (a, b) => a.notBefore < b.notBefore || (a.notBefore === b.notBefore && a.seq < b.seq),
  );
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
        this.#waiting.set(key, { value });
        this.#ready.push(key);
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
      this.#waiting.set(key, { value });
      if (notBefore <= this.#clock.now()) this.#ready.push(key);
      else this.#delayed.push({ key, notBefore, seq: this.#seq++ });
    }
    this.#changed();
  }

  #takeReady(): QueueItem<T> | undefined {
    const now = this.#clock.now();
    for (let due = this.#delayed.peek(); due !== undefined && due.notBefore <= now;) {
      this.#delayed.pop();
      this.#ready.push(due.key);
      due = this.#delayed.peek();
    }
    const key = this.#nextReady();
    if (key === undefined) return undefined;
    const entry = this.#waiting.get(key) as Entry<T>;
    this.#waiting.delete(key);
    this.#processing.add(key);
    this.#onDepth?.(this.depth);
    return { key, value: entry.value, failures: this.#failures.get(key) ?? 0 };
  }

  #nextReady(): string | undefined {
    if (this.#head >= this.#ready.length) return undefined;
    const key = this.#ready[this.#head++];
    // Drop the taken prefix once it is half the array: amortised O(1) per take.
    if (this.#head > 1024 && this.#head * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#head);
      this.#head = 0;
    }
    return key;
  }

  async #waitForChange(signal: AbortSignal): Promise<void> {
    const waker = new AbortController();
    const onAbort = (): void => {
      waker.abort(WOKEN);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    this.#wakers.add(waker);
    const deadline = this.#delayed.peek()?.notBefore;
    try {
      if (deadline === undefined) await waitForAbort(waker.signal);
      else await this.#clock.sleep(deadline - this.#clock.now(), waker.signal);
    } catch {
      // Woken early by a change or by `signal`; the caller's loop decides which.
    } finally {
      this.#wakers.delete(waker);
      signal.removeEventListener("abort", onAbort);
    }
  }

  #changed(): void {
    this.#onDepth?.(this.depth);
    for (const waker of this.#wakers) waker.abort(WOKEN);
  }
}
