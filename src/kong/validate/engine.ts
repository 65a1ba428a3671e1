/**
 * The schema engine: validates one value against a `FieldDef`, or one record against a field list and
 * entity checks, the way `kong/db/schema/init.lua` does: defaults first, then per-field type check and
 * validators (first failure wins), required fields, unknown fields, then entity checks.
 */
import { runEntityChecks } from "./entity-checks.ts";
import { msg } from "./messages.ts";
import type {
  EntityCheck,
  ErrArray,
  ErrObject,
  ErrTree,
  FieldDef,
  FieldEntry,
  Record_,
} from "./types.ts";
import { clone, isEmptyTable, isRecord, isUuid } from "./values.ts";

export interface FieldResult {
  readonly value: unknown;
  readonly error?: ErrTree;
}

export interface RecordSpec {
  readonly fields: readonly FieldEntry[];
  readonly entityChecks?: readonly EntityCheck[] | undefined;
  /** Keys accepted and dropped without validation (`_comment`, `_ignore`, nested collections). */
  readonly ignoredKeys?: ReadonlySet<string>;
}

export interface RecordResult {
  readonly value: Record_;
  readonly errors: ErrObject | undefined;
}

/** The value Kong stores for an absent field: its default, a record of subfield defaults, or null. */
export function missingValue(def: FieldDef): unknown {
  if (def.default !== undefined) return clone(def.default);
  if (def.type === "record" && def.nullable !== true && def.fields !== undefined) {
    const out: Record_ = {};
    for (const [name, sub] of def.fields) out[name] = missingValue(sub);
    return out;
  }
  return null;
}

const TYPE_CHECKS: Readonly<Record<FieldDef["type"], (value: unknown) => boolean>> = {
  string: v => typeof v === "string",
  integer: v => typeof v === "number" && Number.isInteger(v),
  number: v => typeof v === "number" && Number.isFinite(v),
  boolean: v => typeof v === "boolean",
  array: v => Array.isArray(v) || isEmptyTable(v),
  set: v => Array.isArray(v) || isEmptyTable(v),
  map: v => isRecord(v) || isEmptyTable(v),
  record: v => isRecord(v) || isEmptyTable(v),
  foreign: v => typeof v === "string" || isRecord(v),
  any: () => true,
};

function lengthOf(value: unknown): number | undefined {
  if (typeof value === "string") return Array.from(value).length;
  if (Array.isArray(value)) return value.length;
  return undefined;
}

function checkLength(def: FieldDef, value: unknown): string | undefined {
  const length = lengthOf(value);
  if (length === undefined) return undefined;
  // Kong gives every string field an implicit `len_min = 1`.
  const lenMin = def.lenMin ?? (typeof value === "string" ? 1 : undefined);
  if (lenMin !== undefined && length < lenMin) return msg.lenMin(lenMin);
  if (def.lenMax !== undefined && length > def.lenMax) return msg.lenMax(def.lenMax);
  return undefined;
}

function checkNumber(def: FieldDef, value: unknown): string | undefined {
  if (typeof value !== "number") return undefined;
  if (def.between !== undefined) {
    const [min, max] = def.between;
    if (value < min || value > max) return msg.between(min, max);
  }
  if (def.gt !== undefined && value <= def.gt) return msg.gt(def.gt);
  return undefined;
}

function checkString(def: FieldDef, value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (def.match !== undefined && !def.match.test(value)) {
    return def.matchErr ?? msg.invalidValue(value);
  }
  if (def.startsWith !== undefined && !value.startsWith(def.startsWith)) {
    return msg.startsWith(def.startsWith);
  }
  return undefined;
}

/** Kong's validators in `Schema.validators_order`; the first failure is the field's error. */
function runValidators(def: FieldDef, value: unknown): ErrTree | undefined {
  if (def.oneOf !== undefined && !def.oneOf.includes(value as string | number)) {
    return msg.oneOf(def.oneOf);
  }
  if (def.uuid === true && !isUuid(value)) return msg.uuid;
  return (
    checkLength(def, value) ??
    checkNumber(def, value) ??
    checkString(def, value) ??
    def.custom?.(value)
  );
}

function dedupe(values: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  return values.filter(v => {
    const key = JSON.stringify(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function validateElements(def: FieldDef, value: unknown): FieldResult {
  const items: unknown[] = Array.isArray(value) ? (value as unknown[]) : [];
  const elements = def.elements;
  if (elements === undefined) return { value: def.type === "set" ? dedupe(items) : [...items] };
  const errors: ErrArray = [];
  const out = items.map((item, i) => {
    const result = validateField(elements, item);
    if (result.error !== undefined) errors[i] = result.error;
    return result.value;
  });
  if (errors.length > 0) return { value: out, error: errors };
  return { value: def.type === "set" ? dedupe(out) : out };
}

function validateMap(def: FieldDef, value: unknown): FieldResult {
  const input = isRecord(value) ? value : {};
  const out: Record_ = {};
  // Kong stops at the first bad key or value and reports it as the map's (string) error.
  for (const [key, item] of Object.entries(input)) {
    const keyError = def.keys === undefined ? undefined : validateField(def.keys, key).error;
    if (keyError !== undefined) return { value: input, error: keyError };
    const result = def.values === undefined ? { value: item } : validateField(def.values, item);
    if (result.error !== undefined) return { value: input, error: result.error };
    out[key] = result.value;
  }
  return { value: out };
}

function validateStructure(def: FieldDef, value: unknown): FieldResult {
  if (def.type === "array" || def.type === "set") return validateElements(def, value);
  if (def.type === "map") return validateMap(def, value);
  if (def.type !== "record" || def.fields === undefined) return { value };
  const result = validateRecord(isRecord(value) ? value : {}, {
    fields: def.fields,
    entityChecks: def.entityChecks,
  });
  return result.errors === undefined
    ? { value: result.value }
    : { value: result.value, error: result.errors };
}

/** Validates a present, non-null value. Returns the normalised value (sets de-duplicated, records filled). */
export function validateField(def: FieldDef, value: unknown): FieldResult {
  if (value === null) return { value: null };
  if (def.mustBeNull !== undefined) return { value, error: def.mustBeNull.err ?? msg.mustBeNull };
  if (!TYPE_CHECKS[def.type](value))
    return { value, error: msg.type(def.type === "foreign" ? "string" : def.type) };
  const structured = validateStructure(def, value);
  if (structured.error !== undefined) return structured;
  const error = runValidators(def, structured.value);
  return error === undefined ? structured : { value: structured.value, error };
}

/** Validates a record: defaults, fields, required, unknown keys, then entity checks. */
export function validateRecord(input: Record_, spec: RecordSpec): RecordResult {
  const value: Record_ = {};
  const errors: ErrObject = {};
  const known = new Set<string>();
  for (const [name, def] of spec.fields) {
    known.add(name);
    const raw = Object.hasOwn(input, name) ? input[name] : undefined;
    if (raw === undefined) {
      value[name] = missingValue(def);
    } else {
      const result = validateField(def, raw);
      value[name] = result.value;
      if (result.error !== undefined) errors[name] = result.error;
    }
    if (def.required === true && value[name] === null && errors[name] === undefined) {
      errors[name] = msg.required;
    }
  }
  for (const key of Object.keys(input)) {
    if (!known.has(key) && spec.ignoredKeys?.has(key) !== true) errors[key] = msg.unknown;
  }
  runEntityChecks(value, spec.entityChecks ?? [], errors);
  return { value, errors: Object.keys(errors).length > 0 ? errors : undefined };
}
