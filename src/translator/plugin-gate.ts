/**
 * Objects served only with their plugins: a route object whose plugins (or whose backend Services'
 * plugins) do not resolve is left out, and a Service whose plugins do not resolve is routed to by
 * nobody. Problems go on the objects themselves (plugins.ts).
 */
import type { GatewayRoute } from "../model/gateway-api.ts";
import type { Service } from "../model/k8s.ts";
import type { PluginCatalog } from "./plugins.ts";
import type { ResultSink } from "./results.ts";

/** The Services route translation may use: those whose plugins resolve (others read as absent). */
export interface ServiceView {
  get(key: string): Service | undefined;
  /** A Service that exists but is left out for its plugins. */
  blocked(key: string): Service | undefined;
}

export function admittedServices(
  services: ReadonlyMap<string, Service>,
  catalog: PluginCatalog,
  results: ResultSink,
): ServiceView {
  const blocked = (key: string): Service | undefined => {
    const service = services.get(key);
    if (service === undefined || catalog.resolve(service) !== undefined) return undefined;
    results.excluded(service);
    return service;
  };
  return {
    get: key => {
      const service = services.get(key);
      if (service === undefined || catalog.resolve(service) !== undefined) return service;
      results.excluded(service);
      return undefined;
    },
    blocked,
  };
}

/**
 * Why a Gateway API route cannot be served with its plugins (its own, or its backend Services'), or
 * undefined when it can. ExtensionRefs are per rule (filters.ts).
 */
export function pluginRefusal(
  route: GatewayRoute,
  ctx: {
    readonly catalog: PluginCatalog;
    readonly services: ServiceView;
    readonly results: ResultSink;
  },
): string | undefined {
  if (ctx.catalog.resolve(route) === undefined)
    return "its plugins do not resolve (see the route's events); the route is left out rather than served without them";
  const namespace = route.metadata.namespace ?? "";
  for (const rule of route.spec.rules ?? []) {
    for (const ref of rule.backendRefs ?? []) {
      if ((ref.group ?? "") !== "" || (ref.kind ?? "Service") !== "Service") continue;
      const key = `${ref.namespace ?? namespace}/${ref.name}`;
      if (ctx.services.blocked(key) === undefined) continue;
      const message = `Service ${key} is left out for its plugins (see its events); the route is not served without them`;
      ctx.results.problem(route, "ServiceExcluded", message);
      return message;
    }
  }
  return undefined;
}

/**
 * The plugin questions a Gateway API route's translation asks (gateway/routes.ts): whether it may be
 * served with its plugins (`pluginRefusal`), and whether an ExtensionRef's KongPlugin resolves.
 */
export function routePluginQuestions(ctx: {
  readonly catalog: PluginCatalog;
  readonly services: ServiceView;
  readonly results: ResultSink;
}): {
  readonly admitPlugins: (route: GatewayRoute) => string | undefined;
  readonly extensionRef: (route: GatewayRoute, name: string) => boolean;
} {
  const { catalog } = ctx;
  return {
    admitPlugins: route => pluginRefusal(route, ctx),
    extensionRef: (route, name) => catalog.resolveExtensionRef(route, name) !== undefined,
  };
}
