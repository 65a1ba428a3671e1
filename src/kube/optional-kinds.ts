/**
 * Watchers for the optional kinds: started when discovery (discovery.ts) sees a kind served, at the
 * version it is served at, and stopped when it goes, its objects then leaving the cache (the API server
 * deletes them with their CRD anyway). A missing CRD is logged once and is never a reason to be
 * unready; an installed one is waited for like any other watcher, so the first config pushed holds
 * its objects. Discovery failures keep what was known: a guess of "not served" would empty Kong.
 */
import type { Logger } from "pino";
import type { KindDefinition, KindName } from "../model/kinds.ts";
import { untilAborted } from "../util/abortable.ts";
import type { Clock } from "../util/clock.ts";
import { sleepingGate, type RetryGate } from "./backoff.ts";
import type { KubeApi } from "./client.ts";
import {
  AggregatedDiscovery,
  discoverKinds,
  type CrdBundleVersions,
  type ServedKinds,
} from "./discovery.ts";
import { kindAt, type KindInfo } from "./kinds.ts";
import type { ReflectorHealth, ReflectorSink } from "./reflector.ts";
import type { KubeWatchers } from "./watchers.ts";

export interface OptionalKindWatchersOptions {
  readonly api: KubeApi;
  /** The optional kinds to look for. */
  readonly kinds: readonly KindDefinition[];
  /** Makes (unstarted) watchers for one kind at one version. */
  readonly newWatchers: (kind: KindInfo) => KubeWatchers;
  /** Where a kind's objects are removed from when it stops being served. */
  readonly sink: ReflectorSink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often discovery is asked again. */
  readonly intervalMs?: number;
  /** Waits after a failed discovery, doubling up to `intervalMs`. */
  readonly retryMs?: number;
  /**
   * Where a failed discovery waits to be retried: the API server probe ends the wait when it answers
   * again, so that readiness after an outage does not wait for the grown retry. Default: a sleep.
   */
  readonly gate?: RetryGate;
  /**
   * The Gateway API CRDs' bundle versions: read when discovery finds the served kinds changed, after
   * a failed read, and otherwise every `BUNDLE_REREAD_PASSES`th discovery.
   */
  readonly bundles?: CrdBundleVersions;
  /** Called when `bundles` changed. */
  readonly onBundlesChanged?: () => void;
}

/**
 * How many discoveries pass between two reads of the CRDs when the served kinds stay the same. The
 * discovery documents are what tells a CRD installed or removed; a bundle upgraded in place (same
 * kinds, new annotation) is the only change this slower read exists for, and it only moves the
 * GatewayClass `SupportedVersion` condition.
 */
export const BUNDLE_REREAD_PASSES = 6;

interface Running {
  readonly version: string;
  readonly watchers: KubeWatchers;
}

function sameServed(a: ServedKinds, b: ServedKinds): boolean {
  if (a.size !== b.size) return false;
  for (const [kind, version] of a) if (b.get(kind) !== version) return false;
  return true;
}

