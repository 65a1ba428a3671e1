import type { KubeObject } from "./k8s.ts";

/** Identifies a Kubernetes object in results, events and Kong tags. */
export interface ObjectRef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Empty for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

/**
 * An object as a config Kong runs holds it: with the `metadata.generation` that was translated, when
 * known (a config read back from Kong names its objects by tags, which carry no generation).
 */
export interface GenerationRef extends ObjectRef {
  readonly generation?: number;
}

/** Splits `apiVersion` into group and version; the core group is the empty string. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function refOf(obj: KubeObject): ObjectRef {
  const { group, version } = splitApiVersion(obj.apiVersion);
  const base = {
    group,
    version,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? "",
    name: obj.metadata.name,
  };
  return obj.metadata.uid === undefined ? base : { ...base, uid: obj.metadata.uid };
}

/** A stable key for maps and sorting: `Kind/namespace/name` (`Kind/name` when cluster-scoped). */
export function refKey(ref: Pick<ObjectRef, "kind" | "namespace" | "name">): string {
  return ref.namespace === ""
    ? `${ref.kind}/${ref.name}`
    : `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * `refKey` remembered per ref object. A memoising translator hands out the same ref for an unchanged
 * object, so per-push passes over every result (what Kong holds, what to report) build no key twice.
 */
export class RefKeys {
  readonly #keys = new WeakMap<object, string>();

  of(ref: Pick<ObjectRef, "kind" | "namespace" | "name">): string {
    let key = this.#keys.get(ref);
    if (key === undefined) {
      key = refKey(ref);
      this.#keys.set(ref, key);
    }
    return key;
  }
}

export function objectKey(obj: KubeObject): string {
  return refKey({
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? "",
    name: obj.metadata.name,
  });
}
