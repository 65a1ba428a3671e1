/**
 * Gateway discovery (`--kong-admin-svc`): the Kong Admin APIs behind one Service, kept current by two
 * small reflectors of their own (the Service by name, its EndpointSlices by the
 * `kubernetes.io/service-name` label), not through the translation store. A discovery that cannot
 * name any Kong says so (a log line and `onProblem`) and again, with capped backoff, for as long as
 * that lasts: the controller never pushes to nobody without saying it.
 */
import type { Logger } from "pino";
import type { Clock } from "../util/clock.ts";
import {
  adminApisOf,
  parseAdminEndpointSlice,
  type AdminEndpointSlice,
  type DiscoveredAdminApi,
} from "./admin-endpoints.ts";
import { Backoff, type BackoffOptions, type RetryGate } from "./backoff.ts";
import type { KubeApi } from "./client.ts";
import { ENDPOINT_SLICE, SERVICE, type KindInfo } from "./kinds.ts";
import { Reflector, type ObjectName, type ReflectorSink } from "./reflector.ts";

/** Why discovery names no Kong, or may name stale ones. */
export type DiscoveryProblemReason = "ServiceNotFound" | "NoAdminEndpoints" | "ApiError";

export interface DiscoveryProblem {
  readonly reason: DiscoveryProblemReason;
  readonly message: string;
}

export interface DiscoveryState {
  /** Both the Service and its EndpointSlices have been listed once. */
  readonly synced: boolean;
  /** The Kongs to push to. During an API error: the ones last seen, the best knowledge there is. */
  readonly apis: readonly DiscoveredAdminApi[];
  readonly problem?: DiscoveryProblem;
}

export interface AdminApiDiscoveryOptions {
  readonly api: KubeApi;
  readonly service: { readonly namespace: string; readonly name: string };
  /** `--kong-admin-svc-port-names`, in order of preference. */
  readonly portNames: readonly string[];
  /** Called whenever the state changes (the set of Kongs, or the problem). */
  readonly onChange: (state: DiscoveryState) => void;
  /** Called when a problem is found, and again at every backoff step while it lasts (metrics). */
  readonly onProblem?: (problem: DiscoveryProblem) => void;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** Between the reports of a problem that lasts. */
  readonly backoff?: BackoffOptions;
  /** The reflectors' restarts after a failed list or watch (their default otherwise). */
  readonly watchBackoff?: BackoffOptions;
  /** Where the reflectors wait to retry: the API server probe shared with the other watchers. */
  readonly gate?: RetryGate;
}

export const DEFAULT_DISCOVERY_BACKOFF: BackoffOptions = Object.freeze({
  initialMs: 1000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
});

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

