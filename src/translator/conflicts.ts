/**
 * Two Ingresses that claim the same host, path and match criteria give Kong two identical routes, and
 * which one serves traffic is then up to Kong's router. KIC passes both through; we keep the oldest
 * Ingress's claim and tell the newer one, so traffic never silently changes hands. Identical claims
 * (same backend, same route settings) are no conflict: the oldest Ingress's route carries the path for
 * both, and the newer one counts as translated (it gets its address, as under KIC). With host
 * ownership (ownership.ts) every claim on a host comes from one namespace, so these rules only ever
 * decide between objects of the same team.
 */
import type { Ingress } from "../model/k8s.ts";
import type { IngressRoute } from "./ingress.ts";
import type { IrHttpRoute } from "./ir/types.ts";
import { kongHeaders, kongPath } from "./kong-writer/routes.ts";
import { pluginReferences } from "./plugin-refs.ts";
import type { ResultSink } from "./results.ts";

/** Who holds which path claim (`dropConflictingPaths`), kept for the patch of the next translation. */
export interface PathClaims {
  readonly holders: Map<string, { readonly ingress: Ingress }>;
  readonly contested: ReadonlySet<string>;
}

/** A route's claim keys, one list per path (in `paths` order); a memo passes a caching one. */
export type ClaimsOf = (
  route: IrHttpRoute,
  compute: (route: IrHttpRoute) => ClaimKeys,
) => ClaimKeys;

export type ClaimKeys = readonly (readonly string[])[];

const computeEachTime: ClaimsOf = (route, compute) => compute(route);

/** A route's behaviour string (`behaviourOf`); a memo passes a caching one. */
export type BehaviourOf = (r: IngressRoute, compute: (r: IngressRoute) => string) => string;

const behaviourEachTime: BehaviourOf = (r, compute) => compute(r);

/** An Ingress some of whose paths an identical older claim serves: by the routes (names) holding them. */
export interface Share {
  readonly ingress: Ingress;
  readonly routes: readonly string[];
}

/** The routes kept, and the Ingresses some of whose paths an identical older claim serves. */
export interface ConflictsResolved {
  readonly kept: readonly IngressRoute[];
  readonly sharing: readonly Share[];
  /** Every claim key with the route holding it; patch.ts takes it over and keeps it up to date. */
  readonly claims: Map<string, { readonly ingress: Ingress }>;
  /** The keys a newer Ingress claimed too (a conflict or a share): they decide between Ingresses. */
  readonly contested: ReadonlySet<string>;
}

/** The route holding a claim: whether it is served decides for its sharers too. */
type Holder = IngressRoute;

export function dropConflictingPaths(
  routes: readonly IngressRoute[],
  results: ResultSink,
  claimsOf: ClaimsOf = computeEachTime,
  behaviours: BehaviourOf = behaviourEachTime,
): ConflictsResolved {
  // Claim key → the route holding it (a snapshot has one object per namespace/name).
  const claims = new Map<string, Holder>();
  const kept: IngressRoute[] = [];
  const sharing = new Map<Ingress, Set<string>>();
  const contested = new Set<string>();
  // What a route does with a request (equal for identical claims): asked only on a collision.
  const behaviour = (route: IngressRoute): string => behaviours(route, behaviourOf);
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
        markContested(contested, keys, k => claims.get(k)?.ingress !== r.ingress);
        if (behaviour(holder) === behaviour(r)) {
          addShare(sharing, r.ingress, holder.route.name);
          results.dependsOn(r.ingress, holder.ingress);
        } else reportConflict(results, r, { path, holder: holder.ingress });
        keptPaths ??= paths.slice(0, index);
        continue;
      }
      for (const k of keys) claims.set(k, r);
      keptPaths?.push(path);
    }
    if (keptPaths === undefined) kept.push(r);
    else if (keptPaths.length > 0) kept.push(withPaths(r, keptPaths));
  }
  return {
    kept,
    sharing: [...sharing].map(([ingress, routes]) => ({ ingress, routes: [...routes] })),
    claims,
    contested,
  };
}

/**
 * Every key of a path that lost its claim, but those its own Ingress holds: the holder's and the keys the
 * path would have claimed alone, whose next claimant a newer Ingress's problem message may name.
 */
function markContested(
  contested: Set<string>,
  keys: readonly string[],
  notOwn: (key: string) => boolean,
): void {
  for (const key of keys) if (notOwn(key)) contested.add(key);
}

function addShare(sharing: Map<Ingress, Set<string>>, ingress: Ingress, route: string): void {
  const routes = sharing.get(ingress);
  if (routes === undefined) sharing.set(ingress, new Set([route]));
  else routes.add(route);
}

function reportConflict(
  results: ResultSink,
  r: IngressRoute,
  p: { path: IrHttpRoute["match"]["paths"][number]; holder: Ingress },
): void {
  results.problem(
    r.ingress,
    "HostPathConflict",
    `path "${kongPath(p.path)}" on ${hostsText(r.route)} is already routed by the older Ingress ${p.holder.metadata.namespace ?? ""}/${p.holder.metadata.name}; it is not routed here`,
  );
}

/**
 * The Kong service, the route's settings and filters, and the Ingress's plugins (an auth plugin on one
 * of two otherwise equal claims must not vanish by sharing): the claim keys hold the match criteria.
 */
function behaviourOf(r: IngressRoute): string {
  const plugins = pluginReferences(r.ingress)
    .refs.map(ref => `${ref.namespace}/${ref.name}`)
    .sort();
  return JSON.stringify([r.service.name, r.route.settings, r.route.filters, [...new Set(plugins)]]);
}

function withPaths(r: IngressRoute, paths: IrHttpRoute["match"]["paths"]): IngressRoute {
  return { ...r, route: { ...r.route, match: { ...r.route.match, paths } } };
}

function firstOtherHolder(
  claims: ReadonlyMap<string, Holder>,
  keys: readonly string[],
  ingress: Ingress,
): Holder | undefined {
  for (const key of keys) {
    const holder = claims.get(key);
    if (holder !== undefined && holder.ingress !== ingress) return holder;
  }
  return undefined;
}

/** A route's claim keys, one list per path; the memo keeps them per route object (`claims`). */
export function routeClaims(route: IrHttpRoute): ClaimKeys {
  const criteria = matchCriteria(route);
  return route.match.paths.map(path => claimKeys(route, kongPath(path), criteria));
}

/** Kong's default for a route that names no protocols. */
const DEFAULT_PROTOCOLS = ["http", "https"];

const NO_CRITERIA = JSON.stringify([[], {}, [], [...DEFAULT_PROTOCOLS].sort()]);

/** Compared as Kong matches: no protocols means http+https (the default backend names them), in any order. */
function matchCriteria(route: IrHttpRoute): string {
  const m = route.match;
  // Most routes name none of these: one string for all of them.
  if (
    m.methods === undefined &&
    m.headers === undefined &&
    m.snis === undefined &&
    m.protocols === undefined
  )
    return NO_CRITERIA;
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