export class OptionalKindWatchers {
  readonly #opts: OptionalKindWatchersOptions;
  readonly #log: Logger;
  readonly #running = new Map<KindName, Running>();
  readonly #stop = new AbortController();
  /** What the last successful discovery said, per kind; absent before the first. */
  #known: ServedKinds | undefined;
  /** The last aggregated discovery document: a round that finds it unchanged reads nothing more. */
  readonly #aggregated: AggregatedDiscovery;
  /** Successful discoveries since the bundle versions were last read. */
  #passesSinceBundleRead = 0;
  #discovered!: () => void;
  readonly #firstDiscovery = new Promise<void>(resolve => {
    this.#discovered = resolve;
  });
  #loop: Promise<void> | undefined;
  #serial: Promise<unknown> = Promise.resolve();

  constructor(opts: OptionalKindWatchersOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: "optional-kinds" });
    this.#aggregated = new AggregatedDiscovery(this.#log);
  }

  /** Starts discovering (at once, then periodically). Idempotent. */
  start(): void {
    if (this.#loop !== undefined || this.#stop.signal.aborted) return;
    this.#loop = this.#run(this.#stop.signal);
  }

  /** Asks discovery again now (e.g. after a watcher of an optional kind met a 404). */
  async refresh(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    await this.#discover(this.#stop.signal);
  }

  /** Per optional kind, the version it is watched at; undefined when it is off. */
  served(): ReadonlyMap<KindName, string | undefined> {
    return new Map(this.#opts.kinds.map(k => [k.kind, this.#running.get(k.kind)?.version]));
  }

  /**
   * Resolves once discovery has answered once and every kind it found served has completed its first
   * list. Kinds that appear later do not hold it back.
   */
  async waitSynced(signal: AbortSignal): Promise<void> {
    await untilAborted(this.#firstDiscovery, signal);
    await Promise.all([...this.#running.values()].map(r => r.watchers.waitSynced(signal)));
  }

  /** Whether discovery has answered once; before that, nothing is known about optional kinds. */
  hasDiscovered(): boolean {
    return this.#known !== undefined;
  }

  health(): ReflectorHealth[] {
    return [...this.#running.values()].flatMap(r => r.watchers.health());
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.#serial;
    await Promise.all([...this.#running.values()].map(r => r.watchers.stop()));
  }

  async #run(signal: AbortSignal): Promise<void> {
    const interval = this.#opts.intervalMs ?? 10_000;
    const firstRetry = this.#opts.retryMs ?? 1_000;
    const gate = this.#opts.gate ?? sleepingGate(this.#opts.clock);
    let retry = firstRetry;
    while (!signal.aborted) {
      if (await this.#discover(signal)) {
        retry = firstRetry;
        gate.answered();
        await this.#opts.clock.sleep(interval, signal).catch(() => undefined);
        continue;
      }
      const wait = retry;
      retry = Math.min(retry * 2, interval);
      if ((await gate.wait(wait, signal)) === "recovered") retry = firstRetry;
    }
  }

  /** One discovery at a time: the periodic one and a refresh must not start a kind twice. */
  #discover(signal: AbortSignal): Promise<boolean> {
    const next = this.#serial.then(() => this.#discoverOnce(signal));
    this.#serial = next.catch(() => undefined);
    return next;
  }

  async #discoverOnce(signal: AbortSignal): Promise<boolean> {
    let served: ServedKinds;
    try {
      served = await discoverKinds(this.#opts.api, this.#opts.kinds, signal, this.#aggregated);
    } catch (err) {
      if (!signal.aborted) this.#log.warn({ err }, "Cannot tell which optional kinds are served");
      return false;
    }
    if (signal.aborted) return false;
    await Promise.all([this.#apply(served), this.#readBundles(served, signal)]);
    this.#known = served;
    this.#discovered();
    return true;
  }

  async #readBundles(served: ServedKinds, signal: AbortSignal): Promise<void> {
    const { api, kinds, bundles } = this.#opts;
    if (bundles === undefined) return;
    this.#passesSinceBundleRead++;
    const due =
      this.#known === undefined ||
      !sameServed(this.#known, served) ||
      bundles.lastReadFailed ||
      this.#passesSinceBundleRead >= BUNDLE_REREAD_PASSES;
    if (!due) return;
    this.#passesSinceBundleRead = 0;
    if (await bundles.refresh({ api, kinds, served, signal })) this.#opts.onBundlesChanged?.();
  }

  async #apply(served: ServedKinds): Promise<void> {
    for (const def of this.#opts.kinds) {
      const version = served.get(def.kind);
      const running = this.#running.get(def.kind);
      if (running?.version === version) {
        if (version === undefined && this.#known === undefined) this.#logOff(def);
        continue;
      }
      if (running !== undefined) await this.#stopKind(def, running);
      if (version === undefined) {
        this.#logOff(def);
        continue;
      }
      const watchers = this.#opts.newWatchers(kindAt(def, version));
      this.#running.set(def.kind, { version, watchers });
      watchers.start();
      this.#log.info({ kind: def.kind, version: `${def.group}/${version}` }, "Watching kind");
    }
  }

  async #stopKind(def: KindDefinition, running: Running): Promise<void> {
    this.#running.delete(def.kind);
    await running.watchers.stop();
    for (const name of this.#opts.sink.names(def.kind, undefined))
      this.#opts.sink.remove(def.kind, name);
  }

  #logOff(def: KindDefinition): void {
    this.#log.info(
      { kind: def.kind, versions: def.versions.map(v => `${def.group}/${v}`) },
      "Kind not served (its CRD is not installed): not watched",
    );
  }
}
