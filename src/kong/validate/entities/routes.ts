/**
 * `routes` (routes.lua, routes_subschemas.lua): base fields, the http / stream / grpc subschemas chosen
 * by `protocols[0]`, and the ATC router check of the `traditional_compatible` and `expressions` flavours.
 */
import { expressionError } from "../expressions.ts";
import { isIpOrCidr, validateSni, validateWildcardHost, validateWildcardSni } from "../hosts.ts";
import { msg } from "../messages.ts";
import { rustRegexError, validateRoutePath } from "../paths.ts";
import * as t from "../typedefs.ts";
import type {
  EntityCheck,
  EntitySchema,
  FieldDef,
  FieldEntry,
  Record_,
  SchemaContext,
  SubschemaChoice,
} from "../types.ts";
import { isNonEmpty, isRecord, luaString } from "../values.ts";

const asString = (f: (s: string) => string | undefined) => (v: unknown) =>
  typeof v === "string" ? f(v) : undefined;

const HEADER_NAME_RE = /^[A-Za-z0-9_-]+$/;

const headerName: FieldDef = {
  type: "string",
  custom: asString(name => {
    if (/^host$/i.test(name)) {
      return "cannot contain 'host' header, which must be specified in the 'hosts' attribute";
    }
    return HEADER_NAME_RE.test(name)
      ? undefined
      : `bad header name '${name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
  }),
};

const ipPort: FieldDef = {
  type: "set",
  elements: {
    type: "record",
    fields: [
      [
        "ip",
        {
          type: "string",
          custom: asString(ip =>
            isIpOrCidr(ip) ? undefined : `invalid ip or cidr range: '${ip}'`,
          ),
        },
      ],
      ["port", t.port],
    ],
    entityChecks: [{ kind: "atLeastOneOf", fields: ["ip", "port"] }],
  },
};

const PROTOCOL_GROUPS: readonly (readonly string[])[] = [
  ["http", "https"],
  ["tcp", "tls", "udp"],
  ["tls_passthrough"],
  ["grpc", "grpcs"],
];

/** Kong's `mutually_exclusive_subsets`, listing the groups in order of first use. */
function exclusiveGroups(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  const used: (readonly string[])[] = [];
  for (const p of value) {
    const group = PROTOCOL_GROUPS.find(g => g.includes(p as string));
    if (group !== undefined && !used.includes(group)) used.push(group);
  }
  if (used.length <= 1) return undefined;
  const listed = used.map(g => `(${g.map(p => `'${p}'`).join(", ")})`).join(", ");
  return `these sets are mutually exclusive: ${listed}`;
}

function baseFields(ctx: SchemaContext): FieldEntry[] {
  const sni = ctx.routerFlavor === "traditional" ? validateSni : validateWildcardSni;
  const fields: FieldEntry[] = [
    ["id", t.id],
    ["name", t.utf8Name],
    [
      "protocols",
      {
        type: "set",
        required: true,
        default: ["http", "https"],
        lenMin: 1,
        elements: t.oneOf(t.PROTOCOLS),
        custom: exclusiveGroups,
      },
    ],
    ["methods", { type: "set", elements: { type: "string", match: /^[A-Z]+$/ } }],
    [
      "hosts",
      { type: "array", elements: { type: "string", custom: asString(validateWildcardHost) } },
    ],
    [
      "paths",
      {
        type: "array",
        elements: {
          type: "string",
          custom: asString(p => {
            if (p.includes("//")) return "must not have empty segments";
            if (!p.startsWith("/") && !p.startsWith("~/")) {
              return "should start with: / (fixed path) or ~/ (regex path)";
            }
            return validateRoutePath(p);
          }),
        },
      },
    ],
    ["headers", { type: "map", keys: headerName, values: { type: "array", elements: t.str } }],
    [
      "https_redirect_status_code",
      { type: "integer", oneOf: [426, 301, 302, 307, 308], default: 426, required: true },
    ],
    ["regex_priority", { type: "integer", default: 0, required: true }],
    ["strip_path", t.boolTrue],
    ["path_handling", t.oneOf(["v0", "v1"], "v0")],
    ["preserve_host", t.boolFalse],
    ["request_buffering", t.boolTrue],
    ["response_buffering", t.boolTrue],
    ["snis", { type: "set", elements: { type: "string", custom: asString(sni) } }],
    ["sources", ipPort],
    ["destinations", ipPort],
    ["tags", t.tags],
    ["service", t.foreign("services")],
  ];
  if (ctx.routerFlavor === "expressions") {
    fields.push(
      ["expression", t.str],
      // Kong keeps priorities below 2^46 (routes.lua); KIC's encoding stays under it.
      ["priority", { type: "integer", default: 0, required: true, between: [0, 2 ** 46 - 1] }],
    );
  }
  return fields;
}

const quoted = (fields: readonly string[]): string => fields.map(f => `'${f}'`).join(", ");

const cannotSet = (field: string, when: string): FieldEntry => [
  field,
  { type: "any", mustBeNull: { err: `cannot set '${field}' when 'protocols' is ${when}` } },
];

function mustSetOne(
  record: Record_,
  fields: readonly string[],
  protocol: string,
): string | undefined {
  if (isNonEmpty(record["expression"])) return undefined;
  return fields.some(f => isNonEmpty(record[f]))
    ? undefined
    : `must set one of ${quoted(fields)} when 'protocols' is '${protocol}'`;
}

function protocolsOf(record: Record_): readonly string[] {
  return Array.isArray(record["protocols"]) ? (record["protocols"] as string[]) : [];
}

const HTTP_WHEN = "'http' or 'https'";
const STREAM_WHEN = "'tcp', 'tls', 'tls_passthrough' or 'udp'";
const GRPC_WHEN = "'grpc' or 'grpcs'";

const httpSubschema: SubschemaChoice = {
  fields: [cannotSet("sources", HTTP_WHEN), cannotSet("destinations", HTTP_WHEN)],
  entityChecks: [
    {
      kind: "custom",
      fields: ["protocols", "methods", "hosts", "headers", "paths", "snis"],
      run: r => {
        const https = protocolsOf(r).includes("https");
        const fields = ["methods", "hosts", "headers", "paths", ...(https ? ["snis"] : [])];
        const err = mustSetOne(r, fields, https ? "https" : "http");
        return err === undefined ? undefined : { entity: [err] };
      },
    },
  ],
};

const streamSubschema: SubschemaChoice = {
  fields: ["methods", "hosts", "paths", "headers"].map(f => cannotSet(f, STREAM_WHEN)),
  entityChecks: [
    {
      kind: "custom",
      fields: ["protocols", "sources", "destinations", "snis"],
      run: r => {
        // An expression route matches by its expression (as mustSetOne for HTTP and gRPC).
        if (isNonEmpty(r["expression"])) return undefined;
        const protocols = protocolsOf(r);
        const entity: string[] = [];
        if (protocols.some(p => ["tcp", "tls", "udp"].includes(p))) {
          const fields = ["sources", "destinations", "snis"];
          if (!fields.some(f => isNonEmpty(r[f]))) {
            entity.push(
              `must set one of ${quoted(fields)} when 'protocols' is 'tcp', 'tls' or 'udp'`,
            );
          }
        }
        if (protocols.includes("tls_passthrough") && !isNonEmpty(r["snis"])) {
          entity.push("must set snis when 'protocols' is 'tls_passthrough'");
        }
        return entity.length > 0 ? { entity } : undefined;
      },
    },
  ],
};

const grpcSubschema: SubschemaChoice = {
  fields: [
    [
      "strip_path",
      {
        type: "boolean",
        required: true,
        default: false,
        custom: v =>
          v === true ? `cannot set 'strip_path' when 'protocols' is ${GRPC_WHEN}` : undefined,
      },
    ],
    cannotSet("methods", GRPC_WHEN),
    cannotSet("sources", GRPC_WHEN),
    cannotSet("destinations", GRPC_WHEN),
  ],
  entityChecks: [
    {
      kind: "custom",
      fields: ["protocols", "hosts", "headers", "paths", "snis"],
      run: r => {
        const grpcs = protocolsOf(r).includes("grpcs");
        const fields = ["hosts", "headers", "paths", ...(grpcs ? ["snis"] : [])];
        const err = mustSetOne(r, fields, grpcs ? "grpcs" : "grpc");
        return err === undefined ? undefined : { entity: [err] };
      },
    },
  ],
};

const SUBSCHEMAS: Readonly<Record<string, SubschemaChoice>> = {
  http: httpSubschema,
  https: httpSubschema,
  tcp: streamSubschema,
  tls: streamSubschema,
  udp: streamSubschema,
  tls_passthrough: streamSubschema,
  grpc: grpcSubschema,
  grpcs: grpcSubschema,
};

const SNI_PROTOCOLS = ["grpcs", "https", "tls", "tls_passthrough"];

const snisOnlyWithTls: EntityCheck = {
  kind: "custom",
  fields: ["protocols", "snis"],
  run: r =>
    isNonEmpty(r["snis"]) && !protocolsOf(r).some(p => SNI_PROTOCOLS.includes(p))
      ? {
          entity: [
            "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
          ],
        }
      : undefined,
};

/** The regexes of a route's paths (`~/…`) and header values (`~*…`), as the router reads them. */
function routeRegexes(record: Record_): string[] {
  const regexes: string[] = [];
  for (const p of Array.isArray(record["paths"]) ? (record["paths"] as unknown[]) : []) {
    if (typeof p === "string" && p.startsWith("~")) regexes.push(p.slice(1));
  }
  const headers = record["headers"];
  for (const values of isRecord(headers) ? Object.values(headers) : []) {
    for (const v of Array.isArray(values) ? (values as unknown[]) : []) {
      if (typeof v === "string" && v.startsWith("~*")) regexes.push(v.slice(2));
    }
  }
  return regexes;
}

/**
 * The ATC flavours compile each route with the Rust router, which refuses some of what PCRE takes: the
 * entity error Kong reports for the first regex it refuses, or undefined.
 */
export function atcRouteProblem(record: Record_): string | undefined {
  for (const regex of routeRegexes(record)) {
    const err = rustRegexError(regex);
    if (err !== undefined) return `Router Expression failed validation: ${err}`;
  }
  return undefined;
}

const atcCheck: EntityCheck = {
  kind: "custom",
  fields: ["paths", "headers"],
  run: r => {
    const err = atcRouteProblem(r);
    return err === undefined ? undefined : { entity: [err] };
  },
};

const EXPRESSION_EXCLUSIVE = [
  "methods",
  "hosts",
  "paths",
  "headers",
  "snis",
  "sources",
  "destinations",
];

const expressionExclusive: EntityCheck = {
  kind: "custom",
  fields: ["expression", ...EXPRESSION_EXCLUSIVE],
  run: r => {
    if (!isNonEmpty(r["expression"])) return undefined;
    const clash = EXPRESSION_EXCLUSIVE.find(f => isNonEmpty(r[f]));
    return clash === undefined
      ? undefined
      : { entity: [msg.mutuallyExclusive(["expression", clash])] };
  },
};

/** The expressions router parses and type-checks each expression (kong/validate/expressions.ts). */
const expressionCheck: EntityCheck = {
  kind: "custom",
  fields: ["expression", "protocols"],
  run: r => {
    const expression = r["expression"];
    if (typeof expression !== "string" || expression === "") return undefined;
    const err = expressionError(expression, protocolsOf(r));
    return err === undefined
      ? undefined
      : { entity: [`Router Expression failed validation: ${err}`] };
  },
};

function routeChecks(ctx: SchemaContext): EntityCheck[] {
  const checks = [snisOnlyWithTls];
  if (ctx.routerFlavor !== "traditional") checks.push(atcCheck);
  if (ctx.routerFlavor === "expressions") checks.push(expressionExclusive, expressionCheck);
  return checks;
}

/** Route fields depend on the router flavour; build the schema per validation context. */
export function routesSchema(ctx: SchemaContext): EntitySchema {
  return {
    collection: "routes",
    endpointKey: "name",
    fields: baseFields(ctx),
    entityChecks: routeChecks(ctx),
    subschema: record => {
      // The subschema key is read after defaults are applied.
      const protocols = record["protocols"] === undefined ? ["http", "https"] : record["protocols"];
      if (!Array.isArray(protocols) || protocols.length === 0) return {};
      const first: unknown = protocols[0];
      const chosen = typeof first === "string" ? SUBSCHEMAS[first] : undefined;
      if (chosen === undefined) return { error: ["protocols", msg.unknownType(luaString(first))] };
      return chosen;
    },
  };
}
