/** key-auth, basic-auth, jwt and acl config schemas (Kong 3.x `kong/plugins/<name>/schema.lua`). */
import * as t from "../typedefs.ts";
import type { FieldDef } from "../types.ts";
import type { PluginDef } from "./types.ts";

const bool = (def: boolean): FieldDef => ({ type: "boolean", required: true, default: def });

export const keyAuth: PluginDef = {
  name: "key-auth",
  priority: 1250,
  noConsumer: true,
  config: {
    type: "record",
    required: true,
    fields: [
      ["key_names", { type: "array", required: true, default: ["apikey"], elements: t.headerName }],
      ["hide_credentials", bool(false)],
      ["anonymous", { type: "string" }],
      ["key_in_header", bool(true)],
      ["key_in_query", bool(true)],
      ["key_in_body", bool(false)],
      ["run_on_preflight", bool(true)],
      ["realm", { type: "string" }],
    ],
  },
};

export const basicAuth: PluginDef = {
  name: "basic-auth",
  priority: 1100,
  noConsumer: true,
  config: {
    type: "record",
    required: true,
    fields: [
      ["anonymous", { type: "string" }],
      ["hide_credentials", bool(false)],
      ["realm", { type: "string", required: true, default: "service" }],
    ],
  },
};

const stringSet = (def: readonly string[]): FieldDef => ({
  type: "set",
  default: def,
  elements: { type: "string" },
});

/** Kong's `contains` validator, as jwt's conditional check uses it on `claims_to_verify`. */
function containsExp(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.includes("exp") ? undefined : "expected to contain: exp";
}

export const jwt: PluginDef = {
  name: "jwt",
  priority: 1450,
  noConsumer: true,
  config: {
    type: "record",
    required: true,
    fields: [
      ["uri_param_names", stringSet(["jwt"])],
      ["cookie_names", stringSet([])],
      ["key_claim_name", { type: "string", default: "iss" }],
      ["secret_is_base64", bool(false)],
      ["claims_to_verify", { type: "set", elements: t.oneOf(["exp", "nbf"]) }],
      ["anonymous", { type: "string" }],
      ["run_on_preflight", bool(true)],
      ["maximum_expiration", { type: "number", default: 0, between: [0, 31536000] }],
      ["header_names", stringSet(["authorization"])],
      ["realm", { type: "string" }],
    ],
  },
  entityChecks: [
    {
      kind: "conditional",
      ifField: "config.maximum_expiration",
      ifMatch: v => typeof v === "number" && v > 0,
      thenField: "config.claims_to_verify",
      thenCheck: containsExp,
    },
  ],
};

const groups: FieldDef = { type: "array", elements: { type: "string" } };

export const acl: PluginDef = {
  name: "acl",
  priority: 950,
  noConsumer: true,
  config: {
    type: "record",
    required: true,
    fields: [
      ["allow", groups],
      ["deny", groups],
      ["hide_groups_header", bool(false)],
      ["include_consumer_groups", bool(false)],
      ["always_use_authenticated_groups", bool(false)],
    ],
  },
  entityChecks: [
    { kind: "onlyOneOf", fields: ["config.allow", "config.deny"] },
    { kind: "atLeastOneOf", fields: ["config.allow", "config.deny"] },
  ],
};
