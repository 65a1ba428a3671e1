/** Kong route fields for Ingress-derived routes: KIC's defaults plus the annotation overrides. */
import type { KongProtocol, KongRoute } from "../kong/types.ts";
import type { RouteOverrides } from "./annotations.ts";

export interface RouteDraft {
  readonly name: string;
  readonly hosts: readonly string[];
  readonly paths: readonly string[];
  readonly tags: readonly string[];
  /** Explicit protocols for routes KIC creates with them (the default backend). */
  readonly protocols?: readonly KongProtocol[];
}

export interface BuiltRoute {
  readonly route: KongRoute;
  /** Annotation values Kong would reject for this route's protocols; they are dropped. */
  readonly dropped: readonly string[];
}

const isGrpc = (p: KongProtocol): boolean => p === "grpc" || p === "grpcs";
const SNI_PROTOCOLS: ReadonlySet<KongProtocol> = new Set([
  "https",
  "grpcs",
  "tls",
  "tls_passthrough",
]);

export function buildRoute(draft: RouteDraft, o: RouteOverrides): BuiltRoute {
  const protocols = o.protocols ?? draft.protocols;
  const grpc = protocols !== undefined && protocols.every(isGrpc);
  const sniAllowed = (protocols ?? ["http", "https"]).some(p => SNI_PROTOCOLS.has(p));
  const hosts = [...new Set([...draft.hosts, ...o.hostAliases])];
  const route: KongRoute = {
    name: draft.name,
    ...(hosts.length > 0 ? { hosts } : {}),
    paths: draft.paths,
    ...(protocols === undefined ? {} : { protocols }),
    ...matchCriteria(o, { grpc, sniAllowed }),
    ...(grpc ? {} : { strip_path: o.stripPath ?? false }),
    preserve_host: o.preserveHost ?? true,
    regex_priority: o.regexPriority ?? 0,
    https_redirect_status_code: o.httpsRedirectStatusCode ?? 426,
    path_handling: o.pathHandling ?? "v0",
    request_buffering: o.requestBuffering ?? true,
    response_buffering: o.responseBuffering ?? true,
    tags: [...draft.tags, ...o.tags.filter(t => !draft.tags.includes(t))],
  };
  return { route, dropped: droppedCriteria(o, { grpc, sniAllowed }) };
}

interface ProtocolTraits {
  readonly grpc: boolean;
  readonly sniAllowed: boolean;
}

function matchCriteria(o: RouteOverrides, t: ProtocolTraits): Partial<KongRoute> {
  return {
    ...(o.methods === undefined || t.grpc ? {} : { methods: o.methods }),
    ...(o.headers === undefined ? {} : { headers: o.headers }),
    ...(o.snis === undefined || o.snis.length === 0 || !t.sniAllowed ? {} : { snis: o.snis }),
  };
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
