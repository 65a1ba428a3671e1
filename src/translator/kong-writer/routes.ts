/**
 * IR routes to Kong routes, with KIC's route defaults (kic-conventions.md §2.2, §3.4): match fields for
 * Kong's default router (`traditional_compatible`), or `expression` and `priority` for its expressions
 * router (expressions.ts).
 */
import type { KongProtocol, KongRoute } from "../../kong/types.ts";
import type {
  HeaderMatch,
  HttpMatch,
  IrHttpRoute,
  IrRoute,
  IrStreamRoute,
  PathMatch,
} from "../ir/types.ts";
import { CATCH_ALL } from "./atc.ts";
import {
  ingressExpressionRoute,
  splitGatewayMatch,
  streamExpressionRoute,
  type ExpressionRoute,
} from "./expressions.ts";
import { expressionRefusals } from "./expression-limits.ts";
import { filterPlugins } from "./plugins.ts";

/** Kong 3.x marks regex paths with this prefix. */
export const KONG_REGEX_PREFIX = "~";

const REGEX_SPECIALS = /[.*+?^${}()|[\]\\]/g;

export function escapeRegex(literal: string): string {
  return literal.replace(REGEX_SPECIALS, "\\$&");
}

/** A path match as Kong spells it: exact paths are anchored, escaped regexes. */
export function kongPath(path: PathMatch): string {
  switch (path.kind) {
    case "exact":
      return `${KONG_REGEX_PREFIX}${escapeRegex(path.value)}$`;
    case "prefix":
      return path.value;
    case "regex":
      return KONG_REGEX_PREFIX + path.value;
  }
}

/** Header matches as Kong's `headers` field: name → values, regex values marked with `~*`. */
export function kongHeaders(
  headers: readonly HeaderMatch[],
): Readonly<Record<string, readonly string[]>> {
  const out: Record<string, readonly string[]> = {};
  for (const h of headers) {
    out[h.name] = h.kind === "regex" ? h.values.map(v => `~*${v}`) : h.values;
  }
  return out;
}

export function isGrpcOnly(protocols: readonly KongProtocol[] | undefined): boolean {
  return protocols !== undefined && protocols.every(p => p === "grpc" || p === "grpcs");
}

/**
 * What of `route` Kong's router cannot express or the writer cannot write; empty when all of it can.
 * The core leaves such a route out with a problem on its object; a sub-translator should check first
 * and say so where it belongs (a condition on the route's parent) rather than emit it.
 */
export function inexpressible(route: IrRoute, expressions = false): readonly string[] {
  // Asked for every route of every translation: the common case allocates nothing.
  const router = expressions ? expressionRefusals(route) : NOTHING;
  if (route.kind === "stream" || (route.filters.length === 0 && plain(route.match))) return router;
  return [...matchLimits(route.match, expressions), ...filterLimits(route), ...router];
}

function matchLimits(match: HttpMatch, expressions: boolean): string[] {
  const found: string[] = [];
  if (!matchesSomething(match)) {
    found.push("a route must match on hosts, paths, methods or headers (a catch-all is prefix /)");
  }
  // Expression routes match query parameters (`http.queries.<name>`).
  if (!expressions && hasQueryParams(match)) {
    found.push("query parameter matches need Kong's expressions router");
  }
  if (isGrpcOnly(match.protocols) && match.methods !== undefined && match.methods.length > 0) {
    found.push("gRPC routes cannot match on methods");
  }
  for (const header of match.headers ?? []) {
    if (header.kind === "regex" && header.values.length > 1) {
      found.push(
        `header ${header.name}: Kong reads a regular expression only as a header's one value`,
      );
    }
  }
  return found;
}

const NOTHING: readonly string[] = Object.freeze([]);

const hasQueryParams = (m: HttpMatch): boolean => (m.queryParams ?? []).length > 0;

function matchesSomething(m: HttpMatch): boolean {
  return (
    m.hosts.length > 0 ||
    m.paths.length > 0 ||
    (m.methods ?? []).length > 0 ||
    (m.headers ?? []).length > 0
  );
}

/** A match without any of the parts `inexpressible` looks at. */
function plain(m: HttpMatch): boolean {
  return (
    matchesSomething(m) &&
    (m.queryParams === undefined || m.queryParams.length === 0) &&
    (m.methods === undefined || !isGrpcOnly(m.protocols)) &&
    (m.headers === undefined || m.headers.every(h => h.kind === "exact"))
  );
}

function filterLimits(route: IrHttpRoute): string[] {
  const found: string[] = [];
  const terminal = route.filters.filter(f => f.kind === "redirect" || f.kind === "respond");
  if (terminal.length > 1) found.push("a route can redirect or respond only once");
  for (const f of route.filters) {
    if (f.kind === "redirect" && f.hostname === undefined) {
      found.push("a redirect needs a hostname (Kong's redirect plugin takes a whole location)");
    }
    if (f.kind === "redirect" && f.path?.kind === "prefix") {
      found.push("a redirect cannot replace a path prefix");
    }
    if (
      f.kind === "urlRewrite" &&
      f.path?.kind === "prefix" &&
      !route.match.paths.every(p => p.kind === "regex")
    ) {
      found.push("a prefix rewrite needs regex paths that capture the rest of the path");
    }
  }
  return found;
}

