/**
 * Decides which Gateway API objects get which status and hands that to the status writer (which writes
 * only what the cluster does not show yet). GatewayClasses follow the newest translation: whether a
 * class is ours and accepted does not depend on Kong. Gateways and routes follow what Kong runs, as
 * Ingress addresses do (incident c): their statuses come from the translation whose config Kong
 * accepted last, so a route's parent is never reported working before Kong serves it. Until then they
 * are written from the newest translation with what depends on Kong pending (`Programmed=False/
 * Pending`, a route parent `Accepted=Unknown/Pending`), and an object Kong rejected, left out of the
 * fallback it accepted instead, says so (gateway-held.ts).
 */
import type { Logger } from "pino";
import type { Service } from "../model/k8s.ts";
import { RefKeys, refKey, type ObjectRef } from "../model/object-ref.ts";
import type {
  ConditionSpec,
  GatewayClassStatusSpec,
  GatewayStatusSpec,
  RouteStatusSpec,
} from "../translator/gateway/conditions.ts";
import type { GatewayApiStatuses } from "../translator/types.ts";
import type { DesiredCondition } from "./conditions.ts";
import {
  pendingGateway,
  pendingRoute,
  rejectedGateway,
  rejectedRoute,
  type Rejection,
} from "./gateway-held.ts";
import type { AppliedConfigReport } from "./ingress-publisher.ts";
import {
  resolvePublishAddresses,
  sameLoadBalancer,
  type LoadBalancerIngress,
  type PublishAddresses,
} from "./ingress-address.ts";
import {
  type DesiredStatus,
  type GatewayClassDesiredStatus,
  type GatewayDesiredStatus,
  type GatewayRouteKind,
  type GatewayStatusAddress,
  type RouteDesiredStatus,
} from "./mutator.ts";
import type { StatusWriter } from "./writer.ts";
import { once } from "../util/weak-once.ts";

const ROUTE_KINDS: ReadonlySet<string> = new Set<GatewayRouteKind>([
  "HTTPRoute",
  "GRPCRoute",
  "TCPRoute",
  "UDPRoute",
  "TLSRoute",
]);

function isRouteKind(kind: string): kind is GatewayRouteKind {
  return ROUTE_KINDS.has(kind);
}

/** Whether a `refKey` (`Kind/namespace/name`) among `keys` is a Gateway's or a route's. */
function someGatewayApiKey(keys: ReadonlySet<string>): boolean {
  for (const key of keys) {
    const kind = key.slice(0, key.indexOf("/"));
    if (kind === "Gateway" || isRouteKind(kind)) return true;
  }
  return false;
}

/** Translation's conditions with the generation they describe. */
function withGeneration(
  conditions: readonly ConditionSpec[],
  generation: number | undefined,
): DesiredCondition[] {
  return conditions.map(c => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  }));
}

export function gatewayClassDesired(spec: GatewayClassStatusSpec): GatewayClassDesiredStatus {
  return {
    kind: "GatewayClass",
    namespace: "",
    name: spec.name,
    generation: spec.generation,
    conditions: withGeneration(spec.conditions, spec.generation),
    supportedFeatures: [...spec.supportedFeatures].sort(),
  };
}

/** A published address as a Gateway shows it. */
export function gatewayAddress(entry: LoadBalancerIngress): GatewayStatusAddress {
  return entry.ip === undefined
    ? { type: "Hostname", value: entry.hostname ?? "" }
    : { type: "IPAddress", value: entry.ip };
}

export function gatewayDesired(
  spec: GatewayStatusSpec,
  addresses: readonly LoadBalancerIngress[] | undefined,
): GatewayDesiredStatus {
  return {
    kind: "Gateway",
    namespace: spec.namespace,
    name: spec.name,
    generation: spec.generation,
    conditions: withGeneration(spec.conditions, spec.generation),
    listeners: spec.listeners.map(l => ({
      name: l.name,
      supportedKinds: l.supportedKinds.map(k => ({ group: k.group, kind: k.kind })),
      attachedRoutes: l.attachedRoutes,
      conditions: withGeneration(l.conditions, spec.generation),
    })),
    ...(addresses === undefined ? {} : { addresses: addresses.map(gatewayAddress) }),
  };
}

/** Undefined for a kind whose status we do not write. */
export function routeDesired(
  spec: RouteStatusSpec,
  controllerName: string,
): RouteDesiredStatus | undefined {
  if (!isRouteKind(spec.kind)) return undefined;
  return {
    kind: spec.kind,
    namespace: spec.namespace,
    name: spec.name,
    generation: spec.generation,
    controllerName,
    parents: spec.parents.map(p => ({
      parentRef: p.parentRef,
      conditions: withGeneration(p.conditions, spec.generation),
    })),
  };
}

