/** Small predicates over decoded JSON, with Lua's view of tables (an empty table is both array and map). */
import { isRecord } from "../../util/is-record.ts";
import type { Record_ } from "./types.ts";

/** A JSON object (src/util/is-record.ts), re-exported beside the Lua-table predicates below. */
export { isRecord };

/** cjson decodes `{}` and `[]` to the same empty table, so Kong accepts either where the other is due. */
export function isEmptyTable(value: unknown): boolean {
  return (
    (Array.isArray(value) && value.length === 0) ||
    (isRecord(value) && Object.keys(value).length === 0)
  );
}

/** Kong's `is_nonempty`: not null, not `""`, not an empty table. */
export function isNonEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return false;
  return typeof value !== "object" || !isEmptyTable(value);
}

/** Reads a dotted path (`config.second`) from a record. */
export function getPath(record: Record_, path: string): unknown {
  let current: unknown = record;
  for (const part of path.split(".")) {
    if (!isRecord(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** A JSON-safe deep copy (schema defaults are shared constants). */
export function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_RE.test(value);
}

/**
 * Lua's `tostring` of a decoded JSON value, for messages that echo one. Never calls the value's own
 * `toString`: a JSON object may carry a `toString` key, which makes `String(value)` throw.
 */
export function luaString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null) return "userdata: NULL";
  return "table";
}
