/**
 * GRPCRoute to IR (kic-conventions.md §3.5): one Kong service per rule, `grpcroute.<ns>.<name>.<rule>`,
 * speaking `grpc` to its backends when the route is served on an HTTP listener, else `grpcs` (KIC's
 * rule); one Kong route per match, `grpcroute.<ns>.<name>.<rule>.<match>`, with protocols grpc/grpcs
 * from its listeners, the route's hostnames as narrowed by them, and the header matches. A rule without
 * matches is a host match, or a catch-all `/` when the route takes any host.
 *
 * A method match is the request path `/<service>/<method>`. Where we differ from KIC on purpose: an
 * Exact match is escaped and anchored (KIC writes `~/<service>/<method>` raw, so `pkg.Svc` also matches
 * `pkgXSvc` and a longer method), and a part left out matches one path segment (`[^/]+`, KIC `.+`).
 */
import type { KongProtocol } from "../../kong/types.ts";
import type { GRPCRoute, GRPCRouteMatch } from "../../model/gateway-api.ts";
import type { HttpMatch, MatchPlace, PathMatch, ServiceSpec } from "../ir/types.ts";
import { escapeRegex } from "../kong-writer/routes.ts";
import { convertFilters, GRPC_FILTER_TYPES } from "./filters.ts";
import { headerMatches } from "./matches.ts";
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

type GrpcRule = NonNullable<GRPCRoute["spec"]["rules"]>[number];

const PROTOCOLS: Readonly<Record<string, KongProtocol>> = { HTTP: "grpc", HTTPS: "grpcs" };

const ANY_SEGMENT = "[^/]+";

/** An escaped literal part, or one path segment where the match leaves the part out. */
const literal = (part: string | undefined): string =>
  part === undefined ? ANY_SEGMENT : escapeRegex(part);

/** The request paths a method match takes; none when it does not match on the method. */
export function grpcPaths(method: GRPCRouteMatch["method"]): PathMatch[] | string {
  const service = method?.service;
  const name = method?.method;
  if (service === undefined && name === undefined) return [];
  switch (method?.type ?? "Exact") {
    case "Exact":
      return service !== undefined && name !== undefined
        ? [{ kind: "exact", value: `/${service}/${name}` }]
        : [{ kind: "regex", value: `/${literal(service)}/${literal(name)}$` }];
    case "RegularExpression":
      return [
        { kind: "regex", value: `/(?:${service ?? ANY_SEGMENT})/(?:${name ?? ANY_SEGMENT})$` },
      ];
    default:
      return `method match type ${method?.type ?? ""} is not supported`;
  }
}

/** The method match as KIC's expressions router weighs it. */
function grpcMethodOf(m: GRPCRouteMatch): Pick<MatchPlace, "grpcMethod"> {
  const method = m.method;
  if (method === undefined) return {};
  const type = method.type === "RegularExpression" ? "RegularExpression" : "Exact";
  return {
    grpcMethod: {
      type,
      ...(method.service === undefined ? {} : { service: method.service }),
      ...(method.method === undefined ? {} : { method: method.method }),
    },
  };
}

interface GrpcRouteInput {
  readonly ctx: RouteContext;
  readonly route: GRPCRoute;
  readonly hosts: readonly string[];
  readonly protocols: readonly KongProtocol[];
}

function buildMatch(
  input: GrpcRouteInput,
  m: GRPCRouteMatch,
): { match: HttpMatch } | { problems: readonly string[] } {
  const paths = grpcPaths(m.method);
  const headers = headerMatches(m.headers ?? []);
  if (typeof paths === "string") return { problems: [paths, ...headers.problems] };
  if (headers.problems.length > 0) return { problems: headers.problems };
  const catchAll = paths.length === 0 && headers.value.length === 0 && input.hosts.length === 0;
  return {
    match: {
      hosts: input.hosts,
      paths: catchAll ? [{ kind: "prefix", value: "/" }] : paths,
      ...(headers.value.length === 0 ? {} : { headers: headers.value }),
      ...(input.protocols.length === 0 ? {} : { protocols: input.protocols }),
    },
  };
}

function draftRule(input: GrpcRouteInput, rule: GrpcRule, index: number): RuleDraft {
  const { route, ctx } = input;
  const converted = convertFilters(
    rule.filters ?? [],
    {
      hosts: input.hosts,
      listeners: servedListeners(ctx),
      ...(ctx.extensionRef === undefined
        ? {}
        : { plugin: (name: string) => ctx.extensionRef?.(route, name) === true }),
    },
    GRPC_FILTER_TYPES,
  );
  const valid = (ctx.evaluated.backends[index] ?? []).filter(b => b.ok).length;
  const filters = withBackendlessAnswer(converted.filters, {
    backendRefs: rule.backendRefs?.length ?? 0,
    valid,
  });
  return draftRuleRoutes({
    route,
    rule,
    index,
    matches: rule.matches === undefined || rule.matches.length === 0 ? [{}] : rule.matches,
    filters,
    filterProblems: converted.problems,
    build: m => buildMatch(input, m),
    place: grpcMethodOf,
    ...(ctx.expressions === true ? { expressions: true } : {}),
  });
}

export const translateGrpcRoute: RouteTranslator = ctx => {
  const route = ctx.evaluated.route;
  if (route.kind !== "GRPCRoute" || refusesPluginsAnnotation(ctx)) return [];
  const protocols = servedProtocols(ctx, PROTOCOLS, ["grpc", "grpcs"]);
  const input: GrpcRouteInput = { ctx, route, hosts: servedHosts(ctx), protocols };
  // KIC: the backends speak plain gRPC when the route is served on an HTTP listener, else TLS.
  const serviceProtocol: KongProtocol = protocols.includes("grpc") ? "grpc" : "grpcs";
  const rules = (route.spec.rules ?? [{}]).map((rule, index) => {
    const name = `grpcroute.${route.metadata.namespace ?? ""}.${route.metadata.name}.${index}`;
    const service: ServiceSpec = {
      name,
      upstreamName: name,
      origin: { object: route, tags: ruleTags(rule) },
      backends: ruleBackends(ctx, index),
      settings: { protocol: serviceProtocol },
    };
    return { draft: draftRule(input, rule, index), service };
  });
  return emitRules(ctx, rules);
};
