/** Collections a controller rarely writes, validated by their main fields only. */
import * as t from "../typedefs.ts";
import type { EntitySchema } from "../types.ts";

/** Vault implementations shipped with Kong OSS (`constants.BUNDLED_VAULTS`). */
const BUNDLED_VAULTS = ["env", "aws", "gcp", "hcv", "azure"];

export const vaults: EntitySchema = {
  collection: "vaults",
  endpointKey: "prefix",
  cacheKey: ["prefix"],
  fields: [
    ["id", t.id],
    [
      "name",
      {
        type: "string",
        required: true,
        custom: v =>
          typeof v === "string" && !BUNDLED_VAULTS.includes(v)
            ? `vault '${v}' is not installed`
            : undefined,
      },
    ],
    ["prefix", { type: "string", required: true, match: /^[a-z][a-z\d-]*[a-z\d]+$/ }],
    ["description", t.str],
    ["config", t.anyRecord],
    ["tags", t.tags],
  ],
};

export const keySets: EntitySchema = {
  collection: "key_sets",
  endpointKey: "name",
  fields: [
    ["id", t.id],
    ["name", t.str],
    ["tags", t.tags],
  ],
};

export const keys: EntitySchema = {
  collection: "keys",
  cacheKey: ["kid", "set"],
  fields: [
    ["id", t.id],
    ["set", t.foreign("key_sets")],
    ["name", t.str],
    ["kid", { type: "string", required: true }],
    ["jwk", t.str],
    [
      "pem",
      {
        type: "record",
        nullable: true,
        fields: [
          ["private_key", t.str],
          ["public_key", t.str],
        ],
      },
    ],
    ["tags", t.tags],
  ],
  entityChecks: [{ kind: "onlyOneOf", fields: ["jwk", "pem"] }],
};

export const filterChains: EntitySchema = {
  collection: "filter_chains",
  endpointKey: "name",
  fields: [
    ["id", t.id],
    ["name", t.str],
    ["enabled", t.boolTrue],
    ["route", t.foreign("routes")],
    ["service", t.foreign("services")],
    ["filters", { type: "array", required: true, elements: { type: "any" } }],
    ["tags", t.tags],
  ],
};
