/**
 * The intermediate representation between the per-kind sub-translators and Kong's declarative format
 * (KIC's kongstate, Envoy Gateway's IR, Contour's DAG). A sub-translator (Ingress today, the Gateway API
 * route kinds next) says what to route and where, in Kong's routing vocabulary but without Kong's
 * spelling: path kinds instead of `~` strings, filters instead of plugin configs, Kubernetes backends with
 * weights instead of targets, origins instead of tags. The writer (kong-writer/) is the only stage that
 * knows the declarative format: names are used as given, and every default, tag and order is its job.
 *
 * Every element carries its origin, the object Kong's entity is tagged with: Kong echoes those tags in
 * its errors, which is how a rejected entity is mapped back to one object (results, fallback).
 *
 * The IR is immutable and built fresh per translation from memoised parts; the writer reuses what it
 * wrote for parts that are the same objects as last time.
 */
import type { KongProtocol } from "../../kong/types.ts";
import type { KubeObject, Service, ServicePort } from "../../model/k8s.ts";

/** The object an element comes from; its Kong entity carries the object's `k8s-*` tags. */
export interface Origin {
  readonly object: KubeObject;
  /**
   * Tags after the `k8s-*` ones, in order (duplicates dropped): `k8s-named-route-rule:<rule>` for a
   * named Gateway API rule, then the user's `konghq.com/tags`.
   */
  readonly tags?: readonly string[];
}

/** Everything one translation routes. Lists are in any order (the writer sorts); names are unique. */
export interface IrConfig {
  readonly services: readonly IrService[];
  readonly certificates: readonly IrCertificate[];
  /** KongPlugins and KongClusterPlugins, each scoped as KIC scopes them (plugin-attach.ts). */
  readonly plugins?: readonly IrPlugin[];
  readonly consumers?: readonly IrConsumer[];
  /** Kong `ca_certificates` the services' `caCertificates` name. */
  readonly caCertificates?: readonly IrCaCertificate[];
}

// ----- Services and backends -----

/**
 * A Kong service and its upstream: where the routes in `routes` send traffic. One Kong service may be
 * backed by several Kubernetes Services with weights (an HTTPRoute rule's backendRefs); an Ingress
 * backend is one Service without a weight.
 */
export interface IrService {
  /** The Kong service name, e.g. `default.web.80` (Ingress) or `httproute.default.web.0`. */
  readonly name: string;
  /** Tags of the service and upstream: the one backing Service, or the route for several (KIC). */
  readonly origin: Origin;
  /** The Kong service `host` and upstream name, e.g. `web.default.80.svc`. */
  readonly upstreamName: string;
  /** The Kong service port; Kong sends to the targets' ports, but the field is required. */
  readonly port: number;
  readonly settings: ServiceSettings;
  /** Kong upstream fields from the Services' KongUpstreamPolicy (upstream-policy.ts), in Kong's names. */
  readonly upstream?: Readonly<Record<string, unknown>>;
  readonly backends: readonly IrBackend[];
  /** HTTP and stream routes; a Kong service never mixes them in practice. */
  readonly routes: readonly IrRoute[];
}

/** Kong service and upstream fields a translation chose; absent means KIC's default. */
export interface ServiceSettings {
  /** Default `http`. */
  readonly protocol?: KongProtocol;
  /** Default `/`; never written for protocols Kong refuses a path on (gRPC, stream). */
  readonly path?: string;
  /** Milliseconds; default 60000 each. */
  readonly connectTimeout?: number;
  readonly readTimeout?: number;
  readonly writeTimeout?: number;
  /** Default 5. */
  readonly retries?: number;
  /** The upstream's `host_header`. */
  readonly hostHeader?: string;
  /** TLS to the upstream (https and tls services only): verify its certificate, to this depth. */
  readonly tlsVerify?: boolean;
  readonly tlsVerifyDepth?: number;
  /** The id of the certificate Kong presents to the upstream. */
  readonly clientCertificate?: string;
  /** Ids of the CA certificates the upstream's certificate is verified against. */
  readonly caCertificates?: readonly string[];
}

