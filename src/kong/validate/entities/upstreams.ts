/** `upstreams` and `targets` (upstreams.lua, targets.lua). */
import { validateHostWithOptionalPort, validateTarget, validateUpstreamName } from "../hosts.ts";
import { msg } from "../messages.ts";
import * as t from "../typedefs.ts";
import type { EntityCheck, EntitySchema, FieldDef, FieldEntry } from "../types.ts";

const asString = (f: (s: string) => string | undefined) => (v: unknown) =>
  typeof v === "string" ? f(v) : undefined;

const HASH_ON = ["none", "consumer", "ip", "header", "cookie", "path", "query_arg", "uri_capture"];

const httpStatuses: FieldDef = { type: "array", elements: t.integer(100, 999) };
const seconds: FieldDef = { type: "number", between: [0, 65535] };
const counter = (def: number): FieldDef => ({ ...t.integer(0, 255, def) });

function healthyRecord(active: boolean): FieldDef {
  const fields: FieldEntry[] = [
    [
      "http_statuses",
      {
        ...httpStatuses,
        default: active
          ? [200, 302]
          : [
              200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306,
              307, 308,
            ],
      },
    ],
    ["successes", counter(0)],
  ];
  if (active) fields.unshift(["interval", { ...seconds, default: 0 }]);
  return { type: "record", fields };
}

function unhealthyRecord(active: boolean): FieldDef {
  const fields: FieldEntry[] = [
    [
      "http_statuses",
      {
        ...httpStatuses,
        default: active ? [429, 404, 500, 501, 502, 503, 504, 505] : [429, 500, 503],
      },
    ],
    ["tcp_failures", counter(0)],
    ["timeouts", counter(0)],
    ["http_failures", counter(0)],
  ];
  if (active) fields.unshift(["interval", { ...seconds, default: 0 }]);
  return { type: "record", fields };
}

const healthchecks: FieldDef = {
  type: "record",
  fields: [
    [
      "active",
      {
        type: "record",
        fields: [
          ["type", t.oneOf(["tcp", "http", "https", "grpc", "grpcs"], "http")],
          ["timeout", { ...seconds, default: 1 }],
          ["concurrency", t.integer(1, 2147483648, 10)],
          ["http_path", { type: "string", default: "/", startsWith: "/" }],
          ["https_sni", t.str],
          ["https_verify_certificate", t.boolTrue],
          ["headers", { type: "map", keys: t.str, values: t.strArray }],
          ["healthy", healthyRecord(true)],
          ["unhealthy", unhealthyRecord(true)],
        ],
      },
    ],
    [
      "passive",
      {
        type: "record",
        fields: [
          ["type", t.oneOf(["tcp", "http", "https", "grpc", "grpcs"], "http")],
          ["healthy", healthyRecord(false)],
          ["unhealthy", unhealthyRecord(false)],
        ],
      },
    ],
    ["threshold", { type: "number", between: [0, 100], default: 0 }],
  ],
};

const requiresWhen = (hashField: string, value: string, thenField: string): EntityCheck => ({
  kind: "conditional",
  ifField: hashField,
  ifMatch: v => v === value,
  thenField,
  thenCheck: v => (v === null || v === undefined ? msg.required : undefined),
});

const fallbackNone = (ifValue: string): EntityCheck => ({
  kind: "conditional",
  ifField: "hash_on",
  ifMatch: v => v === ifValue,
  thenField: "hash_fallback",
  thenCheck: v => (v === "none" ? undefined : msg.oneOf(["none"])),
});

export const upstreams: EntitySchema = {
  collection: "upstreams",
  endpointKey: "name",
  fields: [
    ["id", t.id],
    ["name", { type: "string", required: true, custom: asString(validateUpstreamName) }],
    [
      "algorithm",
      t.oneOf(["consistent-hashing", "least-connections", "round-robin", "latency"], "round-robin"),
    ],
    ["hash_on", t.oneOf(HASH_ON, "none")],
    ["hash_fallback", t.oneOf(HASH_ON, "none")],
    ["hash_on_header", t.str],
    ["hash_fallback_header", t.str],
    ["hash_on_cookie", t.str],
    ["hash_on_cookie_path", { type: "string", default: "/", required: true, startsWith: "/" }],
    ["hash_on_query_arg", t.str],
    ["hash_fallback_query_arg", t.str],
    ["hash_on_uri_capture", t.str],
    ["hash_fallback_uri_capture", t.str],
    ["slots", t.integer(10, 65536, 10000)],
    ["healthchecks", healthchecks],
    ["tags", t.tags],
    ["host_header", { type: "string", custom: asString(validateHostWithOptionalPort) }],
    ["client_certificate", t.foreign("certificates")],
    ["use_srv_name", t.boolFalse],
  ],
  entityChecks: [
    requiresWhen("hash_on", "header", "hash_on_header"),
    requiresWhen("hash_fallback", "header", "hash_fallback_header"),
    requiresWhen("hash_on", "cookie", "hash_on_cookie"),
    requiresWhen("hash_fallback", "cookie", "hash_on_cookie"),
    requiresWhen("hash_on", "query_arg", "hash_on_query_arg"),
    requiresWhen("hash_fallback", "query_arg", "hash_fallback_query_arg"),
    requiresWhen("hash_on", "uri_capture", "hash_on_uri_capture"),
    requiresWhen("hash_fallback", "uri_capture", "hash_fallback_uri_capture"),
    fallbackNone("none"),
    fallbackNone("cookie"),
    {
      kind: "custom",
      fields: ["hash_on", "hash_fallback"],
      run: r =>
        r["hash_on"] !== "none" && r["hash_on"] === r["hash_fallback"] && r["hash_on"] !== "header"
          ? { entity: [msg.distinct(["hash_on", "hash_fallback"])] }
          : undefined,
    },
    { kind: "distinct", fields: ["hash_on_header", "hash_fallback_header"] },
    { kind: "distinct", fields: ["hash_on_query_arg", "hash_fallback_query_arg"] },
    { kind: "distinct", fields: ["hash_on_uri_capture", "hash_fallback_uri_capture"] },
  ],
  transform: record => {
    // upstreams.lua: any hashing switches the balancer to consistent hashing.
    if (record["hash_on"] !== "none" && record["algorithm"] !== "consistent-hashing") {
      record["algorithm"] = "consistent-hashing";
    }
  },
};

export const targets: EntitySchema = {
  collection: "targets",
  cacheKey: ["upstream", "target"],
  fields: [
    ["id", t.id],
    ["upstream", t.foreign("upstreams", true)],
    ["target", { type: "string", required: true, custom: asString(validateTarget) }],
    ["weight", t.integer(0, 65535, 100)],
    ["tags", t.tags],
  ],
};
