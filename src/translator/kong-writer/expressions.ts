/**
 * IR routes as Kong's expressions router takes them (`router_flavor = expressions`): `expression` and
 * `priority` in place of hosts/paths/headers/methods/snis, as KIC emits them (kic-kong-resources.md §5).
 * The expression is read from the paths as the object wrote them (`PathSource`); the priority packs the
 * traits KIC weighs into one integer, so routes order exactly as KIC's do (README, "Expressions router").
 *
 * Gateway API matches are split per hostname, as KIC does, and named `<kind>.<ns>.<name>.<host>.<rule>.<match>`;
 * ties between their priorities are broken over every route of the kind at once (`rankGatewayMatches`).
 */
import type { KubeObject } from "../../model/k8s.ts";
import { compareStrings } from "../../util/compare.ts";
import type {
  HeaderMatch,
  IrHttpRoute,
  IrStreamRoute,
  PathMatch,
  PathSource,
} from "../ir/types.ts";
import {
  and,
  anchored,
  CATCH_ALL,
  expressibleHost,
  headerField,
  hostMatcher,
  methodMatcher,
  or,
  predicate,
  sniMatcher,
  type Atc,
} from "./atc.ts";
import { escapeRegex } from "./routes.ts";

/** One Kong route of an IR route: its name, expression and priority. */
export interface ExpressionRoute {
  readonly name: string;
  readonly expression: Atc;
  readonly priority: number;
}

// ----- Priority encoding (kic-kong-resources.md §5.3–5.5) -----

const bit = (n: number): number => 2 ** n;
const cap = (value: number, max: number): number => Math.min(value, max);

const KIND_BITS = 44;
const INGRESS_KIND = 3;
const HTTPROUTE_KIND = 2;
const GRPCROUTE_KIND = 1;
/** The low bits KIC keeps for the order within a tie: 12 for HTTPRoute, 8 for GRPCRoute. */
const HTTPROUTE_ORDER_MAX = 4095;
const GRPCROUTE_ORDER_MAX = 255;

/** Per Ingress path: the length `L` and the regex flag `R` KIC's priority reads. */
interface IngressPathShape {
  readonly length: number;
  readonly regex: boolean;
}

/** Per Ingress path: its matcher, and what KIC's priority reads of it. */
interface IngressPath extends IngressPathShape {
  readonly matcher: Atc;
}

export function ingressPath(source: PathSource): IngressPath {
  return { matcher: ingressPathMatcher(source), ...ingressPathShape(source) };
}

/** A Prefix path without its surrounding slashes (`/a/` and `/a` are one prefix, `/` is none). */
const prefixBase = (value: string): string => value.replace(/^\/+|\/+$/g, "");

function ingressPathMatcher(source: PathSource): Atc {
  const { type, value } = source;
  if (type === "DefaultBackend") return prefixOf("/");
  if (type === "Prefix") {
    const base = prefixBase(value);
    return base === "" ? prefixOf("/") : or(exactOf(`/${base}`), prefixOf(`/${base}/`));
  }
  if (type === "Exact") return exactOf(`/${value.replace(/^\/+/, "")}`);
  if (source.regex === true)
    return predicate("http.path", "~", value === "" ? "^/" : anchored(value));
  return prefixOf(value);
}

function ingressPathShape(source: PathSource): IngressPathShape {
  const { type, value } = source;
  if (type === "DefaultBackend") return { length: 1, regex: false };
  if (type === "Prefix") {
    const base = prefixBase(value);
    return base === "" ? { length: 1, regex: true } : { length: 2 + base.length, regex: true };
  }
  if (type === "Exact") return { length: 1 + value.replace(/^\/+/, "").length, regex: true };
  return { length: value.length, regex: source.regex === true };
}

const exactOf = (path: string): Atc => predicate("http.path", "==", path);
const prefixOf = (path: string): Atc => predicate("http.path", "^=", path);

