/** The kinds the controller watches, where their collections live, and how the watches are scoped. */

/** Kinds the store keeps. Later issues add Gateway API kinds here. */
export type WatchedKind = "IngressClass" | "Ingress" | "Service" | "EndpointSlice" | "Secret";

export interface KindInfo {
  readonly kind: WatchedKind;
  /** Empty for the core group. */
  readonly group: string;
  readonly version: string;
  /** The resource name in URLs. */
  readonly plural: string;
  readonly namespaced: boolean;
  /**
   * Listed and watched as metadata only (PartialObjectMetadata): the content is fetched one object at a
   * time when it is needed. For Secrets, most of which (Helm releases, tokens) are never read.
   */
  readonly metadataOnly?: boolean;
}

export const INGRESS_CLASS: KindInfo = Object.freeze({
  kind: "IngressClass",
  group: "networking.k8s.io",
  version: "v1",
  plural: "ingressclasses",
  namespaced: false,
});

export const INGRESS: KindInfo = Object.freeze({
  kind: "Ingress",
  group: "networking.k8s.io",
  version: "v1",
  plural: "ingresses",
  namespaced: true,
});

export const SERVICE: KindInfo = Object.freeze({
  kind: "Service",
  group: "",
  version: "v1",
  plural: "services",
  namespaced: true,
});

export const ENDPOINT_SLICE: KindInfo = Object.freeze({
  kind: "EndpointSlice",
  group: "discovery.k8s.io",
  version: "v1",
  plural: "endpointslices",
  namespaced: true,
});

export const SECRET: KindInfo = Object.freeze({
  kind: "Secret",
  group: "",
  version: "v1",
  plural: "secrets",
  namespaced: true,
  metadataOnly: true,
});

/** Every kind the Ingress translation reads. */
export const INGRESS_KINDS: readonly KindInfo[] = Object.freeze([
  INGRESS_CLASS,
  INGRESS,
  SERVICE,
  ENDPOINT_SLICE,
  SECRET,
]);

export function apiVersionOf(kind: KindInfo): string {
  return kind.group === "" ? kind.version : `${kind.group}/${kind.version}`;
}

/**
 * The collection URL path: cluster-wide when `namespace` is undefined (or the kind is cluster-scoped),
 * else inside that namespace. Add `/<name>` for one object.
 */
export function collectionPath(kind: KindInfo, namespace?: string): string {
  const prefix = kind.group === "" ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  return kind.namespaced && namespace !== undefined
    ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}`
    : `${prefix}/${kind.plural}`;
}

/** What one watcher covers: a kind, in one namespace or (undefined) all of them. */
export interface WatchScope {
  readonly kind: KindInfo;
  readonly namespace: string | undefined;
}

/**
 * One scope per kind when every namespace is watched (an empty list) and for cluster-scoped kinds;
 * otherwise one per kind and namespace, since a list or watch covers one namespace or all of them.
 */
export function watchScopes(
  kinds: readonly KindInfo[],
  watchNamespaces: readonly string[],
): WatchScope[] {
  const namespaces = [...new Set(watchNamespaces)].sort();
  return kinds.flatMap((kind): WatchScope[] =>
    !kind.namespaced || namespaces.length === 0
      ? [{ kind, namespace: undefined }]
      : namespaces.map(namespace => ({ kind, namespace })),
  );
}

/** A short label for logs and health: `Ingress` or `Ingress@team-a`. */
export function scopeLabel(scope: WatchScope): string {
  return scope.namespace === undefined ? scope.kind.kind : `${scope.kind.kind}@${scope.namespace}`;
}
