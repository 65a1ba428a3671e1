import { createHash } from "node:crypto";

/** Namespace of our deterministic entity ids (a fixed random UUID; never change it: ids would churn). */
const KONGRESS_ID_NAMESPACE = "6e1c2b4a-7f0e-4c51-9d0a-3b8f2a9e5d17";

/** RFC 4122 version 5 UUID (SHA-1 of namespace bytes + name). */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replaceAll("-", ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A stable id for an entity Kong cannot name (certificates), derived from what produced it. */
export function entityId(collection: string, key: string): string {
  return uuidV5(KONGRESS_ID_NAMESPACE, `${collection}:${key}`);
}
