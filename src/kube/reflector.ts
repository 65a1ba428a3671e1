/**
 * A small reflector (kube-testing.md §5.6 point 3): list, then watch from the list's resourceVersion,
 * forever, for one kind in one scope. client-node's informer stops on the first error and reports its
 * own stop() as one; this loop instead retries after any failure with capped backoff, resuming the watch
 * from the last resourceVersion it saw (a relist only on 410 Gone), and treats a deliberate stop as the
 * end, never as an error. Its waits go through a RetryGate, which the API server probe ends early when
 * the API server answers again.
 */
import type { Logger } from "pino";
import type { Clock } from "../util/clock.ts";
import {
  Backoff,
  DEFAULT_WATCH_BACKOFF,
  sleepingGate,
  type BackoffOptions,
  type RetryGate,
} from "./backoff.ts";
import type { KubeApi, Query } from "./client.ts";
import { KubeApiError, KubeProtocolError, KubeWatchStalledError, isGone } from "./errors.ts";
import {
  collectionPath,
  scopeLabel,
  type KindInfo,
  type WatchScope,
  type WatchedKind,
} from "./kinds.ts";
import { trimObject } from "./trim.ts";
import { isRecord } from "../util/is-record.ts";

/** Namespace ("" when cluster-scoped) and name of an object. */
export interface ObjectName {
  readonly namespace: string;
  readonly name: string;
}

/**
 * Where a reflector delivers what it sees; the store implements it. Deletes carry only the name: the
 * sink resolves them against its own cached copy (incident e), never against the event's payload.
 */
export interface ReflectorSink {
  upsert(kind: WatchedKind, raw: unknown): void;
  remove(kind: WatchedKind, name: ObjectName): void;
  /** The objects of `kind` the sink holds in `namespace` (undefined: in every namespace). */
  names(kind: WatchedKind, namespace: string | undefined): readonly ObjectName[];
}

export interface ReflectorOptions {
  readonly api: KubeApi;
  readonly scope: WatchScope;
  readonly sink: ReflectorSink;
  readonly clock: Clock;
  /** Uniform in [0, 1); jitters backoff and the watch timeout. */
  readonly random: () => number;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
  readonly pageSize?: number;
  /** The server ends each watch after a random time in this range (client-go: 5 to 10 min). */
  readonly watchTimeoutSeconds?: { readonly min: number; readonly max: number };
  /**
   * A watch silent for this long past its own server timeout is presumed dead (a dropped connection
   * nobody noticed, client-node #364) and restarted. An idle cluster may send no bookmarks for minutes,
   * so only the server missing its own deadline is a reliable sign.
   */
  readonly stallGraceMs?: number;
  /** Counts events, restarts and syncs (metrics). */
  readonly observer?: ReflectorObserver;
  /**
   * A watch the server ends cleanly sooner than this, with nothing in it, makes the next one wait (a
   * server that closes every watch at once must not make us spin).
   */
  readonly healthyAfterMs?: number;
  /** Only objects matching these selectors are listed and watched (e.g. one Service's EndpointSlices). */
  readonly selector?: {
    readonly labelSelector?: string;
    readonly fieldSelector?: string;
  };
  /** What the sink receives of each object; by default what translation reads (trim.ts). */
  readonly trim?: (kind: KindInfo, raw: unknown) => unknown;
  /** Where retries wait: the API server probe, shared by every client. Default: a plain sleep. */
  readonly gate?: RetryGate;
}

/** Hooks for metrics; labels are the kind name and the watch event type or error code. */
export interface ReflectorObserver {
  onEvent?(kind: string, type: string): void;
  onRestart?(kind: string, reason: string): void;
  onSynced?(kind: string): void;
  /** After every successful list, the first and each relist. */
  onListed?(kind: string): void;
  /**
   * The failure `health().lastError` held is over: a list was served or a watch accepted again (a
   * watch resumed after an outage lists nothing, so `onListed` alone would not tell).
   */
  onRecovered?(kind: string): void;
}

