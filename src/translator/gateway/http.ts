/**
 * HTTPRoute to IR (kic-conventions.md §3.4, traditional router). Rules with the same backendRefs (and
 * timeouts) share one Kong service, `httproute.<ns>.<name>.<first rule>`, whose weighted backends are
 * the rule's valid backendRefs; each match is one Kong route, `httproute.<ns>.<name>.<rule>.<match>`,
 * on the route's hostnames as narrowed by its listeners and with their protocols (http, https).
 *
 * Paths as KIC spells them: Exact `/foo` is `~/foo$`, PathPrefix `/foo` is `~/foo$` and `/foo/`, a
 * RegularExpression is `~<regex>`; unlike KIC, literal paths are escaped (the writer's exact kind).
 * Headers, method and query parameters as match criteria; timeouts as the service's timeouts.
 *
 * Where we differ from KIC on purpose: one Kong route per match (KIC merges matches with the same
 * method and headers into one route with several paths), so a route Kong refuses names one match; and
 * what Kong cannot route as written (query parameters on the traditional router, a filter Kong cannot
 * apply) is a condition on the route (rules.ts) instead of a translation failure of the whole route.
 */
import type { KongProtocol } from "../../kong/types.ts";
import type { HTTPRoute, HTTPRouteMatch, HTTPRouteRule } from "../../model/gateway-api.ts";
import type {
  HttpMatch,
  PathMatch,
  PathSource,
  ServiceSettings,
  ServiceSpec,
} from "../ir/types.ts";
import { escapeRegex } from "../kong-writer/routes.ts";
import { convertFilters, type RedirectContext } from "./filters.ts";
import { headerMatches, queryParamMatches } from "./matches.ts";
import type { RouteContext, RouteTranslator } from "./routes.ts";
import {
  draftRuleRoutes,
  emitRules,
  refusesPluginsAnnotation,
  ruleBackends,
  servedHosts,
  servedListeners,
  servedProtocols,
  withBackendlessAnswer,
  type RuleDraft,
} from "./rules.ts";
import { ruleTags } from "./shared.ts";

const PROTOCOLS: Readonly<Record<string, KongProtocol>> = { HTTP: "http", HTTPS: "https" };

/** What the API server fills in for a rule without matches, or a match without a path. */
const DEFAULT_MATCH: HTTPRouteMatch = Object.freeze({
  path: Object.freeze({ type: "PathPrefix", value: "/" }),
});

// ----- Paths -----

/**
 * A path match as Kong paths: PathPrefix in KIC's two forms, or, when a URLRewrite replaces the prefix,
 * as regexes whose first group captures what follows the prefix (the writer's `prefix` rewrite).
 */
export function pathMatches(
  path: HTTPRouteMatch["path"],
  rewritesPrefix: boolean,
): PathMatch[] | string {
  const type = path?.type ?? "PathPrefix";
  const value = path?.value ?? "/";
  if (!value.startsWith("/")) return `path ${value} must start with /`;
  if (rewritesPrefix && type !== "PathPrefix")
    return `a URLRewrite with ReplacePrefixMatch needs a PathPrefix match, not ${type}`;
  switch (type) {
    case "Exact":
      return [{ kind: "exact", value }];
    case "RegularExpression":
      return [{ kind: "regex", value }];
    case "PathPrefix": {
      // The spec ignores a trailing slash: `/foo/` and `/foo` are the same prefix.
      const base = value.replace(/\/+$/, "");
      if (rewritesPrefix) {
        // At the root the group must still capture the leading slash, and Kong's regex paths start with `/`.
        if (base === "") return [{ kind: "regex", value: "/?(/.*)" }];
        const escaped = escapeRegex(base);
        return [
          { kind: "regex", value: `${escaped}$` },
          { kind: "regex", value: `${escaped}(/.*)` },
        ];
      }
      return base === ""
        ? [
            { kind: "exact", value: "/" },
            { kind: "prefix", value: "/" },
          ]
        : [
            { kind: "exact", value: base },
            { kind: "prefix", value: `${base}/` },
          ];
    }
    default:
      return `path match type ${type} is not supported`;
  }
}

// ----- Timeouts -----

/** Kong's largest timeout (ms); a zero duration, "no timeout" in the spec, becomes it. */
const MAX_TIMEOUT_MS = 2147483646;
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const UNIT_MS: Readonly<Record<string, number>> = { h: 3600000, m: 60000, s: 1000, ms: 1 };

/** A Gateway API duration (`1h30m`, `500ms`) in milliseconds, or undefined if it is not one. */
export function durationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|h|m|s)/g))
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? 0);
  return total === 0 ? MAX_TIMEOUT_MS : Math.min(total, MAX_TIMEOUT_MS);
}

/**
 * Kong's connect/read/write timeouts from the rule's: `backendRequest` (KIC), else `request`, which
 * bounds every backend request too (Kong has no timeout for a whole request).
 */
function ruleSettings(rule: HTTPRouteRule): ServiceSettings | string {
  const t = rule.timeouts;
  const text = t?.backendRequest ?? t?.request;
  if (text === undefined) return {};
  const ms = durationMs(text);
  if (ms === undefined) return `timeout ${text} is not a duration`;
  return { connectTimeout: ms, readTimeout: ms, writeTimeout: ms };
}

