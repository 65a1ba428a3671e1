/**
 * Keeps only what translation (and status publishing) reads, so a cache of thousands of objects does
 * not also hold their managedFields, last-applied copies and unused status. An Ingress keeps
 * `status.loadBalancer`, the part we write: the status writer compares against it instead of reading
 * the object back (src/status/observed.ts takes it off before the store sees the object).
 */
import { apiVersionOf, type KindInfo } from "./kinds.ts";
import { isRecord } from "../util/is-record.ts";

type Json = Record<string, unknown>;

const KEPT_METADATA = [
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "labels",
  "annotations",
] as const;

// A full copy of the object as last applied by kubectl: often the largest field, and never read.
const DROPPED_ANNOTATIONS: ReadonlySet<string> = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
]);

function pick(from: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}

function trimMetadata(metadata: Json): Json {
  const out = pick(metadata, KEPT_METADATA);
  const annotations = out["annotations"];
  if (isRecord(annotations) && Object.keys(annotations).some(k => DROPPED_ANNOTATIONS.has(k))) {
    const kept = Object.entries(annotations).filter(([k]) => !DROPPED_ANNOTATIONS.has(k));
    out["annotations"] = Object.fromEntries(kept);
  }
  return out;
}

function trimEndpoints(endpoints: unknown): unknown {
  if (!Array.isArray(endpoints)) return endpoints;
  return endpoints.map((e: unknown) => (isRecord(e) ? pick(e, ["addresses", "conditions"]) : e));
}

function trimLoadBalancerStatus(status: unknown): unknown {
  return isRecord(status) ? pick(status, ["loadBalancer"]) : status;
}

/** The kind of the items of a metadata-only list or watch (`as=PartialObjectMetadata`). */
export const PARTIAL_OBJECT_METADATA = "PartialObjectMetadata";

/** An object the API server sent as metadata only: the object's own content was not sent. */
export function isMetadataOnly(raw: unknown): boolean {
  return isRecord(raw) && raw["kind"] === PARTIAL_OBJECT_METADATA;
}

/**
 * Returns a trimmed copy of a raw object of `kind`, with `apiVersion` and `kind` set (list items come
 * without them). A PartialObjectMetadata keeps its kind: only its metadata is trimmed. Input that is
 * not an object is returned unchanged for the parser to reject.
 */
export function trimObject(kind: KindInfo, raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  // Kept as metadata-only, so that nobody mistakes it for an object without content.
  if (isMetadataOnly(raw)) {
    const metadata = isRecord(raw["metadata"]) ? trimMetadata(raw["metadata"]) : raw["metadata"];
    return { apiVersion: raw["apiVersion"], kind: PARTIAL_OBJECT_METADATA, metadata };
  }
  const out: Json = {
    apiVersion: apiVersionOf(kind),
    kind: kind.kind,
    metadata: isRecord(raw["metadata"]) ? trimMetadata(raw["metadata"]) : raw["metadata"],
    ...pick(raw, kind.keptFields),
  };
  if (kind.kind === "EndpointSlice" && out["endpoints"] !== undefined)
    out["endpoints"] = trimEndpoints(out["endpoints"]);
  if ((kind.kind === "Service" || kind.kind === "Ingress") && out["status"] !== undefined)
    out["status"] = trimLoadBalancerStatus(out["status"]);
  return out;
}