/** How many IR matches an object's path becomes (paths.ts, gateway/http.ts). */
function expectedMatches(source: PathSource): number {
  if (source.type === "Prefix") return prefixBase(source.value) === "" ? 1 : 2;
  // A root prefix rewrite is one regex (gateway/http.ts), every other PathPrefix two matches.
  if (source.type === "PathPrefix")
    return source.rewritesPrefix === true && source.value.replace(/\/+$/, "") === "" ? 1 : 2;
  return 1;
}

/** An IR path on its own, for a path whose other matches another object's claim took. */
function irPathMatcher(path: PathMatch): Atc {
  if (path.kind === "exact") return exactOf(path.value);
  if (path.kind === "prefix") return prefixOf(path.value);
  return predicate("http.path", "~", anchored(path.value));
}

/** The paths grouped per object path, each whole group as KIC reads it, others match by match. */
function groupedPaths<T>(
  paths: readonly PathMatch[],
  whole: (source: PathSource) => T,
  part: (path: PathMatch) => T,
): T[] {
  const out: T[] = [];
  for (let i = 0; i < paths.length;) {
    const first = paths[i] as PathMatch;
    const source = first.source;
    let end = i + 1;
    while (end < paths.length && source !== undefined && paths[end]?.source?.index === source.index)
      end++;
    if (source !== undefined && end - i === expectedMatches(source)) out.push(whole(source));
    else for (const p of paths.slice(i, end)) out.push(part(p));
    i = end;
  }
  return out;
}

function ingressPaths(paths: readonly PathMatch[]): IngressPath[] {
  return groupedPaths(paths, ingressPath, p => ({ matcher: irPathMatcher(p), ...irPathShape(p) }));
}

const irPathShape = (p: PathMatch): IngressPathShape => ({
  length: p.value.length,
  regex: p.kind !== "prefix",
});

/** Ingress header annotations: names sorted, values OR'ed (`~*` marks a regex), headers AND'ed. */
function ingressHeaders(headers: readonly HeaderMatch[]): Atc {
  const sorted = [...headers].sort((a, b) => compareStrings(a.name, b.name));
  return and(
    ...sorted.map(h =>
      or(
        ...h.values.map(v =>
          h.kind === "regex"
            ? predicate(headerField(h.name), "~", v)
            : v.startsWith("~*")
              ? predicate(headerField(h.name), "~", v.slice(2))
              : predicate(headerField(h.name), "==", v),
        ),
      ),
    ),
  );
}

/** An Ingress route (or the default backend's): KIC's `ingress_atc.go`. */
export function ingressExpressionRoute(route: IrHttpRoute): ExpressionRoute {
  const m = route.match;
  const paths = ingressPaths(m.paths);
  const expression = and(
    hostMatcher(m.hosts),
    ...(m.exceptHosts ?? []).map(h => predicate("http.host", "!=", h)),
    or(...paths.map(p => p.matcher)),
    ingressHeaders(m.headers ?? []),
    methodMatcher(m.methods ?? []),
    sniMatcher(m.snis ?? []),
  );
  return { name: route.name, expression, priority: ingressPriority(route, paths) };
}

/** An Ingress route's priority alone, without writing its expression. */
export function ingressRoutePriority(route: IrHttpRoute): number {
  return ingressPriority(route, groupedPaths(route.match.paths, ingressPathShape, irPathShape));
}

/** KIC's priority of an Ingress route; the default backend's is 0, below every other. */
function ingressPriority(route: IrHttpRoute, paths: readonly IngressPathShape[]): number {
  const m = route.match;
  if (m.paths.some(p => p.source?.type === "DefaultBackend")) return 0;
  const headers = m.headers ?? [];
  const matchKinds =
    1 +
    Number(m.hosts.length > 0) +
    Number(headers.length > 0) +
    Number((m.methods ?? []).length > 0) +
    Number((m.snis ?? []).length > 0);
  const precise = m.hosts.length > 0 && m.hosts.every(h => !h.startsWith("*"));
  const length = Math.max(0, ...paths.map(p => p.length));
  return (
    INGRESS_KIND * bit(KIND_BITS) +
    matchKinds * bit(41) +
    cap(headers.length, 255) * bit(33) +
    Number(precise) * bit(32) +
    Number(paths.some(p => p.regex)) * bit(16) +
    cap(length, 65535)
  );
}

