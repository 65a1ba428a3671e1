/**
 * `konghq.com/*` annotations (kic-conventions.md §2.9). KIC ignores most invalid values silently; we
 * ignore them too (the rest of the object still works) but say so, as a problem on the object.
 */
import type { KongProtocol } from "../kong/types.ts";
import {
  oneLine,
  routeFieldProblem,
  routeHeaderProblem,
  routeHostProblem,
  routeMethodProblem,
  routeSniProblem,
  serviceFieldProblem,
  tagProblem,
  upstreamFieldProblem,
} from "../kong/validate/fields.ts";
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
  "rewrite",
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
  "client-cert",
  "tls-verify",
  "tls-verify-depth",
  "ca-certificates-secrets",
  "ca-certificates-configmaps",
  "tags",
].map(a => K + a);

export const FORCE_SSL_REDIRECT = "ingress.kubernetes.io/force-ssl-redirect";
export const SERVICE_UPSTREAM = "ingress.kubernetes.io/service-upstream";
/** `konghq.com/headers.<name>`: one header match per annotation. */
export const HEADERS_PREFIX = `${K}headers.`;

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
  /** `konghq.com/rewrite` as a request-transformer `replace.uri` template. */
  readonly rewrite?: string;
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
  readonly tlsVerify?: boolean;
  readonly tlsVerifyDepth?: number;
  /** The name of the Secret (in the Service's namespace) holding the client certificate. */
  readonly clientCert?: string;
  /** Names of Secrets (in the Service's namespace) holding CA certificates, with their ids. */
  readonly caCertificateSecrets?: readonly string[];
  /** Names of ConfigMaps (in the Service's namespace) holding CA certificates, with their ids. */
  readonly caCertificateConfigMaps?: readonly string[];
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

  /** An integer, which Kong's rule for the field it sets (`kongProblem`) must take. */
  integer(key: string, kongProblem: (value: number) => string | undefined): number | undefined {
    const raw = this.get(key);
    if (raw === undefined) return undefined;
    const trimmed = raw.trim();
    if (!/^-?\d+$/.test(trimmed)) return this.invalid(key, raw, "expected an integer");
    const value = Number(trimmed);
    return this.kong(key, raw, kongProblem(value)) ? value : undefined;
  }

  /** Whether Kong takes the value; if not, the problem carries Kong's message. */
  kong(key: string, raw: string, kongProblem: string | undefined): boolean {
    if (kongProblem === undefined) return true;
    this.invalid(key, raw, `Kong refuses it: ${oneLine(kongProblem)}`);
    return false;
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

/** KIC's route protocols (util.ValidateProtocol); udp is for UDPRoute/UDPIngress only. */
const ROUTE_PROTOCOLS: ReadonlySet<string> = new Set([
  "http",
  "https",
  "grpc",
  "grpcs",
  "ws",
  "wss",
  "tcp",
  "tls",
  "tls_passthrough",
]);
const HTTP_OR_GRPC: ReadonlySet<string> = new Set(["http", "https", "grpc", "grpcs"]);
/** Kong's mutually exclusive protocol sets (routes.lua); ws/wss are Kong Enterprise's. */
const PROTOCOL_GROUP: Readonly<Partial<Record<KongProtocol, string>>> = {
  http: "http",
  https: "http",
  grpc: "grpc",
  grpcs: "grpc",
  ws: "ws",
  wss: "ws",
  tcp: "stream",
  tls: "stream",
  tls_passthrough: "passthrough",
};
const TLS_TWIN: Readonly<Partial<Record<KongProtocol, KongProtocol>>> = {
  http: "https",
  grpc: "grpcs",
  ws: "wss",
};
/** Protocols of Kong's stream routes: they match on SNIs, not on hosts, paths or headers. */
export const STREAM_PROTOCOLS: ReadonlySet<KongProtocol> = new Set([
  "tcp",
  "tls",
  "tls_passthrough",
]);

export function parseRouteAnnotations(
  annotations: Annotations | undefined,
): Parsed<RouteOverrides> {
  const r = new Reader(annotations);
  const protocols = routeProtocols(r);
  const forceSsl = r.boolean(FORCE_SSL_REDIRECT) === true;
  const explicitCode = redirectCode(r);
  const stream = protocols?.some(p => STREAM_PROTOCOLS.has(p)) === true;
  if (forceSsl && stream) {
    r.problems.push({
      reason: "InvalidAnnotation",
      message: `annotation ${FORCE_SSL_REDIRECT} has no effect on tcp, tls or tls_passthrough routes; it is ignored`,
    });
  }
  const value: RouteOverrides = {
    ...defined("stripPath", r.boolean(`${K}strip-path`)),
    ...defined("preserveHost", r.boolean(`${K}preserve-host`)),
    ...defined("protocols", forceSsl ? sslOnly(protocols) : protocols),
    ...defined("methods", methods(r)),
    ...defined(
      "regexPriority",
      r.integer(`${K}regex-priority`, n => routeFieldProblem("regex_priority", n)),
    ),
    ...defined("httpsRedirectStatusCode", explicitCode ?? (forceSsl && !stream ? 302 : undefined)),
    // Kept in the Ingress's memo entry: one empty list for all Ingresses without aliases.
    hostAliases: hostnames(r, `${K}host-aliases`, routeHostProblem) ?? NO_NAMES,
    ...defined(
      "snis",
      hostnames(r, `${K}snis`, sni => routeSniProblem(sni)),
    ),
    ...defined("headers", headers(r)),
    ...defined("pathHandling", pathHandling(r)),
    ...defined("requestBuffering", r.boolean(`${K}request-buffering`)),
    ...defined("responseBuffering", r.boolean(`${K}response-buffering`)),
    regexPrefix: regexPrefix(r),
    ...defined("rewrite", rewrite(r)),
    tags: userTags(r),
  };
  reportForeignAnnotations(r, {
    own: ROUTE_ANNOTATIONS,
    other: SERVICE_ANNOTATIONS,
    where: "Service",
  });
  return { value, problems: r.problems };
}

/** What a Service without any annotation this parser reads gets: one shared, frozen answer. */
const PLAIN_SERVICE: Parsed<ServiceOverrides> = Object.freeze({
  value: Object.freeze({ serviceUpstream: false, tags: Object.freeze([]) }),
  problems: Object.freeze([]),
});

/** Whether `annotations` hold a key the Service parser reads or reports. */
function readsServiceAnnotation(annotations: Annotations | undefined): boolean {
  if (annotations === undefined) return false;
  for (const key in annotations) if (key.startsWith(K) || key === SERVICE_UPSTREAM) return true;
  return false;
}

export function parseServiceAnnotations(
  annotations: Annotations | undefined,
): Parsed<ServiceOverrides> {
  // Most Services carry no konghq.com annotation: the parse below would build the same empty answer.
  if (!readsServiceAnnotation(annotations)) return PLAIN_SERVICE;
  const r = new Reader(annotations);
  const value: ServiceOverrides = {
    ...defined("protocol", serviceProtocol(r)),
    ...defined("path", servicePath(r)),
    ...defined(
      "connectTimeout",
      r.integer(`${K}connect-timeout`, serviceProblem("connect_timeout")),
    ),
    ...defined("readTimeout", r.integer(`${K}read-timeout`, serviceProblem("read_timeout"))),
    ...defined("writeTimeout", r.integer(`${K}write-timeout`, serviceProblem("write_timeout"))),
    ...defined("retries", r.integer(`${K}retries`, serviceProblem("retries"))),
    ...defined("hostHeader", hostHeader(r)),
    ...defined("tlsVerify", r.boolean(`${K}tls-verify`)),
    ...defined(
      "tlsVerifyDepth",
      r.integer(`${K}tls-verify-depth`, serviceProblem("tls_verify_depth")),
    ),
    ...defined("clientCert", objectName(r, `${K}client-cert`)),
    ...defined("caCertificateSecrets", objectNames(r, `${K}ca-certificates-secrets`)),
    ...defined("caCertificateConfigMaps", objectNames(r, `${K}ca-certificates-configmaps`)),
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
  // The shared empty object: spread into a literal, it adds nothing, and most fields are unset.
  return value === undefined ? NO_FIELDS : ({ [key]: value } as { [P in K]?: V });
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
      `expected a comma-separated list of ${[...ROUTE_PROTOCOLS].join(", ")}`,
    );
  }
  const unique = [...new Set(lower)] as KongProtocol[];
  const hasHttp = unique.some(p => p === "http" || p === "https");
  const hasGrpc = unique.some(p => p === "grpc" || p === "grpcs");
  // Kong keeps {http,https} and {grpc,grpcs} apart; KIC falls back to http,https when both appear.
  if (hasHttp && hasGrpc && unique.every(p => HTTP_OR_GRPC.has(p))) return ["http", "https"];
  const groups = new Set(unique.map(p => PROTOCOL_GROUP[p]));
  if (groups.size > 1) {
    // KIC would send them and Kong would refuse the route: say so here instead.
    return r.invalid(
      key,
      r.get(key) ?? "",
      "Kong routes cannot mix these protocols: http/https, grpc/grpcs, ws/wss, tcp/tls and tls_passthrough are each a set of their own",
    );
  }
  return unique;
}

