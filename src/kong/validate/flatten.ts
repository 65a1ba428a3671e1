/**
 * `flatten_errors` (kong/db/errors.lua, §3.5): moves every per-entity error that maps back to an input
 * entity out of the nested table into a list of entries, in Kong's "drain" order (keys popped from the
 * end of a sorted list). Errors keyed by name or id are dropped when their collection is present at
 * the top level of the input — a Kong quirk reproduced on purpose.
 */
import { entityType } from "./registry.ts";
import type { ErrObject, ErrTree, Record_ } from "./types.ts";
import { isRecord, isUuid } from "./values.ts";

export type FlatError =
  | { readonly type: "entity"; readonly message: string }
  | { readonly type: "field"; readonly field: string; readonly message: string };

export interface FlatEntityError {
  entity_type: string;
  entity_name?: string;
  entity_id?: string;
  entity_tags?: string[];
  entity: Record<string, unknown>;
  errors: FlatError[];
}

export interface FlattenContext {
  /** parent collection -> child collection -> link field. */
  readonly nesting: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Ids Kong had derived when the error was found (step 3 on), by input record. */
  readonly derivedIds: ReadonlyMap<object, string>;
}

type Key = string | number;

/** Keys of a table in drain order: sorted, then popped from the end. */
function drainKeys(tree: ErrTree): Key[] {
  if (Array.isArray(tree)) {
    const keys: number[] = [];
    tree.forEach((v, i) => {
      if (v !== undefined) keys.push(i + 1);
    });
    return keys.reverse();
  }
  if (typeof tree === "string") return [];
  return Object.keys(tree)
    .filter(k => tree[k] !== undefined)
    .sort()
    .reverse();
}

function childAt(tree: ErrTree, key: Key): ErrTree | undefined {
  if (Array.isArray(tree)) return typeof key === "number" ? tree[key - 1] : undefined;
  if (typeof tree === "string") return undefined;
  return tree[String(key)];
}

function flattenFields(tree: ErrTree, path: string, out: FlatError[]): void {
  if (typeof tree === "string") {
    out.push({ type: "field", field: path, message: tree });
    return;
  }
  for (const key of drainKeys(tree)) {
    const child = childAt(tree, key);
    if (child !== undefined) flattenFields(child, `${path}.${key}`, out);
  }
}

interface ParentLink {
  readonly field: string;
  readonly id: unknown;
}

function entityCopy(
  raw: Record_,
  childKeys: readonly string[],
  link: ParentLink | undefined,
  ctx: FlattenContext,
): Record<string, unknown> {
  const entity: Record<string, unknown> = Object.fromEntries(
    Object.entries(raw).filter(([k, v]) => !(childKeys.includes(k) && Array.isArray(v))),
  );
  if (link !== undefined && isUuid(link.id)) entity[link.field] = { id: link.id };
  const derived = ctx.derivedIds.get(raw);
  if (derived !== undefined && entity["id"] === undefined) entity["id"] = derived;
  return entity;
}

function entryFor(
  collection: string,
  entity: Record<string, unknown>,
  errors: FlatError[],
): FlatEntityError {
  // Key order follows Kong's documented example; JSON clients must not depend on it.
  const entry: Partial<FlatEntityError> = { entity_type: entityType(collection) };
  const name = entity["name"];
  if (typeof name === "string" && name !== "") entry.entity_name = name;
  if (isUuid(entity["id"])) entry.entity_id = entity["id"];
  const tags = entity["tags"];
  if (Array.isArray(tags) && tags.every(t => typeof t === "string")) {
    entry.entity_tags = [...tags];
  }
  return { ...entry, entity, errors } as FlatEntityError;
}

interface EntityErrors {
  readonly collection: string;
  readonly raw: Record_;
  readonly errors: ErrTree;
  readonly link: ParentLink | undefined;
}

function addChildErrors(
  child: { readonly collection: string; readonly link: ParentLink; readonly list: unknown[] },
  errors: ErrTree,
  ctx: FlattenContext,
  out: FlatEntityError[],
): void {
  for (const i of drainKeys(errors)) {
    const childRaw: unknown = child.list[(i as number) - 1];
    const childErrors = childAt(errors, i);
    if (!isRecord(childRaw) || childErrors === undefined) continue;
    addEntityErrors(
      { collection: child.collection, raw: childRaw, errors: childErrors, link: child.link },
      ctx,
      out,
    );
  }
}

function addEntityErrors(item: EntityErrors, ctx: FlattenContext, out: FlatEntityError[]): void {
  const tree: ErrTree =
    typeof item.errors === "string" ? { "@entity": [item.errors] } : item.errors;
  if (Array.isArray(tree)) return;
  const children = ctx.nesting.get(item.collection) ?? new Map<string, string>();
  const entity = entityCopy(item.raw, [...children.keys()], item.link, ctx);
  const errors: FlatError[] = [];
  for (const key of drainKeys(tree) as string[]) {
    const value = tree[key];
    if (value === undefined) continue;
    const link = children.get(key);
    const nested = item.raw[key];
    if (key === "@entity" && Array.isArray(value)) {
      for (const message of value) {
        if (typeof message === "string") errors.push({ type: "entity", message });
      }
    } else if (link !== undefined && Array.isArray(nested) && typeof value !== "string") {
      const parent = { field: link, id: entity["id"] };
      addChildErrors({ collection: key, link: parent, list: nested as unknown[] }, value, ctx, out);
    } else {
      flattenFields(value, key, errors);
    }
  }
  if (errors.length > 0) out.push(entryFor(item.collection, entity, errors));
}

function sectionIndex(key: Key): number | undefined {
  if (typeof key === "number") return key;
  return /^[1-9]\d*$/.test(key) ? Number(key) : undefined;
}

/** Splits a nested error table into flattened entries and what stays in `fields`. */
export function flattenErrors(
  input: Record_,
  fields: ErrObject,
  ctx: FlattenContext,
): { readonly flattened: FlatEntityError[]; readonly remaining: ErrObject } {
  const flattened: FlatEntityError[] = [];
  const remaining: ErrObject = {};
  for (const collection of drainKeys(fields) as string[]) {
    const section = fields[collection];
    const entities = input[collection];
    if (section === undefined) continue;
    if (typeof section === "string" || !Array.isArray(entities)) {
      remaining[collection] = section;
      continue;
    }
    for (const key of drainKeys(section)) {
      const index = sectionIndex(key);
      const errors = childAt(section, key);
      const raw: unknown = index === undefined ? undefined : entities[index - 1];
      if (errors === undefined || index === undefined) continue;
      if (!isRecord(raw)) {
        const kept = (remaining[collection] ??= []) as (ErrTree | undefined)[];
        kept[index - 1] = errors;
        continue;
      }
      addEntityErrors({ collection, raw, errors, link: undefined }, ctx, flattened);
    }
  }
  return { flattened, remaining };
}