// ----- Gateway API routes (HTTPRoute, GRPCRoute) -----

/** One Kong route of a Gateway API match on one hostname, before ties are broken. */
export interface SplitMatch {
  readonly route: IrHttpRoute;
  readonly hostname: string;
  readonly name: string;
  readonly expression: Atc;
  /** The priority without the order bits. */
  readonly base: number;
  readonly orderMax: number;
}

/** An HTTPRoute path as KIC's `pathMatcherFromHTTPPathMatch` writes it. */
function httpRoutePath(source: PathSource): Atc {
  const { type, value } = source;
  if (type === "Exact") return exactOf(value);
  if (type === "RegularExpression") return predicate("http.path", "~", anchored(value));
  const base = value === "/" ? "" : value.replace(/\/$/, "");
  if (source.rewritesPrefix === true)
    return base === ""
      ? or(exactOf("/"), predicate("http.path", "~", "^/(.*)"))
      : // Escaped, unlike KIC: a literal prefix with regex characters stays literal.
        or(exactOf(base), predicate("http.path", "~", `^${escapeRegex(base)}(/.*)`));
  return base === "" ? prefixOf("/") : or(exactOf(base), prefixOf(`${base}/`));
}

/** Gateway API header or query matches: sorted by name, AND'ed. */
function namedMatches(
  list: readonly { name: string; kind: "exact" | "regex"; value: string }[],
  field: (name: string) => string,
): Atc {
  const sorted = [...list].sort((a, b) => compareStrings(a.name, b.name));
  return and(
    ...sorted.map(h => predicate(field(h.name), h.kind === "regex" ? "~" : "==", h.value)),
  );
}

function gatewayHeaders(headers: readonly HeaderMatch[] | undefined): Atc {
  return namedMatches(
    (headers ?? []).flatMap(h => h.values.map(value => ({ name: h.name, kind: h.kind, value }))),
    headerField,
  );
}

const hostTraits = (hostname: string): number =>
  Number(hostname !== "" && !hostname.startsWith("*")) * bit(43) +
  cap(hostname.length, 255) * bit(35);

function httpRouteSplit(route: IrHttpRoute, hostname: string): Omit<SplitMatch, "name"> {
  const m = route.match;
  const source = m.paths[0]?.source;
  const paths = groupedPaths(m.paths, httpRoutePath, irPathMatcher);
  const queries = (m.queryParams ?? []).map(q => ({ ...q }));
  const expression = and(
    hostMatcher(hostname === "" ? [] : [hostname]),
    sniMatcher(m.snis ?? []),
    and(
      or(...paths),
      gatewayHeaders(m.headers),
      namedMatches(queries, name => `http.queries.${name}`),
      methodMatcher(m.methods ?? []),
    ),
  );
  const value = source?.value ?? "";
  const base =
    HTTPROUTE_KIND * bit(KIND_BITS) +
    hostTraits(hostname) +
    Number(source?.type === "Exact") * bit(34) +
    Number(source?.type === "RegularExpression") * bit(33) +
    (value === "" ? 0 : cap(value.length - 1, 1023)) * bit(23) +
    Number((m.methods ?? []).length > 0) * bit(22) +
    cap((m.headers ?? []).length, 31) * bit(17) +
    cap(queries.length, 31) * bit(12);
  return {
    route,
    hostname,
    expression: expression || CATCH_ALL,
    base,
    orderMax: HTTPROUTE_ORDER_MAX,
  };
}

/** A GRPCRoute method match as KIC's `methodMatcherFromGRPCMethodMatch` writes it. */
function grpcMethodMatcher(route: IrHttpRoute): Atc {
  const method = route.place?.grpcMethod;
  if (method === undefined)
    return route.match.paths.some(p => p.kind === "prefix" && p.value === "/") ? prefixOf("/") : "";
  const { service: s, method: m } = method;
  const path = "http.path";
  if (method.type === "RegularExpression") {
    if (s !== undefined && m !== undefined) return predicate(path, "~", `^/${s}/${m}`);
    if (s !== undefined) return predicate(path, "~", `^/${s}/.+`);
    if (m !== undefined) return predicate(path, "~", `^/.+/${m}`);
    return prefixOf("/");
  }
  if (s !== undefined && m !== undefined) return exactOf(`/${s}/${m}`);
  if (s !== undefined) return prefixOf(`/${s}/`);
  if (m !== undefined) return predicate(path, "=^", `/${m}`);
  return prefixOf("/");
}

