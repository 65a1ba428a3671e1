/**
 * `konghq.com/*` annotations (kic-conventions.md §2.9). KIC ignores most invalid values silently; we
 * ignore them too (the rest of the object still works) but say so, as a problem on the object.
 */
import type { KongProtocol } from "../kong/types.ts";
import { PROTOCOLS } from "../kong/validate/typedefs.ts";
import type { Problem } from "./types.ts";
import { DEFAULT_REGEX_PREFIX } from "./paths.ts";

const K = "konghq.com/";

export const ROUTE_ANNOTATIONS = [
  "strip-path",
  "preserve-host",
  "protocols",
  "methods",
  "regex-priority",
  "https-redirect-status-code",
  "host-aliases",
  "snis",
  "headers-separator",
  "path-handling",
  "request-buffering",
  "response-buffering",
  "regex-prefix",
  "tags",
].map(a => K + a);

export const SERVICE_ANNOTATIONS = [
  "protocol",
  "path",
  "connect-timeout",
  "read-timeout",
  "write-timeout",
  "retries",
  "host-header",
  "upstream-policy",
  "tags",
].map(a => K + a);

export const FORCE_SSL_REDIRECT = "ingress.kubernetes.io/force-ssl-redirect";
export const SERVICE_UPSTREAM = "ingress.kubernetes.io/service-upstream";
const HEADERS_PREFIX = `${K}headers.`;

/** KIC annotations this controller does not implement yet; each is reported, never silently dropped. */
const NOT_YET_SUPPORTED = new Set(
  [
    "rewrite",
    "client-cert",
    "tls-verify",
    "tls-verify-depth",
    "ca-certificates-secrets",
    "ca-certificates-configmaps",
  ].map(a => K + a),
);
/** Read by plugins.ts: on every kind of object that can name plugins. */
export const PLUGINS_ANNOTATION = `${K}plugins`;
/** KIC's deprecated KongIngress attachment; KongUpstreamPolicy replaces it. */
const OVERRIDE_ANNOTATION = `${K}override`;

type Annotations = Readonly<Record<string, string>>;

export interface RouteOverrides {
  readonly stripPath?: boolean;
  readonly preserveHost?: boolean;
  readonly protocols?: readonly KongProtocol[];
  readonly methods?: readonly string[];
  readonly regexPriority?: number;
  readonly httpsRedirectStatusCode?: number;
  readonly hostAliases: readonly string[];
  readonly snis?: readonly string[];
  readonly headers?: Readonly<Record<string, readonly string[]>>;
  readonly pathHandling?: string;
  readonly requestBuffering?: boolean;
  readonly responseBuffering?: boolean;
  readonly regexPrefix: string;
  readonly tags: readonly string[];
}

export interface ServiceOverrides {
  readonly protocol?: KongProtocol;
  readonly path?: string;
  readonly connectTimeout?: number;
  readonly readTimeout?: number;
  readonly writeTimeout?: number;
  readonly retries?: number;
  readonly hostHeader?: string;
  readonly serviceUpstream: boolean;
  readonly tags: readonly string[];
}

export interface Parsed<T> {
  readonly value: T;
  readonly problems: readonly Problem[];
}

class Reader {
  readonly problems: Problem[] = [];
  readonly annotations: Annotations;

  constructor(annotations: Annotations | undefined) {
    this.annotations = annotations ?? {};
  }

  get(key: string): string | undefined {
    return this.annotations[key];
  }

