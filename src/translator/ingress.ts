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
  unlistedPort,
  upstreamName,
  type BackendKey,
} from "./backends.ts";
import type {
  IrHttpRoute,
  IrStreamRoute,
  PathMatch,
  RouteEmission,
  ServiceSpec,
} from "./ir/types.ts";
import { kongPath } from "./kong-writer/routes.ts";
import { translatePath } from "./paths.ts";
import { legacyRegexPath, type ClassSettings } from "./ingress-class-parameters.ts";
import type { ResultSink } from "./results.ts";
import {
  buildRoute,
  buildStreamRoute,
  isStreamDraft,
  routeOrigin,
  type CriterionVerdicts,
  type RouteDraft,
} from "./routes.ts";

export interface ServiceLookup {
  /** The Service, or why it cannot be used. */
  get(namespace: string, name: string): { service: Service } | { reason: string; missing: string };
}

/** An Ingress's route on the Kong service of its one backend (Service and port, unweighted). */
export interface IngressRoute extends RouteEmission {
  readonly route: IrHttpRoute;
  readonly ingress: Ingress;
}

/** A route of an Ingress whose `konghq.com/protocols` are tcp, tls or tls_passthrough. */
export interface IngressStreamRoute extends RouteEmission {
  readonly route: IrStreamRoute;
  readonly ingress: Ingress;
}

export type IngressEmission = IngressRoute | IngressStreamRoute;

interface Context {
  readonly ingress: Ingress;
  readonly overrides: RouteOverrides;
  readonly classSettings: ClassSettings;
  readonly services: ServiceLookup;
  readonly results: ResultSink;
  /** Kong's verdicts on annotation criteria, kept by the translator's memo. */
  readonly verdicts?: CriterionVerdicts;
}

/** An Ingress backend resolved to its Service and port. */
interface Resolved {
  readonly backend: BackendKey;
  readonly service: Service;
  readonly port: ServicePort;
  /** The Service does not list the port (see `BackendSpec.portMissing`). */
  readonly portMissing: boolean;
}

interface Group extends Resolved {
  host: string;
  paths: PathMatch[];
  /** The paths as Kong spells them: two matches Kong reads alike are one path (a set: linear time). */
  spelled: Set<string>;
  /** How many Ingress paths the group took (each path's matches share its index). */
  sources: number;
}

export function translateIngressRules(ctx: Context): readonly IngressEmission[] {
  const groups = new Map<string, Group>();
  for (const [ruleIndex, rule] of (ctx.ingress.spec.rules ?? []).entries()) {
    for (const [pathIndex, path] of (rule.http?.paths ?? []).entries()) {
      const where = `spec.rules[${ruleIndex}].http.paths[${pathIndex}]`;
      addPath(ctx, { groups, host: rule.host ?? "", path, where });
    }
  }
  const namespace = ctx.ingress.metadata.namespace ?? "";
  const origin = routeOrigin(ctx.ingress, ctx.overrides);
  const emissions: IngressEmission[] = [];
  for (const g of groups.values()) {
    const draft: RouteDraft = {
      // KIC's name: <ns>.<ingress>.<service>.<host>.<port>, with the wildcard spelled "_".
      name: `${namespace}.${ctx.ingress.metadata.name}.${g.backend.serviceName}.${g.host.replace("*", "_")}.${g.backend.portKey}`,
      origin,
      hosts: g.host === "" ? [] : [g.host],
      // The route keeps its paths while the Ingress is unchanged: a copy holds no room to grow.
      paths: g.paths.slice(),
    };
    const emission = finish(ctx, g, draft);
    if (emission !== undefined) emissions.push(emission);
  }
  // Kept in the Ingress's memo entry: a pushed array holds room for 17.
  return emissions.slice();
}

/** The catch-all route of the (oldest) default backend, KIC's `<ns>.<ingress>`. */
export function translateDefaultBackend(ctx: Context): IngressEmission | undefined {
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

function finish(ctx: Context, g: Resolved, draft: RouteDraft): IngressEmission | undefined {
  const service = kongService(g, draft.origin, ctx.classSettings);
  if (isStreamDraft(draft, ctx.overrides)) {
    const built = buildStreamRoute(draft, ctx.overrides);
    for (const what of built.dropped) {
      ctx.results.problem(
        ctx.ingress,
        "InvalidAnnotation",
        `${what}; ignored for route ${draft.name}`,
      );
    }
    if (built.route === undefined) {
      ctx.results.problem(
        ctx.ingress,
        "RouteNotExpressible",
        `route ${draft.name} is left out: ${built.missing ?? ""}`,
      );
      return undefined;
    }
    return { route: built.route, service, ingress: ctx.ingress };
  }
  const { route, dropped } = buildRoute(draft, ctx.overrides, ctx.verdicts);
  for (const what of dropped) {
    ctx.results.problem(
      ctx.ingress,
      "InvalidAnnotation",
      `annotation ${what}; it is ignored for route ${route.name}`,
    );
  }
  return { route, service, ingress: ctx.ingress };
}

function kongService(
  g: Resolved,
  origin: IrHttpRoute["origin"],
  settings: ClassSettings,
): ServiceSpec {
  const serviceUpstream = settings.serviceUpstream ? { serviceUpstream: true } : {};
  return {
    name: kongServiceName(g.backend),
    upstreamName: upstreamName(g.backend),
    origin,
    backends: [
      g.portMissing
        ? { service: g.service, port: g.port, portMissing: true }
        : { service: g.service, port: g.port, ...serviceUpstream },
    ],
  };
}

function addPath(
  ctx: Context,
  p: { groups: Map<string, Group>; host: string; path: HTTPIngressPath; where: string },
): void {
  const resolved = resolveBackend(ctx, p.path.backend, `${p.where}.backend`);
  if (resolved === undefined) return;
  const { regexPrefix } = ctx.overrides;
  const raw = p.path.path;
  const translated = translatePath({
    path:
      ctx.classSettings.legacyRegexDetection && raw !== undefined
        ? legacyRegexPath(raw, p.path.pathType, regexPrefix)
        : raw,
    pathType: p.path.pathType,
    regexPrefix,
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
    group = { ...resolved, host: p.host, paths: [], spelled: new Set(), sources: 0 };
    p.groups.set(key, group);
  }
  const index = group.sources++;
  for (const match of translated.paths) {
    const spelled = kongPath(match);
    if (group.spelled.has(spelled)) continue;
    group.spelled.add(spelled);
    group.paths.push(
      match.source === undefined ? match : { ...match, source: { ...match.source, index } },
    );
  }
}

function resolveBackend(
  ctx: Context,
  backend: IngressBackend,
  where: string,
): Resolved | undefined {
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
  const backendKey: BackendKey = {
    namespace,
    serviceName: backend.service.name,
    portKey: canonicalPort(backend.service.port),
  };
  const port = resolveServicePort(found.service, backend.service.port);
  if (port.ok) {
    return { backend: backendKey, service: found.service, port: port.port, portMissing: false };
  }
  // KIC keeps the route (its upstream has no targets, Kong answers 503) rather than dropping the path
  // and, with it, maybe the Ingress's address: a warning, not an error.
  ctx.results.problem(
    ctx.ingress,
    port.reason,
    `${where}: ${port.message}; the path is routed to an upstream without targets (Kong answers 503) until the Service lists the port`,
  );
  const placeholder = unlistedPort(backend.service.port);
  return { backend: backendKey, service: found.service, port: placeholder, portMissing: true };
}
