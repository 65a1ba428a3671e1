/**
 * Host, IP and port parsing after Kong's `utils.normalize_ip` / `hostname_type` (kong/tools/ip.lua),
 * and the host validators built on it (typedefs.lua, routes.lua, upstreams.lua, targets.lua).
 */

export type HostType = "name" | "ipv4" | "ipv6";

export interface ParsedHost {
  readonly type: HostType;
  readonly host: string;
  readonly port: number | undefined;
}

export type HostParse =
  | { readonly ok: true; readonly value: ParsedHost }
  | { readonly ok: false; readonly error: string };

/** Kong's `hostname_type`: two or more colons mean IPv6, digits and dots mean IPv4. */
export function hostnameType(name: string): HostType {
  const colons = name.split(":").length - 1;
  if (colons > 1) return "ipv6";
  if (/^[\d.]+$/.test(name.replaceAll(":", ""))) return "ipv4";
  return "name";
}

function parsePort(text: string | undefined): number | "invalid" | undefined {
  if (text === undefined || text === "") return undefined;
  const port = Number(text);
  return port > 65535 ? "invalid" : port;
}

function normalizeIpv4(address: string): HostParse {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+):?(\d*)$/.exec(address);
  if (m === null || m.slice(1, 5).some(octet => Number(octet) > 255)) {
    return { ok: false, error: `invalid ipv4 address: ${address}` };
  }
  const port = parsePort(m[5]);
  if (port === "invalid") return { ok: false, error: "invalid port number" };
  return { ok: true, value: { type: "ipv4", host: m.slice(1, 5).join("."), port } };
}

/** A strict-enough IPv6 literal check: hex groups, at most one `::`, optional trailing IPv4. */
export function isIpv6Literal(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap(h => (h === "" ? [] : h.split(":")));
  let count = 0;
  for (const [i, g] of groups.entries()) {
    if (i === groups.length - 1 && /^\d+\.\d+\.\d+\.\d+$/.test(g)) {
      if (g.split(".").some(o => Number(o) > 255)) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count < 8 : count === 8;
}

function normalizeIpv6(address: string): HostParse {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  const literal = bracketed === null ? address : (bracketed[1] ?? "");
  if (!isIpv6Literal(literal)) return { ok: false, error: `invalid ipv6 address: ${address}` };
  const port = parsePort(bracketed?.[2]);
  if (port === "invalid") return { ok: false, error: "invalid port number" };
  return { ok: true, value: { type: "ipv6", host: literal, port } };
}

function checkHostname(address: string): HostParse {
  let name = address;
  const portMatch = /:(\d+)$/.exec(address);
  let port: number | undefined;
  if (portMatch !== null) {
    name = address.slice(0, -portMatch[0].length);
    const parsed = parsePort(portMatch[1]);
    if (parsed === "invalid") return { ok: false, error: "invalid port number" };
    port = parsed;
  }
  const invalid = { ok: false, error: `invalid hostname: ${address}` } as const;
  if (!/^[\dA-Za-z\-._]+$/.test(name)) return invalid;
  const segments = name.split(".");
  for (const [i, segment] of segments.entries()) {
    if (segment.endsWith("-") || (segment === "" && i !== segments.length - 1)) return invalid;
  }
  return { ok: true, value: { type: "name", host: name, port } };
}

/** Kong's `normalize_ip`: parses `host[:port]`, `ipv4[:port]`, `ipv6` or `[ipv6]:port`. */
export function normalizeIp(address: string): HostParse {
  switch (hostnameType(address)) {
    case "ipv4":
      return normalizeIpv4(address);
    case "ipv6":
      return normalizeIpv6(address);
    case "name":
      return checkHostname(address);
  }
}

/** `typedefs.host` (services.host): a hostname or IP, no port. */
export function validateHost(host: string): string | undefined {
  const parsed = normalizeIp(host);
  if (!parsed.ok && parsed.error !== "invalid port number") return `invalid value: ${host}`;
  if (!parsed.ok || parsed.value.port !== undefined) return "must not have a port";
  return undefined;
}

/** `typedefs.host_with_optional_port` (upstreams.host_header). */
export function validateHostWithOptionalPort(host: string): string | undefined {
  const parsed = normalizeIp(host);
  return parsed.ok ? undefined : parsed.error;
}

/** routes.hosts elements: one wildcard, at the leftmost or rightmost label, then host[:port]. */
export function validateWildcardHost(host: string): string | undefined {
  const wildcards = host.split("*").length - 1;
  if (wildcards === 0) return validateHostWithOptionalPort(host);
  if (wildcards > 1) return "invalid wildcard: must have at most one wildcard";
  if (!host.startsWith("*.") && !/\.\*(:\d+)?$/.test(host)) {
    return "invalid wildcard: must be placed at leftmost or rightmost label";
  }
  const parsed = normalizeIp(host.replace("*", "abc"));
  if (parsed.ok) return undefined;
  return parsed.error.startsWith("invalid hostname") ? `invalid hostname: ${host}` : parsed.error;
}

/** `typedefs.sni` (plain server name: no IP, no port). */
export function validateSni(host: string, shown: string = host): string | undefined {
  const parsed = normalizeIp(host);
  if (!parsed.ok && parsed.error !== "invalid port number") return `invalid value: ${shown}`;
  if (!parsed.ok || parsed.value.port !== undefined) return "must not have a port";
  if (parsed.value.type !== "name") return "must not be an IP";
  return undefined;
}

/** `typedefs.wildcard_host` for snis: one `*`, as the first or last character. */
export function validateWildcardSni(host: string): string | undefined {
  const index = host.indexOf("*");
  if (index === -1) return validateSni(host);
  if (index !== 0 && index !== host.length - 1) {
    return "wildcard must be leftmost or rightmost character";
  }
  const substituted = host.replaceAll("*", "wildcard");
  if (host.split("*").length - 1 > 1) return "only one wildcard must be specified";
  return validateSni(substituted, host);
}

/** upstreams.name: a hostname without IP or port. */
export function validateUpstreamName(name: string): string | undefined {
  const parsed = normalizeIp(name);
  if (!parsed.ok) return `Invalid name ('${name}'); must be a valid hostname`;
  if (parsed.value.type !== "name") return `Invalid name ('${name}'); no ip addresses allowed`;
  if (parsed.value.port !== undefined) return `Invalid name ('${name}'); no port allowed`;
  return undefined;
}

/** targets.target: `host[:port]`, IPv4, IPv6 or `[IPv6]:port`. */
export function validateTarget(target: string): string | undefined {
  return normalizeIp(target).ok
    ? undefined
    : `Invalid target ('${target}'); not a valid hostname or ip address`;
}

/** IPv4/IPv6 address or CIDR (routes sources/destinations, ip-restriction). */
export function isIpOrCidr(text: string): boolean {
  const [ip, bits, extra] = text.split("/");
  if (ip === undefined || extra !== undefined) return false;
  const v6 = ip.includes(":");
  if (v6 ? !isIpv6Literal(ip) : !/^(\d{1,3})(\.\d{1,3}){3}$/.test(ip)) return false;
  if (!v6 && ip.split(".").some(o => Number(o) > 255)) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (v6 ? 128 : 32);
}
