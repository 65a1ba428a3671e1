/**
 * A Gateway API route's `konghq.com/*` annotations, read as KIC reads them on route objects with the
 * traditional router (kic-kong-resources.md §6): parsed by the Ingress parser (../annotations.ts) and
 * applied by the Ingress route builder (../routes.ts), so the same value means the same on both.
 *
 * HTTPRoute and GRPCRoute: `strip-path`, `preserve-host`, `protocols` (of the route's own family:
 * http/https, or grpc/grpcs), `ingress.kubernetes.io/force-ssl-redirect`, `https-redirect-status-code`,
 * `regex-priority`, `path-handling`, `request-buffering`, `response-buffering`, `snis`, `methods`,
 * `headers.<name>` and `tags`. Where the route spec says the same thing, the spec wins: a match's own
 * method, or a header it matches already, is kept (KIC lets the annotation replace them, silently
 * widening or narrowing what the spec asked for). TCPRoute, UDPRoute and TLSRoute: `tags` only.
 * Ingress-only annotations (`host-aliases`, `regex-prefix`) and those of another kind are reported,
 * never silently dropped; `konghq.com/plugins` is handled apart (rules.ts).
 */
import type { KongProtocol } from "../../kong/types.ts";
import type { GatewayRoute } from "../../model/gateway-api.ts";
import {
  FORCE_SSL_REDIRECT,
  parseRouteAnnotations,
  PLUGINS_ANNOTATION,
  ROUTE_ANNOTATIONS,
  type RouteOverrides,
} from "../annotations.ts";
import type { IrHttpRoute, Origin, RouteEmission, ServiceSpec } from "../ir/types.ts";
import { buildRoute } from "../routes.ts";
import type { Problem } from "../types.ts";

const K = "konghq.com/";
const HTTP_FAMILY: ReadonlySet<KongProtocol> = new Set(["http", "https"]);
const GRPC_FAMILY: ReadonlySet<KongProtocol> = new Set(["grpc", "grpcs"]);
const INGRESS_ONLY = [`${K}host-aliases`, `${K}regex-prefix`];

/** A route's annotations, parsed once: what applies to its Kong routes, and what is wrong with them. */
export interface RouteAnnotations {
  readonly overrides: RouteOverrides | undefined;
  readonly tags: readonly string[];
  readonly problems: readonly Problem[];
}

const NONE: RouteAnnotations = Object.freeze({ overrides: undefined, tags: [], problems: [] });

function hasKongAnnotations(route: GatewayRoute): boolean {
  return Object.keys(route.metadata.annotations ?? {}).some(
    k => (k.startsWith(K) && k !== PLUGINS_ANNOTATION) || k === FORCE_SSL_REDIRECT,
  );
}

function noEffect(key: string, kind: string): Problem {
  return {
    reason: "MisplacedAnnotation",
    message: `annotation ${key} has no effect on a route of kind ${kind}`,
  };
}

/** The protocols annotation of the wrong family for the route's kind is ignored, and said so. */
function familyChecked(
  route: GatewayRoute,
  o: RouteOverrides,
  problems: Problem[],
): RouteOverrides {
  if (o.protocols === undefined) return o;
  // force-ssl-redirect alone means "TLS only": for gRPC that is grpcs (the parser assumes http).
  const annotations: Readonly<Record<string, string | undefined>> =
    route.metadata.annotations ?? {};
  const forced = annotations[FORCE_SSL_REDIRECT]?.trim().toLowerCase() === "true";
  if (route.kind === "GRPCRoute" && forced && annotations[`${K}protocols`] === undefined)
    return { ...o, protocols: ["grpcs"] };
  const family = route.kind === "GRPCRoute" ? GRPC_FAMILY : HTTP_FAMILY;
  if (o.protocols.every(p => family.has(p))) return o;
  problems.push({
    reason: "InvalidAnnotation",
    message: `annotation ${K}protocols: ${o.protocols.join(",")} cannot serve a route of kind ${route.kind} (expected ${[...family].join(", ")}); the annotation is ignored`,
  });
  const rest: { -readonly [K in keyof RouteOverrides]: RouteOverrides[K] } = { ...o };
  delete rest.protocols;
  return rest;
}

