/**
 * The patch path for HTTPRoute edits, as patch.ts is for Ingresses: when a snapshot differs from the
 * last translated one only in a few HTTPRoutes, each of which provably changes nothing but its own Kong
 * routes, its own result and its own status, the translation is the last one with those routes swapped
 * in the route's own Kong services (`httproute.<ns>.<name>.<rule>`), instead of every stage visiting
 * every object again.
 *
 * "Provably": the route keeps all that relates it to other objects, and the stages that relate objects
 * are asked again for it and find the same:
 * - the same parentRefs, hostnames, annotations, labels, age and API version: it attaches to the same
 *   listeners with the same hostnames (listener certificates and route counts read those), its tags
 *   are the same, and no KongPlugin reaches it through an annotation;
 * - per rule, the same backendRefs, timeouts and name, and no ExtensionRef or RequestMirror filter: its
 *   Kong services keep their specs, backends and upstreams, and only their routes change;
 * - each parent's `Accepted` as before, so every listener counts the same attached routes;
 * - the same hosts claimed, each admitted by the last translation's owners; every route with hosts,
 *   within budget and taken whole by Kong's router;
 * - the traditional router (under expressions a Gateway API match's priority ranks against every
 *   other's), and no wildcard host owned (then catch-alls and excepted hosts relate routes).
 * Anything else is left to the full path, which stays the reference: the property tests compare every
 * patch with a cold translation.
 */
import type { HTTPRoute, HTTPRouteRule } from "../model/gateway-api.ts";
import { sameData, sameSet } from "../util/compare.ts";
import type { RouteStatusSpec } from "./gateway/conditions.ts";
import { ReferenceGrants } from "./gateway/grants.ts";
import { translateHttpRoute } from "./gateway/http.ts";
import {
  evaluateRoute,
  routeStatuses,
  type EvaluatedRoute,
  type RouteLookups,
} from "./gateway/index.ts";
import type { GatewayRouteUnit } from "./gateway/memo.ts";
import { routeContext, routeUnit, startRoute } from "./gateway/routes.ts";
import { sameItems } from "./ir/same.ts";
import type { IrRoute, IrService, RouteEmission, ServiceSpec } from "./ir/types.ts";
import { rewriteServices } from "./kong-writer/index.ts";
import type { TranslationMemo } from "./memo.ts";
import { TranslatedHeldBack } from "./ownership-apply.ts";
import {
  admittedWhole,
  onlyListChanged,
  patchPlugins,
  replacedInPlace,
  replacedResults,
  sameObject,
  sameServiceSpec,
  type PatchBase,
  type PatchInputs,
  type Replaced,
} from "./patch-base.ts";
import { hasPluginsAnnotation } from "./plugin-refs.ts";
import { routePluginQuestions, type ServiceView } from "./plugin-gate.ts";
import type { PluginCatalog } from "./plugins.ts";
import { ResultsBuilder, type RecordedResults, type ResultSink } from "./results.ts";
import type { ObjectResult, Snapshot, TranslateOptions, TranslationResult } from "./types.ts";

interface RoutePatchContext {
  readonly snapshot: Snapshot;
  readonly options: TranslateOptions;
  readonly memo: TranslationMemo;
  readonly base: PatchBase;
  readonly inputs: PatchInputs;
  readonly lookups: RouteLookups;
  readonly catalog: PluginCatalog;
  readonly view: ServiceView;
  /** Where the stages asked again say what the last translation's results already hold. */
  readonly aside: RecordedResults;
  /** Kong services rewritten so far, by name. */
  readonly services: Map<string, IrService>;
}

/** One HTTPRoute patched: where it stands among the routes, and what the full path would say of it. */
interface PatchedRoute {
  /** Its place in the evaluation's routes and in the statuses (HTTPRoutes come first, in list order). */
  readonly at: number;
  readonly evaluated: EvaluatedRoute;
  readonly result: ObjectResult;
  readonly status: RouteStatusSpec;
}

