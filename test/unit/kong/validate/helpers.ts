import {
  DEFAULT_KONG_VALIDATION_OPTIONS,
  toErrorBody,
  validateDeclarativeConfig,
  type KongValidationError,
  type KongValidationOptions,
  type NormalizedEntities,
} from "../../../../src/kong/validate/index.ts";

export const V3 = { _format_version: "3.0" } as const;

export function rejected(
  doc: unknown,
  options?: Partial<KongValidationOptions>,
): KongValidationError {
  const result = validateDeclarativeConfig(doc, { ...DEFAULT_KONG_VALIDATION_OPTIONS, ...options });
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.entities)}`);
  return result.error;
}

export function accepted(
  doc: unknown,
  options?: Partial<KongValidationOptions>,
): NormalizedEntities {
  const result = validateDeclarativeConfig(doc, { ...DEFAULT_KONG_VALIDATION_OPTIONS, ...options });
  if (!result.ok) throw new Error(`expected acceptance, got ${result.error.message}`);
  return result.entities;
}

/** The nested `fields` table Kong returns without flatten_errors. */
export function fieldsOf(doc: unknown, options?: Partial<KongValidationOptions>): unknown {
  return toErrorBody(rejected(doc, options), { flatten: false })["fields"];
}

/** The single error of the first service / route / … in the nested table. */
export function firstEntityErrors(
  collection: string,
  entity: Record<string, unknown>,
  options?: Partial<KongValidationOptions>,
): unknown {
  const fields = fieldsOf({ ...V3, [collection]: [entity] }, options) as Record<string, unknown[]>;
  return fields[collection]?.[0];
}

export function only<T>(items: readonly T[]): T {
  if (items.length !== 1) throw new Error(`expected one item, got ${items.length}`);
  return items[0]!;
}
