/** Reusable field definitions after `kong/db/schema/typedefs.lua`. */
import { msg } from "./messages.ts";
import type { FieldDef } from "./types.ts";
import { isRecord, isUuid } from "./values.ts";

export const PROTOCOLS = [
  "grpc",
  "grpcs",
  "http",
  "https",
  "tcp",
  "tls",
  "tls_passthrough",
  "udp",
] as const;

/** Lone UTF-16 surrogates are the only way a decoded JSON string can be invalid UTF-8. */
function badUtf8Position(text: string): number | undefined {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const high = code >= 0xd800 && code <= 0xdbff;
    const low = code >= 0xdc00 && code <= 0xdfff;
    if (high && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
        continue;
      }
    }
    if (high || low) return bytes + 1;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
  }
  return undefined;
}

function utf8Error(text: string): string | undefined {
  const at = badUtf8Position(text);
  return at === undefined
    ? undefined
    : `invalid utf-8 character sequence detected at position ${at}`;
}

// Printable ASCII except `,` and `/` (space allowed), plus any non-ASCII character.
const TAG_RE = /^[ !-+\-.0-~\u0080-\uffff]+$/u;

export function validateTag(tag: unknown): string | undefined {
  if (typeof tag !== "string") return undefined;
  const bad = utf8Error(tag);
  if (bad !== undefined) return bad;
  return TAG_RE.test(tag)
    ? undefined
    : `invalid tag '${tag}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`;
}

const NAME_RE = /^[\w.\-~\u0080-\uffff]+$/u;

export function validateUtf8Name(name: unknown): string | undefined {
  if (typeof name !== "string") return undefined;
  const bad = utf8Error(name);
  if (bad !== undefined) return bad;
  return NAME_RE.test(name)
    ? undefined
    : `invalid value '${name}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`;
}

export const id: FieldDef = { type: "string", uuid: true };
export const tags: FieldDef = {
  type: "set",
  elements: { type: "string", custom: validateTag },
};
export const utf8Name: FieldDef = { type: "string", custom: validateUtf8Name };
export const port: FieldDef = { type: "integer", between: [0, 65535] };
export const timeout: FieldDef = { type: "integer", between: [1, 2147483646] };
export const boolTrue: FieldDef = { type: "boolean", required: true, default: true };
export const boolFalse: FieldDef = { type: "boolean", required: true, default: false };
export const str: FieldDef = { type: "string" };
export const strArray: FieldDef = { type: "array", elements: { type: "string" } };
export const uuidArray: FieldDef = { type: "array", elements: { type: "string", uuid: true } };
export const anyRecord: FieldDef = {
  type: "map",
  keys: { type: "string" },
  values: { type: "any" },
};

/** A reference: the referenced entity's id or endpoint key, or `{ "id": "<uuid>" }` (§2.3). */
export function foreign(reference: string, required = false): FieldDef {
  return {
    type: "foreign",
    reference,
    required,
    custom: value => (isRecord(value) && !isUuid(value["id"]) ? { id: msg.uuid } : undefined),
  };
}

export function oneOf(options: readonly string[], def?: string): FieldDef {
  return def === undefined
    ? { type: "string", oneOf: options }
    : { type: "string", oneOf: options, default: def, required: true };
}

export function integer(min: number, max: number, def?: number): FieldDef {
  return def === undefined
    ? { type: "integer", between: [min, max] }
    : { type: "integer", between: [min, max], default: def, required: true };
}

/** Kong's `validate_header_name` message (`kong/tools/http.lua`), shared by every header typedef. */
export function badHeaderName(name: string): string {
  return `bad header name '${name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
}

const HEADER_NAME_RE = /^[A-Za-z0-9_-]+$/;

export function isHeaderName(name: string): boolean {
  return HEADER_NAME_RE.test(name);
}

/** `typedefs.header_name`: a string with only header-name characters. */
export const headerName: FieldDef = {
  type: "string",
  custom: v => (typeof v === "string" && !isHeaderName(v) ? badHeaderName(v) : undefined),
};