/** KIC's force-ssl-redirect: every plain-text protocol becomes its TLS twin (`https` by default). */
function sslOnly(protocols: readonly KongProtocol[] | undefined): readonly KongProtocol[] {
  if (protocols === undefined) return ["https"];
  if (protocols.some(p => STREAM_PROTOCOLS.has(p))) return protocols;
  return [...new Set(protocols.map(p => TLS_TWIN[p] ?? p))];
}

/**
 * `konghq.com/rewrite` (KIC's, without its `RewriteURIs` gate): the upstream path becomes the value,
 * where `$N` is the route's N-th regex capture and `\$` a literal `$`; empty means `/`.
 */
function rewrite(r: Reader): string | undefined {
  const key = `${K}rewrite`;
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  const value = raw.trim();
  if (value === "") return "/";
  if (!value.startsWith("/") || /\s/.test(value)) {
    return r.invalid(key, raw, 'expected a path starting with "/", with $1, $2… for captures');
  }
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === "\\" && value.charAt(i + 1) === "$") {
      out += "$";
      i++;
    } else if (c === "$") {
      const digits = /^\d+/.exec(value.slice(i + 1))?.[0];
      if (digits === undefined) {
        return r.invalid(
          key,
          raw,
          `"$" must be followed by a capture number; write "\\$" for a "$"`,
        );
      }
      // `or ""`: a capture the path did not make renders empty, not as "nil".
      out += `$(uri_captures[${digits}] or "")`;
      i += digits.length;
    } else out += c;
  }
  return out;
}

