/**
 * Kong 3.x DB-less declarative-config validation (kong-admin-api.md §2–§3): the same checks, messages and
 * error shapes as `POST /config`, as a pure function. Public entry of `src/kong/validate/`.
 */
import { validateDocument, migrateLegacyFormat } from "./document.ts";
import { flattenErrors, type FlatEntityError } from "./flatten.ts";
import { renderLua } from "./lua-render.ts";
import { normalizeEntities, type NormalizedEntities } from "./normalize.ts";
import { credentialSchemas } from "./entities/consumers.ts";
import { BUNDLED_PLUGINS } from "./plugins/registry.ts";
import { allNodes, assignIds, checkUniqueFields, populateReferences } from "./references.ts";
import { buildRegistry, type Registry } from "./registry.ts";
import type { ErrObject, ErrTree, Record_, SchemaContext } from "./types.ts";
import { isRecord } from "./values.ts";
import { addNestedForeignErrors, type EntityNode } from "./walk.ts";

export type { FlatEntityError, FlatError } from "./flatten.ts";
export type { NormalizedEntities } from "./normalize.ts";
export { BUNDLED_PLUGINS, MODELLED_PLUGINS, pluginDef } from "./plugins/registry.ts";
export { describeProblems } from "./describe.ts";
export { renderLua } from "./lua-render.ts";

/** Where a credential plugin's credentials live in a consumer, and the field Kong keeps unique. */
export interface CredentialCollection {
  readonly collection: string;
  /** Unique across every consumer (the endpoint key); acl and mtls-auth have none. */
  readonly uniqueField?: string;
}

/** The credential collection of a credential plugin (`key-auth` → `keyauth_credentials`), if it has one. */
export function credentialCollection(plugin: string): CredentialCollection | undefined {
  const schema = credentialSchemas.find(c => c.plugin === plugin);
  if (schema === undefined) return undefined;
  return schema.endpointKey === undefined
    ? { collection: schema.collection }
    : { collection: schema.collection, uniqueField: schema.endpointKey };
}

export type RouterFlavor = "traditional" | "traditional_compatible" | "expressions";

export interface KongValidationOptions {
  readonly routerFlavor: RouterFlavor;
  readonly enabledPlugins: ReadonlySet<string>;
  /**
   * "Now" in milliseconds since the epoch, for CA certificate expiry only (validation takes no clock).
   * `0` — the default — never finds a certificate expired.
   */
  readonly now: number;
}

/** Kong's defaults: `traditional_compatible` router, `plugins = bundled`. */
export const DEFAULT_KONG_VALIDATION_OPTIONS: KongValidationOptions = Object.freeze({
  routerFlavor: "traditional_compatible",
  enabledPlugins: new Set(BUNDLED_PLUGINS),
  now: 0,
});

export interface KongValidationError {
  code: 14;
  name: "invalid declarative configuration";
  /** `declarative config is invalid: ` + the Lua rendering of `fields` (nested form). */
  message: string;
  /** The nested error table Kong returns without `flatten_errors` (§3.4). */
  fields: unknown;
  /** The entries Kong returns with `flatten_errors` (§3.5). */
  flattened_errors: FlatEntityError[];
  /** What stays in `fields` once the per-entity errors have been flattened out. */
  fieldsWhenFlattened: unknown;
  /** False for parse failures, which Kong never flattens. */
  flattenable: boolean;
}

export type KongValidationResult =
  | { readonly ok: true; readonly entities: NormalizedEntities }
  | { readonly ok: false; readonly error: KongValidationError };

const MESSAGE_PREFIX = "declarative config is invalid: ";

/** JSON form of an error table: holes become `null`. */
function toJson(tree: ErrTree | undefined): unknown {
  if (tree === undefined) return null;
  if (typeof tree === "string") return tree;
  if (Array.isArray(tree)) return Array.from(tree, v => toJson(v));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree)) if (v !== undefined) out[k] = toJson(v);
  return out;
}

interface FailureInput {
  readonly doc: Record_;
  readonly errs: ErrObject;
  readonly registry: Registry;
  readonly derivedIds: ReadonlyMap<object, string>;
}

function failure(input: FailureInput): KongValidationResult {
  const fields = toJson(input.errs);
  const flat = flattenErrors(input.doc, structuredClone(input.errs), {
    nesting: input.registry.nesting,
    derivedIds: input.derivedIds,
  });
  const remaining = toJson(flat.remaining);
  return {
    ok: false,
    error: {
      code: 14,
      name: "invalid declarative configuration",
      message: MESSAGE_PREFIX + renderLua(fields),
      fields,
      flattened_errors: flat.flattened,
      fieldsWhenFlattened: remaining,
      flattenable: true,
    },
  };
}

/** The code-14 error for a body that could not be parsed into a document (§3.1, never flattened). */
export function parseFailure(reason: string): KongValidationError {
  const fields = { error: `failed parsing declarative configuration: ${reason}` };
  return {
    code: 14,
    name: "invalid declarative configuration",
    message: MESSAGE_PREFIX + renderLua(fields),
    fields,
    flattened_errors: [],
    fieldsWhenFlattened: fields,
    flattenable: false,
  };
}

/** Exactly the JSON body Kong sends for a rejected config, nested or flattened. */
export function toErrorBody(
  error: KongValidationError,
  opts: { readonly flatten: boolean },
): Record<string, unknown> {
  if (!opts.flatten || !error.flattenable) {
    return { code: error.code, name: error.name, message: error.message, fields: error.fields };
  }
  return {
    code: error.code,
    name: error.name,
    message: MESSAGE_PREFIX + renderLua(error.fieldsWhenFlattened),
    fields: error.fieldsWhenFlattened,
    flattened_errors: error.flattened_errors,
  };
}

function derivedIdMap(ids: ReadonlyMap<EntityNode, string>): Map<object, string> {
  const out = new Map<object, string>();
  for (const [node, id] of ids) if (node.raw["id"] === undefined) out.set(node.raw, id);
  return out;
}

/**
 * Validates a parsed declarative config exactly as Kong's `POST /config` does. The input is what JSON
 * parsing gives, a tree: errors name the entities they belong to by object identity, so an object that
 * appeared at two places would be named once.
 */
export function validateDeclarativeConfig(
  input: unknown,
  options: KongValidationOptions = DEFAULT_KONG_VALIDATION_OPTIONS,
): KongValidationResult {
  if (!isRecord(input)) return { ok: false, error: parseFailure("expected an object") };
  const ctx: SchemaContext = {
    routerFlavor: options.routerFlavor,
    enabledPlugins: options.enabledPlugins,
    now: options.now,
  };
  const registry = buildRegistry(ctx);
  const doc = migrateLegacyFormat(input);
  const errs: ErrObject = {};
  const roots = validateDocument(doc, registry, ctx, errs);
  if (Object.keys(errs).length > 0) {
    addNestedForeignErrors(roots, errs);
    return failure({ doc, errs, registry, derivedIds: new Map() });
  }
  const nodes = allNodes(roots);
  const ids = assignIds(nodes);
  const derivedIds = derivedIdMap(ids);
  const resolution = populateReferences(roots, ids, registry, errs);
  if (Object.keys(errs).length > 0) return failure({ doc, errs, registry, derivedIds });
  const { byNode, entities } = normalizeEntities({
    nodes,
    ids,
    resolution,
    transform: doc["_transform"] !== false,
  });
  checkUniqueFields(nodes, byNode, ids, errs);
  if (Object.keys(errs).length > 0) return failure({ doc, errs, registry, derivedIds });
  return { ok: true, entities };
}
