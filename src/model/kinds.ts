/**
 * The one registry of the kinds the controller reads. Watchers (which collection, which version, which
 * fields to keep), the store (one map per kind), the snapshot (one sorted list per kind) and the parser
 * (which `apiVersion kind` pairs are ours) all derive from this table; adding a kind here and its
 * object type to {@link KindObjects} is what makes every one of them handle it, and the type checker
 * points at every table (store relevance, trimming) that must say what the new kind means.
 */
import type {
  GRPCRoute,
  Gateway,
  GatewayClass,
  HTTPRoute,
  ReferenceGrant,
  TCPRoute,
  TLSRoute,
  UDPRoute,
} from "./gateway-api.ts";
import { GATEWAY_GROUP } from "./gateway-api.ts";
import type {
  EndpointSlice,
  Ingress,
  IngressClass,
  ConfigMap,
  IngressClassParameters,
  Namespace,
  Secret,
  Service,
} from "./k8s.ts";
import type {
  KongClusterPluginObject,
  KongConsumerObject,
  KongPluginObject,
  KongUpstreamPolicyObject,
} from "./kong.ts";
import { KONG_GROUP } from "./kong.ts";
import { CONFIGMAP_LABEL } from "./k8s.ts";

/** The object type of each kind, as parse.ts returns it. */
export interface KindObjects {
  IngressClass: IngressClass;
  Ingress: Ingress;
  Service: Service;
  EndpointSlice: EndpointSlice;
  Secret: Secret;
  ConfigMap: ConfigMap;
  Namespace: Namespace;
  GatewayClass: GatewayClass;
  Gateway: Gateway;
  HTTPRoute: HTTPRoute;
  GRPCRoute: GRPCRoute;
  TCPRoute: TCPRoute;
  UDPRoute: UDPRoute;
  TLSRoute: TLSRoute;
  ReferenceGrant: ReferenceGrant;
  KongPlugin: KongPluginObject;
  KongClusterPlugin: KongClusterPluginObject;
  KongConsumer: KongConsumerObject;
  KongUpstreamPolicy: KongUpstreamPolicyObject;
  IngressClassParameters: IngressClassParameters;
}

export type KindName = keyof KindObjects;

export interface KindDefinition<K extends KindName = KindName> {
  readonly kind: K;
  /** Empty for the core group. */
  readonly group: string;
  /**
   * The versions we read, preferred first: the first one the API server serves is watched, and
   * `kongress translate` accepts each of them in manifests.
   */
  readonly versions: readonly [string, ...string[]];
  /** The resource name in URLs. */
  readonly plural: string;
  readonly namespaced: boolean;
  /** The snapshot's list of this kind. */
  readonly list: string;
  /**
   * Served only where a CRD installs it: watched once the API server is seen serving it, stopped when
   * it goes, and never a reason to be unready.
   */
  readonly optional: boolean;
  /**
   * Listed and watched as metadata only (PartialObjectMetadata): the content is fetched one object at a
   * time when it is needed. For Secrets, most of which (Helm releases, tokens) are never read.
   */
  readonly metadataOnly: boolean;
  /** Top-level fields the cache keeps besides metadata; everything else is dropped on arrival. */
  readonly keptFields: readonly string[];
  /** Only objects with these labels are listed and watched (and read from manifests). */
  readonly labelSelector?: string;
}

function define<K extends KindName, L extends string>(
  def: Omit<KindDefinition<K>, "optional" | "metadataOnly" | "list"> & {
    readonly list: L;
    readonly optional?: boolean;
    readonly metadataOnly?: boolean;
  },
): KindDefinition<K> & { readonly list: L } {
  return Object.freeze({ optional: false, metadataOnly: false, ...def });
}

const GATEWAY_SPEC_STATUS = ["spec", "status"] as const;
// KongPlugin and KongClusterPlugin keep their fields at the top level, as KIC's CRDs define them.
const PLUGIN_FIELDS = [
  "plugin",
  "config",
  "configFrom",
  "configPatches",
  "disabled",
  "protocols",
  "ordering",
  "instance_name",
  "consumerRef",
  "status",
] as const;

