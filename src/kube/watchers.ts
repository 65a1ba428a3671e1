/**
 * All the reflectors of one controller: one per kind and watch scope (`--watch-namespace` limits every
 * one of them), all started at once. Secrets come as metadata only (kinds.ts), so their list costs
 * little whatever it holds; the store asks for the data of the ones it needs.
 */
import type { Logger } from "pino";
import { untilAborted } from "../util/abortable.ts";
import type { Clock } from "../util/clock.ts";
import type { RetryGate } from "./backoff.ts";
import type { KubeApi } from "./client.ts";
import { INGRESS_KINDS, watchScopes, type KindInfo } from "./kinds.ts";
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
  readonly observer?: ReflectorObserver;
  /** Where every reflector waits between retries (the API server probe); default: a plain sleep. */
  readonly gate?: RetryGate;
  /** Backoff and timeouts for every reflector (tests shorten them). */
  readonly tuning?: Pick<
    ReflectorOptions,
    "backoff" | "pageSize" | "watchTimeoutSeconds" | "stallGraceMs" | "healthyAfterMs"
  >;
}

export class KubeWatchers {
  readonly #reflectors: readonly Reflector[];
  readonly #stop = new AbortController();
  #started = false;

  constructor(opts: KubeWatchersOptions) {
    this.#reflectors = watchScopes(opts.kinds ?? INGRESS_KINDS, opts.watchNamespaces).map(
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
          ...(opts.gate === undefined ? {} : { gate: opts.gate }),
        }),
    );
  }

  /** Starts every reflector. Idempotent. */
  start(): void {
    if (this.#started || this.#stop.signal.aborted) return;
    this.#started = true;
    for (const r of this.#reflectors) r.start();
  }

  /** Stops every reflector; never reported as an error. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#reflectors.map(r => r.stop()));
  }

  /** Resolves once every reflector has completed its first list; rejects if `signal` aborts first. */
  async waitSynced(signal?: AbortSignal): Promise<void> {
    const all = Promise.all(this.#reflectors.map(r => r.waitSynced()));
    if (signal === undefined) {
      await all;
      return;
    }
    await untilAborted(all, signal);
  }

  hasSynced(): boolean {
    return this.#reflectors.every(r => r.hasSynced());
  }

  /** One entry per reflector, for /readyz, diagnostics and metrics. */
  health(): ReflectorHealth[] {
    return this.#reflectors.map(r => r.health());
  }
}
