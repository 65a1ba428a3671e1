/**
 * Read-only entity endpoints of a DB-less node (kong-admin-api.md §1, §10): lists with pagination and
 * tag filters, get by id or endpoint key, nested lists, the 405s for writes, and `GET /config`.
 */
import { stringify as toYaml } from "yaml";
import type { NormalizedEntities } from "../../../src/kong/validate/index.ts";
import { json, message, NOT_FOUND, type Reply } from "./http.ts";

/** URL segment -> collection. */
export const COLLECTION_PATHS: Readonly<Record<string, string>> = {
  services: "services",
  routes: "routes",
  plugins: "plugins",
  consumers: "consumers",
  upstreams: "upstreams",
  targets: "targets",
  certificates: "certificates",
  ca_certificates: "ca_certificates",
  snis: "snis",
  vaults: "vaults",
  keys: "keys",
  "key-sets": "key_sets",
  "filter-chains": "filter_chains",
  "key-auths": "keyauth_credentials",
  "basic-auths": "basicauth_credentials",
  "hmac-auths": "hmacauth_credentials",
  jwts: "jwt_secrets",
  acls: "acls",
  oauth2: "oauth2_credentials",
  "mtls-auths": "mtls_auth_credentials",
};

const ENDPOINT_KEYS: Readonly<Record<string, string>> = {
  services: "name",
  routes: "name",
  consumers: "username",
  upstreams: "name",
  snis: "name",
  plugins: "instance_name",
  key_sets: "name",
  vaults: "prefix",
  keyauth_credentials: "key",
  basicauth_credentials: "username",
  hmacauth_credentials: "username",
  jwt_secrets: "key",
  oauth2_credentials: "client_id",
};

/**
 * Foreign field that links a child collection to the parent in `/<parent>/{id}/<child>` URLs. Kong
 * names a consumer's credential lists by the DAO's `admin_api_nested_name` (`/consumers/bob/key-auth`),
 * not by the top-level path (`/key-auths`).
 */
const NESTED_LISTS: Readonly<Record<string, Readonly<Record<string, readonly [string, string]>>>> =
  {
    services: { routes: ["routes", "service"], plugins: ["plugins", "service"] },
    routes: { plugins: ["plugins", "route"] },
    consumers: {
      plugins: ["plugins", "consumer"],
      acls: ["acls", "consumer"],
      "key-auth": ["keyauth_credentials", "consumer"],
      "basic-auth": ["basicauth_credentials", "consumer"],
      "hmac-auth": ["hmacauth_credentials", "consumer"],
      jwt: ["jwt_secrets", "consumer"],
      oauth2: ["oauth2_credentials", "consumer"],
      "mtls-auth": ["mtls_auth_credentials", "consumer"],
    },
    upstreams: { targets: ["targets", "upstream"] },
    certificates: { snis: ["snis", "certificate"] },
  };

type Entity = Record<string, unknown>;

function list(entities: NormalizedEntities, collection: string): Entity[] {
  return Object.values(entities[collection] ?? {}).sort((a, b) =>
    String(a["id"]).localeCompare(String(b["id"])),
  );
}

/** Finds an entity by id or endpoint key. */
export function findEntity(
  entities: NormalizedEntities,
  collection: string,
  key: string,
): Entity | undefined {
  const byId = entities[collection]?.[key];
  if (byId !== undefined) return byId;
  const field = ENDPOINT_KEYS[collection];
  return field === undefined ? undefined : list(entities, collection).find(e => e[field] === key);
}

function matchesTags(entity: Entity, filter: string | null): boolean {
  if (filter === null) return true;
  const tags = Array.isArray(entity["tags"]) ? (entity["tags"] as string[]) : [];
  return filter.includes("/")
    ? filter.split("/").some(t => tags.includes(t))
    : filter.split(",").every(t => tags.includes(t));
}