function grpcRouteSplit(route: IrHttpRoute, hostname: string): Omit<SplitMatch, "name"> {
  const m = route.match;
  const expression = and(
    grpcMethodMatcher(route),
    gatewayHeaders(m.headers),
    hostMatcher(hostname === "" ? [] : [hostname]),
    sniMatcher(m.snis ?? []),
  );
  const method = route.place?.grpcMethod;
  const base =
    GRPCROUTE_KIND * bit(KIND_BITS) +
    hostTraits(hostname) +
    cap(method?.service?.length ?? 0, 2047) * bit(24) +
    cap(method?.method?.length ?? 0, 2047) * bit(13) +
    cap((m.headers ?? []).length, 31) * bit(8);
  return {
    route,
    hostname,
    expression: expression || CATCH_ALL,
    base,
    orderMax: GRPCROUTE_ORDER_MAX,
  };
}

/** The Kong routes of one Gateway API match: one per hostname (`_` when it has none). */
export function splitGatewayMatch(route: IrHttpRoute): SplitMatch[] {
  const { object } = route.origin;
  const place = route.place ?? { rule: 0, match: 0 };
  // A hostname the router cannot take gets no Kong route (one without it would match every host).
  const hostnames =
    route.match.hosts.length === 0 ? [""] : route.match.hosts.filter(expressibleHost);
  return hostnames.map(hostname => {
    const split =
      object.kind === "GRPCRoute"
        ? grpcRouteSplit(route, hostname)
        : httpRouteSplit(route, hostname);
    const host = hostname === "" ? "_" : hostname.replace("*", "_");
    const name = `${object.kind.toLowerCase()}.${object.metadata.namespace ?? ""}.${object.metadata.name}.${host}.${place.rule}.${place.match}`;
    return { ...split, name };
  });
}

/**
 * KIC's tie-break (`assignRoutePriorityToSplit*Matches`): matches of equal traits are ordered by their
 * route's creation time, namespace and name, then rule and match index; the first gets the highest
 * order value. Returns each split's final priority by name.
 */
export function rankGatewayMatches(splits: readonly SplitMatch[]): Map<string, number> {
  const groups = new Map<number, SplitMatch[]>();
  for (const s of splits) {
    const group = groups.get(s.base);
    if (group === undefined) groups.set(s.base, [s]);
    else group.push(s);
  }
  const priorities = new Map<string, number>();
  for (const group of groups.values()) {
    group.sort(compareSplits);
    for (const [i, s] of group.entries())
      priorities.set(s.name, s.base + Math.max(0, s.orderMax - i));
  }
  return priorities;
}

function ageOf(object: KubeObject): string {
  const m = object.metadata;
  return `${m.creationTimestamp ?? ""}\u0000${m.namespace ?? ""}\u0000${m.name}`;
}

function compareSplits(a: SplitMatch, b: SplitMatch): number {
  return (
    compareStrings(ageOf(a.route.origin.object), ageOf(b.route.origin.object)) ||
    (a.route.place?.rule ?? 0) - (b.route.place?.rule ?? 0) ||
    (a.route.place?.match ?? 0) - (b.route.place?.match ?? 0) ||
    compareStrings(a.name, b.name)
  );
}

// ----- Stream routes -----

/** TCPRoute, UDPRoute, TLSRoute: SNIs and destination ports, priority 1 (KIC's `l4route_atc.go`). */
export function streamExpressionRoute(route: IrStreamRoute): ExpressionRoute {
  const ports = (route.destinations ?? []).flatMap(d => (d.port === undefined ? [] : [d.port]));
  const expression = and(
    sniMatcher(route.snis ?? []),
    or(...ports.map(p => predicate("net.dst.port", "==", p))),
  );
  return { name: route.name, expression, priority: 1 };
}
