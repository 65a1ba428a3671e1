/**
 * One Ingress to IR routes grouped by backend (kic-conventions.md §2.2): one route per (Ingress, rule
 * host, Service, port), holding every path of that combination, on the Kong service of that backend.
 */
import type {
  HTTPIngressPath,
  Ingress,
  IngressBackend,
  Service,
  ServicePort,
} from "../model/k8s.ts";
import type { RouteOverrides } from "./annotations.ts";
import {
  canonicalPort,
  kongServiceName,
  resolveServicePort,
  upstreamName,
  type BackendKey,
} from "./backends.ts";
import type { IrHttpRoute, PathMatch, RouteEmission } from "./ir/types.ts";
import { kongPath } from "./kong-writer/routes.ts";
import { translatePath } from "./paths.ts";
import type { ResultSink } from "./results.ts";
import { buildRoute, routeOrigin, type RouteDraft } from "./routes.ts";

export interface ServiceLookup {
  /** The Service, or why it cannot be used. */
  get(namespace: string, name: string): { service: Service } | { reason: string; missing: string };
}

/** An Ingress's route on the Kong service of its one backend (Service and port, unweighted). */
export interface IngressRoute extends RouteEmission {
  readonly route: IrHttpRoute;
  readonly ingress: Ingress;
}

interface Context {
  readonly ingress: Ingress;
  readonly overrides: RouteOverrides;
  readonly services: ServiceLookup;
  readonly results: ResultSink;
}

interface Group {
  backend: BackendKey;
  service: Service;
  port: ServicePort;
  host: string;
  paths: PathMatch[];
  /** The paths as Kong spells them: two matches Kong reads alike are one path. */
  spelled: string[];
  /** How many Ingress paths the group took (each path's matches share its index). */
  sources: number;
}

export function translateIngressRules(ctx: Context): readonly IngressRoute[] {
  const groups = new Map<string, Group>();
  for (const [ruleIndex, rule] of (ctx.ingress.spec.rules ?? []).entries()) {
    for (const [pathIndex, path] of (rule.http?.paths ?? []).entries()) {
      const where = `spec.rules[${ruleIndex}].http.paths[${pathIndex}]`;
      addPath(ctx, { groups, host: rule.host ?? "", path, where });
    }
  }
  const namespace = ctx.ingress.metadata.namespace ?? "";
  const origin = routeOrigin(ctx.ingress, ctx.overrides);
  return [...groups.values()].map(g => {
    const draft: RouteDraft = {
      // KIC's name: <ns>.<ingress>.<service>.<host>.<port>, with the wildcard spelled "_".
      name: `${namespace}.${ctx.ingress.metadata.name}.${g.backend.serviceName}.${g.host.replace("*", "_")}.${g.backend.portKey}`,
      origin,
      hosts: g.host === "" ? [] : [g.host],
      paths: g.paths,
    };
    return finish(ctx, g, draft);
  });
}

/** The catch-all route of the (oldest) default backend, KIC's `<ns>.<ingress>`. */
export function translateDefaultBackend(ctx: Context): IngressRoute | undefined {
  const backend = ctx.ingress.spec.defaultBackend;
  if (backend === undefined) return undefined;
  const resolved = resolveBackend(ctx, backend, "spec.defaultBackend");
  if (resolved === undefined) return undefined;
  const namespace = ctx.ingress.metadata.namespace ?? "";
  const draft: RouteDraft = {
    name: `${namespace}.${ctx.ingress.metadata.name}`,
    origin: routeOrigin(ctx.ingress, ctx.overrides),
    hosts: [],
    paths: [ROOT],
    protocols: ["http", "https"],
  };
  return finish(ctx, resolved, draft);
}

const ROOT: PathMatch = Object.freeze({
  kind: "prefix",
  value: "/",
  source: Object.freeze({ index: 0, type: "DefaultBackend", value: "/" }),
});

function finish(
  ctx: Context,
  g: { backend: BackendKey; service: Service; port: ServicePort },
  draft: RouteDraft,
): IngressRoute {
  const { route, dropped } = buildRoute(draft, ctx.overrides);
  for (const what of dropped) {
    ctx.results.problem(
      ctx.ingress,
      "InvalidAnnotation",
      `annotation ${what}; it is ignored for route ${route.name}`,
    );
  }
  const service = {
    name: kongServiceName(g.backend),
    upstreamName: upstreamName(g.backend),
    origin: route.origin,
    backends: [{ service: g.service, port: g.port }],
  };
  return { route, service, ingress: ctx.ingress };
}

function addPath(
  ctx: Context,
  p: { groups: Map<string, Group>; host: string; path: HTTPIngressPath; where: string },
): void {
  const resolved = resolveBackend(ctx, p.path.backend, `${p.where}.backend`);
  if (resolved === undefined) return;
  const translated = translatePath({
    path: p.path.path,
    pathType: p.path.pathType,
    regexPrefix: ctx.overrides.regexPrefix,
  });
  if (!translated.ok) {
    ctx.results.problem(
      ctx.ingress,
      translated.reason,
      `${p.where}: ${translated.message}; the path is not routed`,
    );
    return;
  }
  const key = `${p.host}\u0000${resolved.backend.serviceName}\u0000${resolved.backend.portKey}`;
  let group = p.groups.get(key);
  if (group === undefined) {
    group = { ...resolved, host: p.host, paths: [], spelled: [], sources: 0 };
    p.groups.set(key, group);
  }
  const index = group.sources++;
  for (const match of translated.paths) {
    const spelled = kongPath(match);
    if (group.spelled.includes(spelled)) continue;
    group.spelled.push(spelled);
    group.paths.push(
      match.source === undefined ? match : { ...match, source: { ...match.source, index } },
    );
  }
}

function resolveBackend(
  ctx: Context,
  backend: IngressBackend,
  where: string,
): { backend: BackendKey; service: Service; port: ServicePort } | undefined {
  const namespace = ctx.ingress.metadata.namespace ?? "";
  if (backend.service === undefined) {
    const kind = backend.resource?.kind ?? "unknown";
    ctx.results.problem(
      ctx.ingress,
      "UnsupportedBackend",
      `${where}: backends of kind ${kind} are not supported; only Services`,
    );
    return undefined;
  }
  const found = ctx.services.get(namespace, backend.service.name);
  if ("missing" in found) {
    ctx.results.problem(
      ctx.ingress,
      "ServiceNotFound",
      `${where}: ${found.missing}; the path is not routed`,
    );
    return undefined;
  }
  ctx.results.dependsOn(ctx.ingress, found.service);
  const port = resolveServicePort(found.service, backend.service.port);
  if (!port.ok) {
    ctx.results.problem(
      ctx.ingress,
      port.reason,
      `${where}: ${port.message}; the path is not routed`,
    );
    return undefined;
  }
  const backendKey: BackendKey = {
    namespace,
    serviceName: backend.service.name,
    portKey: canonicalPort(backend.service.port),
  };
  return { backend: backendKey, service: found.service, port: port.port };
}