/**
 * The translation of `snapshot` patched from the last one `memo` holds, or undefined when the change is
 * not one this patch may take (then the caller translates otherwise, with the same `inputs`; `memo`'s
 * route units may hold the new routes' builds, which a full path reuses as it would its own).
 */
export function patchHttpRoutes(
  snapshot: Snapshot,
  options: TranslateOptions,
  memo: TranslationMemo,
  inputs: PatchInputs,
): TranslationResult | undefined {
  const base = memo.patchBase;
  if (base === undefined || inputs.flavor === "expressions" || base.ownership.ownsWildcards())
    return undefined;
  if (!onlyListChanged(base, snapshot, inputs, "httpRoutes")) return undefined;
  const pairs = replacedInPlace(base.snapshot.httpRoutes, snapshot.httpRoutes, sameObject);
  const ctx =
    pairs === undefined ? undefined : patchContext({ snapshot, options, memo, base }, inputs);
  if (pairs === undefined || ctx === undefined) return undefined;
  const patched: PatchedRoute[] = [];
  for (const pair of pairs) {
    const one = patchRoute(pair, ctx);
    if (one === undefined) return undefined;
    patched.push(one);
  }
  return commit(ctx, patched);
}

function patchContext(
  from: Pick<RoutePatchContext, "snapshot" | "options" | "memo" | "base">,
  inputs: PatchInputs,
): RoutePatchContext | undefined {
  const { snapshot, memo, base } = from;
  const plugins = patchPlugins(snapshot, memo, inputs);
  if (plugins === undefined) return undefined;
  const { aside, catalog, view, servicesByKey } = plugins;
  const lookups: RouteLookups = {
    gateways: base.gatewayApi.gateways,
    grants: new ReferenceGrants(snapshot.referenceGrants),
    namespace: name => snapshot.namespaces.find(n => n.metadata.name === name),
    service: (namespace, name) => servicesByKey.get(`${namespace}/${name}`),
  };
  return { ...from, ...{ inputs, lookups, catalog, view, aside }, services: new Map() };
}

/** The changed route's result and status, with its Kong routes moved in `ctx`; undefined: not patchable. */
function patchRoute(pair: Replaced<HTTPRoute>, ctx: RoutePatchContext): PatchedRoute | undefined {
  const { old, next } = pair;
  if (!sameStanding(old, next)) return undefined;
  const at = ctx.base.snapshot.httpRoutes.indexOf(old);
  const before = ctx.base.gatewayApi.routes[at];
  if (before?.route !== old) return undefined;
  const evaluated = evaluateRoute(next, ctx.lookups);
  if (!sameAttachments(before, evaluated)) return undefined;
  const builder = new ResultsBuilder(ctx.memo.refOf);
  builder.seen(next);
  // The last translation's unit, remembered: its inputs are those `before` gives.
  const was = unitOf(before, ctx, ctx.aside);
  const unit = unitOf(evaluated, ctx, builder);
  if (was === undefined || unit === undefined || !plainUnit(was, old) || !plainUnit(unit, next))
    return undefined;
  if (!sameSet(claimedHosts(was.emissions), claimedHosts(unit.emissions))) return undefined;
  const admission = { ...ctx, flavor: ctx.inputs.flavor, results: builder };
  if (!admittedWhole(unit.emissions, admission)) return undefined;
  if (!reroute(was.emissions, unit.emissions, ctx)) return undefined;
  // Every route reaches Kong (`admitted`): served (`markServed`).
  builder.translated(next);
  return judged({ at, evaluated, builder }, ctx);
}

/**
 * The route's result and status from what `builder` heard, if every parent accepts it as before;
 * undefined otherwise.
 */
function judged(
  route: { at: number; evaluated: EvaluatedRoute; builder: ResultsBuilder },
  ctx: RoutePatchContext,
): PatchedRoute | undefined {
  const { at, evaluated } = route;
  const { ref } = ctx.memo.refOf(evaluated.route);
  const result = route.builder.build().find(r => r.ref === ref);
  const status = result === undefined ? undefined : routeStatuses([evaluated], [result])[0];
  const last = ctx.base.result.gatewayApi.routes[at];
  if (result === undefined || status === undefined || last === undefined) return undefined;
  return sameAcceptance(last, status) ? { at, evaluated, result, status } : undefined;
}

