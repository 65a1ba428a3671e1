/**
 * Which Ingresses and Gateway API routes are served, decided once Kong's router has judged every route
 * (services.ts `expressible` is the one judge): an object is translated when one of its routes, or an
 * identical older route it shares, reaches Kong. A Gateway API route none of whose routes reaches Kong
 * is not accepted by its parents, as for any other rule Kong cannot route.
 */
import type { KubeObject } from "../model/k8s.ts";
import type { Share } from "./conflicts.ts";
import type { EvaluatedRoute } from "./gateway/index.ts";
import { refuseOnAcceptedParents } from "./gateway/rules.ts";
import type { IrRoute, RouteEmission } from "./ir/types.ts";
import type { ResultSink } from "./results.ts";

export interface ServedInput {
  /** The Ingresses' and Gateway API routes' own emissions. */
  readonly routed: readonly RouteEmission[];
  readonly sharing: readonly Share[];
  /** The routes Kong's router cannot take, with why (`buildServices`). */
  readonly refused: ReadonlyMap<IrRoute, readonly string[]>;
  readonly gatewayRoutes: readonly EvaluatedRoute[];
  readonly results: ResultSink;
}

export function markServed(input: ServedInput): void {
  const { routed, refused, results } = input;
  // Route names are collected only for the sharing Ingresses, and served objects only for refused
  // routes: in most translations neither exists, and this runs over every route.
  const anyRefused = refused.size > 0;
  const sharing = input.sharing.length > 0;
  const served = new Set<KubeObject>();
  const servedRoutes = new Set<string>();
  const refusedRoutes = new Map<string, readonly string[]>();
  for (const { route } of routed) {
    const limits = anyRefused ? refused.get(route) : undefined;
    if (limits !== undefined) {
      refusedRoutes.set(route.name, limits);
      continue;
    }
    // An outcome only moves up, so the order of saying it does not matter.
    results.translated(route.origin.object);
    if (anyRefused) served.add(route.origin.object);
    if (sharing) servedRoutes.add(route.name);
  }
  for (const { ingress, routes } of input.sharing) {
    if (routes.some(name => servedRoutes.has(name))) results.translated(ingress);
    for (const name of routes) {
      const limits = refusedRoutes.get(name);
      if (limits === undefined) continue;
      results.problem(
        ingress,
        "RouteNotExpressible",
        `route ${name}, which carries this Ingress's identical paths, is left out: ${limits.join("; ")}`,
      );
    }
  }
  if (anyRefused) refuseUnserved(input, served);
}

/** Tells each Gateway API route Kong's router left out, wholly or in part, on its accepted parents. */
function refuseUnserved(input: ServedInput, served: ReadonlySet<KubeObject>): void {
  const reasons = new Map<KubeObject, string[]>();
  for (const { route } of input.routed) {
    const limits = input.refused.get(route);
    if (limits === undefined) continue;
    const list = reasons.get(route.origin.object) ?? [];
    list.push(`route ${route.name}: ${limits.join("; ")}`);
    reasons.set(route.origin.object, list);
  }
  for (const evaluated of input.gatewayRoutes) {
    const found = reasons.get(evaluated.route);
    if (found === undefined) continue;
    const message = `Kong's router cannot take ${found.join("; ")}`;
    const condition = served.has(evaluated.route)
      ? { type: "PartiallyInvalid", status: "True" as const, reason: "UnsupportedValue", message }
      : {
          type: "Accepted",
          status: "False" as const,
          reason: "UnsupportedValue",
          message: `no rule can be routed as written: ${message}`,
        };
    refuseOnAcceptedParents({ evaluated, results: input.results }, condition);
  }
}