// ----- Rules -----

interface HttpRouteInput {
  readonly ctx: RouteContext;
  readonly route: HTTPRoute;
  readonly hosts: readonly string[];
  readonly protocols: readonly KongProtocol[];
  readonly redirect: RedirectContext;
}

/** The path as written, which KIC's expressions router reads (kong-writer/expressions.ts). */
function pathSource(path: HTTPRouteMatch["path"], rewritesPrefix: boolean): PathSource {
  return {
    index: 0,
    type: path?.type ?? "PathPrefix",
    value: path?.value ?? "/",
    ...(rewritesPrefix ? { rewritesPrefix } : {}),
  };
}

function buildMatch(
  input: HttpRouteInput,
  m: HTTPRouteMatch,
  rewritesPrefix: boolean,
): { match: HttpMatch } | { problems: readonly string[] } {
  const paths = pathMatches(m.path ?? DEFAULT_MATCH.path, rewritesPrefix);
  const headers = headerMatches(m.headers ?? []);
  const queryParams = queryParamMatches(m.queryParams ?? []);
  const problems = [
    ...(typeof paths === "string" ? [paths] : []),
    ...headers.problems,
    ...queryParams.problems,
  ];
  if (typeof paths === "string" || problems.length > 0) return { problems };
  const source = pathSource(m.path ?? DEFAULT_MATCH.path, rewritesPrefix);
  return {
    match: {
      hosts: input.hosts,
      paths: paths.map(p => ({ ...p, source })),
      ...(m.method === undefined ? {} : { methods: [m.method] }),
      ...(headers.value.length === 0 ? {} : { headers: headers.value }),
      ...(queryParams.value.length === 0 ? {} : { queryParams: queryParams.value }),
      ...(input.protocols.length === 0 ? {} : { protocols: input.protocols }),
    },
  };
}

function draftRule(input: HttpRouteInput, rule: HTTPRouteRule, index: number): RuleDraft {
  const { route } = input;
  const converted = convertFilters(rule.filters ?? [], input.redirect);
  const valid = (input.ctx.evaluated.backends[index] ?? []).filter(b => b.ok).length;
  const filters = withBackendlessAnswer(converted.filters, {
    backendRefs: rule.backendRefs?.length ?? 0,
    valid,
  });
  const matches =
    rule.matches === undefined || rule.matches.length === 0 ? [DEFAULT_MATCH] : rule.matches;
  const backendFilters = (rule.backendRefs ?? []).some(b => (b.filters ?? []).length > 0);
  const settings = ruleSettings(rule);
  return draftRuleRoutes({
    route,
    rule,
    index,
    matches,
    filters,
    filterProblems: [
      ...converted.problems,
      ...(backendFilters
        ? ["filters on a backendRef are not supported: Kong filters per route"]
        : []),
    ],
    ruleProblems: typeof settings === "string" ? [settings] : [],
    build: m => buildMatch(input, m, converted.rewritesPrefix),
    ...(input.ctx.expressions === true ? { expressions: true } : {}),
  });
}

/** The Kong service of each rule: rules with the same backendRefs and timeouts share the first's. */
function ruleServices(ctx: RouteContext, route: HTTPRoute): ServiceSpec[] {
  const byKey = new Map<string, ServiceSpec>();
  return (route.spec.rules ?? [DEFAULT_RULE]).map((rule, index) => {
    const settings = ruleSettings(rule);
    const key = JSON.stringify([
      (rule.backendRefs ?? []).map(b => [b.group, b.kind, b.namespace, b.name, b.port, b.weight]),
      settings,
    ]);
    const existing = byKey.get(key);
    if (existing !== undefined) return existing;
    const name = `httproute.${route.metadata.namespace ?? ""}.${route.metadata.name}.${index}`;
    const spec: ServiceSpec = {
      name,
      upstreamName: name,
      origin: { object: route, tags: ruleTags(rule) },
      backends: ruleBackends(ctx, index),
      ...(typeof settings === "string" ? {} : { settings }),
    };
    byKey.set(key, spec);
    return spec;
  });
}

/** What the API server fills in for a route without rules: one catch-all rule without backends. */
const DEFAULT_RULE: HTTPRouteRule = Object.freeze({ matches: [DEFAULT_MATCH] });

export const translateHttpRoute: RouteTranslator = ctx => {
  const route = ctx.evaluated.route;
  if (route.kind !== "HTTPRoute" || refusesPluginsAnnotation(ctx)) return [];
  const hosts = servedHosts(ctx);
  const input: HttpRouteInput = {
    ctx,
    route,
    hosts,
    protocols: servedProtocols(ctx, PROTOCOLS, ["http", "https"]),
    redirect: {
      hosts,
      listeners: servedListeners(ctx),
      ...(ctx.extensionRef === undefined
        ? {}
        : { plugin: (name: string) => ctx.extensionRef?.(route, name) === true }),
    },
  };
  const services = ruleServices(ctx, route);
  const rules = (route.spec.rules ?? [DEFAULT_RULE]).map((rule, index) => ({
    draft: draftRule(input, rule, index),
    service: services[index] as ServiceSpec,
  }));
  return emitRules(ctx, rules);
};
