/**
 * zod schemas for every Admin API body the controller reads (kong-admin-api.md §3–§5). Only the fields we
 * use are checked; Kong's other keys pass through unread. Parsing failures become
 * KongUnexpectedResponseError in outcome.ts, never a crash.
 */
import * as z from "zod";

const HASH = /^[0-9a-f]{32}$/;

/** A port as Kong renders it: a number, or (for a hostname listen address) a numeric string. */
const port = z.union([
  z.number().int().min(0).max(65535),
  z
    .string()
    .regex(/^\d{1,5}$/)
    .transform(Number),
]);

const listener = z.object({
  ip: z.string(),
  port,
  ssl: z.boolean().default(false),
  http2: z.boolean().default(false),
  udp: z.boolean().default(false),
  proxy_protocol: z.boolean().default(false),
});

/**
 * Kong renders a disabled listener list (`stream_listen = off`) as `{}`, not `[]` (§4). A missing list
 * stays undefined: every Kong 3.x node reports both lists, so an answer without one is not a node's
 * own account of its listeners and must not be read as "none" (incident d, KIC #7822).
 */
const listeners = z.union([z.array(listener), z.strictObject({}).transform(() => [])]).optional();

/**
 * `plugins.available_on_server`: the plugins this Kong loaded (its `plugins` setting), by name. An
 * empty Lua table may come as `[]`.
 */
const availablePlugins = z.union([
  z.record(z.string(), z.unknown()),
  z.array(z.never()).transform(() => ({})),
]);

/** `GET /`: node information. */
export const rootInfoSchema = z.object({
  version: z.string().min(1),
  node_id: z.string().optional(),
  // Optional: a node that does not say which plugins it has leaves them unknown, never "none".
  plugins: z.object({ available_on_server: availablePlugins.optional() }).optional(),
  configuration: z.object({
    database: z.string(),
    /** `traditional`, `data_plane` or `control_plane` (hybrid mode). */
    role: z.string().optional(),
    router_flavor: z.string().optional(),
    proxy_listeners: listeners,
    stream_listeners: listeners,
  }),
});

export type RootInfo = z.infer<typeof rootInfoSchema>;

/** `GET /status`: DB-less nodes carry `configuration_hash`; database-mode nodes do not. */
export const statusInfoSchema = z.object({
  configuration_hash: z.string().regex(HASH, "expected 32 lowercase hex digits").optional(),
});

export type StatusInfo = z.infer<typeof statusInfoSchema>;

/** `GET /config` (DB-less only): the loaded config as YAML text. */
export const configDumpSchema = z.object({ config: z.string() });

export type ConfigDump = z.infer<typeof configDumpSchema>;

const flatError = z.object({
  type: z.string().optional(),
  field: z.string().optional(),
  message: z.string().optional(),
  // Kong ≥3.2 sends only `message`; KIC's struct also tolerates `messages`, so we do too.
  messages: z.array(z.string()).optional(),
});

const flatEntityError = z.object({
  entity_type: z.string().optional(),
  entity_name: z.string().optional(),
  entity_id: z.string().optional(),
  entity_tags: z.array(z.string()).optional(),
  errors: z.array(flatError).default([]),
});

/** The body of a 400 from `POST /config` (§3.4, §3.5), and of other JSON error answers. */
export const errorBodySchema = z.object({
  code: z.number().optional(),
  name: z.string().optional(),
  message: z.string().optional(),
  fields: z.unknown().optional(),
  flattened_errors: z.array(flatEntityError).optional(),
});

export type ErrorBody = z.infer<typeof errorBodySchema>;
export type FlatEntityError = z.infer<typeof flatEntityError>;

/** KIC refuses gateways older than this (kong-admin-api.md, version landmarks). */
export const MIN_KONG_VERSION: readonly [number, number, number] = [3, 4, 1];

/**
 * The numeric `major.minor.patch` of a Kong version string (`3.9.1`, `3.4.3.5-enterprise-edition`), or
 * undefined when it does not start with one.
 */
export function parseKongVersion(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? "0")];
}

/** Why this node cannot take our config, or undefined when it can. */
export function unsupportedReason(root: RootInfo): string | undefined {
  const database = root.configuration.database;
  if (database !== "off" && database !== "") {
    return `runs with database "${database}"; only DB-less Kong takes a declarative config`;
  }
  const version = parseKongVersion(root.version);
  if (version === undefined) return `unparsable version "${root.version}"`;
  for (let i = 0; i < 3; i++) {
    const have = version[i] ?? 0;
    const need = MIN_KONG_VERSION[i] ?? 0;
    if (have > need) return undefined;
    if (have < need) return `version ${root.version} is older than ${MIN_KONG_VERSION.join(".")}`;
  }
  return undefined;
}
