/**
 * Where the collections of the registered kinds (src/model/kinds.ts) live and how the watches are
 * scoped. A kind is watched at one version: the first of its versions the API server serves (discovery
 * decides for optional kinds; required kinds use their first).
 */
import { KIND_DEFINITIONS, KINDS, type KindDefinition, type KindName } from "../model/kinds.ts";

/** Kinds the store keeps. */
export type WatchedKind = KindName;

/** A registered kind at the version it is watched at. */
export interface KindInfo extends KindDefinition {
  readonly version: string;
}

/** The kind at `version` (by default its preferred one). */
export function kindAt(def: KindDefinition, version: string = def.versions[0]): KindInfo {
  return Object.freeze({ ...def, version });
}

export const INGRESS_CLASS: KindInfo = kindAt(KINDS.IngressClass);
export const INGRESS: KindInfo = kindAt(KINDS.Ingress);
export const SERVICE: KindInfo = kindAt(KINDS.Service);
export const ENDPOINT_SLICE: KindInfo = kindAt(KINDS.EndpointSlice);
export const SECRET: KindInfo = kindAt(KINDS.Secret);

/** Every kind that is always served (no CRD needed), at its version: watched from the start. */
export const REQUIRED_KINDS: readonly KindInfo[] = Object.freeze(
  KIND_DEFINITIONS.filter(def => !def.optional).map(def => kindAt(def)),
);

/** The kinds the Ingress translation reads (the required ones). */
export const INGRESS_KINDS: readonly KindInfo[] = REQUIRED_KINDS;

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
