/**
 * Two Ingresses that claim the same host, path and match criteria give Kong two identical routes, and
 * which one serves traffic is then up to Kong's router. KIC passes both through; we keep the oldest
 * Ingress's claim and tell the newer one, so traffic never silently changes hands.
 */
import type { KongRoute } from "../kong/types.ts";
import type { IngressRoute } from "./ingress.ts";
import type { ResultSink } from "./results.ts";

/** How a route's match criteria are keyed; a memo passes a caching one. */
export type CriteriaOf = (route: KongRoute, compute: (route: KongRoute) => string) => string;

const computeEachTime: CriteriaOf = (route, compute) => compute(route);

export function dropConflictingPaths(
  routes: readonly IngressRoute[],
  results: ResultSink,
  criteriaOf: CriteriaOf = computeEachTime,
): readonly IngressRoute[] {
  const claims = new Map<string, string>();
  const kept: IngressRoute[] = [];
  for (const r of routes) {
    const owner = `${r.ingress.metadata.namespace ?? ""}/${r.ingress.metadata.name}`;
    const criteria = criteriaOf(r.route, matchCriteria);
    const paths = (r.route.paths ?? []).filter(path => {
      const keys = claimKeys(r.route, path, criteria);
      const conflicts = keys.map(k => claims.get(k)).filter(o => o !== undefined && o !== owner);
      if (conflicts.length > 0) {
        results.problem(
          r.ingress,
          "HostPathConflict",
          `path "${path}" on ${hostsText(r.route)} is already routed by the older Ingress ${conflicts[0] ?? ""}; it is not routed here`,
        );
        return false;
      }
      for (const k of keys) claims.set(k, owner);
      return true;
    });
    if (paths.length > 0)
      kept.push(
        paths.length === r.route.paths?.length ? r : { ...r, route: { ...r.route, paths } },
      );
  }
  return kept;
}

/** Kong's default for a route that names no protocols. */
const DEFAULT_PROTOCOLS = ["http", "https"];

/** Compared as Kong matches: no protocols means http+https (the default backend names them), in any order. */
function matchCriteria(route: KongRoute): string {
  return JSON.stringify([
    route.methods ?? [],
    route.headers ?? {},
    route.snis ?? [],
    [...(route.protocols ?? DEFAULT_PROTOCOLS)].sort(),
  ]);
}

function claimKeys(route: KongRoute, path: string, criteria: string): string[] {
  const hosts = route.hosts ?? [""];
  return hosts.map(host => `${host}\u0000${path}\u0000${criteria}`);
}

function hostsText(route: KongRoute): string {
  return route.hosts === undefined ? "any host" : `host ${route.hosts.join(", ")}`;
}