/** One Kubernetes Service behind a Kong service, with the endpoints it resolved to. */
export interface IrBackend {
  readonly service: Service;
  /** The Service port traffic goes to. */
  readonly port: ServicePort;
  /**
   * Absent: unweighted, every endpoint weighs 100 (Ingress, KIC's default). Present: this backend's
   * share of the traffic, split evenly over its endpoints (at least 1 each); 0 keeps every endpoint at 0.
   */
  readonly weight?: number;
  /** Distinct addresses; the same address in two backends of one service becomes one target. */
  readonly endpoints: readonly IrEndpoint[];
}

export interface IrEndpoint {
  /** `host:port`, IPv6 in brackets. */
  readonly address: string;
  /**
   * A terminating endpoint kept for `--enable-drain-support`: a target of weight 0, so Kong sends it
   * no new connections while the ones it has drain.
   */
  readonly draining?: boolean;
  /** The EndpointSlice it came from, or the Service for ExternalName and service-upstream. */
  readonly origin: Origin;
}

// ----- Routes -----

export type IrRoute = IrHttpRoute | IrStreamRoute;

/** An HTTP (or gRPC) Kong route: one set of match criteria, its settings and filters. */
export interface IrHttpRoute {
  readonly kind: "http";
  /** The Kong route name, e.g. `default.shop.web.shop.example.com.80` or `httproute.default.web.0.0`. */
  readonly name: string;
  readonly origin: Origin;
  readonly match: HttpMatch;
  readonly settings: RouteSettings;
  /** Applied in order; filters of one Kong plugin merge into it. */
  readonly filters: readonly HttpFilter[];
  /** Where a Gateway API route's match sits in it (KIC's expressions router orders and names by it). */
  readonly place?: MatchPlace;
  /** Host ownership's 404 catch-all for an owned host: ranked below every other route on its host. */
  readonly hostCatchAll?: true;
}

/**
 * A Gateway API match's place in its route: KIC's expressions router names one Kong route per hostname
 * and match (`<kind>.<ns>.<name>.<host>.<rule>.<match>`) and breaks priority ties by rule and match.
 */
export interface MatchPlace {
  readonly rule: number;
  readonly match: number;
  /** A GRPCRoute's method match, whose parts KIC's priority weighs. */
  readonly grpcMethod?: {
    readonly type: "Exact" | "RegularExpression";
    readonly service?: string;
    readonly method?: string;
  };
}

/**
 * What a request must carry to take this route: every criterion given must match. Lists within a
 * criterion are alternatives (any host, any path, any method).
 */
export interface HttpMatch {
  /** Empty: any host. Wildcards as `*.example.com`. */
  readonly hosts: readonly string[];
  /** Empty: any path. */
  readonly paths: readonly PathMatch[];
  readonly methods?: readonly string[];
  /** Every header must match; a header matches when its value matches one of `values`. */
  readonly headers?: readonly HeaderMatch[];
  /** Kong's traditional router cannot match query parameters: see `inexpressible` in the writer. */
  readonly queryParams?: readonly QueryParamMatch[];
  /** TLS server names (routes with an https or grpcs protocol only). */
  readonly snis?: readonly string[];
  /** Absent: Kong's default, http and https. */
  readonly protocols?: readonly KongProtocol[];
  /**
   * Hosts under this route's wildcard that another namespace owns. Only the expressions router needs
   * them (`http.host != …`): it may rank this route above the owner's; the traditional routers
   * prefer a plain host to a wildcard, and the owner's catch-all covers the rest.
   */
  readonly exceptHosts?: readonly string[];
}

/**
 * A path as Kong's router matches it.
 * - `exact`: the whole path equals `value` (written as an anchored, escaped regex);
 * - `prefix`: the path starts with `value`, character by character (Kong's plain path); a segment-aware
 *   prefix `/foo` is `exact /foo` plus `prefix /foo/`, in the order the sub-translator wants them;
 * - `regex`: the path matches the regular expression `value` (Kong anchors it at the start).
 */