/** What relates the route to other objects is the same (see the module header). */
function sameStanding(old: HTTPRoute, next: HTTPRoute): boolean {
  return sameMetadata(old, next) && sameParents(old, next) && sameRuleFrames(old, next);
}

/** The same age, API version (tags), labels and annotations, and no plugins annotation. */
function sameMetadata(old: HTTPRoute, next: HTTPRoute): boolean {
  const a = old.metadata;
  const b = next.metadata;
  return (
    old.apiVersion === next.apiVersion &&
    a.creationTimestamp === b.creationTimestamp &&
    !hasPluginsAnnotation(next) &&
    sameData(a.annotations ?? {}, b.annotations ?? {}) &&
    sameData(a.labels ?? {}, b.labels ?? {})
  );
}

function sameParents(old: HTTPRoute, next: HTTPRoute): boolean {
  return (
    sameData(old.spec.parentRefs ?? [], next.spec.parentRefs ?? []) &&
    sameData(old.spec.hostnames ?? [], next.spec.hostnames ?? [])
  );
}

/** As many rules, each the same but for its matches and filters, none with a filter reading others. */
function sameRuleFrames(old: HTTPRoute, next: HTTPRoute): boolean {
  const was = old.spec.rules ?? [];
  const now = next.spec.rules ?? [];
  if (was.length !== now.length || !now.every(plainRule) || !was.every(plainRule)) return false;
  return now.every((rule, i) => {
    const other = was[i];
    return other !== undefined && sameData(ruleFrame(rule), ruleFrame(other));
  });
}

/** What of a rule decides its Kong service (`sameData` skips the keys set to undefined). */
function ruleFrame(rule: HTTPRouteRule): Record<string, unknown> {
  return { ...rule, matches: undefined, filters: undefined };
}

/** No filter that reads another object: an ExtensionRef's KongPlugin, a mirror's backend. */
function plainRule(rule: HTTPRouteRule): boolean {
  const filters = [
    ...(rule.filters ?? []),
    ...(rule.backendRefs ?? []).flatMap(b => b.filters ?? []),
  ];
  return filters.every(f => f.type !== "ExtensionRef" && f.type !== "RequestMirror");
}

/** The same parents, accepted alike, attached to the same listeners with the same hostnames. */
function sameAttachments(a: EvaluatedRoute, b: EvaluatedRoute): boolean {
  if (a.parents.length !== b.parents.length) return false;
  return a.parents.every((p, i) => {
    const q = b.parents[i];
    if (q === undefined || !sameData(p.accepted, q.accepted)) return false;
    if (p.attachments.length !== q.attachments.length) return false;
    return p.attachments.every((x, j) => {
      const y = q.attachments[j];
      return (
        y !== undefined &&
        x.gateway === y.gateway &&
        x.listener === y.listener &&
        x.hostnames?.join() === y.hostnames?.join()
      );
    });
  });
}

/**
 * The route's unit as `translateGatewayRoutes` gets it, saying to `results` what it says there (its
 * plugin questions straight, the rest with `translated` held back); undefined when it attached nowhere
 * routable.
 */
function unitOf(
  evaluated: EvaluatedRoute,
  ctx: RoutePatchContext,
  results: ResultSink,
): GatewayRouteUnit | undefined {
  const held = new TranslatedHeldBack(results);
  const attachments = startRoute(evaluated, held);
  if (attachments.length === 0) return undefined;
  const { catalog, view } = ctx;
  const routeCtx = routeContext(evaluated, attachments, {
    results: held,
    ...routePluginQuestions({ catalog, services: view, results }),
  });
  const unit = routeUnit(translateHttpRoute, routeCtx, ctx.memo.gatewayRoutes);
  unit.said.replay(held);
  return unit;
}

