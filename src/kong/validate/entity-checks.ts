/** Kong's `entity_checks`: run after field validation, skipped when a field they read already failed. */
import { msg } from "./messages.ts";
import type { EntityCheck, ErrObject, Record_ } from "./types.ts";
import { getPath, isNonEmpty, isRecord } from "./values.ts";

function fieldFailed(errors: ErrObject, path: string): boolean {
  let current: unknown = errors;
  for (const part of path.split(".")) {
    if (!isRecord(current)) return typeof current === "string";
    current = current[part];
  }
  return current !== undefined;
}

function fieldsOf(check: EntityCheck): readonly string[] {
  return check.kind === "conditional" ? [check.ifField, check.thenField] : check.fields;
}

function addEntityError(errors: ErrObject, message: string): void {
  const existing = errors["@entity"];
  if (Array.isArray(existing)) existing.push(message);
  else errors["@entity"] = [message];
}

/** Puts a field error at a dotted path, creating record levels as needed. */
export function setFieldError(errors: ErrObject, path: string, message: string): void {
  const parts = path.split(".");
  const last = parts.pop() ?? path;
  let current: ErrObject = errors;
  for (const part of parts) {
    const next = current[part];
    if (isRecord(next)) {
      current = next;
    } else {
      const created: ErrObject = {};
      current[part] = created;
      current = created;
    }
  }
  current[last] = message;
}

function countNonEmpty(record: Record_, fields: readonly string[]): number {
  return fields.filter(f => isNonEmpty(getPath(record, f))).length;
}

function distinctFails(record: Record_, fields: readonly string[]): boolean {
  const values = fields.map(f => getPath(record, f)).filter(v => v !== null && v !== undefined);
  return new Set(values.map(v => JSON.stringify(v))).size !== values.length;
}

function simpleCheck(record: Record_, check: EntityCheck): string | undefined {
  switch (check.kind) {
    case "atLeastOneOf":
      return countNonEmpty(record, check.fields) === 0 ? msg.atLeastOneOf(check.fields) : undefined;
    case "onlyOneOf":
      return countNonEmpty(record, check.fields) === 1 ? undefined : msg.onlyOneOf(check.fields);
    case "mutuallyRequired": {
      const n = countNonEmpty(record, check.fields);
      return n === 0 || n === check.fields.length ? undefined : msg.mutuallyRequired(check.fields);
    }
    case "mutuallyExclusive":
      return countNonEmpty(record, check.fields) > 1
        ? msg.mutuallyExclusive(check.fields)
        : undefined;
    case "distinct":
      return distinctFails(record, check.fields) ? msg.distinct(check.fields) : undefined;
    case "conditional":
    case "custom":
      return undefined;
  }
}

function runOne(record: Record_, check: EntityCheck, errors: ErrObject): void {
  if (check.kind === "conditional") {
    if (!check.ifMatch(getPath(record, check.ifField))) return;
    const fieldError = check.thenCheck(getPath(record, check.thenField));
    if (fieldError === undefined) return;
    setFieldError(errors, check.thenField, fieldError);
    addEntityError(errors, msg.conditional(check.ifField));
    return;
  }
  if (check.kind === "custom") {
    const outcome = check.run(record);
    for (const [field, message] of Object.entries(outcome?.fields ?? {})) {
      setFieldError(errors, field, message);
    }
    for (const message of outcome?.entity ?? []) addEntityError(errors, message);
    return;
  }
  const message = simpleCheck(record, check);
  if (message !== undefined) addEntityError(errors, message);
}

/** Runs the checks in order, adding `@entity` and field errors to `errors`. */
export function runEntityChecks(
  record: Record_,
  checks: readonly EntityCheck[],
  errors: ErrObject,
): void {
  const failedBefore = { ...errors };
  for (const check of checks) {
    if (fieldsOf(check).some(f => fieldFailed(failedBefore, f))) continue;
    runOne(record, check, errors);
  }
}
