/**
 * Pass 1 of declarative validation (§2.5 step 2): every entity record, top-level or nested, is checked
 * against its schema (subschema first), producing a tree of entity nodes and Kong's nested error table.
 */
import { validateRecord } from "./engine.ts";
import { expandServiceUrl } from "./entities/services.ts";
import { msg } from "./messages.ts";
import type { Registry } from "./registry.ts";
import type {
  EntitySchema,
  ErrArray,
  ErrObject,
  ErrTree,
  FieldDef,
  FieldEntry,
  Record_,
  SchemaContext,
} from "./types.ts";
import { isEmptyTable, isRecord } from "./values.ts";

/** One entity of the document, with its normalised value and its place in the input tree. */
export interface EntityNode {
  readonly collection: string;
  readonly schema: EntitySchema;
  /** The record as sent (nested child arrays included). */
  readonly raw: Record_;
  /** Defaults filled, nested children removed, references still as sent. */
  readonly value: Record_;
  /** 1-based position in its array, as in Kong's error tables. */
  readonly index: number;
  readonly parent: EntityNode | undefined;
  /** Field of this record that links to `parent` (implicit when nested). */
  readonly parentLink: string | undefined;
  readonly children: EntityNode[];
  /** Foreign fields other than the parent link set inside a nested record (§2.2 quirk). */
  readonly nestedForeign: readonly string[];
}

export interface WalkContext {
  readonly registry: Registry;
  readonly ctx: SchemaContext;
}

const META_KEYS = ["_comment", "_ignore"];

function mergeFields(base: readonly FieldEntry[], extra: readonly FieldEntry[]): FieldEntry[] {
  const out = [...base];
  for (const entry of extra) {
    const at = out.findIndex(([name]) => name === entry[0]);
    if (at === -1) out.push(entry);
    else out[at] = entry;
  }
  return out;
}

const LINK_FIELD: FieldDef = { type: "any" };

interface EntityInput {
  readonly raw: unknown;
  readonly schema: EntitySchema;
  readonly index: number;
  readonly parent: EntityNode | undefined;
  readonly parentLink: string | undefined;
}

interface EntityOutcome {
  readonly node: EntityNode | undefined;
  readonly error: ErrTree | undefined;
}

function prepareInput(raw: Record_, input: EntityInput, childKeys: readonly string[]): Record_ {
  const dropped = new Set([
    ...childKeys,
    ...(input.parentLink === undefined ? [] : [input.parentLink]),
  ]);
  let record: Record_ = Object.fromEntries(Object.entries(raw).filter(([k]) => !dropped.has(k)));
  if (input.schema.collection === "services") record = expandServiceUrl(record);
  return record;
}

function nestedForeignFields(
  record: Record_,
  fields: readonly FieldEntry[],
  link: string | undefined,
): string[] {
  if (link === undefined) return [];
  return fields
    .filter(([name, def]) => def.type === "foreign" && name !== link)
    .map(([name]) => name)
    .filter(name => record[name] !== undefined && record[name] !== null);
}

function validateChildren(
  node: EntityNode,
  raw: Record_,
  wc: WalkContext,
  errors: ErrObject,
): void {
  const children = wc.registry.nesting.get(node.collection);
  if (children === undefined) return;
  for (const [childCollection, link] of children) {
    const list = raw[childCollection];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list) && !isEmptyTable(list)) {
      errors[childCollection] = msg.type("array");
      continue;
    }
    const schema = wc.registry.schemas.get(childCollection);
    if (schema === undefined) continue;
    // cjson decodes `{}` like `[]`: an empty nested collection given as a map has no children.
    const childErrors = validateList(
      Array.isArray(list) ? list : [],
      { schema, parent: node, parentLink: link },
      wc,
    );
    node.children.push(...childErrors.nodes);
    if (childErrors.errors !== undefined) errors[childCollection] = childErrors.errors;
  }
}

/** Validates one entity record and, recursively, the children nested inside it. */
export function validateEntity(input: EntityInput, wc: WalkContext): EntityOutcome {
  if (!isRecord(input.raw)) return { node: undefined, error: msg.type("record") };
  const raw = input.raw;
  const childKeys = [...(wc.registry.nesting.get(input.schema.collection)?.keys() ?? [])];
  const record = prepareInput(raw, input, childKeys);
  const choice = input.schema.subschema?.(record, wc.ctx) ?? {};
  if ("error" in choice) {
    const [field, message] = choice.error;
    return { node: undefined, error: { [field]: message } };
  }
  let fields = mergeFields(input.schema.fields, choice.fields ?? []);
  if (input.parentLink !== undefined)
    fields = mergeFields(fields, [[input.parentLink, LINK_FIELD]]);
  const result = validateRecord(record, {
    fields,
    entityChecks: [...(input.schema.entityChecks ?? []), ...(choice.entityChecks ?? [])],
    ignoredKeys: new Set([...META_KEYS, ...childKeys]),
  });
  input.schema.transform?.(result.value, wc.ctx);
  const node: EntityNode = {
    collection: input.schema.collection,
    schema: input.schema,
    raw,
    value: result.value,
    index: input.index,
    parent: input.parent,
    parentLink: input.parentLink,
    children: [],
    nestedForeign: nestedForeignFields(record, fields, input.parentLink),
  };
  const errors: ErrObject = { ...result.errors };
  validateChildren(node, raw, wc, errors);
  return { node, error: Object.keys(errors).length > 0 ? errors : undefined };
}

export interface ListOutcome {
  readonly nodes: EntityNode[];
  readonly errors: ErrArray | undefined;
}

/** Validates an array of entity records; errors are aligned to the array positions. */
export function validateList(
  list: readonly unknown[],
  where: {
    readonly schema: EntitySchema;
    readonly parent?: EntityNode;
    readonly parentLink?: string;
  },
  wc: WalkContext,
): ListOutcome {
  const nodes: EntityNode[] = [];
  const errors: ErrArray = [];
  list.forEach((raw, i) => {
    const outcome = validateEntity(
      {
        raw,
        schema: where.schema,
        index: i + 1,
        parent: where.parent,
        parentLink: where.parentLink,
      },
      wc,
    );
    if (outcome.node !== undefined) nodes.push(outcome.node);
    if (outcome.error !== undefined) errors[i] = outcome.error;
  });
  return { nodes, errors: errors.length > 0 ? errors : undefined };
}

/** Kong's `extract_null_errors` merge: nested foreign fields reported as `value must be null`. */
export function addNestedForeignErrors(nodes: readonly EntityNode[], tree: ErrObject): void {
  for (const node of nodes) addNestedForeignErrors(node.children, tree);
  for (const node of nodes) {
    if (node.nestedForeign.length === 0) continue;
    const errors = errorsAt(node, tree);
    if (errors === undefined) continue;
    for (const field of node.nestedForeign) errors[field] ??= msg.mustBeNull;
  }
}

/** The (created on demand) error record of a node inside the nested error tree. */
function errorsAt(node: EntityNode, tree: ErrObject): ErrObject | undefined {
  const container: ErrObject | undefined =
    node.parent === undefined ? tree : errorsAt(node.parent, tree);
  if (container === undefined) return undefined;
  let list = container[node.collection];
  if (list === undefined) {
    list = [];
    container[node.collection] = list;
  }
  if (!Array.isArray(list)) return undefined;
  let entry = list[node.index - 1];
  if (entry === undefined) {
    entry = {};
    list[node.index - 1] = entry;
  }
  return isRecord(entry) ? entry : undefined;
}