/**
 * How routes are written: for Kong's `expressions` router (with the Gateway API matches' priorities,
 * which depend on every route of their kind), else its traditional fields.
 */
export interface RouteWriting {
  readonly expressions: boolean;
  /** By Kong route name: the Gateway API matches' (`rankGatewayMatches`) and host catch-alls'. */
  readonly gatewayPriorities: ReadonlyMap<string, number>;
}

export const TRADITIONAL_WRITING: RouteWriting = Object.freeze({
  expressions: false,
  gatewayPriorities: new Map<string, number>(),
});

/** The Kong routes of `route`: one, or one per hostname for a Gateway API match under expressions. */
export function writeRoute(
  route: IrRoute,
  tags: readonly string[],
  writing: RouteWriting = TRADITIONAL_WRITING,
): readonly KongRoute[] {
  if (!writing.expressions)
    return [route.kind === "http" ? writeHttpRoute(route, tags) : writeStreamRoute(route, tags)];
  if (route.kind === "stream") return [writeExpressionStreamRoute(route, tags)];
  if (route.place === undefined) {
    const e = ingressExpressionRoute(route);
    const ranked = route.hostCatchAll === true ? writing.gatewayPriorities.get(e.name) : undefined;
    return [
      expressionHttpRoute(route, tags, ranked === undefined ? e : { ...e, priority: ranked }),
    ];
  }
  return splitGatewayMatch(route).map(split =>
    expressionHttpRoute(route, tags, {
      name: split.name,
      expression: split.expression,
      priority: writing.gatewayPriorities.get(split.name) ?? split.base,
    }),
  );
}

/** KIC's route fields under expressions: no match fields, `regex_priority` or `path_handling`. */
function expressionHttpRoute(
  route: IrHttpRoute,
  tags: readonly string[],
  e: ExpressionRoute,
): KongRoute {
  const { match: m, settings: s } = route;
  const plugins = route.filters.length === 0 ? [] : filterPlugins(route.filters, tags);
  return {
    name: e.name,
    expression: e.expression === "" ? CATCH_ALL : e.expression,
    priority: e.priority,
    ...(m.protocols === undefined ? {} : { protocols: m.protocols }),
    ...(isGrpcOnly(m.protocols) ? {} : { strip_path: s.stripPath ?? false }),
    preserve_host: s.preserveHost ?? true,
    https_redirect_status_code: s.httpsRedirectStatusCode ?? 426,
    request_buffering: s.requestBuffering ?? true,
    response_buffering: s.responseBuffering ?? true,
    tags,
    ...(plugins.length > 0 ? { plugins } : {}),
  };
}

function writeExpressionStreamRoute(route: IrStreamRoute, tags: readonly string[]): KongRoute {
  const e = streamExpressionRoute(route);
  return {
    name: e.name,
    protocols: route.protocols,
    expression: e.expression,
    priority: e.priority,
    tags,
  };
}

/**
 * Built field by field, in the order Kong's dumps have them: the conditional spreads this replaced
 * allocated a throw-away object per optional field, per route.
 */
function writeHttpRoute(route: IrHttpRoute, tags: readonly string[]): KongRoute {
  const { match: m, settings: s } = route;
  const r: Mutable<KongRoute> = { name: route.name };
  addMatchFields(r, m);
  // Kong refuses strip_path on gRPC routes (kong-admin-api.md §2.6).
  if (!isGrpcOnly(m.protocols)) r.strip_path = s.stripPath ?? false;
  r.preserve_host = s.preserveHost ?? true;
  r.regex_priority = s.regexPriority ?? 0;
  r.https_redirect_status_code = s.httpsRedirectStatusCode ?? 426;
  r.path_handling = s.pathHandling ?? "v0";
  r.request_buffering = s.requestBuffering ?? true;
  r.response_buffering = s.responseBuffering ?? true;
  r.tags = tags;
  if (route.filters.length > 0) {
    const plugins = filterPlugins(route.filters, tags);
    if (plugins.length > 0) r.plugins = plugins;
  }
  return r;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function addMatchFields(r: Mutable<KongRoute>, m: HttpMatch): void {
  if (m.hosts.length > 0) r.hosts = m.hosts;
  if (m.paths.length > 0) r.paths = m.paths.map(kongPath);
  if (m.protocols !== undefined) r.protocols = m.protocols;
  if (m.methods !== undefined && m.methods.length > 0) r.methods = m.methods;
  if (m.headers !== undefined && m.headers.length > 0) r.headers = kongHeaders(m.headers);
  if (m.snis !== undefined && m.snis.length > 0) r.snis = m.snis;
}

function writeStreamRoute(route: IrStreamRoute, tags: readonly string[]): KongRoute {
  return {
    name: route.name,
    protocols: route.protocols,
    ...nonEmpty("sources", route.sources),
    ...nonEmpty("destinations", route.destinations),
    ...nonEmpty("snis", route.snis),
    tags,
  };
}

/** `{ [key]: list }` when the list has items, else nothing (exactOptionalPropertyTypes). */
function nonEmpty<K extends string, T>(
  key: K,
  list: readonly T[] | undefined,
): { [P in K]?: readonly T[] } {
  return list === undefined || list.length === 0
    ? {}
    : ({ [key]: list } as { [P in K]?: readonly T[] });
}
