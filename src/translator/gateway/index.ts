/**
 * The Gateway API half of translation before any Kong entity exists: which GatewayClasses and Gateways
 * are ours, what each listener accepts, where each route attaches, which backends resolve, and every
 * status condition that follows. Pure: Kong's listens come in as `support` (unknown while no Kong has
 * answered; offline, assumed), so the same snapshot always gives the same answer.
 */
import type { GatewayRoute } from "../../model/gateway-api.ts";
import type { Service } from "../../model/k8s.ts";
import type { Snapshot } from "../../model/snapshot.ts";
import { attachRoute, type AttachInputs, type ParentAttachment } from "./attach.ts";
import { resolveBackendRef, type ResolvedBackend } from "./backends.ts";
import {
  condition,
  type GatewayClassStatusSpec,
  type GatewayStatusSpec,
  type RouteStatusSpec,
} from "./conditions.ts";
import { ReferenceGrants } from "./grants.ts";
import { parentRefOf } from "./shared.ts";
import type { ObjectResult, ParentRef } from "../types.ts";
import { supportedVersionCondition, type GatewayApiBundles } from "./versions.ts";
import {
  ASSUME_SUPPORTED,
  evaluateGateway,
  gatewayStatus,
  type EvaluatedGateway,
  type EvaluatedListener,
  type ListenerSupportOf,
} from "./listeners.ts";

/** `status.supportedFeatures` of our GatewayClasses: what this controller implements. */
export const SUPPORTED_FEATURES: readonly string[] = Object.freeze(
  [
    "Gateway",
    "GRPCRoute",
    "HTTPRoute",
    "ReferenceGrant",
    "TCPRoute",
    "TLSRoute",
    "UDPRoute",
  ].sort(),
);

export interface GatewayApiOptions {
  /** `--gateway-api-controller-name`. */
  readonly controllerName: string;
  /** What Kong's listens say; defaults to assuming every listener is served (offline). */
  readonly support?: ListenerSupportOf;
  /** The installed CRDs' bundle versions; unset (offline): `SupportedVersion` is not claimed. */
  readonly bundles?: GatewayApiBundles;
}

export interface EvaluatedRoute {
  readonly route: GatewayRoute;
  readonly parents: readonly ParentAttachment[];
  /** Per rule, per backendRef, in spec order. */
  readonly backends: readonly (readonly ResolvedBackend[])[];
  readonly status: RouteStatusSpec;
}

export interface GatewayApiEvaluation {
  readonly classes: readonly GatewayClassStatusSpec[];
  /** Our Gateways by `namespace/name`; their statuses wait for the routes' ({@link gatewayStatuses}). */
  readonly gateways: ReadonlyMap<string, EvaluatedGateway>;
  /** Every route of every kind, in snapshot order (kind, then namespace/name). */
  readonly routes: readonly EvaluatedRoute[];
}

/**
 * A lookup by `namespace/name`, its map built on first use: a cluster without Gateways or routes
 * never pays for indexing every Secret and Service.
 */
function byKey<T extends { metadata: { namespace?: string; name: string } }>(
  objects: readonly T[],
): (key: string) => T | undefined {
  let map: Map<string, T> | undefined;
  return key => {
    map ??= new Map(objects.map(o => [`${o.metadata.namespace ?? ""}/${o.metadata.name}`, o]));
    return map.get(key);
  };
}

function routesOf(snapshot: Snapshot): GatewayRoute[] {
  return [
    ...snapshot.httpRoutes,
    ...snapshot.grpcRoutes,
    ...snapshot.tcpRoutes,
    ...snapshot.udpRoutes,
    ...snapshot.tlsRoutes,
  ];
}

function resolvedRefsCondition(backends: readonly (readonly ResolvedBackend[])[]) {
  for (const rule of backends)
    for (const b of rule) if (!b.ok) return condition("ResolvedRefs", "False", b.reason, b.message);
  return condition("ResolvedRefs", "True", "ResolvedRefs");
}

/** What evaluating one route reads besides the route: our Gateways, grants, Namespaces and Services. */
export interface RouteLookups extends AttachInputs {
  readonly grants: ReferenceGrants;
  readonly service: (namespace: string, name: string) => Service | undefined;
}

/** One route's parents, backends and status, as the whole evaluation finds them. */
export function evaluateRoute(route: GatewayRoute, lookups: RouteLookups): EvaluatedRoute {
  const parents = attachRoute(route, lookups);
  const backends = (route.spec.rules ?? []).map(rule =>
    (rule.backendRefs ?? []).map(ref =>
      resolveBackendRef(route, ref, { grants: lookups.grants, service: lookups.service }),
    ),
  );
  const resolvedRefs = resolvedRefsCondition(backends);
  return {
    route,
    parents,
    backends,
    status: {
      kind: route.kind,
      namespace: route.metadata.namespace ?? "",
      name: route.metadata.name,
      generation: route.metadata.generation,
      parents: parents.map(p => ({
        parentRef: p.parentRef,
        conditions: [p.accepted, resolvedRefs],
      })),
    },
  };
}