function nameOf(raw: unknown): ObjectName | undefined {
  const meta = (raw as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  if (typeof meta?.name !== "string") return undefined;
  return { namespace: typeof meta.namespace === "string" ? meta.namespace : "", name: meta.name };
}

/** Holds what one reflector delivered, parsed by `parse`; tells `changed` after every change. */
class ParsedSink<T> implements ReflectorSink {
  readonly held = new Map<string, T>();
  readonly #parse: (raw: unknown) => T | undefined;
  readonly #changed: () => void;

  constructor(parse: (raw: unknown) => T | undefined, changed: () => void) {
    this.#parse = parse;
    this.#changed = changed;
  }

  upsert(_kind: string, raw: unknown): void {
    const name = nameOf(raw);
    if (name === undefined) return;
    const parsed = this.#parse(raw);
    // A slice we cannot read names no Kong; it is dropped rather than kept in an older version.
    if (parsed === undefined) this.held.delete(name.name);
    else this.held.set(name.name, parsed);
    this.#changed();
  }

  remove(_kind: string, name: ObjectName): void {
    if (this.held.delete(name.name)) this.#changed();
  }

  names(_kind: string, namespace: string | undefined): ObjectName[] {
    return [...this.held.keys()].map(name => ({ namespace: namespace ?? "", name }));
  }
}

/** Discovery keeps whole objects: a slice's endpoints need their `targetRef`, which trim.ts drops. */
const untrimmed = (_kind: KindInfo, raw: unknown): unknown => raw;

function sameState(a: DiscoveryState, b: DiscoveryState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class AdminApiDiscovery {
  readonly #o: AdminApiDiscoveryOptions;
  readonly #log: Logger;
  readonly #label: string;
  readonly #services: ParsedSink<true>;
  readonly #slices: ParsedSink<AdminEndpointSlice>;
  readonly #reflectors: readonly Reflector[];
  readonly #backoff: Backoff;
  readonly #stop = new AbortController();
  #state: DiscoveryState = Object.freeze({ synced: false, apis: [] });
  #retrying: Promise<void> | undefined;

  constructor(options: AdminApiDiscoveryOptions) {
    this.#o = options;
    const { namespace, name } = options.service;
    this.#label = `${namespace}/${name}`;
    this.#log = options.logger.child({ component: "gateway-discovery", service: this.#label });
    this.#backoff = new Backoff(options.backoff ?? DEFAULT_DISCOVERY_BACKOFF, options.random);
    const changed = (): void => {
      this.#evaluate();
    };
    this.#services = new ParsedSink(() => true as const, changed);
    this.#slices = new ParsedSink(parseAdminEndpointSlice, changed);
    const reflector = (kind: KindInfo, sink: ReflectorSink, selector: Record<string, string>) =>
      new Reflector({
        api: options.api,
        scope: { kind, namespace },
        sink,
        selector,
        trim: untrimmed,
        clock: options.clock,
        random: options.random,
        logger: this.#log,
        ...(options.watchBackoff === undefined ? {} : { backoff: options.watchBackoff }),
        ...(options.gate === undefined ? {} : { gate: options.gate }),
        // A relist that changed nothing, or a watch resumed, still ends an API error.
        observer: { onRestart: changed, onListed: changed, onRecovered: changed },
      });
    this.#reflectors = [
      reflector(SERVICE, this.#services, { fieldSelector: `metadata.name=${name}` }),
      reflector(ENDPOINT_SLICE, this.#slices, { labelSelector: `${SERVICE_NAME_LABEL}=${name}` }),
    ];
  }

  /** The current state; `apis` is empty until both lists are done. */
  get state(): DiscoveryState {
    return this.#state;
  }

  start(): void {
    if (this.#stop.signal.aborted) return;
    for (const r of this.#reflectors) r.start();
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error("discovery stopped"));
    await Promise.all(this.#reflectors.map(r => r.stop()));
    await this.#retrying;
  }

  #compute(): DiscoveryState {
    const synced = this.#reflectors.every(r => r.hasSynced());
    const failed = this.#reflectors.map(r => r.health().lastError).find(e => e !== undefined);
    // A deleted Service's slices are garbage waiting for collection: they name no Kong.
    const serviceGone = synced && this.#services.held.size === 0;
    const apis =
      synced && !serviceGone
        ? adminApisOf({
            service: this.#o.service,
            slices: [...this.#slices.held.values()],
            portNames: this.#o.portNames,
          })
        : [];
    // The caches outlive an outage: what they name is still the best knowledge of the Kongs.
    if (failed !== undefined) {
      const message = `cannot list or watch the Service and its EndpointSlices: ${failed.message}`;
      return { synced, apis, problem: { reason: "ApiError", message } };
    }
    if (!synced) return { synced, apis };
    if (serviceGone) {
      const message = `Service ${this.#label} does not exist`;
      return { synced, apis, problem: { reason: "ServiceNotFound", message } };
    }
    if (apis.length === 0) {
      const ports = this.#o.portNames.join(", ");
      const message = `Service ${this.#label} has no endpoint of a Pod that is not terminating on a port named ${ports}`;
      return { synced, apis, problem: { reason: "NoAdminEndpoints", message } };
    }
    return { synced, apis };
  }

  #evaluate(): void {
    if (this.#stop.signal.aborted) return;
    const next = Object.freeze(this.#compute());
    const before = this.#state;
    if (sameState(before, next)) return;
    this.#state = next;
    if (next.problem !== undefined && next.problem.reason !== before.problem?.reason) {
      this.#report(next.problem);
      this.#retrying ??= this.#retry(this.#stop.signal);
    } else if (next.problem === undefined && before.problem !== undefined) {
      this.#log.info({ kongs: next.apis.length }, "Kong discovery recovered");
    }
    this.#o.onChange(next);
  }

  // A method, so that TypeScript does not keep a narrowing of the state across an await.
  #problem(): DiscoveryProblem | undefined {
    return this.#state.problem;
  }

  #report(problem: DiscoveryProblem, nextCheckInMs?: number): void {
    const fields = {
      reason: problem.reason,
      detail: problem.message,
      kongs: this.#state.apis.length,
      ...(nextCheckInMs === undefined ? {} : { nextCheckInMs }),
    };
    // With no Kong known, nothing is pushed anywhere: that is an error, not a warning.
    if (this.#state.apis.length === 0) {
      this.#log.error(fields, "Kong discovery found no Kong Admin API; nothing is pushed");
    } else {
      this.#log.warn(fields, "Kong discovery failing; pushing to the Kongs last seen");
    }
    this.#o.onProblem?.(problem);
  }

  /**
   * While a problem lasts, check again and say so again with capped backoff. The watches bring any fix
   * as it happens; this loop keeps a lasting problem visible in the log and the metrics.
   */
  async #retry(signal: AbortSignal): Promise<void> {
    this.#backoff.reset();
    let delayMs = this.#backoff.next();
    while (!signal.aborted && this.#problem() !== undefined) {
      const slept = await this.#o.clock.sleep(delayMs, signal).then(
        () => true,
        () => false,
      );
      if (!slept) break;
      const reason = this.#problem()?.reason;
      this.#evaluate();
      delayMs = this.#backoff.next();
      const problem = this.#problem();
      // A new problem was reported by #evaluate already; one that lasts is reported here.
      if (problem !== undefined && problem.reason === reason) this.#report(problem, delayMs);
    }
    this.#retrying = undefined;
  }
}
