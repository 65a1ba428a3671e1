/**
 * What the Gateway API mutators (GatewayClass, Gateway, routes) share: reading a status as the watch
 * delivers it, the status subresource's path at the version the object is watched at, the
 * `resourceVersion` guard that turns a write over an unseen change into a 409, and comparing desired
 * statuses. Every list here is replaced whole by a merge patch, so each mutator builds the full list
 * from what the cluster shows and what we want, and sends others' entries back unchanged.
 */
import { definitionOf, apiVersionFor, type KindName } from "../model/kinds.ts";
import type { ObservedStatus } from "./observed.ts";
import { isRecord } from "../util/is-record.ts";

export type Json = Record<string, unknown>;

/** `status` as a record; absent or malformed reads as empty. */
export function statusRecord(observed: ObservedStatus): Json {
  return isRecord(observed.status) ? observed.status : {};
}

/** The entries of a list that are objects, as they are (unknown fields included). */
export function recordsOf(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/**
 * The status subresource of a Gateway API object, at the version its watch uses (a served one: TCPRoute
 * may be served as v1alpha2 only), or the kind's preferred version when the watch did not say.
 */
export function gatewayApiStatusPath(
  kind: KindName,
  object: { readonly namespace: string; readonly name: string },
  observed: ObservedStatus,
): string {
  const def = definitionOf(kind);
  const watched = observed.apiVersion;
  const apiVersion =
    watched?.startsWith(`${def.group}/`) === true
      ? watched
      : apiVersionFor(def.group, def.versions[0]);
  const scope = def.namespaced ? `/namespaces/${encodeURIComponent(object.namespace)}` : "";
  return `/apis/${apiVersion}${scope}/${def.plural}/${encodeURIComponent(object.name)}/status`;
}

/**
 * The merge patch that sets `status`, refused with a 409 if the object changed since the version the
 * lists were built from: a list we rebuilt from a stale copy would drop what someone added meanwhile.
 */
export function guardedStatusPatch(observed: ObservedStatus, status: object): object {
  return observed.resourceVersion === ""
    ? { status }
    : { metadata: { resourceVersion: observed.resourceVersion }, status };
}
