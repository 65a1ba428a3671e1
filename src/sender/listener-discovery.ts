/**
 * Which listeners Kong really has: `GET /` of every ready Kong, merged by kong/listeners.ts into a view
 * that is known, known-empty or unknown (incident d, REQ-D1..D3). Unknown is retried with capped
 * backoff (REQ-D2); a change in the set of ready Kongs re-asks at once (REQ-D3). Subscribers hear of
 * every change of the view, which is what requeues the Gateways.
 */
import type { Logger } from "pino";
import type { KongAdminApi } from "../kong/admin-client.ts";
import { mergeAvailablePlugins, pluginsFromRoot, samePlugins } from "../kong/available-plugins.ts";
import {
  describeListeners,
  listenersFromRoot,
  listenersState,
  mergeKongListeners,
  sameView,
  type KongListeners,
  type KongListenersState,
  type KongListenersView,
} from "../kong/listeners.ts";
import {
  DEFAULT_ROUTER_FLAVOR,
  flavorFromRoot,
  flavorProblems,
  mergeRouterFlavors,
  sameFlavorView,
  type KongRouterFlavor,
  type RouterFlavorView,
} from "../kong/router-flavor.ts";
import type { Clock } from "../util/clock.ts";
import { deadlineAfter } from "../util/deadline.ts";
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.ts";

/** The gauge `kongress_kong_listeners_state` (telemetry/metrics.ts), or anything shaped like it. */
export interface ListenersStateGauge {
  set(labels: { state: KongListenersState }, value: number): void;
}

/** The gauges `kongress_router_flavor` and `kongress_kong_router_flavor_mismatch`, or alike. */
export interface RouterFlavorGauges {
  readonly flavor: { set(labels: { flavor: string }, value: number): void };
  readonly mismatch: {
    set(labels: { dataplane: string; flavor: string }, value: number): void;
    remove(labels: { dataplane: string; flavor: string }): void;
  };
}

export interface ListenerDiscoveryOptions {
  /** The Admin APIs of the Kongs that are ready now; asked again at every round. */
  readonly readyKongs: () => readonly KongAdminApi[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Jitter of the retry delays. */
  readonly random: () => number;
  /** Retries while the view is unknown: 1 s doubling up to 30 s by default (REQ-D2: at most 30 s). */
  readonly backoff?: BackoffOptions;
  /**
   * How long one `GET /` may take before it counts as failed. KIC's readiness check allows 5 s; the
   * Admin client's own deadline (30 s, sized for config pushes) would hold the view for too long.
   */
  readonly requestTimeoutMs?: number;
  readonly stateGauge?: ListenersStateGauge;
  readonly flavorGauges?: RouterFlavorGauges;
}

export type ListenersSubscriber = (view: KongListenersView) => void;

const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const MAX_RECORDS = 256;
const STATES: readonly KongListenersState[] = ["unknown", "known_empty", "known"];
const NOT_ASKED: KongListenersView = Object.freeze({
  state: "unknown",
  reason: "Kong has not been asked yet",
});

/** What we know of one Kong, kept by Admin API URL for as long as the process lives. */
interface KongRecord {
  /** Its last answer; it survives the Kong leaving the ready set (a restart). */
  listeners?: KongListeners;
  /** Why its latest `GET /` failed, until it answers or leaves the ready set. */
  failure?: string;
  /** Its router, from its last answer that said (a control plane's too). */
  flavor?: KongRouterFlavor;
  /** The plugins it has, from its last answer that said. */
  plugins?: readonly string[];
}

const FLAVORS: readonly KongRouterFlavor[] = [
  "traditional",
  "traditional_compatible",
  "expressions",
];

export class ListenerDiscovery {
  readonly #o: ListenerDiscoveryOptions;
  readonly #log: Logger;
  readonly #backoff: BackoffOptions;
  readonly #timeoutMs: number;
  readonly #stop = new AbortController();
  readonly #records = new Map<string, KongRecord>();
  readonly #subscribers = new Set<ListenersSubscriber>();
  #ready: readonly KongAdminApi[] = [];
  #view: KongListenersView = NOT_ASKED;
  #flavor: RouterFlavorView = { flavor: DEFAULT_ROUTER_FLAVOR, mismatched: [] };
  #plugins: readonly string[] | undefined;
  /** Counts changes of the ready set; one during a round or a wait starts another round at once. */
  #readyChanges = 0;
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;