  /** Records the problem; returns `undefined` so callers can `return r.invalid(...)` in place of a value. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T only types that return.
  invalid<T = never>(key: string, value: string, expected: string): T | undefined {
    this.problems.push({
      reason: "InvalidAnnotation",
      message: `annotation ${key}: "${truncate(value)}" is not valid (${expected}); the annotation is ignored`,
    });
    return undefined;
  }

  boolean(key: string): boolean | undefined {
    const raw = this.get(key);
    if (raw === undefined) return undefined;
    const lower = raw.trim().toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
    return this.invalid(key, raw, `expected "true" or "false"`);
  }

  integer(key: string, min: number, max: number): number | undefined {
    const raw = this.get(key);
    if (raw === undefined) return undefined;
    const trimmed = raw.trim();
    const value = Number(trimmed);
    if (!/^-?\d+$/.test(trimmed) || value < min || value > max) {
      return this.invalid(key, raw, `expected an integer between ${min} and ${max}`);
    }
    return value;
  }

  list(key: string): readonly string[] | undefined {
    const raw = this.get(key);
    if (raw === undefined) return undefined;
    return raw
      .split(",")
      .map(s => s.trim())
      .filter(s => s !== "");
  }
}

function truncate(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}… (${value.length} characters)` : value;
}

const ROUTE_PROTOCOLS: ReadonlySet<string> = new Set(["http", "https", "grpc", "grpcs"]);
const REDIRECT_CODES: ReadonlySet<number> = new Set([426, 301, 302, 307, 308]);
const HOSTNAME = /^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HEADER_NAME = /^[A-Za-z0-9_-]+$/;

export function isValidHostname(host: string): boolean {
  return host.length <= 253 && HOSTNAME.test(host);
}

export function parseRouteAnnotations(
  annotations: Annotations | undefined,
): Parsed<RouteOverrides> {
  const r = new Reader(annotations);
  const protocols = routeProtocols(r);
  const forceSsl = r.boolean(FORCE_SSL_REDIRECT) === true;
  const explicitCode = redirectCode(r);
  const value: RouteOverrides = {
    ...defined("stripPath", r.boolean(`${K}strip-path`)),
    ...defined("preserveHost", r.boolean(`${K}preserve-host`)),
    ...defined("protocols", forceSsl ? sslOnly(protocols) : protocols),
    ...defined("methods", methods(r)),
    ...defined("regexPriority", r.integer(`${K}regex-priority`, -2147483648, 2147483647)),
    ...defined("httpsRedirectStatusCode", explicitCode ?? (forceSsl ? 302 : undefined)),
    hostAliases: hostnames(r, `${K}host-aliases`) ?? [],
    ...defined("snis", hostnames(r, `${K}snis`)),
    ...defined("headers", headers(r)),
    ...defined("pathHandling", pathHandling(r)),
    ...defined("requestBuffering", r.boolean(`${K}request-buffering`)),
    ...defined("responseBuffering", r.boolean(`${K}response-buffering`)),
    regexPrefix: regexPrefix(r),
    tags: userTags(r),
  };
  reportForeignAnnotations(r, {
    own: ROUTE_ANNOTATIONS,
    other: SERVICE_ANNOTATIONS,
    where: "Service",
  });
  return { value, problems: r.problems };
}

export function parseServiceAnnotations(
  annotations: Annotations | undefined,
): Parsed<ServiceOverrides> {
  const r = new Reader(annotations);
  const value: ServiceOverrides = {
    ...defined("protocol", serviceProtocol(r)),
    ...defined("path", servicePath(r)),
    ...defined("connectTimeout", r.integer(`${K}connect-timeout`, 1, 2147483646)),
    ...defined("readTimeout", r.integer(`${K}read-timeout`, 1, 2147483646)),
    ...defined("writeTimeout", r.integer(`${K}write-timeout`, 1, 2147483646)),
    ...defined("retries", r.integer(`${K}retries`, 0, 32767)),
    ...defined("hostHeader", hostHeader(r)),
    serviceUpstream: r.boolean(SERVICE_UPSTREAM) === true,
    tags: userTags(r),
  };
  reportForeignAnnotations(r, {
    own: SERVICE_ANNOTATIONS,
    other: ROUTE_ANNOTATIONS,
    where: "Ingress",
  });
  return { value, problems: r.problems };
}

const NO_FIELDS = Object.freeze({});

/**
 * The fields of `source` named in `keys` whose values are defined, as one object; one shared empty
 * object when there are none (the common case: most objects carry no annotations).
 */
export function definedFields<T extends object, K extends keyof T>(
  source: T,
  keys: readonly K[],
): Partial<Pick<T, K>> {
  let out: Partial<Pick<T, K>> | undefined;
  for (const key of keys) {
    if (source[key] === undefined) continue;
    out ??= {};
    out[key] = source[key];
  }
  return out ?? NO_FIELDS;
}

/** Spreads `{ [key]: value }` only when the value is defined (exactOptionalPropertyTypes). */
export function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

function routeProtocols(r: Reader): readonly KongProtocol[] | undefined {
  const key = `${K}protocols`;
  const list = r.list(key);
  if (list === undefined) return undefined;
  const lower = list.map(p => p.toLowerCase());
  const bad = lower.filter(p => !ROUTE_PROTOCOLS.has(p));
  if (lower.length === 0 || bad.length > 0) {
    return r.invalid(
      key,
      r.get(key) ?? "",
      "expected a comma-separated list of http, https, grpc, grpcs",
    );
  }
  const unique = [...new Set(lower)] as KongProtocol[];
  const hasHttp = unique.some(p => p === "http" || p === "https");
  const hasGrpc = unique.some(p => p === "grpc" || p === "grpcs");
  // Kong keeps {http,https} and {grpc,grpcs} apart; KIC falls back to http,https when both appear.
  return hasHttp && hasGrpc ? ["http", "https"] : unique;
}

function sslOnly(protocols: readonly KongProtocol[] | undefined): readonly KongProtocol[] {
  const grpc = protocols?.some(p => p === "grpc" || p === "grpcs") === true;
  return grpc ? ["grpcs"] : ["https"];
}

function redirectCode(r: Reader): number | undefined {
  const key = `${K}https-redirect-status-code`;
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  const code = Number(raw.trim());
  return REDIRECT_CODES.has(code)
    ? code
    : r.invalid(key, raw, "expected one of 426, 301, 302, 307, 308");
}

function methods(r: Reader): readonly string[] | undefined {
  const key = `${K}methods`;
  const list = r.list(key);
  if (list === undefined) return undefined;
  const upper = list.map(m => m.toUpperCase());
  if (upper.length === 0 || upper.some(m => !/^[A-Z]+$/.test(m))) {
    return r.invalid(key, r.get(key) ?? "", "expected a comma-separated list of HTTP methods");
  }
  return [...new Set(upper)];
}

function hostnames(r: Reader, key: string): readonly string[] | undefined {
  const list = r.list(key);
  if (list === undefined) return undefined;
  const valid: string[] = [];
  for (const host of list) {
    if (isValidHostname(host.toLowerCase())) valid.push(host.toLowerCase());
    else r.invalid(key, host, 'expected DNS host names, optionally with a leading "*."');
  }
  return [...new Set(valid)];
}

function headers(r: Reader): Readonly<Record<string, readonly string[]>> | undefined {
  const separator = r.get(`${K}headers-separator`) ?? ",";
  const out: Record<string, readonly string[]> = {};
  for (const key of Object.keys(r.annotations).sort()) {
    if (!key.startsWith(HEADERS_PREFIX)) continue;
    const name = key.slice(HEADERS_PREFIX.length);
    const raw = r.annotations[key] ?? "";
    if (!HEADER_NAME.test(name) || name.toLowerCase() === "host") {
      r.invalid(
        key,
        raw,
        "the header name must use A-Z, a-z, 0-9, '_' or '-', and must not be Host (use host-aliases)",
      );
      continue;
    }
    const values = raw
      .split(separator)
      .map(v => v.trim())
      .filter(v => v !== "");
    if (values.length === 0) r.invalid(key, raw, "expected at least one header value");
    else out[name.toLowerCase()] = values;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function pathHandling(r: Reader): string | undefined {
  const key = `${K}path-handling`;
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  return raw === "v0" || raw === "v1" ? raw : r.invalid(key, raw, `expected "v0" or "v1"`);
}

function regexPrefix(r: Reader): string {
  const key = `${K}regex-prefix`;
  const raw = r.get(key);
  if (raw === undefined) return DEFAULT_REGEX_PREFIX;
  return raw.startsWith("/") && raw.length > 1
    ? raw
    : (r.invalid(key, raw, `expected a prefix starting with "/", such as "/@"`) ??
        DEFAULT_REGEX_PREFIX);
}

function userTags(r: Reader): readonly string[] {
  const key = `${K}tags`;
  const list = r.list(key) ?? [];
  // Kong rejects tags with ',' or '/' and non-printable characters (kong-admin-api.md §2.6 Common).
  const valid = list.filter(t => /^[\x20-\x7e]+$/.test(t) && !t.includes("/"));
  if (valid.length !== list.length) {
    r.invalid(
      key,
      r.get(key) ?? "",
      "tags must be printable ASCII without '/'; invalid entries are dropped",
    );
  }
  return [...new Set(valid)];
}

/** Every protocol Kong's service schema accepts. */
const SERVICE_PROTOCOLS: ReadonlySet<string> = new Set(PROTOCOLS);

function serviceProtocol(r: Reader): KongProtocol | undefined {
  const key = `${K}protocol`;
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  return SERVICE_PROTOCOLS.has(value)
    ? (value as KongProtocol)
    : r.invalid(key, raw, `expected one of ${PROTOCOLS.join(", ")}`);
}

function servicePath(r: Reader): string | undefined {
  const key = `${K}path`;
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  const valid =
    raw.startsWith("/") &&
    !raw.includes("//") &&
    /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/.test(raw);
  return valid
    ? raw
    : r.invalid(key, raw, `expected a URL path starting with "/" without empty segments`);
}

function hostHeader(r: Reader): string | undefined {
  const key = `${K}host-header`;
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  const [host, port, ...rest] = raw.trim().split(":");
  const portOk = port === undefined || (/^\d+$/.test(port) && Number(port) <= 65535);
  return host !== undefined && isValidHostname(host.toLowerCase()) && portOk && rest.length === 0
    ? raw.trim()
    : r.invalid(key, raw, "expected a host name with an optional :port");
}

function reportForeignAnnotations(
  r: Reader,
  scope: { own: readonly string[]; other: readonly string[]; where: string },
): void {
  for (const key of Object.keys(r.annotations).sort()) {
    if (!key.startsWith(K) || scope.own.includes(key) || key === PLUGINS_ANNOTATION) continue;
    const isHeader = key.startsWith(HEADERS_PREFIX);
    if (isHeader && scope.where === "Service") continue;
    if (scope.other.includes(key) || isHeader) {
      r.problems.push({
        reason: "MisplacedAnnotation",
        message: `annotation ${key} has no effect here; it belongs on the ${scope.where}`,
      });
    } else if (key === OVERRIDE_ANNOTATION) {
      r.problems.push({
        reason: "UnsupportedAnnotation",
        message: `annotation ${key} (KongIngress) is deprecated in KIC and not supported; use a KongUpstreamPolicy named by konghq.com/upstream-policy on the Service`,
      });
    } else if (NOT_YET_SUPPORTED.has(key)) {
      r.problems.push({
        reason: "UnsupportedAnnotation",
        message: `annotation ${key} is not supported by kongress yet and is ignored`,
      });
    } else {
      r.problems.push({
        reason: "UnknownAnnotation",
        message: `annotation ${key} is unknown and is ignored`,
      });
    }
  }
}