/** What /readyz and metrics read. Times are clock milliseconds. */
export interface ReflectorHealth {
  readonly scope: string;
  /** A first list has completed. Never reverts: the cache stays usable through outages. */
  readonly synced: boolean;
  readonly lastListAt: number | undefined;
  /** The last watch event of any type, bookmarks included. */
  readonly lastEventAt: number | undefined;
  /** Restarts after a failure. */
  readonly restarts: number;
  readonly lists: number;
  /** The failure that caused the current retry; cleared once a list or a watch is served again. */
  readonly lastError:
    { readonly code: string; readonly message: string; readonly at: number } | undefined;
  readonly resourceVersion: string;
}

/** How one watch ended; `resourceVersion` is the last one it delivered, to resume from. */
type WatchOutcome =
  | { readonly kind: "closed"; readonly resourceVersion: string; readonly quiet: boolean }
  | { readonly kind: "expired" }
  | { readonly kind: "failed"; readonly resourceVersion: string; readonly err: unknown };

interface WatchEvent {
  readonly type: string;
  readonly object: Record<string, unknown>;
}

const DEFAULT_PAGE_SIZE = 500;

/**
 * What a metadata-only kind asks for: the object's metadata without its content (for a Secret, without
 * its data). Plain JSON stays acceptable, so a server that cannot send metadata only still answers.
 */
const METADATA_ONLY = Object.freeze({
  list: {
    accept: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
  },
  watch: {
    accept: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json",
  },
});
const DEFAULT_WATCH_TIMEOUT = { min: 300, max: 600 };
const DEFAULT_STALL_GRACE_MS = 60_000;
const DEFAULT_HEALTHY_AFTER_MS = 10_000;

