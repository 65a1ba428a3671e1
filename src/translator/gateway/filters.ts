/**
 * HTTPRoute and GRPCRoute filters to IR filters (kic-conventions.md §3.4): header modifiers, redirects
 * URL rewrites, and ExtensionRefs to KongPlugins. What Kong cannot do (RequestMirror; ExtensionRefs
 * to other kinds; per-backend filters) is a problem of the rule, never skipped: the spec forbids serving a
 * request as if an unresolved filter were not there.
 *
 * A redirect takes from the route what the spec leaves to the request: without a scheme, the scheme and
 * port of the one listener the route is served on; without a hostname, the route's one hostname. Where
 * the route leaves several answers open, Kong's redirect plugin (one fixed location) cannot follow, and
 * the rule says so instead of guessing.
 */
import type {
  HTTPHeaderModifier,
  HTTPPathModifier,
  HTTPRouteFilter,
} from "../../model/gateway-api.ts";
import { KONG_GROUP } from "../../model/kong.ts";
import type { HeaderChanges, HttpFilter, PathRewrite } from "../ir/types.ts";

/** Where the route is served, for what a redirect leaves to the request. */
export interface RedirectContext {
  /** The route's hosts; empty: any. */
  readonly hosts: readonly string[];
  /** The distinct listeners the route is served on, as `{ protocol, port }` (HTTP or HTTPS). */
  readonly listeners: readonly { readonly protocol: string; readonly port: number }[];
  /** Whether the KongPlugin an ExtensionRef names resolves; unset: every one does. */
  readonly plugin?: (name: string) => boolean;
}

export interface ConvertedFilters {
  readonly filters: readonly HttpFilter[];
  readonly problems: readonly string[];
  /** A URLRewrite replaces the matched prefix: the rule's paths must capture what follows it. */
  readonly rewritesPrefix: boolean;
}

/** The filter types a GRPCRoute may carry; an HTTPRoute may carry every type. */
export const GRPC_FILTER_TYPES: ReadonlySet<string> = new Set([
  "RequestHeaderModifier",
  "ResponseHeaderModifier",
  "RequestMirror",
  "ExtensionRef",
]);

const WELL_KNOWN_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

function headerChanges(m: HTTPHeaderModifier | undefined): HeaderChanges {
  return { set: m?.set ?? [], add: m?.add ?? [], remove: m?.remove ?? [] };
}

function pathRewrite(path: HTTPPathModifier): PathRewrite | string {
  switch (path.type) {
    case "ReplaceFullPath":
      return { kind: "full", value: path.replaceFullPath ?? "/" };
    case "ReplacePrefixMatch":
      return { kind: "prefix", value: path.replacePrefixMatch ?? "" };
    default:
      return `path modifier type ${path.type} is unknown`;
  }
}

/** The scheme and port of a redirect's location: the filter's, else those of the one listener. */
function redirectTarget(
  r: NonNullable<HTTPRouteFilter["requestRedirect"]>,
  ctx: RedirectContext,
): { scheme: string; port?: number } | string {
  if (r.scheme !== undefined) {
    const scheme = r.scheme.toLowerCase();
    const port =
      r.port === undefined || r.port === WELL_KNOWN_PORTS[scheme] ? {} : { port: r.port };
    return { scheme, ...port };
  }
  const [only, ...others] = ctx.listeners;
  if (only === undefined || others.length > 0)
    return "a redirect without a scheme, on a route served by several listeners, has no one location: set its scheme";
  const scheme = only.protocol.toLowerCase();
  const port = r.port ?? only.port;
  return port === WELL_KNOWN_PORTS[scheme] ? { scheme } : { scheme, port };
}

function redirect(f: HTTPRouteFilter, ctx: RedirectContext): HttpFilter | string {
  const r = f.requestRedirect;
  if (r === undefined) return "RequestRedirect filter without requestRedirect";
  const target = redirectTarget(r, ctx);
  if (typeof target === "string") return target;
  const [onlyHost, ...otherHosts] = ctx.hosts;
  // The request's Host is the route's hostname when it has exactly one (a wildcard is not a name).
  const hostname =
    r.hostname ??
    (onlyHost !== undefined && otherHosts.length === 0 && !onlyHost.startsWith("*")
      ? onlyHost
      : undefined);
  const path = r.path === undefined ? undefined : pathRewrite(r.path);
  if (typeof path === "string") return path;
  return {
    kind: "redirect",
    statusCode: r.statusCode ?? 302,
    scheme: target.scheme,
    ...(hostname === undefined ? {} : { hostname }),
    ...(target.port === undefined ? {} : { port: target.port }),
    ...(path === undefined ? {} : { path }),
  };
}

function urlRewrite(f: HTTPRouteFilter): HttpFilter | string {
  const u = f.urlRewrite;
  if (u === undefined) return "URLRewrite filter without urlRewrite";
  const path = u.path === undefined ? undefined : pathRewrite(u.path);
  if (typeof path === "string") return path;
  return {
    kind: "urlRewrite",
    ...(u.hostname === undefined ? {} : { hostname: u.hostname }),
    ...(path === undefined ? {} : { path }),
  };
}

/** One filter in the IR, or why it cannot be applied. */
function convert(f: HTTPRouteFilter, ctx: RedirectContext): HttpFilter | string {
  switch (f.type) {
    case "RequestHeaderModifier":
      return { kind: "requestHeaders", changes: headerChanges(f.requestHeaderModifier) };
    case "ResponseHeaderModifier":
      return { kind: "responseHeaders", changes: headerChanges(f.responseHeaderModifier) };
    case "RequestRedirect":
      return redirect(f, ctx);
    case "URLRewrite":
      return urlRewrite(f);
    case "RequestMirror":
      return "RequestMirror is not supported: Kong cannot mirror requests";
    case "ExtensionRef": {
      const e = f.extensionRef;
      if (e?.group === KONG_GROUP && e.kind === "KongPlugin")
        return ctx.plugin === undefined || ctx.plugin(e.name)
          ? { kind: "plugin", name: e.name }
          : `ExtensionRef KongPlugin ${e.name} does not resolve (see the route's events)`;
      const what = e === undefined ? "" : ` ${e.group}/${e.kind} ${e.name}`;
      return `ExtensionRef${what} is not supported: only ${KONG_GROUP} KongPlugin`;
    }
    default:
      return `filter type ${f.type} is not supported`;
  }
}

export function convertFilters(
  filters: readonly HTTPRouteFilter[],
  ctx: RedirectContext,
  allowed?: ReadonlySet<string>,
): ConvertedFilters {
  const out: HttpFilter[] = [];
  const problems: string[] = [];
  for (const f of filters) {
    const converted =
      allowed === undefined || allowed.has(f.type)
        ? convert(f, ctx)
        : `filter type ${f.type} is not supported on this route kind`;
    if (typeof converted === "string") problems.push(converted);
    else out.push(converted);
  }
  const rewritesPrefix = out.some(f => f.kind === "urlRewrite" && f.path?.kind === "prefix");
  return { filters: out, problems, rewritesPrefix };
}
