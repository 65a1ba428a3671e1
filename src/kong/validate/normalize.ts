/**
 * The entity map Kong answers a successful `POST /config` with (§3.3): collection -> id -> entity with
 * every schema field present, nested children flattened out, links and references as `{ id }`.
 */
import { createHash } from "node:crypto";
import { certificateDigest } from "./certificates.ts";
import { contentId } from "./ids.ts";
import type { Resolution } from "./references.ts";
import type { EntityNode } from "./walk.ts";

/** collection -> id -> normalised entity. */
export type NormalizedEntities = Record<string, Record<string, Record<string, unknown>>>;

interface NormalizeInput {
  readonly nodes: readonly EntityNode[];
  readonly ids: ReadonlyMap<EntityNode, string>;
  readonly resolution: Resolution;
  /** `_transform`: run load-time transformations (digests, password hashing). */
  readonly transform: boolean;
}

function fillAutoFields(node: EntityNode, entity: Record<string, unknown>, id: string): void {
  for (const field of node.schema.autoFields ?? []) {
    if (entity[field] === null) entity[field] = contentId(node.collection, `${id}:${field}`, field);
  }
}

function applyTransforms(node: EntityNode, entity: Record<string, unknown>): void {
  if (node.collection === "ca_certificates" && entity["cert_digest"] === null) {
    entity["cert_digest"] = certificateDigest(entity["cert"]) ?? null;
  }
  if (node.collection === "basicauth_credentials" && typeof entity["password"] === "string") {
    // basic-auth crypto.lua: sha1(password .. consumer_id)
    const consumer = entity["consumer"];
    const consumerId =
      typeof consumer === "object" && consumer !== null ? (consumer as { id?: unknown }).id : "";
    entity["password"] = createHash("sha1")
      .update(`${entity["password"]}${typeof consumerId === "string" ? consumerId : ""}`)
      .digest("hex");
  }
}

/** One normalised entity (before `_transform` load-time changes are applied). */
function normalizeNode(node: EntityNode, input: NormalizeInput): Record<string, unknown> {
  const id = input.ids.get(node) ?? "";
  const entity: Record<string, unknown> = { ...node.value, id };
  if (node.parentLink !== undefined && node.parent !== undefined) {
    entity[node.parentLink] = { id: input.ids.get(node.parent) };
  }
  for (const [field, target] of input.resolution.refs.get(node) ?? []) {
    entity[field] = { id: input.ids.get(target) };
  }
  fillAutoFields(node, entity, id);
  return entity;
}

/** Builds every entity; `_transform` changes are applied to the result map only. */
export function normalizeEntities(input: NormalizeInput): {
  readonly byNode: Map<EntityNode, Record<string, unknown>>;
  readonly entities: NormalizedEntities;
} {
  const byNode = new Map<EntityNode, Record<string, unknown>>();
  for (const node of input.nodes) {
    const entity = normalizeNode(node, input);
    if (input.transform) applyTransforms(node, entity);
    byNode.set(node, entity);
  }
  const entities: NormalizedEntities = {};
  for (const [node, entity] of byNode) {
    const collection = (entities[node.collection] ??= {});
    collection[String(entity["id"])] = entity;
  }
  return { byNode, entities };
}