/** Lists and watches one kind in one scope, feeding a sink, until stopped. */
export class Reflector {
  readonly #opts: ReflectorOptions;
  readonly #path: string;
  readonly #label: string;
  readonly #log: Logger;
  /** Between retries after failures; reset by any request the server serves. */
  readonly #backoff: Backoff;
  /** Between watches the server ended at once with nothing in them; reset by a watch that was not. */
  readonly #quietBackoff: Backoff;
  readonly #gate: RetryGate;
  readonly #accept: { readonly list: { accept?: string }; readonly watch: { accept?: string } };
  readonly #trim: (kind: KindInfo, raw: unknown) => unknown;
  readonly #selector: Query;
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;
  #syncedResolve: () => void = () => undefined;
  readonly #synced = new Promise<void>(resolve => {
    this.#syncedResolve = resolve;
  });
  #health: {
    synced: boolean;
    lastListAt: number | undefined;
    lastEventAt: number | undefined;
    restarts: number;
    lists: number;
    lastError: ReflectorHealth["lastError"];
    resourceVersion: string;
  } = {
    synced: false,
    lastListAt: undefined,
    lastEventAt: undefined,
    restarts: 0,
    lists: 0,
    lastError: undefined,
    resourceVersion: "",
  };

  constructor(opts: ReflectorOptions) {
    this.#opts = opts;
    this.#path = collectionPath(opts.scope.kind, opts.scope.namespace);
    this.#label = scopeLabel(opts.scope);
    this.#log = opts.logger.child({ component: "reflector", scope: this.#label });
    this.#backoff = new Backoff(opts.backoff ?? DEFAULT_WATCH_BACKOFF, opts.random);
    this.#quietBackoff = new Backoff(opts.backoff ?? DEFAULT_WATCH_BACKOFF, opts.random);
    this.#gate = opts.gate ?? sleepingGate(opts.clock);
    this.#accept = opts.scope.kind.metadataOnly ? METADATA_ONLY : { list: {}, watch: {} };
    this.#trim = opts.trim ?? trimObject;
    const { labelSelector } = opts.scope.kind;
    this.#selector = {
      ...(labelSelector === undefined ? {} : { labelSelector }),
      ...opts.selector,
    };
  }

  get scope(): WatchScope {
    return this.#opts.scope;
  }

  /** Starts the list/watch loop in the background. Idempotent. */
  start(): void {
    if (this.#running !== undefined || this.#stop.signal.aborted) return;
    this.#running = this.#run(this.#stop.signal);
  }

  /** Stops for good and resolves when the loop has ended. Never reported as an error. */
  async stop(): Promise<void> {
    this.#stop.abort(new Error("reflector stopped"));
    await this.#running;
  }

  /** Resolves after the first successful list: "synced" means the cache is complete, not "started". */
  waitSynced(): Promise<void> {
    return this.#synced;
  }

  hasSynced(): boolean {
    return this.#health.synced;
  }

  health(): ReflectorHealth {
    return { scope: this.#label, ...this.#health };
  }

  async #run(signal: AbortSignal): Promise<void> {
    let resourceVersion: string | undefined;
    let expiredInARow = 0;
    while (!signal.aborted) {
      if (resourceVersion === undefined) {
        try {
          resourceVersion = await this.#list(signal);
        } catch (err) {
          if (isAborted(signal)) break;
          this.#recordFailure(err);
          // A 410 on a list continue token just means "start the list again".
          if (!isGone(err) || expiredInARow++ > 0) await this.#pause(signal);
          continue;
        }
      }
      const outcome = await this.#watch(resourceVersion, signal);
      if (isAborted(signal)) break;
      switch (outcome.kind) {
        case "closed":
          resourceVersion = outcome.resourceVersion;
          expiredInARow = 0;
          if (outcome.quiet) await this.#pauseAfterQuietWatch(signal);
          break;
        case "expired":
          resourceVersion = undefined;
          expiredInARow += 1;
          this.#log.info(
            { resourceVersion: this.#health.resourceVersion },
            "Watch expired; relisting",
          );
          // One 410 is routine; a second in a row without progress would otherwise spin.
          if (expiredInARow > 1) await this.#pause(signal);
          break;
        case "failed":
          // Everything up to this resourceVersion is in the sink; the API server replays the rest,
          // or answers 410 when it no longer can (only then is a relist needed).
          resourceVersion = outcome.resourceVersion;
          this.#recordFailure(outcome.err);
          await this.#pause(signal);
          break;
      }
    }
    this.#log.debug("Reflector stopped");
  }

  async #pause(signal: AbortSignal): Promise<void> {
    const delayMs = this.#backoff.next();
    this.#log.debug({ delayMs, attempt: this.#backoff.attempts }, "Backing off");
    // The API server answering again makes the delay it grew to while it did not meaningless.
    if ((await this.#gate.wait(delayMs, signal)) === "recovered") this.#backoff.reset();
  }

  async #pauseAfterQuietWatch(signal: AbortSignal): Promise<void> {
    const delayMs = this.#quietBackoff.next();
    this.#log.debug({ delayMs }, "The server ended an empty watch at once; waiting");
    await this.#opts.clock.sleep(delayMs, signal).catch(() => undefined);
  }

  /** The API server served a list or accepted a watch: it works, whatever failed before. */
  #served(): void {
    this.#backoff.reset();
    this.#gate.answered();
    if (this.#health.lastError === undefined) return;
    this.#health.lastError = undefined;
    this.#opts.observer?.onRecovered?.(this.#opts.scope.kind.kind);
  }

  #recordFailure(err: unknown): void {
    this.#health.restarts += 1;
    const code = err instanceof Error && "code" in err ? String(err.code) : "ERR_UNKNOWN";
    const message = err instanceof Error ? err.message : String(err);
    this.#health.lastError = { code, message, at: this.#opts.clock.now() };
    this.#log.warn({ err, restarts: this.#health.restarts }, "List or watch failed; restarting");
    this.#opts.observer?.onRestart?.(this.#opts.scope.kind.kind, code);
  }

  /**
   * Lists every page, applying each to the sink as it arrives (a list of large objects is never held
   * whole), then deletes what the complete list did not contain.
   */
  async #list(signal: AbortSignal): Promise<string> {
    const { kind } = this.#opts.scope;
    const listed = new Set<string>();
    let resourceVersion: string;
    let continueToken: string | undefined;
    do {
      const query: Query = {
        ...this.#selector,
        limit: String(this.#opts.pageSize ?? DEFAULT_PAGE_SIZE),
        ...(continueToken === undefined ? {} : { continue: continueToken }),
      };
      const body = await this.#opts.api.getJson(this.#path, {
        ...this.#accept.list,
        query,
        signal,
      });
      const page = readListPage(body);
      if (signal.aborted) throw signal.reason;
      for (const item of page.items) {
        const trimmed = this.#trim(kind, item);
        const name = nameOf(trimmed);
        if (name !== undefined) listed.add(`${name.namespace}/${name.name}`);
        this.#opts.sink.upsert(kind.kind, trimmed);
      }
      resourceVersion = page.resourceVersion;
      continueToken = page.continueToken;
    } while (continueToken !== undefined);
    this.#removeUnlisted(listed);
    this.#served();
    this.#markListed(resourceVersion, listed.size);
    return resourceVersion;
  }

  /** Objects deleted while we were not watching: handled exactly like a watch DELETE (REQ-E2). */
  #removeUnlisted(listed: ReadonlySet<string>): void {
    const { sink, scope } = this.#opts;
    const kind = scope.kind.kind;
    for (const held of sink.names(kind, scope.namespace)) {
      if (!listed.has(`${held.namespace}/${held.name}`)) sink.remove(kind, held);
    }
  }

  #markListed(resourceVersion: string, count: number): void {
    const h = this.#health;
    h.lists += 1;
    h.lastListAt = this.#opts.clock.now();
    h.resourceVersion = resourceVersion;
    this.#log.debug({ resourceVersion, count }, "Listed");
    if (!h.synced) {
      h.synced = true;
      this.#log.info({ resourceVersion, count }, "Initial list complete");
      this.#opts.observer?.onSynced?.(this.#opts.scope.kind.kind);
      this.#syncedResolve();
    }
    this.#opts.observer?.onListed?.(this.#opts.scope.kind.kind);
  }

  /**
   * One watch request, from `resourceVersion` until the server or the watchdog ends it. Failures come
   * back as an outcome carrying the resourceVersion to resume from; only a stop rejects.
   */
  async #watch(resourceVersion: string, signal: AbortSignal): Promise<WatchOutcome> {
    const { min, max } = this.#opts.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT;
    const timeoutSeconds = Math.floor(min + (max - min) * this.#opts.random());
    const query: Query = {
      ...this.#selector,
      resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: String(timeoutSeconds),
    };
    const watch = new AbortController();
    const both = AbortSignal.any([signal, watch.signal]);
    const startedAt = this.#opts.clock.now();
    const progress = { lastActivity: startedAt, events: 0, resourceVersion };
    const stallMs = timeoutSeconds * 1000 + (this.#opts.stallGraceMs ?? DEFAULT_STALL_GRACE_MS);
    const watchdog = this.#watchdog({ progress, limitMs: stallMs, watch }, both);
    try {
      const events = await this.#opts.api.watch(this.#path, {
        ...this.#accept.watch,
        query,
        signal: both,
      });
      this.#served();
      for await (const raw of events) {
        const outcome = this.#handleEvent(readWatchEvent(raw), progress);
        if (outcome !== undefined) return outcome;
      }
      if (watch.signal.aborted) throw watch.signal.reason;
      const quiet = this.#endedQuietly(progress.events, startedAt);
      return { kind: "closed", resourceVersion: progress.resourceVersion, quiet };
    } catch (err) {
      if (isGone(err)) return { kind: "expired" };
      const cause: unknown = watch.signal.aborted && !signal.aborted ? watch.signal.reason : err;
      return { kind: "failed", resourceVersion: progress.resourceVersion, err: cause };
    } finally {
      watch.abort();
      await watchdog;
    }
  }

  /** Aborts the watch when it has been silent for too long; ends when the watch does. */
  async #watchdog(
    opts: { progress: { lastActivity: number }; limitMs: number; watch: AbortController },
    signal: AbortSignal,
  ): Promise<void> {
    const { progress, limitMs, watch } = opts;
    const { clock } = this.#opts;
    while (!signal.aborted) {
      const idleMs = clock.now() - progress.lastActivity;
      if (idleMs >= limitMs) {
        watch.abort(new KubeWatchStalledError(`No watch event for ${idleMs} ms`));
        return;
      }
      await clock.sleep(limitMs - idleMs, signal).catch(() => undefined);
    }
  }

  /** Whether a watch the server closed ended too soon, with nothing in it, to open the next at once. */
  #endedQuietly(events: number, startedAt: number): boolean {
    const healthyAfterMs = this.#opts.healthyAfterMs ?? DEFAULT_HEALTHY_AFTER_MS;
    const quiet = events === 0 && this.#opts.clock.now() - startedAt < healthyAfterMs;
    if (!quiet) this.#quietBackoff.reset();
    return quiet;
  }

  #handleEvent(
    event: WatchEvent,
    progress: { lastActivity: number; events: number; resourceVersion: string },
  ): WatchOutcome | undefined {
    progress.lastActivity = this.#opts.clock.now();
    progress.events += 1;
    this.#health.lastEventAt = progress.lastActivity;
    this.#health.lastError = undefined;
    const { kind } = this.#opts.scope;
    this.#opts.observer?.onEvent?.(kind.kind, event.type);
    if (event.type === "ERROR") return watchError(event.object);
    const rv = resourceVersionOf(event.object);
    switch (event.type) {
      case "ADDED":
      case "MODIFIED":
        this.#opts.sink.upsert(kind.kind, this.#trim(kind, event.object));
        break;
      case "DELETED": {
        const name = nameOf(event.object);
        if (name !== undefined) this.#opts.sink.remove(kind.kind, name);
        break;
      }
      case "BOOKMARK":
        break;
      default:
        this.#log.debug({ type: event.type }, "Ignoring an unknown watch event type");
        return undefined;
    }
    if (rv !== undefined) {
      progress.resourceVersion = rv;
      this.#health.resourceVersion = rv;
    }
    return undefined;
  }
}