function decodeOffset(offset: string): number | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(offset)) return undefined;
  const n = Number(Buffer.from(offset, "base64").toString("utf8"));
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** One page of a list, with Kong's `offset` / `next` when more remain. */
export function page(items: readonly Entity[], path: string, query: URLSearchParams): Reply {
  const sizeText = query.get("size");
  const size = sizeText === null ? 1000 : Number(sizeText);
  if (!Number.isInteger(size) || size < 1 || size > 2048) {
    return message(400, "size must be an integer between 1 and 2048");
  }
  const offsetText = query.get("offset");
  const start = offsetText === null ? 0 : decodeOffset(offsetText);
  if (start === undefined) {
    return json(400, {
      code: 7,
      name: "invalid offset",
      message: `'${offsetText}' is not a valid offset: bad base64 encoding`,
    });
  }
  const filtered = items.filter(e => matchesTags(e, query.get("tags")));
  const data = filtered.slice(start, start + size);
  if (start + size >= filtered.length) return json(200, { data, next: null });
  const offset = Buffer.from(String(start + size)).toString("base64");
  const next = `${path}?offset=${encodeURIComponent(offset)}${sizeText === null ? "" : `&size=${size}`}`;
  return json(200, { data, offset, next });
}

function withDefaultPort(target: Entity): Entity {
  const value = String(target["target"]);
  const hasPort = value.startsWith("[") ? /\]:\d+$/.test(value) : /:\d+$/.test(value);
  return hasPort ? target : { ...target, target: `${value}:8000` };
}

function writeRefusal(method: string, collection: string): Reply {
  const verb = method === "POST" ? "create" : method === "DELETE" ? "delete" : "create or update";
  return json(405, {
    code: 12,
    name: "operation unsupported",
    message: `cannot ${verb} '${collection}' entities when not using a database`,
  });
}

export interface EntityRequest {
  readonly method: string;
  readonly segments: readonly string[];
  readonly path: string;
  readonly query: URLSearchParams;
}

function nestedList(
  entities: NormalizedEntities,
  req: EntityRequest,
  parentCollection: string,
): Reply {
  const [parentSegment, parentKey = "", childSegment = "", all] = req.segments;
  const nested = NESTED_LISTS[parentSegment ?? ""]?.[childSegment];
  if (nested === undefined || (all !== undefined && all !== "all")) return NOT_FOUND;
  const [childCollection, link] = nested;
  const parent = findEntity(entities, parentCollection, parentKey);
  if (parent === undefined) return NOT_FOUND;
  let items = list(entities, childCollection).filter(
    e => (e[link] as { id?: unknown } | null)?.id === parent["id"],
  );
  if (childCollection === "targets") items = items.map(withDefaultPort);
  return page(items, req.path, req.query);
}

/** Answers `/<collection>[/<id>[/<child>]]`; undefined when the path is not an entity endpoint. */
export function entityEndpoint(
  entities: NormalizedEntities,
  req: EntityRequest,
): Reply | undefined {
  const collection = COLLECTION_PATHS[req.segments[0] ?? ""];
  if (collection === undefined || req.segments.length > 4) return undefined;
  if (req.method !== "GET" && req.method !== "HEAD") {
    if (req.segments.length <= 2) return writeRefusal(req.method, collection);
    return message(405, "Method not allowed");
  }
  if (req.segments.length === 1) return page(list(entities, collection), req.path, req.query);
  if (req.segments.length === 2) {
    const entity = findEntity(entities, collection, req.segments[1] ?? "");
    return entity === undefined ? NOT_FOUND : json(200, entity);
  }
  return nestedList(entities, req, collection);
}

function flatForeign(entity: Entity): Entity {
  const out: Entity = {};
  for (const [k, v] of Object.entries(entity)) {
    const isRef =
      v !== null &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      Object.keys(v).length === 1 &&
      "id" in v;
    out[k] = isRef ? v.id : v;
  }
  return out;
}

/** `GET /config`: flat YAML dump, foreign keys as plain ids (§3.6). */
export function configDump(entities: NormalizedEntities): Reply {
  const doc: Record<string, unknown> = { _format_version: "3.0", _transform: false };
  for (const collection of Object.keys(entities).sort()) {
    doc[collection] = list(entities, collection).map(flatForeign);
  }
  return json(200, { config: toYaml(doc, { nullStr: "null" }) });
}
