/** Kong's generic schema messages (`kong/db/schema/init.lua`, `validation_errors`), kong-admin-api.md §2.7. */

const quoteList = (fields: readonly string[]): string => fields.map(f => `'${f}'`).join(", ");

export const msg = {
  required: "required field missing",
  unknown: "unknown field",
  mustBeNull: "value must be null",
  uuid: "expected a valid UUID",
  missingPrimaryKey: "missing primary key",
  type: (type: string): string =>
    `expected ${type === "integer" || type === "array" ? "an" : "a"} ${type}`,
  lenMin: (n: number): string => `length must be at least ${n}`,
  lenMax: (n: number): string => `length must be at most ${n}`,
  between: (min: number, max: number): string => `value should be between ${min} and ${max}`,
  gt: (n: number): string => `value must be greater than ${n}`,
  oneOf: (options: readonly (string | number)[]): string =>
    `expected one of: ${options.join(", ")}`,
  invalidValue: (value: string): string => `invalid value: ${value}`,
  startsWith: (prefix: string): string => `should start with: ${prefix}`,
  conditional: (field: string): string =>
    `failed conditional validation given value of field '${field}'`,
  atLeastOneOf: (fields: readonly string[]): string =>
    `at least one of these fields must be non-empty: ${quoteList(fields)}`,
  onlyOneOf: (fields: readonly string[]): string =>
    `exactly one of these fields must be non-empty: ${quoteList(fields)}`,
  mutuallyRequired: (fields: readonly string[]): string =>
    `all or none of these fields must be set: ${quoteList(fields)}`,
  mutuallyExclusive: (fields: readonly string[]): string =>
    `only one or none of these fields must be set: ${quoteList(fields)}`,
  distinct: (fields: readonly string[]): string =>
    `values of these fields must be distinct: ${quoteList(fields)}`,
  unknownType: (value: string): string => `unknown type: ${value}`,
  uniqueness: (collection: string, field: string, value: string): string =>
    `uniqueness violation: '${collection}' entity with ${field} set to '${value}' already declared`,
  invalidReference: (field: string, value: string, collection: string): string =>
    `invalid reference '${field}: ${value}' (no such entry in '${collection}')`,
} as const;
