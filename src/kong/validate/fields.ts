/**
 * Kong's rules one field at a time, for callers that build entities piece by piece (the translator, so
 * that one bad value costs that value and not the whole config). Each entry point runs the very field
 * definitions and entity checks `validateDeclarativeConfig` runs, and returns Kong's own message.
 */
import { validateField, validateRecord } from "./engine.ts";
import { snis } from "./entities/certificates.ts";
import { atcRouteProblem, routesSchema } from "./entities/routes.ts";
import { services } from "./entities/services.ts";
import { upstreams } from "./entities/upstreams.ts";
import type {
  EntitySchema,
  ErrTree,
  FieldDef,
  FieldEntry,
  Record_,
  SchemaContext,
} from "./types.ts";
import { validateTag } from "./typedefs.ts";

export type RouterFlavor = SchemaContext["routerFlavor"];

/** Kong's default router, the one the translator writes for. */
export const DEFAULT_ROUTER_FLAVOR: RouterFlavor = "traditional_compatible";

function routeSchemaFor(routerFlavor: RouterFlavor): EntitySchema {
  return routesSchema({ routerFlavor, enabledPlugins: new Set(), now: 0 });
}

const ROUTES: Readonly<Record<RouterFlavor, EntitySchema>> = {
  traditional: routeSchemaFor("traditional"),
  traditional_compatible: routeSchemaFor("traditional_compatible"),
  expressions: routeSchemaFor("expressions"),
};

