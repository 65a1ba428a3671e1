/**
 * rate-limiting, request-termination, redirect, cors, ip-restriction and correlation-id config schemas
 * (Kong 3.x `schema.lua`).
 */
import { isIpOrCidr, validateHost, validateSni } from "../hosts.ts";
import { msg } from "../messages.ts";
import { pcreError, validateServicePath } from "../paths.ts";
import * as t from "../typedefs.ts";
import type { EntityCheck, FieldDef } from "../types.ts";
import { isNonEmpty, isRecord } from "../values.ts";
import type { PluginDef } from "./types.ts";

const bool = (def: boolean): FieldDef => ({ type: "boolean", required: true, default: def });
const asString = (f: (s: string) => string | undefined) => (v: unknown) =>
  typeof v === "string" ? f(v) : undefined;

const LIMITS = ["second", "minute", "hour", "day", "month", "year"] as const;

function limitOrder(config: unknown): string | undefined {
  if (!isRecord(config)) return undefined;
  for (const [i, lower] of LIMITS.entries()) {
    for (const higher of LIMITS.slice(i + 1)) {
      const a = config[lower];
      const b = config[higher];
      if (typeof a === "number" && typeof b === "number" && b < a) {
        return `The limit for ${higher}(${b.toFixed(1)}) cannot be lower than the limit for ${lower}(${a.toFixed(1)})`;
      }
    }
  }
  return undefined;
}

const redis: FieldDef = {
  type: "record",
  fields: [
    ["host", { type: "string", custom: asString(validateHost) }],
    ["port", { type: "integer", between: [0, 65535], default: 6379 }],
    ["timeout", { type: "integer", between: [0, 2147483646], default: 2000 }],
    ["connect_timeout", { type: "integer", between: [0, 2147483646] }],
    ["send_timeout", { type: "integer", between: [0, 2147483646] }],
    ["read_timeout", { type: "integer", between: [0, 2147483646] }],
    ["username", { type: "string" }],
    // `len_min = 0`: an empty password is how a Redis without AUTH is spelled.
    ["password", { type: "string", lenMin: 0 }],
    ["database", { type: "integer", default: 0 }],
    ["ssl", bool(false)],
    ["ssl_verify", bool(false)],
    ["server_name", { type: "string", custom: asString(validateSni) }],
  ],
};

const required = (value: unknown): string | undefined =>
  value === null || value === undefined ? msg.required : undefined;

const when = (ifField: string, value: string, thenField: string): EntityCheck => ({
  kind: "conditional",
  ifField,
  ifMatch: v => v === value,
  thenField,
  thenCheck: required,
});

export const rateLimiting: PluginDef = {
  name: "rate-limiting",
  priority: 910,
  config: {
    type: "record",
    required: true,
    custom: limitOrder,
    fields: [
      ...LIMITS.map((l): readonly [string, FieldDef] => [l, { type: "number", gt: 0 }]),
      [
        "limit_by",
        {
          type: "string",
          default: "consumer",
          oneOf: ["consumer", "credential", "ip", "service", "header", "path", "consumer-group"],
        },
      ],
      ["header_name", t.headerName],
      ["path", { type: "string", startsWith: "/", custom: asString(validateServicePath) }],
      // DB-less Kong offers no `cluster` policy (its schema.lua drops it when `database = off`).
      ["policy", { type: "string", default: "local", lenMin: 0, oneOf: ["local", "redis"] }],
      ["fault_tolerant", bool(true)],
      ["redis", redis],
      ["hide_client_headers", bool(false)],
      ["error_code", { type: "number", default: 429, gt: 0 }],
      ["error_message", { type: "string", default: "API rate limit exceeded" }],
      ["sync_rate", { type: "number", required: true, default: -1 }],
    ],
  },
  entityChecks: [
    { kind: "atLeastOneOf", fields: LIMITS.map(l => `config.${l}`) },
    when("config.policy", "redis", "config.redis.host"),
    when("config.policy", "redis", "config.redis.port"),
    when("config.limit_by", "header", "config.header_name"),
    when("config.limit_by", "path", "config.path"),
    when("config.policy", "redis", "config.redis.timeout"),
  ],
};

