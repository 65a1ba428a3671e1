/**
 * Plugin objects to Kong plugin entities, scoped as KIC scopes them (kic-kong-resources.md §2.2–§2.4).
 * Per plugin object the Kong services (from the Services behind them), routes (from the objects that
 * made them, and HTTPRoute ExtensionRefs) and consumers that name it are collected; then:
 * consumers and services/routes → one entity per consumer × service and consumer × route (a consumer
 * annotation plus a route annotation narrows the plugin to that consumer on that route); consumers
 * only → one per consumer; otherwise one per service and one per route. Global KongClusterPlugins are
 * unscoped. Entities carry the plugin object's tags, so a rejection maps back to it.
 */
import { createHash } from "node:crypto";
import { SECRET_CONFIG_TAG } from "../kong/redact.ts";
import type { AnyKongPlugin } from "../model/kong.ts";
import type { IrConsumer, IrPlugin, IrService } from "./ir/types.ts";
import { filterPlugins } from "./kong-writer/plugins.ts";
import type { PluginCatalog, ResolvedPlugin } from "./plugins.ts";
import type { ResultSink } from "./results.ts";

/** A consumer in the config and the plugins it names. */
export interface ConsumerPlugins {
  readonly consumer: IrConsumer;
  readonly plugins: readonly ResolvedPlugin[];
}

interface Relations {
  readonly resolved: ResolvedPlugin;
  readonly services: Set<string>;
  readonly routes: Set<string>;
  readonly consumers: Set<string>;
}

export interface AttachInput {
  readonly services: readonly IrService[];
  readonly consumers: readonly ConsumerPlugins[];
  readonly global: readonly ResolvedPlugin[];
  readonly catalog: PluginCatalog;
  readonly results: ResultSink;
}

export function attachPlugins(input: AttachInput): IrPlugin[] {
  const relations = new Map<AnyKongPlugin, Relations>();
  const relate = (resolved: ResolvedPlugin): Relations => {
    let r = relations.get(resolved.object);
    if (r === undefined) {
      r = { resolved, services: new Set(), routes: new Set(), consumers: new Set() };
      relations.set(resolved.object, r);
    }
    return r;
  };
  for (const service of input.services)
    relateService(service, { catalog: input.catalog, results: input.results }, relate);
  for (const { consumer, plugins } of input.consumers) {
    const id = consumer.username ?? consumer.customId;
    if (id !== undefined) for (const p of plugins) relate(p).consumers.add(id);
  }
  const out: IrPlugin[] = [];
  for (const r of relations.values()) {
    out.push(...combinations(r));
    input.results.translated(r.resolved.object);
  }
  for (const g of input.global) {
    out.push(entity(g, {}));
    input.results.translated(g.object);
  }
  return out;
}

/**
 * The plugins of a Kong service's backend Services, of its routes' objects and ExtensionRefs. Kong allows
 * one plugin of a name per route: a plugin object of the name a route's own filters already use there
 * (`konghq.com/rewrite`'s or a URLRewrite's request-transformer, say) is not attached to it, and the
 * route's object is told: Kong refuses two plugins of one name on a route, and with it the config.
 */
function relateService(
  service: IrService,
  ctx: { readonly catalog: PluginCatalog; readonly results: ResultSink },
  relate: (resolved: ResolvedPlugin) => Relations,
): void {
  const { catalog } = ctx;
  for (const backend of service.backends)
    for (const p of catalog.resolve(backend.service) ?? []) relate(p).services.add(service.name);
  for (const route of service.routes) {
    const object = route.origin.object;
    const named = catalog.resolve(object) ?? [];
    // Most routes name no plugin: nothing to attach, so their own plugins need not be listed.
    if (named.length === 0 && (route.kind !== "http" || !route.filters.some(isPluginFilter)))
      continue;
    const own = new Set(
      route.kind === "http" ? filterPlugins(route.filters, []).map(p => p.name) : [],
    );
    const attach = (p: ResolvedPlugin): void => {
      if (!own.has(p.body.name)) {
        relate(p).routes.add(route.name);
        return;
      }
      ctx.results.problem(
        object,
        "PluginConflict",
        `${p.object.kind} ${p.object.metadata.name} (${p.body.name}) is not attached to route ${route.name}: the route's own settings already put a ${p.body.name} plugin there and Kong allows one per route`,
      );
    };
    for (const p of named) attach(p);
    if (route.kind !== "http") continue;
    for (const f of route.filters) {
      const p = f.kind === "plugin" ? catalog.resolveExtensionRef(object, f.name) : undefined;
      if (p !== undefined) attach(p);
    }
  }
}

function isPluginFilter(filter: { readonly kind: string }): boolean {
  return filter.kind === "plugin";
}

interface Scope {
  readonly service?: string;
  readonly route?: string;
  readonly consumer?: string;
}

function combinations(r: Relations): IrPlugin[] {
  const scopes: Scope[] = [];
  const targets: Scope[] = [
    ...[...r.services].sort().map(service => ({ service })),
    ...[...r.routes].sort().map(route => ({ route })),
  ];
  const consumers = [...r.consumers].sort();
  if (consumers.length > 0 && targets.length > 0) {
    for (const consumer of consumers) for (const t of targets) scopes.push({ ...t, consumer });
  } else if (consumers.length > 0) {
    for (const consumer of consumers) scopes.push({ consumer });
  } else scopes.push(...targets);
  const names = new Set<string>();
  return scopes.map(scope => entity(r.resolved, scope, names));
}

function entity(resolved: ResolvedPlugin, scope: Scope, names?: Set<string>): IrPlugin {
  const { body, object } = resolved;
  const instanceName =
    body.instanceName === undefined || names === undefined
      ? body.instanceName
      : scopedInstanceName(body.instanceName, scope, names);
  // Config read from a Secret: the tag tells the redactor (src/kong/redact.ts) to hide it.
  const fromSecret = object.configFrom !== undefined || (object.configPatches ?? []).length > 0;
  return {
    origin: fromSecret ? { object, tags: [SECRET_CONFIG_TAG] } : { object },
    name: body.name,
    config: body.config,
    enabled: body.enabled,
    protocols: body.protocols,
    ...(instanceName === undefined ? {} : { instanceName }),
    ...scope,
  };
}

/**
 * KIC's per-attachment instance name: `<name>-<first 9 hex of sha256(_service-…_route-…_consumer-…)>`,
 * the whole hash if that was taken already.
 */
function scopedInstanceName(base: string, scope: Scope, taken: Set<string>): string {
  const parts =
    (scope.service === undefined ? "" : `_service-${scope.service}`) +
    (scope.route === undefined ? "" : `_route-${scope.route}`) +
    (scope.consumer === undefined ? "" : `_consumer-${scope.consumer}`);
  const hash = createHash("sha256").update(parts).digest("hex");
  let name = `${base}-${hash.slice(0, 9)}`;
  if (taken.has(name)) name = `${base}-${hash}`;
  taken.add(name);
  return name;
}