export interface GatewayApiStatusPublisherOptions {
  readonly statuses: Pick<StatusWriter, "desire" | "release">;
  readonly logger: Logger;
  /** --update-status. */
  readonly updateStatus: boolean;
  /** --gateway-api-controller-name: what our route parent entries carry. */
  readonly controllerName: string;
  /** --publish-status-address. */
  readonly statusAddresses: readonly string[];
  /** --publish-service. */
  readonly publishService?: { readonly namespace: string; readonly name: string };
}

interface AppliedIndex {
  readonly gateways: ReadonlyMap<string, GatewayStatusSpec>;
  readonly routes: ReadonlyMap<string, RouteStatusSpec>;
}

function sameAddresses(a: PublishAddresses, b: PublishAddresses): boolean {
  if (a.kind === "ready" && b.kind === "ready") return sameLoadBalancer(a.ingress, b.ingress);
  return a.kind === "pending" && b.kind === "pending" && a.reason === b.reason;
}

export class GatewayApiStatusPublisher {
  readonly #o: GatewayApiStatusPublisherOptions;
  readonly #logger: Logger;
  #classes: readonly GatewayClassStatusSpec[] = [];
  /** The newest translation's statuses: which Gateways and routes are ours now. */
  #latest: GatewayApiStatuses | undefined;
  /** The statuses of the config Kong accepted last; `undefined` until Kong accepted one of ours. */
  #applied: GatewayApiStatuses | undefined;
  /** The objects Kong's running config holds, by key; `undefined` while no Kong's config is known. */
  #held: ReadonlyMap<string, ObjectRef> | undefined;
  /** Objects of ours Kong rejected, left out of the config it accepted, by key. */
  #rejected: ReadonlyMap<string, Rejection> = new Map();
  /** `#applied` by key, built once per accepted config. */
  #index: { of: GatewayApiStatuses | undefined; value: AppliedIndex } | undefined;
  /** The keys handed to the writer last time, per source, so those left out now can be released. */
  #classKeys: ReadonlySet<string> = new Set();
  #appliedKeys: ReadonlySet<string> = new Set();
  #addresses: PublishAddresses;
  /** The number of the report handled last, which a later report's `changes` may start from. */
  #reportSerial: number | undefined;
  /**
   * Per status, its key and what was built from it. Translation hands an unchanged route's status on
   * as the same object (kept-statuses.ts), so a pass over thousands of routes builds nothing for
   * them, and hands the writer the desired status it has, which it tells unchanged by identity.
   */
  readonly #keys = new RefKeys();
  readonly #routeDesired = new WeakMap<
    RouteStatusSpec,
    { value: RouteDesiredStatus | undefined }
  >();
  readonly #pendingRoutes = new WeakMap<RouteStatusSpec, RouteStatusSpec>();

  constructor(options: GatewayApiStatusPublisherOptions) {
    this.#o = options;
    this.#logger = options.logger.child({ component: "gateway-api-status" });
    this.#addresses = resolvePublishAddresses(this.#addressOptions(undefined));
  }

  /** A translation went to the sender: its GatewayClass statuses are the ones to show. */
  onTranslated(statuses: GatewayApiStatuses): void {
    // A translation that kept the last one's statuses (a patch for EndpointSlices) changes none.
    if (statuses === this.#latest) return;
    this.#classes = statuses.classes;
    this.#latest = statuses;
    this.#publishClasses();
    this.#publishApplied();
  }

  /**
   * What Kong runs now (every view change that changes the report): the objects its config holds, and
   * those of ours it rejected and left out (Kong's words, as their Warning events carry them).
   */
  onAppliedReport(
    report: Pick<AppliedConfigReport, "configured" | "excluded" | "serial" | "changes">,
  ): void {
    const touchesNone =
      report.changes !== undefined &&
      report.changes.since === this.#reportSerial &&
      !someGatewayApiKey(report.changes.keys);
    this.#reportSerial = report.serial;
    // The sender's own map, keyed as `#isHeld` asks: nothing is built per push.
    this.#held = report.configured;
    this.#rejected = new Map(
      report.excluded.map(x => [refKey(x.ref), { reason: x.reason, message: x.message }]),
    );
    // Kong holds and rejects every Gateway and route as in the report handled last (an EndpointSlice
    // changed, say): every status would come out as handed then, so none is handed again (the writer
    // would only compare each of them).
    if (!touchesNone) this.#publishApplied();
  }

