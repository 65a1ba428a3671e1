/** `plugins` (plugins.lua): the subschema is chosen by `name` and must be an enabled plugin. */
import { pluginDef } from "../plugins/registry.ts";
import * as t from "../typedefs.ts";
import type { EntitySchema, FieldEntry, SchemaContext, SubschemaChoice } from "../types.ts";

const HTTP_PROTOCOLS = ["grpc", "grpcs", "http", "https"];

function choose(name: unknown, ctx: SchemaContext): SubschemaChoice {
  if (name === null || name === undefined) return { error: ["name", "required field missing"] };
  if (typeof name !== "string") return { error: ["name", "expected a string"] };
  if (!ctx.enabledPlugins.has(name)) {
    return {
      error: [
        "name",
        `plugin '${name}' not enabled; add it to the 'plugins' configuration property`,
      ],
    };
  }
  const def = pluginDef(name);
  const allowed = def.protocols ?? (def.config === undefined ? t.PROTOCOLS : HTTP_PROTOCOLS);
  const fields: FieldEntry[] = [
    [
      "protocols",
      {
        type: "set",
        required: true,
        default: def.defaultProtocols ?? HTTP_PROTOCOLS,
        elements: t.oneOf(allowed),
      },
    ],
  ];
  if (def.config !== undefined) fields.push(["config", def.config]);
  if (def.noConsumer === true) fields.push(["consumer", { type: "any", mustBeNull: {} }]);
  return { fields, entityChecks: def.entityChecks ?? [] };
}

export function pluginsSchema(ctx: SchemaContext): EntitySchema {
  return {
    collection: "plugins",
    endpointKey: "instance_name",
    cacheKey: ["name", "route", "service", "consumer"],
    fields: [
      ["id", t.id],
      ["name", { type: "string", required: true }],
      ["instance_name", t.utf8Name],
      ["route", t.foreign("routes")],
      ["service", t.foreign("services")],
      ["consumer", t.foreign("consumers")],
      [
        "config",
        { type: "map", required: true, default: {}, keys: t.str, values: { type: "any" } },
      ],
      [
        "protocols",
        { type: "set", required: true, default: HTTP_PROTOCOLS, elements: t.oneOf(t.PROTOCOLS) },
      ],
      ["enabled", t.boolTrue],
      ["tags", t.tags],
    ],
    subschema: record => choose(record["name"], ctx),
  };
}
