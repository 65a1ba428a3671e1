/**
 * Two Ingresses that claim the same host, path and match criteria give Kong two identical routes, and
 * which one serves traffic is then up to Kong's router. KIC passes both through; we keep the oldest
 * Ingress's claim and tell the newer one, so traffic never silently changes hands.
 */
import type { Ingress } from "../model/k8s.ts";
import type { IngressRoute } from "./ingress.ts";
import type { IrHttpRoute } from "./ir/types.ts";
import { kongHeaders, kongPath } from "./kong-writer/routes.ts";
import type { ResultSink } from "./results.ts";

/** A route's claim keys, one list per path (in `paths` order); a memo passes a caching one. */
export type ClaimsOf = (
  route: IrHttpRoute,
  compute: (route: IrHttpRoute) => ClaimKeys,
) => ClaimKeys;

export type ClaimKeys = readonly (readonly string[])[];

const computeEachTime: ClaimsOf = (route, compute) => compute(route);

export function dropConflictingPaths(
  routes: readonly IngressRoute[],
  results: ResultSink,
  claimsOf: ClaimsOf = computeEachTime,
): readonly IngressRoute[] {
  // Claim key → the Ingress holding it (a snapshot has one object per namespace/name).
  const claims = new Map<string, Ingress>();
  const kept: IngressRoute[] = [];
  for (const r of routes) {
    const paths = r.route.match.paths;
    // A route without paths claims nothing and is not kept (translation never makes one).
    if (paths.length === 0) continue;
    const keysPerPath = claimsOf(r.route, routeClaims);
    let keptPaths: (typeof paths)[number][] | undefined;
    for (const [index, path] of paths.entries()) {
      const keys = keysPerPath[index] ?? [];
      const holder = firstOtherHolder(claims, keys, r.ingress);
      if (holder !== undefined) {
        results.problem(
          r.ingress,
          "HostPathConflict",
          `path "${kongPath(path)}" on ${hostsText(r.route)} is already routed by the older Ingress ${holder.metadata.namespace ?? ""}/${holder.metadata.name}; it is not routed here`,
        );
        keptPaths ??= paths.slice(0, index);
        continue;
      }
      for (const k of keys) claims.set(k, r.ingress);
      keptPaths?.push(path);
    }
    if (keptPaths === undefined) kept.push(r);
    else if (keptPaths.length > 0) kept.push(withPaths(r, keptPaths));
  }
  return kept;
}

function withPaths(r: IngressRoute, paths: IrHttpRoute["match"]["paths"]): IngressRoute {
  return { ...r, route: { ...r.route, match: { ...r.route.match, paths } } };
}

function firstOtherHolder(
  claims: ReadonlyMap<string, Ingress>,
  keys: readonly string[],
  ingress: Ingress,
): Ingress | undefined {
  for (const key of keys) {
    const holder = claims.get(key);
    if (holder !== undefined && holder !== ingress) return holder;
  }
  return undefined;
}

function routeClaims(route: IrHttpRoute): ClaimKeys {
  const criteria = matchCriteria(route);
  return route.match.paths.map(path => claimKeys(route, kongPath(path), criteria));
}

/** Kong's default for a route that names no protocols. */
const DEFAULT_PROTOCOLS = ["http", "https"];

/** Compared as Kong matches: no protocols means http+https (the default backend names them), in any order. */
function matchCriteria(route: IrHttpRoute): string {
  const m = route.match;
  return JSON.stringify([
    m.methods ?? [],
    m.headers === undefined ? {} : kongHeaders(m.headers),
    m.snis ?? [],
    [...(m.protocols ?? DEFAULT_PROTOCOLS)].sort(),
  ]);
}

function claimKeys(route: IrHttpRoute, path: string, criteria: string): string[] {
  const hosts = route.match.hosts.length === 0 ? [""] : route.match.hosts;
  return hosts.map(host => `${host}\u0000${path}\u0000${criteria}`);
}

function hostsText(route: IrHttpRoute): string {
  const { hosts } = route.match;
  return hosts.length === 0 ? "any host" : `host ${hosts.join(", ")}`;
}