// A function, so that TypeScript does not keep a narrowing of `aborted` across an await.
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function metadataOf(obj: unknown): Record<string, unknown> | undefined {
  return isRecord(obj) && isRecord(obj["metadata"]) ? obj["metadata"] : undefined;
}

function nameOf(obj: unknown): ObjectName | undefined {
  const meta = metadataOf(obj);
  const name = meta?.["name"];
  if (typeof name !== "string") return undefined;
  const namespace = meta?.["namespace"];
  return { namespace: typeof namespace === "string" ? namespace : "", name };
}

function resourceVersionOf(obj: unknown): string | undefined {
  const rv = metadataOf(obj)?.["resourceVersion"];
  return typeof rv === "string" && rv !== "" ? rv : undefined;
}

function readListPage(body: unknown): {
  items: readonly unknown[];
  resourceVersion: string;
  continueToken: string | undefined;
} {
  const items = isRecord(body) ? body["items"] : undefined;
  const rv = resourceVersionOf(body);
  // A list with no items comes without the array from some encoders, and as `"items": null` in an
  // empty PartialObjectMetadataList.
  const noItems = items === undefined || items === null;
  if (!isRecord(body) || rv === undefined || (!noItems && !Array.isArray(items)))
    throw new KubeProtocolError("A list response had no items or no metadata.resourceVersion");
  const token = metadataOf(body)?.["continue"];
  return {
    items: Array.isArray(items) ? (items as unknown[]) : [],
    resourceVersion: rv,
    continueToken: typeof token === "string" && token !== "" ? token : undefined,
  };
}

function readWatchEvent(raw: unknown): WatchEvent {
  if (!isRecord(raw) || typeof raw["type"] !== "string" || !isRecord(raw["object"]))
    throw new KubeProtocolError("A watch event had no type or no object");
  return { type: raw["type"], object: raw["object"] };
}

/** An ERROR event carries a Status; 410 means our resourceVersion is too old to resume from. */
function watchError(status: Record<string, unknown>): WatchOutcome {
  const code = typeof status["code"] === "number" ? status["code"] : 500;
  if (code === 410) return { kind: "expired" };
  const reason = typeof status["reason"] === "string" ? status["reason"] : "";
  const message = typeof status["message"] === "string" ? status["message"] : "watch error";
  throw new KubeApiError(code, { reason, message });
}
