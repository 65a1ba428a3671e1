/**
 * All the reflectors of one controller: one per kind and watch scope (`--watch-namespace` limits every
 * one of them). Secrets start only after the other kinds have synced, so that the Secret list arrives
 * when the store already knows which Secrets are referenced and keeps their data without extra GETs.
 */
import type { Logger } from "pino";
import type { Clock } from "../util/clock.ts";
import type { KubeApi } from "./client.ts";
import { INGRESS_KINDS, watchScopes, type KindInfo, type WatchedKind } from "./kinds.ts";
import {
  Reflector,
  type ReflectorHealth,
  type ReflectorObserver,
  type ReflectorOptions,
  type ReflectorSink,
} from "./reflector.ts";

export interface KubeWatchersOptions {
  readonly api: KubeApi;
  readonly sink: ReflectorSink;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** `--watch-namespace`; empty means every namespace. */
  readonly watchNamespaces: readonly string[];
  readonly kinds?: readonly KindInfo[];
  /** Kinds started once every other kind has synced. */
  readonly deferredKinds?: readonly WatchedKind[];
  readonly observer?: ReflectorObserver;
  /** Backoff and timeouts for every reflector (tests shorten them). */
  readonly tuning?: Pick<
    ReflectorOptions,
    "backoff" | "pageSize" | "watchTimeoutSeconds" | "stallGraceMs" | "healthyAfterMs"
  >;
}

export class KubeWatchers {
  readonly #first: readonly Reflector[];
  readonly #deferred: readonly Reflector[];
  readonly #stop = new AbortController();
  #deferredStart: Promise<void> | undefined;

  constructor(opts: KubeWatchersOptions) {
    const deferred = new Set(opts.deferredKinds ?? ["Secret"]);
    const reflectors = watchScopes(opts.kinds ?? INGRESS_KINDS, opts.watchNamespaces).map(
      scope =>
        new Reflector({
          ...opts.tuning,
          api: opts.api,
          sink: opts.sink,
          clock: opts.clock,
          random: opts.random,
          logger: opts.logger,
          scope,
          ...(opts.observer === undefined ? {} : { observer: opts.observer }),
        }),
    );
    this.#first = reflectors.filter(r => !deferred.has(r.scope.kind.kind));
    this.#deferred = reflectors.filter(r => deferred.has(r.scope.kind.kind));
  }

  /** Starts every reflector (the deferred ones once the others have synced). Idempotent. */
  start(): void {
    if (this.#deferredStart !== undefined || this.#stop.signal.aborted) return;
    for (const r of this.#first) r.start();
    const signal = this.#stop.signal;
    this.#deferredStart = Promise.all(this.#first.map(r => r.waitSynced())).then(() => {
      if (!signal.aborted) for (const r of this.#deferred) r.start();
    });
  }

  /** Stops every reflector; never reported as an error. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all([...this.#first, ...this.#deferred].map(r => r.stop()));
  }

  /** Resolves once every reflector has completed its first list; rejects if `signal` aborts first. */
  async waitSynced(signal?: AbortSignal): Promise<void> {
    const all = Promise.all([...this.#first, ...this.#deferred].map(r => r.waitSynced()));
    if (signal === undefined) {
      await all;
      return;
    }
    signal.throwIfAborted();
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => {
        reject(signal.reason as Error);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([all, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  hasSynced(): boolean {
    return [...this.#first, ...this.#deferred].every(r => r.hasSynced());
  }

  /** One entry per reflector, for /readyz, diagnostics and metrics. */
  health(): ReflectorHealth[] {
    return [...this.#first, ...this.#deferred].map(r => r.health());
  }
}
