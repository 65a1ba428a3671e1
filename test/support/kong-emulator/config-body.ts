/**
 * Extracts the declarative config from a `POST /config` body the way `kong/api/routes/config.lua`
 * does (kong-admin-api.md §3.1): a JSON object with `_format_version`, else a `config` string field,
 * else the raw body; JSON first, then YAML.
 */
import { parse as parseYaml } from "yaml";

export type ConfigInput =
  | { readonly kind: "object"; readonly doc: Record<string, unknown> }
  | { readonly kind: "string"; readonly text: string; readonly doc: Record<string, unknown> }
  | { readonly kind: "none" }
  | { readonly kind: "unparsable"; readonly reason: string };

export interface ConfigBody {
  readonly input: ConfigInput;
  /** Body parameters merged with the query (`check_hash`, `flatten_errors`). */
  readonly params: ReadonlyMap<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Parses a config string: JSON, then YAML; the result must be a mapping. */
export function parseConfigString(text: string): ConfigInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    try {
      parsed = parseYaml(text);
    } catch (e) {
      const reason = e instanceof Error ? (e.message.split("\n")[0] ?? e.message) : String(e);
      return { kind: "unparsable", reason };
    }
  }
  if (!isObject(parsed)) return { kind: "unparsable", reason: "expected an object" };
  return { kind: "string", text, doc: parsed };
}

function multipartFields(body: string, contentType: string): Map<string, string> {
  const fields = new Map<string, string>();
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (boundary === undefined) return fields;
  for (const part of body.split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split === -1) continue;
    const name = /name="([^"]+)"/i.exec(part.slice(0, split))?.[1];
    if (name !== undefined) fields.set(name, part.slice(split + 4).replace(/\r\n$/, ""));
  }
  return fields;
}

function formParams(text: string, contentType: string): Map<string, unknown> {
  const type = contentType.toLowerCase();
  if (type.startsWith("application/x-www-form-urlencoded")) {
    return new Map(new URLSearchParams(text));
  }
  if (type.startsWith("multipart/form-data")) return multipartFields(text, contentType);
  return new Map();
}

/** Reads the config and the body parameters; JSON parse failures are handled before this (§1). */
export function readConfigBody(
  text: string,
  contentType: string,
  query: URLSearchParams,
): ConfigBody {
  const params = new Map<string, unknown>(query);
  const json: unknown =
    contentType.toLowerCase().startsWith("application/json") && text !== ""
      ? JSON.parse(text)
      : undefined;
  const bodyParams = isObject(json) ? new Map(Object.entries(json)) : formParams(text, contentType);
  for (const [k, v] of bodyParams) if (!params.has(k)) params.set(k, v);
  if (isObject(json) && json["_format_version"] !== undefined) {
    return { input: { kind: "object", doc: json }, params };
  }
  const config = bodyParams.get("config");
  if (config !== undefined) {
    const input =
      typeof config === "string"
        ? parseConfigString(config)
        : ({ kind: "unparsable", reason: "expected an object" } as const);
    return { input, params };
  }
  if (text.trim() === "") return { input: { kind: "none" }, params };
  return { input: parseConfigString(text), params };
}

/** `flatten_errors` truthiness: `true`, `1`, `on`, `yes` (any case), JSON `true` or `1`. */
export function isTruthy(value: unknown): boolean {
  if (value === true || value === 1) return true;
  return typeof value === "string" && ["true", "1", "on", "yes"].includes(value.toLowerCase());
}