/** Admitted with its plugins, saying nothing about other objects, with http routes that have hosts. */
function plainUnit(unit: GatewayRouteUnit, route: HTTPRoute): boolean {
  if (unit.emissions.length === 0 || !unit.said.onlyAbout(route)) return false;
  if (!unit.asked.every(q => q.kind === "admit" && q.answer === undefined)) return false;
  return unit.emissions.every(
    ({ route: r }) =>
      r.kind === "http" && r.match.hosts.length > 0 && !r.filters.some(f => f.kind === "plugin"),
  );
}

/** The hosts the route's emissions claim (`applyOwnership`), as the claim collector keys them. */
function claimedHosts(emissions: readonly RouteEmission[]): Set<string> {
  const hosts = new Set<string>();
  for (const { route } of emissions)
    if (route.kind === "http") for (const host of route.match.hosts) hosts.add(host.toLowerCase());
  return hosts;
}

/** The route's Kong services by name, each with its spec and routes, in emission order. */
function byService(
  emissions: readonly RouteEmission[],
): Map<string, { spec: ServiceSpec; routes: IrRoute[] }> {
  const services = new Map<string, { spec: ServiceSpec; routes: IrRoute[] }>();
  for (const { route, service } of emissions) {
    const entry = services.get(service.name);
    if (entry === undefined) services.set(service.name, { spec: service, routes: [route] });
    else entry.routes.push(route);
  }
  return services;
}

/**
 * The new routes in place of the old ones, on the same Kong services with the same specs. Each service
 * held the old routes alone (the route's service names are its own), so it is rewritten whole.
 */
function reroute(
  was: readonly RouteEmission[],
  now: readonly RouteEmission[],
  ctx: RoutePatchContext,
): boolean {
  const before = byService(was);
  const after = byService(now);
  if (!sameSet(new Set(before.keys()), new Set(after.keys()))) return false;
  for (const [name, { spec, routes }] of after) {
    const old = before.get(name);
    const ir = ctx.memo.writer.services.get(name)?.ir;
    if (old === undefined || ir === undefined || ctx.services.has(name)) return false;
    if (!sameItems(ir.routes, old.routes) || !sameServiceSpec(old.spec, spec)) return false;
    ctx.services.set(name, { ...ir, routes });
  }
  return true;
}

/** Every parent accepts the route as before: each listener counts the same routes. */
function sameAcceptance(a: RouteStatusSpec, b: RouteStatusSpec): boolean {
  const accepted = (status: RouteStatusSpec, i: number): boolean =>
    status.parents[i]?.conditions.find(c => c.type === "Accepted")?.status === "True";
  return (
    a.parents.length === b.parents.length &&
    a.parents.every((_, i) => accepted(a, i) === accepted(b, i))
  );
}

/** The last translation with the new results, services and statuses; `memo` moves on only if all fit. */
function commit(
  ctx: RoutePatchContext,
  patched: readonly PatchedRoute[],
): TranslationResult | undefined {
  const { base, memo } = ctx;
  const results = replacedResults(
    base.result.results,
    patched.map(p => p.result),
  );
  if (results === undefined) return undefined;
  const services = [...ctx.services.values()];
  const config = rewriteServices(base.result.config, services, memo.writer, ctx.inputs.flavor);
  if (config === undefined) return undefined;
  const statuses = [...base.result.gatewayApi.routes];
  const evaluated = [...base.gatewayApi.routes];
  for (const p of patched) {
    const last = statuses[p.at];
    // An equal status stays the same object: the status side tells unchanged ones by identity.
    if (last === undefined || !sameData(last, p.status)) statuses[p.at] = p.status;
    evaluated[p.at] = p.evaluated;
  }
  const result: TranslationResult = {
    ...base.result,
    config,
    results,
    gatewayApi: { ...base.result.gatewayApi, routes: statuses },
  };
  memo.patchBase = {
    ...base,
    snapshot: ctx.snapshot,
    result,
    gatewayApi: { ...base.gatewayApi, routes: evaluated },
  };
  memo.patched += 1;
  return result;
}