  /** Kong accepted the config of the translation that decided `statuses`. */
  onConfigApplied(statuses: GatewayApiStatuses): void {
    this.#applied = statuses;
    this.#logger.debug(
      { gateways: statuses.gateways.length, routes: statuses.routes.length },
      "Publishing Gateway API status for the accepted config",
    );
    this.#publishApplied();
  }

  /** The publish Service was added, changed or deleted (`undefined`). */
  onPublishServiceChanged(service: Service | undefined): void {
    const next = resolvePublishAddresses(this.#addressOptions(service));
    if (sameAddresses(this.#addresses, next)) return;
    this.#addresses = next;
    this.#publishApplied();
  }

  #publishClasses(): void {
    if (!this.#o.updateStatus) return;
    this.#classKeys = this.#hand(
      this.#classKeys,
      this.#classes.map(c => gatewayClassDesired(c)),
    );
  }

  #publishApplied(): void {
    const latest = this.#latest ?? this.#applied;
    if (!this.#o.updateStatus || latest === undefined) return;
    const addresses = this.#addresses.kind === "ready" ? this.#addresses.ingress : undefined;
    const next: DesiredStatus[] = latest.gateways.map(g =>
      gatewayDesired(this.#gatewayStatus(g), addresses),
    );
    for (const route of latest.routes) {
      const desired = this.#routeDesiredOf(this.#routeStatus(route));
      if (desired !== undefined) next.push(desired);
    }
    this.#appliedKeys = this.#hand(this.#appliedKeys, next);
  }

  /**
   * Which status a Gateway or route of the newest translation shows: Kong's rejection if Kong left it
   * out; else what the accepted config's translation decided; else, while Kong runs it but our push
   * is not confirmed yet (a restart), the newest translation's; else the newest, pending.
   */
  #decide<S extends GatewayStatusSpec | RouteStatusSpec>(
    latest: S,
    key: string,
    kind: {
      applied: (key: string) => S | undefined;
      rejected: (s: S, r: Rejection) => S;
      pending: (s: S) => S;
    },
  ): S {
    const rejection = this.#rejected.get(key);
    if (rejection !== undefined) return kind.rejected(latest, rejection);
    const applied = kind.applied(key);
    if (applied !== undefined) return applied;
    if (this.#applied === undefined && this.#isHeld(key)) return latest;
    return kind.pending(latest);
  }

  #isHeld(key: string): boolean {
    return this.#held?.has(key) === true;
  }

  #gatewayStatus(latest: GatewayStatusSpec): GatewayStatusSpec {
    return this.#decide(latest, refKey({ kind: "Gateway", ...latest }), {
      applied: key => this.#appliedIndex().gateways.get(key),
      rejected: rejectedGateway,
      pending: pendingGateway,
    });
  }

  #routeStatus(latest: RouteStatusSpec): RouteStatusSpec {
    return this.#decide(latest, this.#keys.of(latest), {
      applied: key => this.#appliedIndex().routes.get(key),
      rejected: rejectedRoute,
      pending: s => once(this.#pendingRoutes, s, pendingRoute),
    });
  }

  #routeDesiredOf(spec: RouteStatusSpec): RouteDesiredStatus | undefined {
    return once(this.#routeDesired, spec, s => ({
      value: routeDesired(s, this.#o.controllerName),
    })).value;
  }

  /** The accepted config's statuses by key, indexed once per accepted config. */
  #appliedIndex(): AppliedIndex {
    if (this.#index?.of !== this.#applied || this.#index === undefined) {
      const applied = this.#applied;
      this.#index = {
        of: applied,
        value: {
          gateways: new Map(
            (applied?.gateways ?? []).map(g => [refKey({ kind: "Gateway", ...g }), g]),
          ),
          routes: new Map((applied?.routes ?? []).map(r => [this.#keys.of(r), r])),
        },
      };
    }
    return this.#index.value;
  }

  /** Hands `next` to the writer and releases what it no longer holds; returns the keys handed. */
  #hand(previous: ReadonlySet<string>, next: readonly DesiredStatus[]): ReadonlySet<string> {
    const keys = new Set<string>();
    for (const desired of next) {
      // The writer's key (`statusKey`) is the object's `refKey`.
      const key = this.#keys.of(desired);
      keys.add(key);
      this.#o.statuses.desire(desired, key);
    }
    for (const key of previous) if (!keys.has(key)) this.#o.statuses.release(key);
    return keys;
  }

  #addressOptions(service: Service | undefined): Parameters<typeof resolvePublishAddresses>[0] {
    return {
      statusAddresses: this.#o.statusAddresses,
      ...(this.#o.publishService === undefined ? {} : { publishService: this.#o.publishService }),
      ...(service === undefined ? {} : { service }),
    };
  }
}
