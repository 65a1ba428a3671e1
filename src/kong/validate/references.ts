/**
 * Steps 3 and 4 of §2.5: deterministic ids, endpoint-key and primary-key uniqueness (errors at array
 * positions), reference resolution (errors keyed by endpoint key or id), then the remaining unique
 * fields (only the last error per collection survives, as in Kong).
 */
import { cacheKeyString, contentId, deterministicId } from "./ids.ts";
import { msg } from "./messages.ts";
import type { Registry } from "./registry.ts";
import type { ErrArray, ErrObject, ErrTree } from "./types.ts";
import { stableStringify } from "../../util/stable-json.ts";
import { isRecord } from "./values.ts";
import type { EntityNode } from "./walk.ts";

/** Pre-order: parents before their children, in document order. */
export function allNodes(roots: readonly EntityNode[]): EntityNode[] {
  const out: EntityNode[] = [];
  const visit = (node: EntityNode): void => {
    out.push(node);
    node.children.forEach(visit);
  };
  roots.forEach(visit);
  return out;
}

function positionOf(node: EntityNode): string {
  const own = `${node.collection}[${node.index}]`;
  return node.parent === undefined ? own : `${positionOf(node.parent)}.${own}`;
}

function cacheKeyValue(
  node: EntityNode,
  field: string,
  ids: ReadonlyMap<EntityNode, string>,
): unknown {
  if (field === node.parentLink && node.parent !== undefined) return ids.get(node.parent);
  return node.value[field];
}

function deriveId(node: EntityNode, ids: ReadonlyMap<EntityNode, string>): string {
  const explicit = node.value["id"];
  if (typeof explicit === "string") return explicit;
  const { schema } = node;
  const autoMissing = (schema.autoFields ?? []).some(f => node.value[f] === null);
  if (schema.cacheKey !== undefined && !autoMissing) {
    const values = schema.cacheKey.map(f => cacheKeyValue(node, f, ids));
    return deterministicId(
      node.collection,
      cacheKeyString(node.collection, values as (string | null)[]),
    );
  }
  const key = schema.endpointKey === undefined ? undefined : node.value[schema.endpointKey];
  if (schema.cacheKey === undefined && typeof key === "string") {
    return deterministicId(node.collection, key);
  }
  return contentId(node.collection, positionOf(node), stableStringify(node.raw));
}

/** Assigns every entity its id: explicit, derived (§2.4), or content-derived in place of random. */
export function assignIds(nodes: readonly EntityNode[]): Map<EntityNode, string> {
  const ids = new Map<EntityNode, string>();
  for (const node of nodes) ids.set(node, deriveId(node, ids));
  return ids;
}

/** Kong's `add_error`: nested entities are addressed through their immediate parent only. */
function addPositionalError(errs: ErrObject, node: EntityNode, message: string): void {
  let container = errs;
  if (node.parent !== undefined) {
    const parentList = sectionArray(errs, node.parent.collection);
    let parentEntry = parentList[node.parent.index - 1];
    if (!isRecord(parentEntry)) {
      parentEntry = {};
      parentList[node.parent.index - 1] = parentEntry;
    }
    container = parentEntry;
  }
  sectionArray(container, node.collection)[node.index - 1] = message;
}

function sectionArray(container: ErrObject, key: string): ErrArray {
  const existing = container[key];
  if (Array.isArray(existing)) return existing;
  const created: ErrArray = [];
  container[key] = created;
  return created;
}

/** A section that must hold keyed entries: positional entries become 1-based keys, as cjson would. */
function sectionObject(container: ErrObject, key: string): ErrObject {
  const existing = container[key];
  if (isRecord(existing)) return existing;
  const created: ErrObject = {};
  if (Array.isArray(existing)) {
    existing.forEach((entry, i) => {
      if (entry !== undefined) created[String(i + 1)] = entry;
    });
  }
  container[key] = created;
  return created;
}

interface Index {
  readonly byKey: Map<string, Map<string, EntityNode>>;
  readonly byId: Map<string, Map<string, EntityNode>>;
}

function checkUniqueness(node: EntityNode, id: string, index: Index, errs: ErrObject): void {
  const { schema } = node;
  let failed = false;
  const key = schema.endpointKey === undefined ? undefined : node.value[schema.endpointKey];
  if (typeof key === "string" && schema.endpointKey !== undefined) {
    const seen = index.byKey.get(node.collection) ?? new Map<string, EntityNode>();
    index.byKey.set(node.collection, seen);
    if (seen.has(key)) {
      addPositionalError(errs, node, msg.uniqueness(node.collection, schema.endpointKey, key));
      failed = true;
    } else {
      seen.set(key, node);
    }
  }
  const byId = index.byId.get(node.collection) ?? new Map<string, EntityNode>();
  index.byId.set(node.collection, byId);
  if (!byId.has(id)) byId.set(id, node);
  else if (!failed)
    addPositionalError(errs, node, msg.uniqueness(node.collection, "primary key", id));
}

