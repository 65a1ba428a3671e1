/** IR routes for Ingress-derived routes: the route's matches plus the annotation overrides. */
import type { KongProtocol } from "../kong/types.ts";
import type { Ingress } from "../model/k8s.ts";
import { defined, type RouteOverrides } from "./annotations.ts";
import type { HeaderMatch, HttpMatch, IrHttpRoute, PathMatch, RouteSettings } from "./ir/types.ts";
import { isGrpcOnly } from "./kong-writer/routes.ts";

export interface RouteDraft {
  readonly name: string;
  readonly ingress: Ingress;
  readonly hosts: readonly string[];
  readonly paths: readonly PathMatch[];
  /** Explicit protocols for routes KIC creates with them (the default backend). */
  readonly protocols?: readonly KongProtocol[];
}

export interface BuiltRoute {
  readonly route: IrHttpRoute;
  /** Annotation values Kong would reject for this route's protocols; they are dropped. */
  readonly dropped: readonly string[];
}

const SNI_PROTOCOLS: ReadonlySet<KongProtocol> = new Set([
  "https",
  "grpcs",
  "tls",
  "tls_passthrough",
]);

export function buildRoute(draft: RouteDraft, o: RouteOverrides): BuiltRoute {
  const protocols = o.protocols ?? draft.protocols;
  const grpc = isGrpcOnly(protocols);
  const sniAllowed = (protocols ?? ["http", "https"]).some(p => SNI_PROTOCOLS.has(p));
  const match: HttpMatch = {
    hosts: [...new Set([...draft.hosts, ...o.hostAliases])],
    paths: draft.paths,
    ...(protocols === undefined ? {} : { protocols }),
    ...(o.methods === undefined || grpc ? {} : { methods: o.methods }),
    ...(o.headers === undefined ? {} : { headers: headerMatches(o.headers) }),
    ...(o.snis === undefined || o.snis.length === 0 || !sniAllowed ? {} : { snis: o.snis }),
  };
  const route: IrHttpRoute = {
    kind: "http",
    name: draft.name,
    origin:
      o.tags.length === 0 ? { object: draft.ingress } : { object: draft.ingress, tags: o.tags },
    match,
    settings: routeSettings(o, grpc),
    filters: [],
  };
  return { route, dropped: droppedCriteria(o, { grpc, sniAllowed }) };
}

/** The annotations' route settings; Kong refuses `strip_path` on gRPC routes. */
function routeSettings(o: RouteOverrides, grpc: boolean): RouteSettings {
  return {
    ...defined("stripPath", grpc ? undefined : o.stripPath),
    ...defined("preserveHost", o.preserveHost),
    ...defined("regexPriority", o.regexPriority),
    ...defined("httpsRedirectStatusCode", o.httpsRedirectStatusCode),
    ...defined("pathHandling", o.pathHandling),
    ...defined("requestBuffering", o.requestBuffering),
    ...defined("responseBuffering", o.responseBuffering),
  };
}

function headerMatches(headers: Readonly<Record<string, readonly string[]>>): HeaderMatch[] {
  return Object.entries(headers).map(([name, values]) => ({ name, kind: "exact", values }));
}

interface ProtocolTraits {
  readonly grpc: boolean;
  readonly sniAllowed: boolean;
}

/** Annotation values Kong's route schema would reject for these protocols (kong-admin-api.md §2.6). */
function droppedCriteria(o: RouteOverrides, t: ProtocolTraits): string[] {
  const dropped: string[] = [];
  if (t.grpc && o.methods !== undefined) {
    dropped.push("konghq.com/methods (gRPC routes cannot match on methods)");
  }
  if (t.grpc && o.stripPath !== undefined) {
    dropped.push("konghq.com/strip-path (gRPC routes cannot strip the path)");
  }
  if (!t.sniAllowed && o.snis !== undefined && o.snis.length > 0) {
    dropped.push("konghq.com/snis (SNIs need an https or grpcs protocol)");
  }
  return dropped;
}
