/** request-transformer and response-transformer config schemas (Kong 3.x `schema.lua`). */
import { isHeaderName } from "../typedefs.ts";
import type { FieldDef, FieldEntry } from "../types.ts";
import type { PluginDef } from "./types.ts";

const array = (elements: FieldDef): FieldDef => ({
  type: "array",
  default: [],
  required: true,
  elements,
});

/** `name:value` as both transformers split it (`^([^:]+):*(.-)$`). */
function splitPair(pair: string): { name: string; value: string } | undefined {
  const m = /^([^:]+):*(.*)$/s.exec(pair);
  return m === null ? undefined : { name: m[1] ?? "", value: m[2] ?? "" };
}

const notAHeader = (name: string): string => `'${name}' is not a valid header`;

/** The transformers' `validate_headers`: the name, and for renames the new name too. */
function validateHeaders(alsoValue: boolean): (v: unknown) => string | undefined {
  return v => {
    if (typeof v !== "string") return undefined;
    const pair = splitPair(v);
    if (pair === undefined || !isHeaderName(pair.name)) return notAHeader(pair?.name ?? "nil");
    if (alsoValue && !isHeaderName(pair.value)) return notAHeader(pair.value);
    return undefined;
  };
}

/** request-transformer's `check_for_value`. */
function checkForValue(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const pair = splitPair(v);
  return pair === undefined || pair.value === ""
    ? `key '${pair?.name ?? ""}' has no value`
    : undefined;
}

const strings = array({ type: "string" });
const headerNames = array({ type: "string", custom: validateHeaders(false) });
const colonStrings = array({ type: "string", custom: checkForValue });
const colonPairs = array({ type: "string", match: /^[^:]+:.*$/s });
const colonHeaders = array({
  type: "string",
  match: /^[^:]+:.*$/s,
  custom: validateHeaders(false),
});
const colonRenames = array({ type: "string", match: /^[^:]+:.*$/s, custom: validateHeaders(true) });

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
      ["rename", colonRecord(colonRenames)],
      ["replace", colonRecord(colonHeaders, [["uri", { type: "string" }]])],
      ["add", colonRecord(colonHeaders)],
      ["append", colonRecord(colonHeaders)],
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
          ["headers", colonRenames],
          ["json", colonPairs],
        ]),
      ],
      ["replace", colonJsonRecord],
      ["add", colonJsonRecord],
      ["append", colonJsonRecord],
    ],
  },
};