export interface PathMatch {
  readonly kind: "exact" | "prefix" | "regex";
  readonly value: string;
  /** The object's path this match comes from; the matches of one path share it. */
  readonly source?: PathSource;
}

/**
 * A path as the object wrote it, which KIC's expressions router reads rather than Kong's path forms:
 * its expression per path and the priority from the path type and length (kic-kong-resources.md §5).
 */
export interface PathSource {
  /** Which of the route's paths it is; matches of one path share it. */
  readonly index: number;
  /**
   * Ingress `Prefix`, `Exact`, `ImplementationSpecific` (`regex`: it carried the regex prefix) or
   * `DefaultBackend`; Gateway API `PathPrefix`, `Exact`, `RegularExpression`.
   */
  readonly type: string;
  /** The path: Ingress after collapsing slashes (a regex without its prefix), Gateway API as written. */
  readonly value: string;
  readonly regex?: boolean;
  /** An HTTPRoute PathPrefix whose rule replaces the prefix (URLRewrite ReplacePrefixMatch). */
  readonly rewritesPrefix?: boolean;
}

export interface HeaderMatch {
  /** Lower case. */
  readonly name: string;
  /** `regex` values are regular expressions (Kong's `~*` values). */
  readonly kind: "exact" | "regex";
  readonly values: readonly string[];
}

export interface QueryParamMatch {
  readonly name: string;
  readonly kind: "exact" | "regex";
  readonly value: string;
}

/** Kong route fields a translation chose (annotations, for Ingress); absent means KIC's default. */
export interface RouteSettings {
  /** Default false; never written for gRPC routes, where Kong refuses it. */
  readonly stripPath?: boolean;
  /** Default true. */
  readonly preserveHost?: boolean;
  /** Default 0. */
  readonly regexPriority?: number;
  /** Default 426. */
  readonly httpsRedirectStatusCode?: number;
  /** Default `v0`. */
  readonly pathHandling?: string;
  /** Default true each. */
  readonly requestBuffering?: boolean;
  readonly responseBuffering?: boolean;
}

export interface HeaderValue {
  readonly name: string;
  readonly value: string;
}

/** Gateway API's HTTPHeaderFilter: `set` replaces (or adds), `add` appends, `remove` deletes. */
export interface HeaderChanges {
  readonly set: readonly HeaderValue[];
  readonly add: readonly HeaderValue[];
  readonly remove: readonly string[];
}

/**
 * A path rewrite: `full` replaces the whole path with `value`; `prefix` replaces the part of the path
 * the route's regex paths match before their first capture group with `value` (the route's paths must
 * all be regexes whose group 1 captures the rest of the path, e.g. `~/foo$` and `~/foo(/.*)`).
 */
export interface PathRewrite {
  readonly kind: "full" | "prefix";
  readonly value: string;
}

export type HttpFilter =
  | { readonly kind: "requestHeaders"; readonly changes: HeaderChanges }
  | { readonly kind: "responseHeaders"; readonly changes: HeaderChanges }
  | {
      readonly kind: "redirect";
      readonly statusCode: number;
      /** Default `http`. */
      readonly scheme?: string;
      readonly hostname?: string;
      readonly port?: number;
      /** Absent: the request's path is kept. */
      readonly path?: PathRewrite;
    }
  | { readonly kind: "urlRewrite"; readonly hostname?: string; readonly path?: PathRewrite }
  /** Answers without a backend, e.g. 500 for a rule whose every backendRef is invalid. */
  | { readonly kind: "respond"; readonly statusCode: number; readonly message: string }
  /** A KongPlugin of the route's namespace (an HTTPRoute ExtensionRef); attached as a Kong plugin. */
  | { readonly kind: "plugin"; readonly name: string };

