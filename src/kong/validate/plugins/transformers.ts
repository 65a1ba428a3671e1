/** request-transformer and response-transformer config schemas (Kong 3.x `schema.lua`). */
import type { FieldDef, FieldEntry } from "../types.ts";
import type { PluginDef } from "./types.ts";

const HEADER_NAME_RE = /^[A-Za-z0-9_-]+$/;

const array = (elements: FieldDef): FieldDef => ({
  type: "array",
  default: [],
  required: true,
  elements,
});

const strings = array({ type: "string" });
const headerNames = array({
  type: "string",
  custom: v =>
    typeof v === "string" && !HEADER_NAME_RE.test(v)
      ? `bad header name '${v}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`
      : undefined,
});
const colonStrings = array({
  type: "string",
  custom: v => (typeof v === "string" && !v.includes(":") ? `key '${v}' has no value` : undefined),
});
const colonPairs = array({ type: "string", match: /^[^:]+:.*$/ });

const record = (fields: readonly FieldEntry[]): FieldDef => ({
  type: "record",
  required: true,
  fields,
});

const colonRecord = (headers: FieldDef, extra: readonly FieldEntry[] = []): FieldDef =>
  record([["body", colonStrings], ["headers", headers], ["querystring", colonStrings], ...extra]);

export const requestTransformer: PluginDef = {
  name: "request-transformer",
  priority: 801,
  config: {
    type: "record",
    required: true,
    fields: [
      ["http_method", { type: "string", match: /^[A-Z]+$/ }],
      [
        "remove",
        record([
          ["body", strings],
          ["headers", headerNames],
          ["querystring", strings],
        ]),
      ],
      ["rename", colonRecord(colonPairs)],
      ["replace", colonRecord(colonPairs, [["uri", { type: "string" }]])],
      ["add", colonRecord(colonPairs)],
      ["append", colonRecord(colonPairs)],
    ],
  },
};

const jsonTypes = array({ type: "string", oneOf: ["boolean", "number", "string"] });
const colonJsonRecord = record([
  ["json", colonPairs],
  ["json_types", jsonTypes],
  ["headers", colonPairs],
]);

export const responseTransformer: PluginDef = {
  name: "response-transformer",
  priority: 800,
  config: {
    type: "record",
    required: true,
    fields: [
      [
        "remove",
        record([
          ["json", strings],
          ["headers", strings],
        ]),
      ],
      [
        "rename",
        record([
          ["headers", colonPairs],
          ["json", colonPairs],
        ]),
      ],
      ["replace", colonJsonRecord],
      ["add", colonJsonRecord],
      ["append", colonJsonRecord],
    ],
  },
};
