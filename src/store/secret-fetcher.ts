/**
 * Fetches the data of the Secrets the store needs: Secrets are watched as metadata only, so every
 * referenced (or labelled) Secret is read with one GET when it becomes needed, and again whenever the
 * watch announces a new version of it. Several GETs run at once, so that a cold start with hundreds of
 * TLS Secrets does not take hundreds of round trips in a row; one Secret is never fetched twice at
 * once, so that an older answer cannot land after a newer one.
 */
import type { Logger } from "pino";
import {
  Backoff,
  DEFAULT_WATCH_BACKOFF,
  sleepingGate,
  type BackoffOptions,
  type RetryGate,
} from "../kube/backoff.ts";
import type { KubeApi } from "../kube/client.ts";
import { KubeApiError, KubeUnreachableError } from "../kube/errors.ts";
import { SECRET, collectionPath } from "../kube/kinds.ts";
import type { ObjectName } from "../kube/reflector.ts";
import { trimObject } from "../kube/trim.ts";
import type { Clock } from "../util/clock.ts";
import type { Store } from "./store.ts";

export interface SecretFetcherOptions {
  readonly api: Pick<KubeApi, "getJson">;
  readonly store: Pick<
    Store,
    | "onSecretNeeded"
    | "secretsToFetch"
    | "needsSecretData"
    | "fillSecret"
    | "secretUnavailable"
    | "awaitingData"
  >;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** Between attempts for one Secret. */
  readonly backoff?: BackoffOptions;
  /** Where retries wait (the API server probe, which ends them when it answers again). */
  readonly gate?: RetryGate;
  /** GETs in flight at once. */
  readonly parallelism?: number;
  /**
   * Failed attempts after which snapshots stop waiting for a Secret (translation then reports it
   * missing); the fetcher itself keeps trying. Only answers count: while the API server is out of
   * reach, snapshots keep waiting, so that an outage never drops a certificate from Kong's config.
   */
  readonly attemptsBeforeUnavailable?: number;
}

const DEFAULT_PARALLELISM = 8;
const DEFAULT_ATTEMPTS_BEFORE_UNAVAILABLE = 3;

const keyOf = (name: ObjectName): string => `${name.namespace}/${name.name}`;

/** A small work queue (client-go's shape): queued, in progress, and asked for again meanwhile. */
export class SecretFetcher {
  readonly #opts: SecretFetcherOptions;
  readonly #log: Logger;
  readonly #queue = new Map<string, ObjectName>();
  readonly #inProgress = new Set<string>();
  readonly #askedAgain = new Set<string>();
  readonly #failing = new Map<string, { readonly backoff: Backoff; answered: number }>();
  readonly #gate: RetryGate;
  readonly #idleWorkers: (() => void)[] = [];
  readonly #settledWaiters = new Set<() => void>();
  readonly #stop = new AbortController();
  #workers: Promise<void>[] = [];
  #unsubscribe: (() => void) | undefined;
  #fetched = 0;

  constructor(opts: SecretFetcherOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: "secret-fetcher" });
    this.#gate = opts.gate ?? sleepingGate(opts.clock);
  }

  /** Secrets taken into the store so far. */
  get fetched(): number {
    return this.#fetched;
  }

  start(): void {
    if (this.#unsubscribe !== undefined || this.#stop.signal.aborted) return;
    this.#unsubscribe = this.#opts.store.onSecretNeeded(name => {
      this.#enqueue(name);
    });
    for (const name of this.#opts.store.secretsToFetch()) this.#enqueue(name);
    const parallelism = Math.max(1, this.#opts.parallelism ?? DEFAULT_PARALLELISM);
    const signal = this.#stop.signal;
    this.#workers = Array.from({ length: parallelism }, () => this.#work(signal));
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#stop.abort();
    for (const wake of this.#idleWorkers.splice(0)) wake();
    await Promise.all(this.#workers);
  }

  /**
   * Resolves once no snapshot waits for a Secret's data (each has arrived, or its fetching has been
   * failing for a while), or when `signal` aborts.
   */
  async waitSettled(signal: AbortSignal): Promise<void> {
    if (!this.#opts.store.awaitingData() || signal.aborted) return;
    await new Promise<void>(resolve => {
      const done = (): void => {
        signal.removeEventListener("abort", done);
        this.#settledWaiters.delete(done);
        resolve();
      };
      this.#settledWaiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  #enqueue(name: ObjectName): void {
    const key = keyOf(name);
    if (this.#inProgress.has(key)) {
      this.#askedAgain.add(key);
      return;
    }
    this.#queue.set(key, name);
    this.#idleWorkers.shift()?.();
  }

  async #work(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const next = this.#queue.entries().next();
      if (next.done === true) {
        await new Promise<void>(resolve => this.#idleWorkers.push(resolve));
        continue;
      }
      const [key, name] = next.value;
      this.#queue.delete(key);
      this.#inProgress.add(key);
      try {
        if (this.#opts.store.needsSecretData(name)) await this.#attempt(key, name, signal);
      } finally {
        this.#inProgress.delete(key);
        if (this.#askedAgain.delete(key)) this.#enqueue(name);
        this.#notifyIfSettled();
      }
    }
  }

  async #attempt(key: string, name: ObjectName, signal: AbortSignal): Promise<void> {
    const failure = await this.#fetch(name, signal);
    if (failure === undefined) {
      this.#failing.delete(key);
      return;
    }
    if (signal.aborted) return;
    let failing = this.#failing.get(key);
    if (failing === undefined) {
      const backoff = new Backoff(this.#opts.backoff ?? DEFAULT_WATCH_BACKOFF, this.#opts.random);
      failing = { backoff, answered: 0 };
      this.#failing.set(key, failing);
    }
    const delayMs = failing.backoff.next();
    if (!(failure instanceof KubeUnreachableError)) failing.answered += 1;
    this.#log.warn(
      {
        err: failure,
        namespace: name.namespace,
        name: name.name,
        attempt: failing.backoff.attempts,
        delayMs,
      },
      "Fetching a Secret failed; retrying",
    );
    const limit = this.#opts.attemptsBeforeUnavailable ?? DEFAULT_ATTEMPTS_BEFORE_UNAVAILABLE;
    if (failing.answered >= limit) this.#opts.store.secretUnavailable(name);
    // The retry waits without holding a worker, so one failing Secret does not delay the others.
    const backoff = failing.backoff;
    void this.#gate.wait(delayMs, signal).then(end => {
      if (end === "aborted") return;
      // The delay grew while the API server was away; now that it answers, start afresh.
      if (end === "recovered") backoff.reset();
      this.#enqueue(name);
    });
  }

  /** Returns the error when the fetch should be retried. */
  async #fetch(name: ObjectName, signal: AbortSignal): Promise<unknown> {
    const path = `${collectionPath(SECRET, name.namespace)}/${encodeURIComponent(name.name)}`;
    try {
      const raw = await this.#opts.api.getJson(path, { signal });
      this.#gate.answered();
      if (this.#opts.store.fillSecret(trimObject(SECRET, raw))) this.#fetched++;
      return undefined;
    } catch (err) {
      // Gone meanwhile: the watch delivers the delete, which ends the need.
      if (err instanceof KubeApiError && err.statusCode === 404) {
        this.#gate.answered();
        return undefined;
      }
      return err;
    }
  }

  #notifyIfSettled(): void {
    if (this.#settledWaiters.size === 0 || this.#opts.store.awaitingData()) return;
    for (const done of [...this.#settledWaiters]) done();
  }
}
