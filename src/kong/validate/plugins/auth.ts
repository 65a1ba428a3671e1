/** key-auth, basic-auth and acl config schemas (Kong 3.x `schema.lua`). */
import type { FieldDef } from "../types.ts";
import type { PluginDef } from "./types.ts";

const HEADER_NAME_RE = /^[A-Za-z0-9_-]+$/;

const bool = (def: boolean): FieldDef => ({ type: "boolean", required: true, default: def });

export const keyAuth: PluginDef = {
  name: "key-auth",
  priority: 1250,
  noConsumer: true,
  config: {
    type: "record",
    required: true,
    fields: [
      [
        "key_names",
        {
          type: "array",
          required: true,
          default: ["apikey"],
          elements: {
            type: "string",
            custom: v =>
              typeof v === "string" && !HEADER_NAME_RE.test(v)
                ? `bad header name '${v}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`
                : undefined,
          },
        },
      ],
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