/** Every kind, in the order watchers start and snapshots list them. */
export const KINDS = Object.freeze({
  IngressClass: define({
    kind: "IngressClass",
    group: "networking.k8s.io",
    versions: ["v1"],
    plural: "ingressclasses",
    namespaced: false,
    list: "ingressClasses",
    keptFields: ["spec"],
  }),
  Ingress: define({
    kind: "Ingress",
    group: "networking.k8s.io",
    versions: ["v1"],
    plural: "ingresses",
    namespaced: true,
    list: "ingresses",
    keptFields: ["spec", "status"],
  }),
  Service: define({
    kind: "Service",
    group: "",
    versions: ["v1"],
    plural: "services",
    namespaced: true,
    list: "services",
    keptFields: ["spec", "status"],
  }),
  EndpointSlice: define({
    kind: "EndpointSlice",
    group: "discovery.k8s.io",
    versions: ["v1"],
    plural: "endpointslices",
    namespaced: true,
    list: "endpointSlices",
    keptFields: ["addressType", "endpoints", "ports"],
  }),
  Secret: define({
    kind: "Secret",
    group: "",
    versions: ["v1"],
    plural: "secrets",
    namespaced: true,
    list: "secrets",
    metadataOnly: true,
    keptFields: ["type", "data"],
  }),
  // KIC's `--configmap-label-selector` default: only labelled ConfigMaps are read (KIC #6753), so that
  // the many large ConfigMaps of a cluster cost nothing. Read for `konghq.com/ca-certificates-configmaps`.
  ConfigMap: define({
    kind: "ConfigMap",
    group: "",
    versions: ["v1"],
    plural: "configmaps",
    namespaced: true,
    list: "configMaps",
    keptFields: ["data"],
    labelSelector: `${CONFIGMAP_LABEL}=true`,
  }),
  // Read for their labels only: a Gateway listener's allowedRoutes may select namespaces by label.
  Namespace: define({
    kind: "Namespace",
    group: "",
    versions: ["v1"],
    plural: "namespaces",
    namespaced: false,
    list: "namespaces",
    keptFields: [],
  }),
  GatewayClass: define({
    kind: "GatewayClass",
    group: GATEWAY_GROUP,
    versions: ["v1", "v1beta1"],
    plural: "gatewayclasses",
    namespaced: false,
    list: "gatewayClasses",
    optional: true,
    keptFields: GATEWAY_SPEC_STATUS,
  }),
  Gateway: define({
    kind: "Gateway",
    group: GATEWAY_GROUP,
    versions: ["v1", "v1beta1"],
    plural: "gateways",
    namespaced: true,
    list: "gateways",
    optional: true,
    keptFields: GATEWAY_SPEC_STATUS,
  }),
  HTTPRoute: define({
    kind: "HTTPRoute",
    group: GATEWAY_GROUP,
    versions: ["v1", "v1beta1"],
    plural: "httproutes",
    namespaced: true,
    list: "httpRoutes",
    optional: true,
    keptFields: GATEWAY_SPEC_STATUS,
  }),
  GRPCRoute: define({
    kind: "GRPCRoute",
    group: GATEWAY_GROUP,
    versions: ["v1"],
    plural: "grpcroutes",
    namespaced: true,
    list: "grpcRoutes",
    optional: true,
    keptFields: GATEWAY_SPEC_STATUS,
  }),
  TCPRoute: define({
    kind: "TCPRoute",
    group: GATEWAY_GROUP,
    versions: ["v1", "v1alpha2"],
    plural: "tcproutes",
    namespaced: true,
    list: "tcpRoutes",
    optional: true,
    keptFields: GATEWAY_SPEC_STATUS,
  }),
  UDPRoute: define({
    kind: "UDPRoute",
    group: GATEWAY_GROUP,
    versions: ["v1", "v1alpha2"],
    plural: "udproutes",
    namespaced: true,
    list: "udpRoutes",
    optional: true,
    keptFields: GATEWAY_SPEC_STATUS,
  }),
  TLSRoute: define({
    kind: "TLSRoute",
    group: GATEWAY_GROUP,
    versions: ["v1", "v1alpha3", "v1alpha2"],
    plural: "tlsroutes",
    namespaced: true,
    list: "tlsRoutes",
    optional: true,
    keptFields: GATEWAY_SPEC_STATUS,
  }),
  ReferenceGrant: define({
    kind: "ReferenceGrant",
    group: GATEWAY_GROUP,
    versions: ["v1", "v1beta1"],
    plural: "referencegrants",
    namespaced: true,
    list: "referenceGrants",
    optional: true,
    keptFields: ["spec"],
  }),
  KongPlugin: define({
    kind: "KongPlugin",
    group: KONG_GROUP,
    versions: ["v1"],
    plural: "kongplugins",
    namespaced: true,
    list: "kongPlugins",
    optional: true,
    keptFields: PLUGIN_FIELDS,
  }),
  KongClusterPlugin: define({
    kind: "KongClusterPlugin",
    group: KONG_GROUP,
    versions: ["v1"],
    plural: "kongclusterplugins",
    namespaced: false,
    list: "kongClusterPlugins",
    optional: true,
    keptFields: PLUGIN_FIELDS,
  }),
  KongConsumer: define({
    kind: "KongConsumer",
    group: KONG_GROUP,
    versions: ["v1"],
    plural: "kongconsumers",
    namespaced: true,
    list: "kongConsumers",
    optional: true,
    keptFields: ["username", "custom_id", "credentials", "consumerGroups", "spec", "status"],
  }),
  KongUpstreamPolicy: define({
    kind: "KongUpstreamPolicy",
    group: KONG_GROUP,
    versions: ["v1beta1"],
    plural: "kongupstreampolicies",
    namespaced: true,
    list: "kongUpstreamPolicies",
    optional: true,
    keptFields: ["spec"],
  }),
  // KIC's CRD (charts/kongress/crds/): read only when our IngressClass names one.
  IngressClassParameters: define({
    kind: "IngressClassParameters",
    group: "configuration.konghq.com",
    versions: ["v1alpha1"],
    plural: "ingressclassparameterses",
    namespaced: true,
    list: "ingressClassParameters",
    optional: true,
    keptFields: ["spec"],
  }),
});

type Registry = typeof KINDS;

/** The snapshot list name of each kind (`ingresses`, `httpRoutes`, …). */
export type ListOf<K extends KindName> = Registry[K]["list"];

/** Every kind, in registry order. */
export const KIND_NAMES: readonly KindName[] = Object.freeze(Object.keys(KINDS) as KindName[]);

export const KIND_DEFINITIONS: readonly KindDefinition[] = Object.freeze(
  KIND_NAMES.map(name => KINDS[name] as KindDefinition),
);

export function isKindName(kind: string): kind is KindName {
  return Object.hasOwn(KINDS, kind);
}

export function definitionOf(kind: KindName): KindDefinition {
  return KINDS[kind];
}

/** `group/version` (`version` for the core group). */
export function apiVersionFor(group: string, version: string): string {
  return group === "" ? version : `${group}/${version}`;
}
