/** Top-level keys of a declarative document (§2.1) and the format 1.1/2.1 route-path migration. */
import { validateField } from "./engine.ts";
import { msg } from "./messages.ts";
import { normalizePath } from "./paths.ts";
import type { Registry } from "./registry.ts";
import type { ErrObject, FieldDef, Record_, SchemaContext } from "./types.ts";
import { isEmptyTable, isRecord } from "./values.ts";
import { validateList, type EntityNode } from "./walk.ts";

const META: Readonly<Record<string, FieldDef>> = {
  _format_version: { type: "string", required: true, oneOf: ["1.1", "2.1", "3.0"] },
  _transform: { type: "boolean" },
  _comment: { type: "string" },
  _ignore: { type: "array" },
};

const LEGACY_PLAIN_PATH = /^[A-Za-z0-9._~/%-]*$/;

function migratePaths(paths: unknown): unknown {
  if (!Array.isArray(paths)) return paths;
  return paths.map((p: unknown) => {
    if (typeof p !== "string" || p.startsWith("~")) return p;
    return LEGACY_PLAIN_PATH.test(p) ? normalizePath(p) : `~${p}`;
  });
}

function migrateTree(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map(v => migrateTree(v, key));
  if (!isRecord(value)) return value;
  const out: Record_ = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = key === "routes" && k === "paths" ? migratePaths(v) : migrateTree(v, k);
  }
  return out;
}

/** Formats 1.1 and 2.1 get their route paths migrated to 3.0 semantics before validation. */
export function migrateLegacyFormat(doc: Record_): Record_ {
  const version = doc["_format_version"];
  if (version !== "1.1" && version !== "2.1") return doc;
  return migrateTree(doc) as Record_;
}

/** Validates the top level and every collection; returns the root entity nodes in dependency order. */
export function validateDocument(
  doc: Record_,
  registry: Registry,
  ctx: SchemaContext,
  errs: ErrObject,
): EntityNode[] {
  for (const [key, def] of Object.entries(META)) {
    const value = doc[key];
    if (value === undefined || value === null) {
      if (def.required === true) errs[key] = msg.required;
      continue;
    }
    const error = validateField(def, value).error;
    if (error !== undefined) errs[key] = error;
  }
  const byCollection = new Map<string, EntityNode[]>();
  for (const [key, value] of Object.entries(doc)) {
    if (key in META || value === null) continue;
    const schema = registry.schemas.get(key);
    if (schema === undefined) {
      if (!registry.tolerated.has(key)) errs[key] = msg.unknown;
      continue;
    }
    if (!Array.isArray(value) && !isEmptyTable(value)) {
      errs[key] = msg.type("array");
      continue;
    }
    const list = validateList(Array.isArray(value) ? value : [], { schema }, { registry, ctx });
    byCollection.set(key, list.nodes);
    if (list.errors !== undefined) errs[key] = list.errors;
  }
  return registry.order.flatMap(c => byCollection.get(c) ?? []);
}
