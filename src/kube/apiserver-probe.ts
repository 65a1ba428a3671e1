/**
 * Tells every client of the API server the moment it answers again after an outage. While a watcher
 * (or the Secret fetcher) waits to retry a failed request, the probe GETs `/readyz` every second; the
 * first good answer after failed ones ends every such wait at once. Without it each watcher sits out
 * its own exponential backoff, which after a long outage has grown to its 30 s cap, before it notices
 * that the API server is back.
 */
import type { Logger } from "pino";
import type { Clock } from "../util/clock.ts";
import { deadlineAfter } from "../util/deadline.ts";
import type { RetryGate, RetryWaitEnd } from "./backoff.ts";
import type { KubeHealthApi } from "./client.ts";
import { KubeUnreachableError } from "./errors.ts";

export interface ApiServerProbeOptions {
  readonly health: KubeHealthApi;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Between the end of one probe and the start of the next while the API server does not answer. */
  readonly intervalMs?: number;
  /** A probe unanswered for this long has failed: an API server that hangs must not stall probing. */
  readonly timeoutMs?: number;
}

/** `/readyz` fails while the API server cannot serve (etcd down, still starting), unlike `/version`. */
const PROBE_PATH = "/readyz";

export const DEFAULT_PROBE_TIMING = Object.freeze({ intervalMs: 1000, timeoutMs: 1000 });

interface Waiter {
  end(how: RetryWaitEnd): void;
}

/**
 * A {@link RetryGate} shared by every client of one API server. The first failure makes it check
 * `/readyz`: a good answer means the failure was the request's own (each waiter keeps its backoff);
 * otherwise the API server counts as unreachable and is probed every `intervalMs` for as long as anyone
 * waits. A probe that succeeds, or any request that succeeds meanwhile ({@link answered}), ends every
 * wait with "recovered".
 */
export class ApiServerProbe implements RetryGate {
  readonly #opts: ApiServerProbeOptions;
  readonly #log: Logger;
  readonly #waiters = new Set<Waiter>();
  #loop: AbortController | undefined;
  #lastProbeAt = Number.NEGATIVE_INFINITY;
  #unreachableSince: number | undefined;
  #probes = 0;

  constructor(opts: ApiServerProbeOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: "apiserver-probe" });
  }

  /** Whether the API server is believed unreachable (from the last probe, or a request since). */
  get unreachable(): boolean {
    return this.#unreachableSince !== undefined;
  }

  /** Probes sent so far. */
  get probes(): number {
    return this.#probes;
  }

  wait(delayMs: number, signal: AbortSignal): Promise<RetryWaitEnd> {
    if (signal.aborted) return Promise.resolve("aborted");
    return new Promise(resolve => {
      const timer = new AbortController();
      const onAbort = (): void => {
        waiter.end("aborted");
      };
      const waiter: Waiter = {
        end: how => {
          if (!this.#waiters.delete(waiter)) return;
          timer.abort();
          signal.removeEventListener("abort", onAbort);
          resolve(how);
          this.#stopIfNobodyWaits();
        },
      };
      this.#waiters.add(waiter);
      signal.addEventListener("abort", onAbort, { once: true });
      void this.#opts.clock.sleep(delayMs, timer.signal).then(
        () => {
          waiter.end("elapsed");
        },
        () => undefined,
      );
      this.#startProbing();
    });
  }

  answered(): void {
    this.#recovered();
  }

  #startProbing(): void {
    if (this.#loop !== undefined) return;
    const loop = new AbortController();
    this.#loop = loop;
    void this.#probeWhileWaited(loop);
  }

  #stopIfNobodyWaits(): void {
    if (this.#waiters.size > 0) return;
    this.#loop?.abort();
    this.#loop = undefined;
  }

  async #probeWhileWaited(loop: AbortController): Promise<void> {
    const { signal } = loop;
    const { clock } = this.#opts;
    const intervalMs = this.#opts.intervalMs ?? DEFAULT_PROBE_TIMING.intervalMs;
    try {
      // Many watchers fail together; one probe per interval answers for all of them.
      const sinceLast = clock.now() - this.#lastProbeAt;
      if (sinceLast < intervalMs) await sleepUnlessAborted(clock, intervalMs - sinceLast, signal);
      while (!signal.aborted) {
        const answers = await this.#probe(signal);
        if (isAborted(signal)) return;
        if (answers) {
          // Nothing to end when it never stopped answering: the failure was the request's own.
          this.#recovered();
          return;
        }
        this.#markUnreachable();
        await sleepUnlessAborted(clock, intervalMs, signal);
      }
    } finally {
      // At once, not a microtask later: a wait that starts right after must start a new loop.
      if (this.#loop === loop) this.#loop = undefined;
    }
  }

  async #probe(signal: AbortSignal): Promise<boolean> {
    const { clock } = this.#opts;
    const timeoutMs = this.#opts.timeoutMs ?? DEFAULT_PROBE_TIMING.timeoutMs;
    this.#lastProbeAt = clock.now();
    this.#probes += 1;
    const deadline = deadlineAfter(
      clock,
      timeoutMs,
      () => new KubeUnreachableError(`${PROBE_PATH} gave no answer in ${timeoutMs} ms`),
    );
    try {
      const status = await this.#opts.health.healthStatus(PROBE_PATH, {
        signal: AbortSignal.any([signal, deadline.signal]),
      });
      return serves(status);
    } catch {
      return false;
    } finally {
      deadline.cancel();
    }
  }

  #markUnreachable(): void {
    if (this.#unreachableSince !== undefined) return;
    this.#unreachableSince = this.#opts.clock.now();
    this.#log.warn(
      { path: PROBE_PATH, intervalMs: this.#opts.intervalMs ?? DEFAULT_PROBE_TIMING.intervalMs },
      "API server unreachable; probing it until it answers",
    );
  }

  #recovered(): void {
    if (this.#unreachableSince === undefined) return;
    const downMs = this.#opts.clock.now() - this.#unreachableSince;
    this.#unreachableSince = undefined;
    this.#log.info(
      { downMs, waiting: this.#waiters.size },
      "API server answers again; resuming at once",
    );
    for (const waiter of [...this.#waiters]) waiter.end("recovered");
  }
}

/**
 * Whether a status from `/readyz` means requests will be served. 429 and 5xx mean not yet (starting,
 * shutting down, etcd unreachable); 401/403/404 come from a server that answers but keeps its health
 * to itself (RBAC, a proxy in front), which is as much as can be known.
 */
function serves(status: number): boolean {
  return status < 500 && status !== 429;
}

// A function, so that TypeScript does not keep a narrowing of `aborted` across an await.
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

async function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  await clock.sleep(ms, signal).catch(() => undefined);
}
