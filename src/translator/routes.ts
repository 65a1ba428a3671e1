/** IR routes for Ingress-derived routes: the route's matches plus the annotation overrides. */
import type { KongProtocol } from "../kong/types.ts";
import type { Ingress } from "../model/k8s.ts";
import { definedFields, type RouteOverrides } from "./annotations.ts";
import type {
  HeaderMatch,
  HttpMatch,
  IrHttpRoute,
  Origin,
  PathMatch,
  RouteSettings,
} from "./ir/types.ts";
import { isGrpcOnly } from "./kong-writer/routes.ts";

export interface RouteDraft {
  readonly name: string;
  /** `routeOrigin` of the Ingress: one object shared by its routes. */
  readonly origin: Origin;
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

/** An Ingress's routes are tagged with it and its `konghq.com/tags`. */
export function routeOrigin(ingress: Ingress, o: RouteOverrides): Origin {
  return o.tags.length === 0 ? { object: ingress } : { object: ingress, tags: o.tags };
}

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
    origin: draft.origin,
    match,
    settings: routeSettings(o, grpc),
    filters: [],
  };
  return { route, dropped: droppedCriteria(o, { grpc, sniAllowed }) };
}

const SETTINGS = [
  "stripPath",
  "preserveHost",
  "regexPriority",
  "httpsRedirectStatusCode",
  "pathHandling",
  "requestBuffering",
  "responseBuffering",
] as const satisfies readonly (keyof RouteSettings & keyof RouteOverrides)[];

/** Kong refuses `strip_path` on gRPC routes. */
const GRPC_SETTINGS = SETTINGS.filter(key => key !== "stripPath");

/** The annotations' route settings. */
function routeSettings(o: RouteOverrides, grpc: boolean): RouteSettings {
  return definedFields(o, grpc ? GRPC_SETTINGS : SETTINGS);
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
