/**
 * Listener entries exactly as Kong's `GET /` reports them (kong-admin-api.md §4,
 * `kong/conf_loader/listeners.lua`): one boolean per recognised flag, pattern flags under their actual
 * text when present and under the pattern when absent.
 */

export interface ListenerSpec {
  /** Default `0.0.0.0`. IPv6 addresses are shown fully expanded in brackets. */
  readonly ip?: string;
  /** A number normally; a string reproduces Kong's hostname-listen quirk (go-kong fails to decode it). */
  readonly port: number | string;
  readonly ssl?: boolean;
  readonly http2?: boolean;
  readonly udp?: boolean;
  readonly proxyProtocol?: boolean;
  readonly deferred?: boolean;
  readonly bind?: boolean;
  readonly reuseport?: boolean;
  readonly backlog?: number;
}

export type ListenerKind = "http" | "stream";

function expandIpv6(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, "");
  const [head = "", tail] = bare.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return `[${[...left, ...fill, ...right].map(g => g.padStart(4, "0")).join(":")}]`;
}

function normalizeIp(ip: string): string {
  return ip.includes(":") ? expandIpv6(ip) : ip;
}

/** The `*_listen` configuration string (`0.0.0.0:8443 http2 ssl reuseport backlog=16384`). */
export function listenString(spec: ListenerSpec, kind: ListenerKind): string {
  const flags: string[] = [];
  if (kind === "stream" && spec.udp === true) flags.push("udp");
  if (kind === "http" && spec.http2 === true) flags.push("http2");
  if (spec.ssl === true) flags.push("ssl");
  if (spec.proxyProtocol === true) flags.push("proxy_protocol");
  if (spec.reuseport === true) flags.push("reuseport");
  if (spec.backlog !== undefined) flags.push(`backlog=${spec.backlog}`);
  return [`${spec.ip ?? "0.0.0.0"}:${spec.port}`, ...flags].join(" ");
}

/** One entry of `proxy_listeners` / `stream_listeners` / `admin_listeners` / `status_listeners`. */
export function listenerEntry(spec: ListenerSpec, kind: ListenerKind): Record<string, unknown> {
  const ip = normalizeIp(spec.ip ?? "0.0.0.0");
  const port = spec.port;
  const setFlags: string[] = [];
  const entry: Record<string, unknown> = { ip, port };
  const flag = (name: string, on: boolean | undefined, listed = true): void => {
    entry[name] = on === true;
    if (on === true && listed) setFlags.push(name);
  };
  if (kind === "stream") flag("udp", spec.udp);
  flag("ssl", spec.ssl);
  if (kind === "http") flag("http2", spec.http2, false);
  flag("proxy_protocol", spec.proxyProtocol);
  if (kind === "http") flag("deferred", spec.deferred);
  flag("bind", spec.bind);
  flag("reuseport", spec.reuseport);
  if (spec.backlog === undefined) entry["backlog=%d+"] = false;
  else {
    entry[`backlog=${spec.backlog}`] = true;
    setFlags.push(`backlog=${spec.backlog}`);
  }
  for (const name of ["ipv6only=on", "ipv6only=off", "so_keepalive=on", "so_keepalive=off"]) {
    entry[name] = false;
  }
  entry["so_keepalive=%w*:%w*:%d*"] = false;
  entry["listener"] = [`${ip}:${port}`, ...setFlags].join(" ");
  return entry;
}

/** Kong's defaults: `0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384`. */
export const DEFAULT_PROXY_LISTENERS: readonly ListenerSpec[] = [
  { ip: "0.0.0.0", port: 8000, reuseport: true, backlog: 16384 },
  { ip: "0.0.0.0", port: 8443, ssl: true, http2: true, reuseport: true, backlog: 16384 },
];

/** `stream_listeners` is an empty object, not an array, when stream listening is off. */
export function listenersValue(specs: readonly ListenerSpec[], kind: ListenerKind): unknown {
  return specs.length === 0 ? {} : specs.map(s => listenerEntry(s, kind));
}