/** A TCP, UDP or TLS Kong route (Gateway API TCPRoute, UDPRoute, TLSRoute). */
export interface IrStreamRoute {
  readonly kind: "stream";
  readonly name: string;
  readonly origin: Origin;
  readonly protocols: readonly ("tcp" | "tls" | "tls_passthrough" | "udp")[];
  readonly sources?: readonly StreamAddress[];
  /** For TCPRoute and UDPRoute: the listener ports, as `{ port }`. */
  readonly destinations?: readonly StreamAddress[];
  /** For TLSRoute: its hostnames. */
  readonly snis?: readonly string[];
}

/** An IP or CIDR and/or a port; at least one of the two. */
export interface StreamAddress {
  readonly ip?: string;
  readonly port?: number;
}

// ----- Certificates -----

export interface IrCertificate {
  /** Stable across translations: Kong keys SNIs and upstream TLS to it. */
  readonly id: string;
  /** The Secret whose pair this is (the oldest, when Secrets hold identical pairs). */
  readonly origin: Origin;
  readonly cert: string;
  readonly key: string;
  readonly snis: readonly IrSni[];
}

/**
 * A CA certificate (Kong `ca_certificates`), from a Secret or ConfigMap holding `id` and `cert` (KIC's
 * keys).
 */
export interface IrCaCertificate {
  readonly id: string;
  readonly origin: Origin;
  readonly cert: string;
}

export interface IrSni {
  readonly name: string;
  /** The Secret that claimed the name (it may differ from the certificate's, for identical pairs). */
  readonly origin: Origin;
}

// ----- Kong plugins and consumers -----

/** One Kong plugin entity: a plugin object's plugin, on a service, route and/or consumer (or global). */
export interface IrPlugin {
  /** The KongPlugin or KongClusterPlugin. */
  readonly origin: Origin;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly enabled: boolean;
  readonly protocols: readonly KongProtocol[];
  readonly instanceName?: string;
  /** Kong service, route and consumer names (KIC writes names, not ids). */
  readonly service?: string;
  readonly route?: string;
  readonly consumer?: string;
}

/** The credential types KIC reads from `konghq.com/credential`. */
export type CredentialType =
  "key-auth" | "basic-auth" | "hmac-auth" | "jwt" | "oauth2" | "acl" | "mtls-auth";

export interface IrCredential {
  /** The Secret it comes from. */
  readonly origin: Origin;
  readonly type: CredentialType;
  /** The credential's fields as Kong names them. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface IrConsumer {
  /** The KongConsumer. */
  readonly origin: Origin;
  readonly username?: string;
  readonly customId?: string;
  readonly credentials: readonly IrCredential[];
}

// ----- What sub-translators emit -----

/**
 * A Kong service as a sub-translator asks for it: which Services (and ports, and weights) back it. The
 * core resolves each backend's endpoints and the Services' annotations into an `IrService`.
 */
export interface ServiceSpec {
  readonly name: string;
  readonly upstreamName: string;
  /** Tags the service when it has no backend or several; one backend tags it with its own Service. */
  readonly origin: Origin;
  readonly backends: readonly BackendSpec[];
  /** What the route kind sets itself (HTTPRoute timeouts); wins over the Services' annotations. */
  readonly settings?: ServiceSettings;
}

export interface BackendSpec {
  readonly service: Service;
  readonly port: ServicePort;
  /** See `IrBackend.weight`. */
  readonly weight?: number;
  /**
   * The Service does not list the port the route names; `port` is the route's own number (80 when it
   * names the port by name or not at all). KIC keeps such a route: its upstream has no targets until
   * the Service lists the port, so Kong answers 503 meanwhile.
   */
  readonly portMissing?: boolean;
  /** Reach the Service through its DNS name (IngressClassParameters `serviceUpstream`). */
  readonly serviceUpstream?: boolean;
}

/** One route and the service it belongs to; routes naming the same service share it (the first spec wins). */
export interface RouteEmission {
  readonly route: IrRoute;
  readonly service: ServiceSpec;
}