/** Kong's `populate_references` walk: per collection in dependency order, children before parents. */
function indexEntities(
  roots: readonly EntityNode[],
  ids: ReadonlyMap<EntityNode, string>,
  registry: Registry,
  errs: ErrObject,
): Index {
  const index: Index = { byKey: new Map(), byId: new Map() };
  const visit = (nodes: readonly EntityNode[]): void => {
    for (const collection of registry.order) {
      for (const node of nodes.filter(n => n.collection === collection)) {
        visit(node.children);
        checkUniqueness(node, ids.get(node) ?? "", index, errs);
      }
    }
  };
  visit(roots);
  return index;
}

/** The referrer's name in keyed error sections: endpoint key value, else id. */
export function referrerKey(node: EntityNode, ids: ReadonlyMap<EntityNode, string>): string {
  const key =
    node.schema.endpointKey === undefined ? undefined : node.value[node.schema.endpointKey];
  return typeof key === "string" ? key : (ids.get(node) ?? "");
}

function findEntity(index: Index, collection: string, value: unknown): EntityNode | undefined {
  const key = isRecord(value) ? value["id"] : value;
  if (typeof key !== "string") return undefined;
  return index.byKey.get(collection)?.get(key) ?? index.byId.get(collection)?.get(key);
}

export interface Resolution {
  /** node -> field -> referenced node. */
  readonly refs: Map<EntityNode, Map<string, EntityNode>>;
}

function foreignFields(node: EntityNode): [string, string][] {
  return node.schema.fields
    .filter(([name, def]) => def.type === "foreign" && name !== node.parentLink)
    .map(([name, def]) => [name, def.reference ?? ""]);
}

function unresolved(node: EntityNode, field: string, ctx: ResolveContext): void {
  const value = node.value[field];
  if (node.nestedForeign.includes(field)) {
    // A nested record's references are only resolved in Kong's second pass (§2.5 step 2).
    nestedEntry(node, ctx.errs)[field] = { id: msg.missingPrimaryKey };
    return;
  }
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  const target = foreignFields(node).find(([f]) => f === field)?.[1] ?? "";
  const section = sectionObject(ctx.errs, node.collection);
  const key = referrerKey(node, ctx.ids);
  const list = section[key];
  const message = msg.invalidReference(field, shown, target);
  if (Array.isArray(list)) list.push(message);
  else section[key] = [message];
}

function nestedEntry(node: EntityNode, errs: ErrObject): ErrObject {
  const container = node.parent === undefined ? errs : nestedEntry(node.parent, errs);
  const list = sectionArray(container, node.collection);
  const entry: ErrTree | undefined = list[node.index - 1];
  if (isRecord(entry)) return entry;
  const created: ErrObject = {};
  list[node.index - 1] = created;
  return created;
}

interface ResolveContext {
  readonly errs: ErrObject;
  readonly ids: ReadonlyMap<EntityNode, string>;
}

/** Runs uniqueness and reference checks; returns the resolved references (errors land in `errs`). */
export function populateReferences(
  roots: readonly EntityNode[],
  ids: ReadonlyMap<EntityNode, string>,
  registry: Registry,
  errs: ErrObject,
): Resolution {
  const index = indexEntities(roots, ids, registry, errs);
  const refs = new Map<EntityNode, Map<string, EntityNode>>();
  for (const node of allNodes(roots)) {
    for (const [field, target] of foreignFields(node)) {
      const value = node.value[field];
      if (value === null || value === undefined) continue;
      const found = findEntity(index, target, value);
      if (found === undefined) {
        unresolved(node, field, { errs, ids });
        continue;
      }
      const map = refs.get(node) ?? new Map<string, EntityNode>();
      map.set(field, found);
      refs.set(node, map);
    }
  }
  return { refs };
}

/** Step 4: unique fields other than the endpoint key, over the normalised entities. */
export function checkUniqueFields(
  nodes: readonly EntityNode[],
  entities: ReadonlyMap<EntityNode, Record<string, unknown>>,
  ids: ReadonlyMap<EntityNode, string>,
  errs: ErrObject,
): void {
  const seen = new Map<string, Set<string>>();
  for (const node of nodes) {
    for (const field of node.schema.uniqueFields ?? []) {
      const value = entities.get(node)?.[field];
      if (typeof value !== "string") continue;
      const bucket = `${node.collection}\u0000${field}`;
      const values = seen.get(bucket) ?? new Set<string>();
      seen.set(bucket, values);
      if (values.has(value)) {
        errs[node.collection] = {
          [referrerKey(node, ids)]: msg.uniqueness(node.collection, field, value),
        };
      } else {
        values.add(value);
      }
    }
  }
}
