/** `services` (kong/db/schema/entities/services.lua), including the `url` shorthand. */
import { validateHost } from "../hosts.ts";
import { msg } from "../messages.ts";
import { validateServicePath } from "../paths.ts";
import * as t from "../typedefs.ts";
import type { EntityCheck, EntitySchema, FieldDef, Record_ } from "../types.ts";

const path: FieldDef = {
  type: "string",
  startsWith: "/",
  custom: value => {
    if (typeof value !== "string") return undefined;
    if (value.includes("//")) return "must not have empty segments";
    return validateServicePath(value);
  },
};

function mustBeNullUnless(field: string, allowed: readonly string[]): EntityCheck {
  return {
    kind: "conditional",
    ifField: "protocol",
    ifMatch: value => typeof value === "string" && !allowed.includes(value),
    thenField: field,
    thenCheck: value => (value === null || value === undefined ? undefined : msg.mustBeNull),
  };
}

const TLS_ONLY = ["https", "tls"] as const;

export const services: EntitySchema = {
  collection: "services",
  endpointKey: "name",
  fields: [
    ["id", t.id],
    ["name", t.utf8Name],
    ["retries", t.integer(0, 32767, 5)],
    ["protocol", t.oneOf(t.PROTOCOLS, "http")],
    [
      "host",
      {
        type: "string",
        required: true,
        custom: v => (typeof v === "string" ? validateHost(v) : undefined),
      },
    ],
    ["port", t.integer(0, 65535, 80)],
    ["path", path],
    ["connect_timeout", { ...t.timeout, default: 60000 }],
    ["write_timeout", { ...t.timeout, default: 60000 }],
    ["read_timeout", { ...t.timeout, default: 60000 }],
    ["tags", t.tags],
    ["client_certificate", t.foreign("certificates")],
    ["tls_verify", { type: "boolean" }],
    ["tls_verify_depth", t.integer(0, 64)],
    ["ca_certificates", t.uuidArray],
    ["enabled", t.boolTrue],
  ],
  entityChecks: [
    {
      kind: "conditional",
      ifField: "protocol",
      ifMatch: value => ["tcp", "tls", "udp", "grpc", "grpcs"].includes(value as string),
      thenField: "path",
      thenCheck: value => (value === null || value === undefined ? undefined : msg.mustBeNull),
    },
    mustBeNullUnless("client_certificate", TLS_ONLY),
    mustBeNullUnless("tls_verify", TLS_ONLY),
    mustBeNullUnless("tls_verify_depth", TLS_ONLY),
    mustBeNullUnless("ca_certificates", TLS_ONLY),
  ],
};

const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  http: 80,
  https: 443,
  grpc: 80,
  grpcs: 443,
  ws: 80,
  wss: 443,
};

/**
 * Expands the `url` shorthand into protocol/host/port/path (services.lua `shorthand_fields`). A URL
 * without a host leaves `host` unset, which then fails as a missing required field.
 */
export function expandServiceUrl(record: Record_): Record_ {
  const url = record["url"];
  if (typeof url !== "string") return record;
  const out: Record_ = { ...record };
  delete out["url"];
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#]*)(?::(\d*))?([^?#]*)/.exec(url);
  if (m === null) return out;
  const protocol = (m[1] ?? "").toLowerCase();
  out["protocol"] = protocol;
  if (m[2] !== undefined && m[2] !== "") out["host"] = m[2];
  const portText = m[3];
  const port =
    portText !== undefined && portText !== "" ? Number(portText) : DEFAULT_PORTS[protocol];
  if (port !== undefined) out["port"] = port;
  if (m[4] !== undefined && m[4] !== "") out["path"] = m[4];
  return out;
}