  constructor(options: ListenerDiscoveryOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: "listener-discovery" });
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#setGauge();
    for (const f of FLAVORS)
      options.flavorGauges?.flavor.set({ flavor: f }, f === DEFAULT_ROUTER_FLAVOR ? 1 : 0);
  }

  /** The current view; `unknown` until every ready Kong has answered. */
  get view(): KongListenersView {
    return this.#view;
  }

  /** Kong's router: the flavour routes are written for, and the Kongs that run another. */
  get routerFlavor(): RouterFlavorView {
    return this.#flavor;
  }

  /** The plugins every ready Kong that said has (sorted); undefined while none has said. */
  get availablePlugins(): readonly string[] | undefined {
    return this.#plugins;
  }

  /**
   * Calls `subscriber` after every change of the view, the router flavour or the available plugins
   * (not with the current one).
   */
  subscribe(subscriber: ListenersSubscriber): () => void {
    this.#subscribers.add(subscriber);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  /** Starts asking; idempotent. */
  start(): void {
    this.#done ??= this.#run();
  }

  /** Abandons requests in flight and waits for the loop to end. */
  async stop(): Promise<void> {
    this.#stop.abort(new Error("listener discovery stopped"));
    this.#wake?.();
    await this.#done;
  }

  /**
   * The set of ready Kongs changed (REQ-D3): the view follows at once (no ready Kong is unknown without
   * asking anything), and every ready Kong is asked again without waiting out a backoff.
   */
  readyKongsChanged(): void {
    if (this.#stop.signal.aborted) return;
    this.#readyChanges++;
    this.#refreshReadySet();
    this.#wake?.();
  }

  async #run(): Promise<void> {
    let failedRounds = 0;
    while (!this.#stopped()) {
      const changes = this.#readyChanges;
      this.#refreshReadySet();
      await this.#askAll();
      if (this.#stopped()) break;
      if (this.#readyChanges !== changes) {
        failedRounds = 0;
        continue;
      }
      if (this.#view.state === "known") {
        failedRounds = 0;
        await this.#idle(undefined, changes);
        continue;
      }
      failedRounds++;
      const delayMs = backoffDelayMs(failedRounds, this.#backoff, this.#o.random);
      this.#log.debug({ attempt: failedRounds, delayMs }, "Asking Kong for its listeners again");
      await this.#idle(delayMs, changes);
      if (this.#readyChanges !== changes) failedRounds = 0;
    }
  }

  // A method, not a field read: the loop's awaits change it behind the type checker's back.
  #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Re-reads the ready set; a Kong that was not in it before starts without its old failure. */
  #refreshReadySet(): void {
    const byUrl = new Map<string, KongAdminApi>();
    for (const admin of this.#readyKongs()) byUrl.set(admin.url, admin);
    const before = new Set(this.#ready.map(a => a.url));
    this.#ready = [...byUrl.values()];
    for (const admin of this.#ready) {
      // A failure belongs to a time the Kong was ready; once back, its cached answer counts again
      // until it answers anew (a restart must not wipe what it said before).
      if (!before.has(admin.url)) delete this.#record(admin.url).failure;
    }
    this.#forgetGoneKongs(byUrl);
    this.#publish();
  }

  /**
   * Kongs found behind a Service come and go under new pod IPs; keep at most MAX_RECORDS answers,
   * forgetting the Kongs not ready now that were seen first.
   */
  #forgetGoneKongs(ready: ReadonlyMap<string, KongAdminApi>): void {
    for (const url of this.#records.keys()) {
      if (this.#records.size <= MAX_RECORDS) return;
      if (!ready.has(url)) this.#records.delete(url);
    }
  }

  #readyKongs(): readonly KongAdminApi[] {
    try {
      return this.#o.readyKongs();
    } catch (error) {
      // Not knowing which Kongs are ready is not knowing their listeners: unknown, retried.
      this.#log.error({ err: error }, "Could not tell which Kongs are ready");
      return [];
    }
  }

  async #askAll(): Promise<void> {
    await Promise.all(this.#ready.map(admin => this.#ask(admin)));
  }

  async #ask(admin: KongAdminApi): Promise<void> {
    const { answer, flavor, plugins } = await this.#root(admin);
    if (this.#stop.signal.aborted) return;
    const record = this.#record(admin.url);
    if (flavor !== undefined) record.flavor = flavor;
    if (plugins !== undefined) record.plugins = plugins;
    if (answer.ok) {
      record.listeners = answer.listeners;
      delete record.failure;
    } else {
      if (record.failure === undefined) {
        this.#log.warn({ dataplane: admin.url, reason: answer.reason }, "Kong's GET / failed");
      }
      record.failure = answer.reason;
    }
    this.#publish();
  }

  async #root(admin: KongAdminApi): Promise<{
    answer: { ok: true; listeners: KongListeners } | { ok: false; reason: string };
    flavor?: KongRouterFlavor;
    plugins?: readonly string[];
  }> {
    // On the injected clock, like the Admin client's own deadline, so tests can expire it.
    const deadline = deadlineAfter(
      this.#o.clock,
      this.#timeoutMs,
      () => new Error(`no answer within ${this.#timeoutMs} ms`),
    );
    try {
      const outcome = await admin.root(AbortSignal.any([deadline.signal, this.#stop.signal]));
      if (deadline.signal.aborted) {
        return { answer: { ok: false, reason: `no answer within ${this.#timeoutMs} ms` } };
      }
      if (!outcome.ok) return { answer: { ok: false, reason: outcome.error.message } };
      const flavor = flavorFromRoot(outcome.value);
      const plugins = pluginsFromRoot(outcome.value);
      return {
        answer: listenersFromRoot(outcome.value),
        ...(flavor === undefined ? {} : { flavor }),
        ...(plugins === undefined ? {} : { plugins }),
      };
    } catch (error) {
      // The Admin client classifies every exchange; this only catches a broken client.
      const reason = error instanceof Error ? error.message : String(error);
      return { answer: { ok: false, reason } };
    } finally {
      deadline.cancel();
    }
  }

  #record(url: string): KongRecord {
    let record = this.#records.get(url);
    if (record === undefined) {
      record = {};
      this.#records.set(url, record);
    }
    return record;
  }

  /** Waits for `ms` (for ever when undefined), a change of the ready set after `changes`, or stop. */
  async #idle(ms: number | undefined, changes: number): Promise<void> {
    if (this.#readyChanges !== changes || this.#stop.signal.aborted) return;
    const cancel = new AbortController();
    const woken = new Promise<void>(resolve => {
      this.#wake = resolve;
    });
    const slept =
      ms === undefined
        ? woken
        : this.#o.clock
            .sleep(ms, AbortSignal.any([cancel.signal, this.#stop.signal]))
            .catch(() => undefined);
    await Promise.race([woken, slept]);
    cancel.abort();
    this.#wake = undefined;
  }

  #publish(): void {
    const reports = this.#ready.map(admin => ({ url: admin.url, ...this.#records.get(admin.url) }));
    const view = mergeKongListeners(reports);
    const flavor = mergeRouterFlavors(reports, this.#flavor.flavor);
    const flavorChanged = !sameFlavorView(flavor, this.#flavor);
    if (flavorChanged) this.#flavorChanged(flavor);
    const pluginsChanged = this.#pluginsChanged(mergeAvailablePlugins(reports));
    if (sameView(view, this.#view)) {
      if (flavorChanged || pluginsChanged) this.#notify();
      return;
    }
    const before = listenersState(this.#view);
    this.#view = Object.freeze(view);
    this.#setGauge();
    this.#logChange(before);
    this.#notify();
  }

  /** Keeps `next` when it differs (the same array until it does); true when it did. */
  #pluginsChanged(next: readonly string[] | undefined): boolean {
    // Kongs that leave the ready set keep the last known list: not knowing is no reason to forget.
    if (next === undefined || samePlugins(next, this.#plugins)) return false;
    this.#plugins = Object.freeze(next);
    this.#log.info({ plugins: next.length }, "Kong's available plugins changed");
    return true;
  }

  #flavorChanged(next: RouterFlavorView): void {
    const before = this.#flavor;
    this.#flavor = Object.freeze(next);
    if (next.flavor !== before.flavor)
      this.#log.info({ routerFlavor: next.flavor }, "Kong's router flavour changed");
    // Mixed flavours are an error of each Kong that differs: logged, counted and a readiness reason.
    for (const problem of flavorProblems(next))
      this.#log.error({ reason: problem }, "Kongs run different router flavours");
    const gauges = this.#o.flavorGauges;
    if (gauges === undefined) return;
    for (const f of FLAVORS) gauges.flavor.set({ flavor: f }, f === next.flavor ? 1 : 0);
    for (const m of before.mismatched)
      gauges.mismatch.remove({ dataplane: m.url, flavor: m.flavor });
    for (const m of next.mismatched) gauges.mismatch.set({ dataplane: m.url, flavor: m.flavor }, 1);
  }

  #notify(): void {
    const view = this.#view;
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(view);
      } catch (error) {
        this.#log.error({ err: error }, "A listener-discovery subscriber failed");
      }
    }
  }

  #logChange(before: KongListenersState): void {
    const view = this.#view;
    const state = listenersState(view);
    if (view.state === "unknown") {
      // Only a change of state is worth a warning; a new reason while still unknown is detail.
      const level = before === "unknown" ? "debug" : "warn";
      this.#log[level]({ state, reason: view.reason }, "Kong's listeners are unknown");
      return;
    }
    this.#log.info(
      { state, listeners: describeListeners(view.listeners) },
      state === "known_empty"
        ? "Kong has no proxy or stream listener"
        : "Kong's listeners are known",
    );
  }

  #setGauge(): void {
    const current = listenersState(this.#view);
    for (const state of STATES) this.#o.stateGauge?.set({ state }, state === current ? 1 : 0);
  }
}
