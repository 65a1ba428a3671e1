/** `/schemas/...` endpoints (kong-admin-api.md §9, §10), built from the validator's own schemas. */
import {
  MODELLED_PLUGINS,
  pluginDef,
  validateDeclarativeConfig,
  type KongValidationOptions,
} from "../../../src/kong/validate/index.ts";
import type { FieldDef } from "../../../src/kong/validate/types.ts";
import { json, message, METHOD_NOT_ALLOWED, NOT_FOUND, type Reply } from "./http.ts";

const ENTITY_COLLECTIONS = new Set([
  "services",
  "routes",
  "upstreams",
  "targets",
  "consumers",
  "certificates",
  "ca_certificates",
  "snis",
  "plugins",
]);

/** A FieldDef in the JSON shape of Kong's schema endpoints. */
function describeField(def: FieldDef): Record<string, unknown> {
  const out: Record<string, unknown> = { type: def.type };
  if (def.required === true) out["required"] = true;
  if (def.default !== undefined) out["default"] = def.default;
  if (def.oneOf !== undefined) out["one_of"] = def.oneOf;
  if (def.between !== undefined) out["between"] = def.between;
  if (def.elements !== undefined) out["elements"] = describeField(def.elements);
  if (def.fields !== undefined)
    out["fields"] = def.fields.map(([name, sub]) => ({ [name]: describeField(sub) }));
  if (def.reference !== undefined) out["reference"] = def.reference;
  return out;
}

function pluginSchema(name: string, options: KongValidationOptions): Reply {
  if (!options.enabledPlugins.has(name)) return message(404, `No plugin named '${name}'`);
  const def = pluginDef(name);
  const config = def.config ?? { type: "record", fields: [] };
  return json(200, {
    fields: [
      { id: { type: "string", uuid: true, auto: true } },
      { name: { type: "string", required: true } },
      { config: describeField(config) },
      {
        protocols: {
          type: "set",
          required: true,
          default: def.defaultProtocols ?? ["grpc", "grpcs", "http", "https"],
          elements: { type: "string", one_of: def.protocols ?? ["grpc", "grpcs", "http", "https"] },
        },
      },
    ],
    entity_checks: [],
  });
}

/** Kong's schema-violation body: `schema violation (<f>: <m>)` or `<n> schema violations (…; …)`. */
function schemaViolation(fields: Record<string, unknown>): Reply {
  const parts: string[] = [];
  const walk = (tree: unknown, path: string): void => {
    if (typeof tree === "string") {
      parts.push(path === "@entity" || path === "" ? tree : `${path}: ${tree}`);
    } else if (Array.isArray(tree)) {
      tree.forEach((v: unknown, i) => {
        if (v !== null) walk(v, path === "@entity" ? path : `${path}.${i + 1}`);
      });
    } else if (tree !== null && typeof tree === "object") {
      for (const [k, v] of Object.entries(tree)) walk(v, path === "" ? k : `${path}.${k}`);
    }
  };
  walk(fields, "");
  const text =
    parts.length === 1
      ? `schema violation (${parts[0]})`
      : `${parts.length} schema violations (${parts.join("; ")})`;
  return json(400, { code: 2, name: "schema violation", message: text, fields });
}

function validateOne(collection: string, body: string, options: KongValidationOptions): Reply {
  const entity: unknown = JSON.parse(body === "" ? "{}" : body);
  const record =
    entity !== null && typeof entity === "object"
      ? { ...(entity as Record<string, unknown>) }
      : entity;
  if (record !== null && typeof record === "object") {
    // Schema validation only: references are checked against a database, not here.
    for (const fk of ["service", "route", "consumer", "upstream", "certificate"])
      Reflect.deleteProperty(record, fk);
  }
  const result = validateDeclarativeConfig(
    { _format_version: "3.0", [collection]: [record] },
    options,
  );
  if (result.ok) return message(200, "schema validation successful");
  const section = (result.error.fields as Record<string, unknown>)[collection];
  const first: unknown = Array.isArray(section) ? section[0] : section;
  return schemaViolation(
    first !== null && typeof first === "object"
      ? (first as Record<string, unknown>)
      : { "@entity": [String(first)] },
  );
}

/** `/schemas/{entity}`, `/schemas/plugins/{name}` and their `validate` siblings. */
export function schemaEndpoint(
  segments: readonly string[],
  method: string,
  body: string,
  options: KongValidationOptions,
): Reply {
  const [, first, second] = segments;
  if (first === undefined || segments.length > 3) return NOT_FOUND;
  const isValidate =
    second === "validate" || (first !== "plugins" && second === undefined && false);
  if (isValidate) {
    if (method !== "POST") return METHOD_NOT_ALLOWED;
    if (first === "plugins") return validateOne("plugins", body, options);
    return ENTITY_COLLECTIONS.has(first)
      ? validateOne(first, body, options)
      : message(404, `No entity named '${first}'`);
  }
  if (method !== "GET" && method !== "HEAD") return METHOD_NOT_ALLOWED;
  if (first === "plugins" && second !== undefined) return pluginSchema(second, options);
  if (second !== undefined) return NOT_FOUND;
  if (!ENTITY_COLLECTIONS.has(first)) return message(404, `No entity named '${first}'`);
  return json(200, { fields: [], entity_checks: [] });
}

export { MODELLED_PLUGINS };