export function readRouteAnnotations(route: GatewayRoute): RouteAnnotations {
  if (!hasKongAnnotations(route)) return NONE;
  const parsed = parseRouteAnnotations(route.metadata.annotations);
  const problems = [...parsed.problems];
  const annotations = route.metadata.annotations ?? {};
  const stream = route.kind !== "HTTPRoute" && route.kind !== "GRPCRoute";
  for (const key of Object.keys(annotations).sort()) {
    const ingressOnly = INGRESS_ONLY.includes(key);
    const httpOnly =
      key !== `${K}tags` &&
      (ROUTE_ANNOTATIONS.includes(key) ||
        key.startsWith(`${K}headers.`) ||
        key === FORCE_SSL_REDIRECT);
    if (ingressOnly || (stream && httpOnly)) problems.push(noEffect(key, route.kind));
  }
  return {
    overrides: stream ? undefined : familyChecked(route, parsed.value, problems),
    tags: parsed.value.tags,
    problems,
  };
}

function withTags(origin: Origin, tags: readonly string[]): Origin {
  return tags.length === 0 ? origin : { ...origin, tags: [...(origin.tags ?? []), ...tags] };
}

/** One Kong route with the annotations applied; the spec's own method and headers win. */
function annotated(route: IrHttpRoute, o: RouteOverrides, dropped: Set<string>): IrHttpRoute {
  const built = buildRoute(
    {
      name: route.name,
      origin: route.origin,
      hosts: route.match.hosts,
      paths: route.match.paths,
      ...(route.match.protocols === undefined ? {} : { protocols: route.match.protocols }),
    },
    { ...o, hostAliases: [] },
  );
  for (const d of built.dropped) dropped.add(d);
  const m = built.route.match;
  const own = new Set((route.match.headers ?? []).map(h => h.name.toLowerCase()));
  const headers = [
    ...(route.match.headers ?? []),
    ...(m.headers ?? []).filter(h => !own.has(h.name)),
  ];
  return {
    ...route,
    match: {
      ...route.match,
      ...(m.protocols === undefined ? {} : { protocols: m.protocols }),
      ...(route.match.methods !== undefined || m.methods === undefined
        ? {}
        : { methods: m.methods }),
      ...(headers.length === 0 ? {} : { headers }),
      ...(m.snis === undefined ? {} : { snis: m.snis }),
    },
    settings: { ...route.settings, ...built.route.settings },
  };
}

/**
 * The route's emissions with its annotations applied: route settings and criteria on each Kong route,
 * `konghq.com/tags` on its routes and services. Values Kong would refuse for the route's protocols
 * are left out and reported (the annotations' own problems are the caller's to report, once).
 */
export function applyRouteAnnotations(
  emissions: readonly RouteEmission[],
  annotations: RouteAnnotations,
  report: (problem: Problem) => void,
): readonly RouteEmission[] {
  const { overrides, tags } = annotations;
  if (overrides === undefined && tags.length === 0) return emissions;
  const services = new Map<ServiceSpec, ServiceSpec>();
  const dropped = new Set<string>();
  const out = emissions.map(({ route, service }) => {
    let s = services.get(service);
    if (s === undefined) {
      s = { ...service, origin: withTags(service.origin, tags) };
      services.set(service, s);
    }
    const tagged = { ...route, origin: withTags(route.origin, tags) };
    const r =
      tagged.kind === "http" && overrides !== undefined
        ? annotated(tagged, overrides, dropped)
        : tagged;
    return { route: r, service: s };
  });
  for (const d of dropped)
    report({
      reason: "InvalidAnnotation",
      message: `annotation ${d}; the annotation is ignored`,
    });
  return out;
}
