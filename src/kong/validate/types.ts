/**
 * Shared shapes of the Kong declarative-config validator: the error tree Kong builds while validating
 * (kong-admin-api.md §3.4) and the schema vocabulary the per-entity definitions are written in.
 */

/** A node of Kong's nested error table: a message, an index-aligned array, or a keyed record. */
export type ErrTree = string | ErrArray | ErrObject;
/** Index-aligned errors; `undefined` marks a position without errors (JSON `null`). */
export type ErrArray = (ErrTree | undefined)[];
export interface ErrObject {
  [key: string]: ErrTree | undefined;
}

export type FieldType =
  | "string"
  | "integer"
  | "number"
  | "boolean"
  | "array"
  | "set"
  | "map"
  | "record"
  | "foreign"
  | "any";

/** One field of a Kong schema. Validators run in Kong's fixed order; the first failing one wins. */
export interface FieldDef {
  readonly type: FieldType;
  readonly required?: boolean;
  /** Applied (deep-copied) when the field is absent. */
  readonly default?: unknown;
  /** Records only: absent means JSON null instead of a record built from the subfield defaults. */
  readonly nullable?: boolean;
  /** `eq = null`: any non-null value fails, with `err` or `value must be null`. */
  readonly mustBeNull?: { readonly err?: string };
  readonly oneOf?: readonly (string | number)[];
  readonly uuid?: boolean;
  readonly lenMin?: number;
  readonly lenMax?: number;
  readonly between?: readonly [number, number];
  readonly gt?: number;
  /** Value must match; failure message is `invalid value: <v>` unless `matchErr` is set. */
  readonly match?: RegExp;
  readonly matchErr?: string;
  readonly startsWith?: string;
  /** Last validator: returns an error (string, or a tree for nested positions) or undefined. */
  readonly custom?: (value: unknown) => ErrTree | undefined;
  /** Arrays and sets. */
  readonly elements?: FieldDef;
  /** Maps. */
  readonly keys?: FieldDef;
  readonly values?: FieldDef;
  /** Records. */
  readonly fields?: readonly FieldEntry[];
  readonly entityChecks?: readonly EntityCheck[];
  /** Foreign keys: the referenced collection. */
  readonly reference?: string;
}

export type FieldEntry = readonly [name: string, def: FieldDef];

/** A decoded JSON object (one entity record, or a record field). */
export type Record_ = Record<string, unknown>;

/**
 * Entity-level checks (Kong `entity_checks`). Field names may be dotted paths into records
 * (`config.second`). A check is skipped when one of the fields it reads already failed.
 */
export type EntityCheck =
  | { readonly kind: "atLeastOneOf"; readonly fields: readonly string[] }
  | { readonly kind: "onlyOneOf"; readonly fields: readonly string[] }
  | { readonly kind: "mutuallyRequired"; readonly fields: readonly string[] }
  | { readonly kind: "mutuallyExclusive"; readonly fields: readonly string[] }
  | { readonly kind: "distinct"; readonly fields: readonly string[] }
  | {
      readonly kind: "conditional";
      readonly ifField: string;
      readonly ifMatch: (value: unknown) => boolean;
      readonly thenField: string;
      /** Returns the field error for `thenField`, or undefined when the value is acceptable. */
      readonly thenCheck: (value: unknown) => string | undefined;
    }
  | {
      readonly kind: "custom";
      readonly fields: readonly string[];
      /** Entity errors (`@entity`) and field errors produced by the check. */
      readonly run: (record: Record_) => CheckOutcome | undefined;
    };

export interface CheckOutcome {
  readonly entity?: readonly string[];
  readonly fields?: Readonly<Record<string, string>>;
}

/** A top-level (or nested) collection of Kong entities. */
export interface EntitySchema {
  /** Collection name as it appears in the declarative config (`services`, `keyauth_credentials`). */
  readonly collection: string;
  readonly fields: readonly FieldEntry[];
  readonly entityChecks?: readonly EntityCheck[];
  /** Unique field usable as a reference name (`name`, `username`, `instance_name`, `prefix`). */
  readonly endpointKey?: string;
  /** Fields of the cache key, for deterministic ids (§2.4 rule 1). */
  readonly cacheKey?: readonly string[];
  /** Fields besides the endpoint key that must be unique across the config (§2.5 step 4). */
  readonly uniqueFields?: readonly string[];
  /** Fields Kong fills itself (`auto`): a record missing one gets a random id. */
  readonly autoFields?: readonly string[];
  /**
   * Picks the subschema (routes by `protocols[0]`, plugins by `name`). Returns the field error that
   * is then reported alone, or the adjustments that apply to this record.
   */
  readonly subschema?: (record: Record_, ctx: SchemaContext) => SubschemaChoice;
  /** Last step of normalisation, after defaults (e.g. upstream `algorithm` switch). */
  readonly transform?: (record: Record_, ctx: SchemaContext) => void;
}

export type SubschemaChoice =
  | { readonly error: readonly [field: string, message: string] }
  | {
      readonly fields?: readonly FieldEntry[];
      readonly entityChecks?: readonly EntityCheck[];
    };

/** Read-only facts the schemas depend on. */
export interface SchemaContext {
  readonly routerFlavor: "traditional" | "traditional_compatible" | "expressions";
  readonly enabledPlugins: ReadonlySet<string>;
  /** Milliseconds since the epoch; only certificate expiry reads it. */
  readonly now: number;
}
