/** Bodies of `GET /` (kong-admin-api.md §4) and `GET /status` (§5.1). */
import { pluginDef } from "../../../src/kong/validate/index.ts";
import type { NormalizedEntities } from "../../../src/kong/validate/index.ts";
import { listenString, listenersValue, type ListenerSpec } from "./listeners.ts";

export interface NodeInfoInput {
  readonly version: string;
  readonly nodeId: string;
  readonly pids: { readonly master: number; readonly workers: readonly number[] };
  readonly routerFlavor: string;
  readonly enabledPlugins: readonly string[];
  readonly entities: NormalizedEntities;
  readonly proxyListeners: readonly ListenerSpec[];
  readonly streamListeners: readonly ListenerSpec[];
  readonly adminListeners: readonly ListenerSpec[];
  readonly statusListeners: readonly ListenerSpec[];
  readonly maxBodyBytes: number;
  /** Merged into `configuration`; an `undefined` value removes the key. */
  readonly configurationOverrides: Readonly<Record<string, unknown>>;
}

function sizeText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}m`;
  if (bytes % 1024 === 0) return `${bytes / 1024}k`;
  return String(bytes);
}

function pluginsInUse(entities: NormalizedEntities): string[] {
  const names = Object.values(entities["plugins"] ?? {}).map(p => String(p["name"]));
  return [...new Set(names)].sort();
}

function configuration(input: NodeInfoInput): Record<string, unknown> {
  const listen = (specs: readonly ListenerSpec[], kind: "http" | "stream"): string[] =>
    specs.length === 0 ? ["off"] : specs.map(s => listenString(s, kind));
  const config: Record<string, unknown> = {
    database: "off",
    role: "traditional",
    router_flavor: input.routerFlavor,
    proxy_listen: listen(input.proxyListeners, "http"),
    proxy_listeners: listenersValue(input.proxyListeners, "http"),
    stream_listen: listen(input.streamListeners, "stream"),
    stream_listeners: listenersValue(input.streamListeners, "stream"),
    admin_listen: listen(input.adminListeners, "http"),
    admin_listeners: listenersValue(input.adminListeners, "http"),
    status_listen: listen(input.statusListeners, "http"),
    status_listeners: listenersValue(input.statusListeners, "http"),
    loaded_plugins: Object.fromEntries(input.enabledPlugins.map(p => [p, true])),
    plugins: ["bundled"],
    lmdb_map_size: "2048m",
    nginx_admin_client_max_body_size: sizeText(input.maxBodyBytes),
    log_level: "notice",
    prefix: "/kong_prefix",
  };
  for (const [key, value] of Object.entries(input.configurationOverrides)) {
    if (value === undefined) Reflect.deleteProperty(config, key);
    else config[key] = value;
  }
  return config;
}

export function rootBody(input: NodeInfoInput): Record<string, unknown> {
  return {
    tagline: "Welcome to kong",
    version: input.version,
    edition: "community",
    hostname: "kong-emulator",
    node_id: input.nodeId,
    lua_version: "LuaJIT 2.1.0-20231117",
    timers: { running: 0, pending: 7 },
    pids: { master: input.pids.master, workers: input.pids.workers },
    plugins: {
      available_on_server: Object.fromEntries(
        input.enabledPlugins.map(name => [
          name,
          { version: input.version, priority: pluginDef(name).priority },
        ]),
      ),
      enabled_in_cluster: pluginsInUse(input.entities),
    },
    configuration: configuration(input),
  };
}

export interface StatusCounters {
  accepted: number;
  active: number;
  requests: number;
}

export function statusBody(
  hash: string,
  counters: StatusCounters,
  opts: { readonly legacy: boolean; readonly pids: readonly number[] },
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    configuration_hash: hash,
    memory: {
      workers_lua_vms: opts.pids.map(pid => ({ http_allocated_gc: "43.99 MiB", pid })),
      lua_shared_dicts: {
        kong: { allocated_slabs: "0.04 MiB", capacity: "5.00 MiB" },
        kong_core_db_cache: { allocated_slabs: "0.76 MiB", capacity: "128.00 MiB" },
      },
    },
    server: {
      connections_accepted: counters.accepted,
      connections_active: counters.active,
      connections_handled: counters.accepted,
      connections_reading: 0,
      connections_waiting: 0,
      connections_writing: Math.min(1, counters.active),
      total_requests: counters.requests,
    },
  };
  if (opts.legacy) body["database"] = { reachable: true };
  return body;
}