/** The first message of an error tree (a field's, an element's or a map entry's). */
function firstMessage(tree: ErrTree | undefined): string | undefined {
  if (tree === undefined || typeof tree === "string") return tree;
  const children: (ErrTree | undefined)[] = Array.isArray(tree) ? tree : Object.values(tree);
  for (const child of children) {
    const found = firstMessage(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

function fieldDef(schema: EntitySchema, field: string): FieldDef {
  const entry = schema.fields.find(([name]) => name === field);
  // The field names are typed per entity below; a missing one is a bug in this file.
  if (entry === undefined) throw new Error(`no field ${field} in Kong's ${schema.collection}`);
  return entry[1];
}

function problemOf(def: FieldDef, value: unknown): string | undefined {
  return firstMessage(validateField(def, value).error);
}

export type ServiceField =
  | "protocol"
  | "host"
  | "port"
  | "path"
  | "retries"
  | "connect_timeout"
  | "read_timeout"
  | "write_timeout"
  | "tls_verify_depth";

/** Kong's message for one `services` field value, or undefined when Kong takes it. */
export function serviceFieldProblem(field: ServiceField, value: unknown): string | undefined {
  return problemOf(fieldDef(services, field), value);
}

export type UpstreamField =
  | "host_header"
  | "algorithm"
  | "slots"
  | "hash_on"
  | "hash_fallback"
  | "hash_on_header"
  | "hash_fallback_header"
  | "hash_on_cookie"
  | "hash_on_cookie_path"
  | "hash_on_query_arg"
  | "hash_fallback_query_arg"
  | "hash_on_uri_capture"
  | "hash_fallback_uri_capture"
  | "healthchecks";

/**
 * Kong's message for one `upstreams` field value (`host_header`, …), or undefined. In a record field
 * (`healthchecks`) each message names the nested field it is about (`active.http_path: …`).
 */
export function upstreamFieldProblem(field: UpstreamField, value: unknown): string | undefined {
  const messages = nestedMessages(validateField(fieldDef(upstreams, field), value).error);
  return messages.length === 0 ? undefined : messages.join("; ");
}

/** Every message of an error tree, each after the path of keys and indexes that leads to it. */
function nestedMessages(tree: ErrTree | undefined, path = ""): string[] {
  if (tree === undefined) return [];
  if (typeof tree === "string") return [path === "" ? tree : `${path}: ${tree}`];
  const children: [string, ErrTree | undefined][] = Array.isArray(tree)
    ? // Index-aligned and sparse: `map` would skip the holes.
      Array.from(tree, (child, i) => [`${path}[${i}]`, child])
    : Object.entries(tree).map(([key, child]) => [path === "" ? key : `${path}.${key}`, child]);
  return children.flatMap(([at, child]) => nestedMessages(child, at));
}

/**
 * The checks of Kong's `upstreams` schema that tie fields together (a header hash needs its header,
 * `hash_on` and `hash_fallback` differ, no fallback after `none` or `cookie`), on a record whose own
 * fields {@link upstreamFieldProblem} has passed.
 */
export function upstreamEntityProblems(fields: Record_): readonly string[] {
  const result = validateRecord(
    { name: "upstream", ...fields },
    { fields: upstreams.fields, entityChecks: upstreams.entityChecks },
  );
  const entity = result.errors?.["@entity"];
  const messages = Array.isArray(entity)
    ? entity.filter((m): m is string => typeof m === "string")
    : [];
  for (const [key, tree] of Object.entries(result.errors ?? {})) {
    // Its fields passed alone: what a field still gets is a conditional check's (`hash_on_header:
    // required field missing`).
    if (key !== "@entity") messages.push(...nestedMessages(tree, key));
  }
  return messages;
}

export type RouteField =
  | "protocols"
  | "methods"
  | "hosts"
  | "paths"
  | "headers"
  | "snis"
  | "https_redirect_status_code"
  | "regex_priority"
  | "path_handling"
  | "tags";

/** Kong's field-level message for one `routes` field value, or undefined. */
export function routeFieldProblem(
  field: RouteField,
  value: unknown,
  flavor: RouterFlavor = DEFAULT_ROUTER_FLAVOR,
): string | undefined {
  return problemOf(fieldDef(ROUTES[flavor], field), value);
}

/** One element of a route's `hosts` (wildcard, `host:port`, IP). */
export function routeHostProblem(host: string): string | undefined {
  return routeFieldProblem("hosts", [host]);
}

/** One element of a route's `snis` (no IP, no port; wildcards unless the router is `traditional`). */
export function routeSniProblem(
  sni: string,
  flavor: RouterFlavor = DEFAULT_ROUTER_FLAVOR,
): string | undefined {
  return routeFieldProblem("snis", [sni], flavor);
}

/** One element of a route's `methods`. */
export function routeMethodProblem(method: string): string | undefined {
  return routeFieldProblem("methods", [method]);
}

/** One `tags` element of any entity. */
export function tagProblem(tag: string): string | undefined {
  return validateTag(tag);
}

/**
 * One element of a route's `paths`, as Kong judges it: the field rules (`/` or `~/`, no empty segment,
 * normalised prefix, valid escapes, a regex PCRE compiles) and, under the ATC flavours, the entity
 * error of a regex Rust's `regex` crate refuses.
 */
export function routePathProblem(
  path: string,
  flavor: RouterFlavor = DEFAULT_ROUTER_FLAVOR,
): string | undefined {
  const field = routeFieldProblem("paths", [path], flavor);
  if (field !== undefined || flavor === "traditional") return field;
  return atcRouteProblem({ paths: [path] });
}

/** One header match of a route (`name` → values, `~*` marking a regex), as {@link routePathProblem}. */
export function routeHeaderProblem(
  name: string,
  values: readonly string[],
  flavor: RouterFlavor = DEFAULT_ROUTER_FLAVOR,
): string | undefined {
  const headers = { [name]: values };
  const field = routeFieldProblem("headers", headers, flavor);
  if (field !== undefined || flavor === "traditional") return field;
  return atcRouteProblem({ headers });
}

/** What Kong says about a whole route record: per-field messages and entity messages. */
export interface RouteProblems {
  readonly fields: Readonly<Record<string, string>>;
  readonly entity: readonly string[];
}

function mergeFields(base: readonly FieldEntry[], extra: readonly FieldEntry[]): FieldEntry[] {
  const names = new Set(extra.map(([name]) => name));
  return [...base.filter(([name]) => !names.has(name)), ...extra];
}

/**
 * A whole route record as Kong's schema judges it (subschema by `protocols[0]`, entity checks), for
 * rules that tie fields together (`methods` on gRPC, `snis` without TLS). References are not checked.
 */
export function routeProblems(
  record: Record_,
  flavor: RouterFlavor = DEFAULT_ROUTER_FLAVOR,
): RouteProblems {
  const schema = ROUTES[flavor];
  const ctx: SchemaContext = { routerFlavor: flavor, enabledPlugins: new Set(), now: 0 };
  const choice = schema.subschema?.(record, ctx) ?? {};
  if ("error" in choice) return { fields: { [choice.error[0]]: choice.error[1] }, entity: [] };
  const result = validateRecord(record, {
    fields: mergeFields(schema.fields, choice.fields ?? []),
    entityChecks: [...(schema.entityChecks ?? []), ...(choice.entityChecks ?? [])],
  });
  const fields: Record<string, string> = {};
  let entity: readonly string[] = [];
  for (const [key, tree] of Object.entries(result.errors ?? {})) {
    if (key === "@entity" && Array.isArray(tree)) {
      entity = tree.filter((m): m is string => typeof m === "string");
      continue;
    }
    const message = firstMessage(tree);
    if (message !== undefined) fields[key] = message;
  }
  return { fields, entity };
}

/**
 * A message on one line, for an event or a condition: the Rust router's messages span three lines
 * (pattern, caret line, error), and the caret line means nothing without the one above it.
 */
export function oneLine(message: string): string {
  return message
    .split("\n")
    .map(line => line.trim())
    .filter(line => line !== "" && !/^\^+$/.test(line))
    .join(" ");
}

/** The `name` of an `snis` entity (a certificate's server name). */
export function sniNameProblem(name: string): string | undefined {
  return problemOf(fieldDef(snis, "name"), name);
}