const serviceProblem =
  (field: Parameters<typeof serviceFieldProblem>[0]) =>
  (value: number): string | undefined =>
    serviceFieldProblem(field, value);

function redirectCode(r: Reader): number | undefined {
  return r.integer(`${K}https-redirect-status-code`, code =>
    routeFieldProblem("https_redirect_status_code", code),
  );
}

function methods(r: Reader): readonly string[] | undefined {
  const key = `${K}methods`;
  const list = r.list(key);
  if (list === undefined) return undefined;
  const upper = list.map(m => m.toUpperCase());
  if (upper.length === 0) {
    return r.invalid(key, r.get(key) ?? "", "expected a comma-separated list of HTTP methods");
  }
  const problem = upper.map(routeMethodProblem).find(p => p !== undefined);
  return r.kong(key, r.get(key) ?? "", problem) ? [...new Set(upper)] : undefined;
}

function hostnames(
  r: Reader,
  key: string,
  kongProblem: (host: string) => string | undefined,
): readonly string[] | undefined {
  const list = r.list(key);
  if (list === undefined) return undefined;
  const valid: string[] = [];
  for (const host of list) {
    const lower = host.toLowerCase();
    if (r.kong(key, host, kongProblem(lower))) valid.push(lower);
  }
  return [...new Set(valid)];
}

