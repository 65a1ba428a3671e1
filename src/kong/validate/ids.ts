/**
 * Kong's deterministic entity ids (kong-admin-api.md §2.4): UUID v5 under a per-collection namespace,
 * keyed by the cache key or the endpoint key. Entities Kong would give a random v4 id get a v4-shaped id
 * derived from their content instead, so that validation stays a pure function.
 */
import { createHash } from "node:crypto";

/** Kong's `NS_ENTITIES` (declarative_config.lua). */
export const NS_ENTITIES = "fd02801f-0957-4a15-a55a-c8d9606f30b5";

function formatUuid(bytes: Buffer, version: number): string {
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | (version << 4);
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** RFC 4122 version 5 UUID (SHA-1 of the namespace bytes and the name). */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replaceAll("-", ""), "hex");
  return formatUuid(createHash("sha1").update(ns).update(name, "utf8").digest(), 5);
}

const namespaces = new Map<string, string>();

/** `uuid5(NS_ENTITIES, "<collection>")`, the namespace of one collection's ids. */
export function collectionNamespace(collection: string): string {
  let ns = namespaces.get(collection);
  if (ns === undefined) {
    ns = uuidV5(NS_ENTITIES, collection);
    namespaces.set(collection, ns);
  }
  return ns;
}

/** The id Kong derives for an entity from its key (endpoint key value or cache-key string). */
export function deterministicId(collection: string, key: string): string {
  return uuidV5(collectionNamespace(collection), key);
}

/**
 * A version-4-shaped id standing in for Kong's random one: a digest of where the entity sits and what
 * it contains, so equal documents validate to equal results.
 */
export function contentId(collection: string, position: string, canonicalContent: string): string {
  const digest = createHash("sha256")
    .update(`${collection}\u0000${position}\u0000${canonicalContent}`)
    .digest();
  return formatUuid(digest, 4);
}

/**
 * The §2.4 rule-1 key: `"<collection>:*:" + values.join(":")`. Absent optional values count as `""`;
 * non-string values (`{id}` objects) are skipped. Returns undefined when Kong would fall back to random.
 */
export function cacheKeyString(
  collection: string,
  values: readonly (string | null | undefined | object)[],
): string {
  const parts: string[] = [];
  for (const v of values) {
    if (typeof v === "string") parts.push(v);
    else if (v === null || v === undefined) parts.push("");
  }
  return `${collection}:*:${parts.join(":")}`;
}