export function evaluateGatewayApi(
  snapshot: Snapshot,
  options: GatewayApiOptions,
): GatewayApiEvaluation {
  const ourClasses = snapshot.gatewayClasses.filter(
    c => c.spec.controllerName === options.controllerName,
  );
  const classNames = new Set(ourClasses.map(c => c.metadata.name));
  const grants = new ReferenceGrants(snapshot.referenceGrants);
  const secrets = byKey(snapshot.secrets);
  const services = byKey(snapshot.services);
  const namespaces = byKey(snapshot.namespaces);
  const gateways = new Map<string, EvaluatedGateway>();
  for (const gateway of snapshot.gateways) {
    if (!classNames.has(gateway.spec.gatewayClassName)) continue;
    const key = `${gateway.metadata.namespace ?? ""}/${gateway.metadata.name}`;
    gateways.set(
      key,
      evaluateGateway(gateway, {
        grants,
        secret: (ns, name) => secrets(`${ns}/${name}`),
        support: options.support ?? ASSUME_SUPPORTED,
      }),
    );
  }
  const lookups: RouteLookups = {
    gateways,
    grants,
    namespace: name => namespaces(`/${name}`),
    service: (ns, name) => services(`${ns}/${name}`),
  };
  const routes = routesOf(snapshot).map(route => evaluateRoute(route, lookups));
  const supportedVersion = supportedVersionCondition(options.bundles);
  const classes = ourClasses.map(c => ({
    name: c.metadata.name,
    generation: c.metadata.generation,
    conditions: [
      c.spec.parametersRef === undefined
        ? condition(
            "Accepted",
            "True",
            "Accepted",
            "the gatewayclass has been accepted by the controller",
          )
        : condition("Accepted", "False", "InvalidParameters", "parametersRef is not supported"),
      ...(supportedVersion === undefined ? [] : [supportedVersion]),
    ],
    supportedFeatures: SUPPORTED_FEATURES,
  }));
  return { classes, gateways, routes };
}

/**
 * Our Gateways' statuses once the routes' are final (`statuses[i]` is `routes[i]`'s, parent for
 * parent): each listener counts the routes attached to it whose parent says `Accepted=True`. Gateway
 * API v1.6, `ListenerStatus.attachedRoutes`: "Routes with any other value for the Accepted condition
 * MUST NOT be included in this count", so a route translation refused (a rule Kong's router cannot
 * take, plugins that do not resolve) is not counted. A route counts once per listener, however many
 * of its parentRefs lead there.
 */
export function gatewayStatuses(
  gateways: ReadonlyMap<string, EvaluatedGateway>,
  routes: readonly EvaluatedRoute[],
  statuses: readonly RouteStatusSpec[],
): GatewayStatusSpec[] {
  const attached = new Map<EvaluatedListener, number>();
  for (const [i, { parents }] of routes.entries()) {
    const counted = new Set<EvaluatedListener>();
    for (const [j, parent] of parents.entries()) {
      const accepted = statuses[i]?.parents[j]?.conditions.find(c => c.type === "Accepted");
      if (accepted?.status !== "True") continue;
      for (const { listener } of parent.attachments) counted.add(listener);
    }
    for (const listener of counted) attached.set(listener, (attached.get(listener) ?? 0) + 1);
  }
  return [...gateways.values()].map(g => gatewayStatus(g, l => attached.get(l) ?? 0));
}

/**
 * The evaluation's route statuses, with what the route translators found per parent (a rule Kong
 * cannot route, say) in place of the evaluation's condition of the same type, or added after them.
 */
export function routeStatuses(
  routes: readonly EvaluatedRoute[],
  results: readonly ObjectResult[],
): RouteStatusSpec[] {
  // Without Gateway API routes, no pass over every object's result.
  if (routes.length === 0) return [];
  const parentKey = (ref: ParentRef): string =>
    JSON.stringify([ref.group, ref.kind, ref.namespace, ref.name, ref.sectionName, ref.port]);
  const said = new Map<string, ObjectResult>();
  for (const r of results)
    if (r.parents !== undefined) said.set(`${r.ref.kind}/${r.ref.namespace}/${r.ref.name}`, r);
  return routes.map(({ route, status }) => {
    const parents = said.get(
      `${route.kind}/${route.metadata.namespace ?? ""}/${route.metadata.name}`,
    )?.parents;
    if (parents === undefined) return status;
    const byParent = new Map(parents.map(p => [parentKey(p.parentRef), p.conditions]));
    return {
      ...status,
      parents: status.parents.map(p => {
        const overrides = byParent.get(parentKey(parentRefOf(route, p)));
        if (overrides === undefined) return p;
        const types = new Set(p.conditions.map(c => c.type));
        return {
          ...p,
          conditions: [
            ...p.conditions.map(c => overrides.find(o => o.type === c.type) ?? c),
            ...overrides.filter(o => !types.has(o.type)),
          ],
        };
      }),
    };
  });
}
