/**
 * Parsers for the textual forms settings take on the command line and in env vars. Each returns
 * `undefined` for input it does not accept, so the schema can report the setting by name.
 */
import { isIP } from "node:net";

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a Go-style duration (`100ms`, `1.5s`, `1m30s`, `0`) into milliseconds, as KIC's pflag
 * durations are written. A bare number other than `0` is rejected because its unit is ambiguous.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  if (s === "") return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < s.length) {
    const match = DURATION_PART.exec(s);
    if (match === null) return undefined;
    const [, amount = "", unit = ""] = match;
    total += Number(amount) * (DURATION_UNITS_MS[unit] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

/** Formats milliseconds back into the shortest Go-style duration, for help text and logs. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label: the form of a namespace name. */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** A DNS-1123 subdomain: the form of most object names and of published hostnames. */
export function isDns1123Subdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split(".").every(isDns1123Label);
}

/**
 * A host pattern of the tenancy allow-lists: a DNS-1123 host name, or `*.` and one (every name under
 * that domain); lower-cased. Anything else (`*`, `*example.com`, a URL) would match no host at all,
 * so an allow-list holding it would silently allow nothing it was meant to.
 */
export function parseHostPattern(text: string): string | undefined {
  const pattern = text.trim().toLowerCase();
  const host = pattern.startsWith("*.") ? pattern.slice(2) : pattern;
  return isDns1123Subdomain(host) ? pattern : undefined;
}

export interface NamespacedName {
  readonly namespace: string;
  readonly name: string;
}

/** Parses `namespace/name` (as `--publish-service` takes it). */
export function parseNamespacedName(text: string): NamespacedName | undefined {
  const parts = text.trim().split("/");
  if (parts.length !== 2) return undefined;
  const [namespace = "", name = ""] = parts;
  return isDns1123Label(namespace) && isDns1123Subdomain(name) ? { namespace, name } : undefined;
}

export interface BindAddress {
  /** Empty means every interface, as in Go's `:10254`. */
  readonly host: string;
  readonly port: number;
}

/** Parses `[host]:port` (`:10254`, `127.0.0.1:8080`, `[::1]:9000`). */
export function parseBindAddress(text: string): BindAddress | undefined {
  const s = text.trim();
  const colon = s.lastIndexOf(":");
  if (colon < 0) return undefined;
  const portText = s.slice(colon + 1);
  let host = s.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65_535) return undefined;
  if (host !== "" && isIP(host) === 0 && !isDns1123Subdomain(host)) return undefined;
  return { host, port };
}

export interface HeaderSetting {
  readonly name: string;
  readonly value: string;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses `name:value` (as `--kong-admin-header` takes it). The value may itself contain colons. */
export function parseHeader(text: string): HeaderSetting | undefined {
  const colon = text.indexOf(":");
  if (colon <= 0) return undefined;
  const name = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  return HEADER_NAME.test(name) ? { name, value } : undefined;
}

/** True for an IP address or a DNS-1123 hostname: what a LoadBalancer ingress entry can hold. */
export function isIpOrHostname(s: string): boolean {
  return isIP(s) !== 0 || isDns1123Subdomain(s);
}

/** Splits list input: repeated flags and comma-separated items both add entries; blanks are dropped. */
export function splitList(values: readonly string[]): string[] {
  return values
    .flatMap(v => v.split(","))
    .map(v => v.trim())
    .filter(v => v !== "");
}