/** A Kubernetes object name (DNS-1123 subdomain). */
function objectName(r: Reader, key: string): string | undefined {
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  const name = raw.trim();
  return isObjectName(name) ? name : r.invalid(key, raw, "expected the name of a Secret");
}

function objectNames(r: Reader, key: string): readonly string[] | undefined {
  const list = r.list(key);
  if (list === undefined) return undefined;
  const valid = list.filter(isObjectName);
  if (valid.length !== list.length) {
    r.invalid(key, r.get(key) ?? "", "expected a comma-separated list of Secret names");
  }
  return [...new Set(valid)];
}

function isObjectName(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name);
}

function headers(r: Reader): Readonly<Record<string, readonly string[]>> | undefined {
  const separator = r.get(`${K}headers-separator`) ?? ",";
  const out: Record<string, readonly string[]> = {};
  // Only the header annotations are sorted (usually none): not every annotation of every object.
  for (const key of Object.keys(r.annotations)
    .filter(k => k.startsWith(HEADERS_PREFIX))
    .sort()) {
    const name = key.slice(HEADERS_PREFIX.length);
    const raw = r.annotations[key] ?? "";
    const values = raw
      .split(separator)
      .map(v => v.trim())
      .filter(v => v !== "");
    if (values.length === 0) r.invalid(key, raw, "expected at least one header value");
    else if (r.kong(key, raw, routeHeaderProblem(name, values))) out[name.toLowerCase()] = values;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function pathHandling(r: Reader): string | undefined {
  const key = `${K}path-handling`;
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  return r.kong(key, raw, routeFieldProblem("path_handling", raw)) ? raw : undefined;
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

/** One empty list for every object that names none (tags, host aliases): parses are kept per object. */
const NO_NAMES: readonly string[] = Object.freeze([]);

function userTags(r: Reader): readonly string[] {
  const key = `${K}tags`;
  const list = r.list(key);
  if (list === undefined) return NO_NAMES;
  const problems = list.map(tagProblem);
  const first = problems.find(p => p !== undefined);
  if (first !== undefined) {
    r.invalid(key, r.get(key) ?? "", `Kong refuses it: ${first}; invalid entries are dropped`);
  }
  return [...new Set(list.filter((_, i) => problems[i] === undefined))];
}

function serviceProtocol(r: Reader): KongProtocol | undefined {
  const key = `${K}protocol`;
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  return r.kong(key, raw, serviceFieldProblem("protocol", value))
    ? (value as KongProtocol)
    : undefined;
}

function servicePath(r: Reader): string | undefined {
  const key = `${K}path`;
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  return r.kong(key, raw, serviceFieldProblem("path", raw)) ? raw : undefined;
}

function hostHeader(r: Reader): string | undefined {
  const key = `${K}host-header`;
  const raw = r.get(key);
  if (raw === undefined) return undefined;
  const value = raw.trim();
  return r.kong(key, raw, upstreamFieldProblem("host_header", value)) ? value : undefined;
}

function reportForeignAnnotations(
  r: Reader,
  scope: { own: readonly string[]; other: readonly string[]; where: string },
): void {
  const foreign = Object.keys(r.annotations).filter(
    key => key.startsWith(K) && !scope.own.includes(key) && key !== PLUGINS_ANNOTATION,
  );
  // Sorted once there are some (usually none): the problems come in name order.
  for (const key of foreign.length > 1 ? foreign.sort() : foreign) {
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
    } else {
      r.problems.push({
        reason: "UnknownAnnotation",
        message: `annotation ${key} is unknown and is ignored`,
      });
    }
  }
}