function terminationRules(config: unknown): string | undefined {
  if (!isRecord(config)) return undefined;
  const has = (k: string): boolean => isNonEmpty(config[k]);
  if (has("message") && (has("content_type") || has("body"))) {
    return "message cannot be used with content_type or body";
  }
  if (has("content_type") && !has("body")) return "content_type requires a body";
  if (config["echo"] === true && (has("content_type") || has("body"))) {
    return "echo cannot be used with content_type and body";
  }
  return undefined;
}

export const requestTermination: PluginDef = {
  name: "request-termination",
  priority: 2,
  config: {
    type: "record",
    required: true,
    custom: terminationRules,
    fields: [
      ["status_code", { type: "integer", required: true, default: 503, between: [100, 599] }],
      ["message", { type: "string" }],
      ["content_type", { type: "string" }],
      ["body", { type: "string" }],
      ["echo", bool(false)],
      ["trigger", t.headerName],
    ],
  },
};

/** `typedefs.url` (socket.url parse): a host and a scheme are required. */
export function validateUrl(url: string): string | undefined {
  const m = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/([^/?#]*))?/.exec(url);
  const authority = m?.[2]?.replace(/^[^@]*@/, "").replace(/:\d*$/, "") ?? "";
  if (authority === "") return "missing host in url";
  if (m?.[1] === undefined) return "missing scheme in url";
  return undefined;
}

export const redirect: PluginDef = {
  name: "redirect",
  priority: 779,
  config: {
    type: "record",
    required: true,
    fields: [
      ["status_code", { type: "integer", required: true, default: 301, between: [100, 599] }],
      ["location", { type: "string", required: true, custom: asString(validateUrl) }],
      ["keep_incoming_path", bool(false)],
    ],
  },
};

const METHODS = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"];

export const cors: PluginDef = {
  name: "cors",
  priority: 2000,
  noConsumer: true,
  config: {
    type: "record",
    required: true,
    fields: [
      [
        "origins",
        {
          type: "array",
          elements: {
            type: "string",
            custom: asString(o =>
              o === "*" || pcreError(o) === undefined ? undefined : `'${o}' is not a valid regex`,
            ),
          },
        },
      ],
      ["headers", { type: "array", elements: { type: "string" } }],
      ["exposed_headers", { type: "array", elements: { type: "string" } }],
      [
        "methods",
        { type: "array", default: METHODS, elements: { type: "string", oneOf: METHODS } },
      ],
      ["max_age", { type: "number" }],
      ["credentials", bool(false)],
      ["private_network", bool(false)],
      ["preflight_continue", bool(false)],
      ["allow_origin_absent", bool(true)],
    ],
  },
};

const ips: FieldDef = {
  type: "array",
  elements: {
    type: "string",
    custom: asString(ip => (isIpOrCidr(ip) ? undefined : `invalid ip or cidr range: '${ip}'`)),
  },
};

export const ipRestriction: PluginDef = {
  name: "ip-restriction",
  priority: 990,
  // `typedefs.protocols { default = ... }`: any protocol is allowed, the default is narrower.
  protocols: t.PROTOCOLS,
  defaultProtocols: ["http", "https", "tcp", "tls", "grpc", "grpcs"],
  config: {
    type: "record",
    required: true,
    fields: [
      ["allow", ips],
      ["deny", ips],
      ["status", { type: "number" }],
      ["message", { type: "string" }],
    ],
  },
  entityChecks: [{ kind: "atLeastOneOf", fields: ["config.allow", "config.deny"] }],
};

export const correlationId: PluginDef = {
  name: "correlation-id",
  priority: 100001,
  config: {
    type: "record",
    required: true,
    fields: [
      ["header_name", { type: "string", default: "Kong-Request-ID" }],
      [
        "generator",
        {
          type: "string",
          required: true,
          default: "uuid#counter",
          oneOf: ["uuid", "uuid#counter", "tracker"],
        },
      ],
      ["echo_downstream", bool(false)],
    ],
  },
};
