/**
 * Gateway API routes to IR: each accepted route is handed to its kind's sub-translator with the
 * listeners it attached to and its resolved backends. A route that attached nowhere contributes
 * nothing; one that is ours (some parent is a Gateway of ours) is marked translated or excluded like an
 * Ingress, so the fallback and the status side can tell what Kong runs.
 */
import type { GatewayRoute } from "../../model/gateway-api.ts";
import type { RouteEmission } from "../ir/types.ts";
import type { ResultSink } from "../results.ts";
import type { Attachment } from "./attach.ts";
import type { EvaluatedRoute, GatewayApiEvaluation } from "./index.ts";
import type { Problem } from "../types.ts";
import {
  applyRouteAnnotations,
  readRouteAnnotations,
  type RouteAnnotations,
} from "./annotations.ts";
import { GatewayRouteMemo, type GatewayRouteUnit } from "./memo.ts";
import { refusesPluginsAnnotation } from "./rules.ts";
import { translateStreamRoutes } from "./stream.ts";

/** What a kind's sub-translator gets for one route. */
export interface RouteContext {
  readonly evaluated: EvaluatedRoute;
  /** Every listener the route attached to, over all its parents. */
  readonly attachments: readonly Attachment[];
  readonly results: ResultSink;
  /** Why the route cannot be served with its plugins, if it cannot (plugin-gate.ts). */
  readonly admitPlugins?: (route: GatewayRoute) => string | undefined;
  /** Whether an ExtensionRef's KongPlugin resolves; a rule with one that does not answers 500. */
  readonly extensionRef?: (route: GatewayRoute, name: string) => boolean;
  /** Writing for Kong's expressions router, which matches more (query parameters). */
  readonly expressions?: boolean;
}

export type RouteTranslator = (ctx: RouteContext) => readonly RouteEmission[];

export interface GatewayRoutesInput {
  readonly evaluation: GatewayApiEvaluation;
  readonly results: ResultSink;
  /** Per route kind; kinds without one contribute nothing yet. */
  readonly translators: Partial<Record<GatewayRoute["kind"], RouteTranslator>>;
  /** Why a route cannot be served with its plugins, if it cannot (plugin-gate.ts). */
  readonly admitPlugins?: (route: GatewayRoute) => string | undefined;
  /** Whether an ExtensionRef's KongPlugin resolves. */
  readonly extensionRef?: (route: GatewayRoute, name: string) => boolean;
  /** Writing for Kong's expressions router, which matches more (query parameters). */
  readonly expressions?: boolean;
  /** What HTTPRoutes and GRPCRoutes contributed last time (kept between translations). */
  readonly memo?: GatewayRouteMemo;
}

/** One HTTPRoute's or GRPCRoute's emissions, its annotations applied, all it says told to `ctx.results`. */
function buildRoute(translator: RouteTranslator, ctx: RouteContext): readonly RouteEmission[] {
  const route = ctx.evaluated.route;
  const annotations = readRouteAnnotations(route);
  const report = (p: Problem): void => {
    ctx.results.problem(route, p.reason, p.message);
  };
  for (const p of annotations.problems) report(p);
  const emitted = applyRouteAnnotations(translator(ctx), annotations, report);
  if (emitted.length > 0) ctx.results.translated(route);
  return emitted;
}

/** The stream routes' emissions (built together: the oldest route on a port gets it), with their tags. */
function streamEmissions(
  stream: readonly RouteContext[],
  annotations: ReadonlyMap<GatewayRoute, RouteAnnotations>,
  results: ResultSink,
): RouteEmission[] {
  const emissions: RouteEmission[] = [];
  for (const e of translateStreamRoutes(stream)) {
    const route = e.route.origin.object as GatewayRoute;
    results.translated(route);
    const a = annotations.get(route);
    emissions.push(...(a === undefined ? [e] : applyRouteAnnotations([e], a, () => undefined)));
  }
  return emissions;
}

/**
 * The plugin questions of one route, each put to the catalog once per translation: a memoised route
 * asks them again on reuse (memo.ts), and the catalog says its problems on every asking.
 */
function pluginQuestions(
  input: Pick<GatewayRoutesInput, "admitPlugins" | "extensionRef">,
): Pick<RouteContext, "admitPlugins" | "extensionRef"> {
  const { admitPlugins, extensionRef } = input;
  const refs = new Map<string, boolean>();
  let admission: { readonly answer: string | undefined } | undefined;
  return {
    ...(admitPlugins === undefined
      ? {}
      : {
          admitPlugins: route => {
            admission ??= { answer: admitPlugins(route) };
            return admission.answer;
          },
        }),
    ...(extensionRef === undefined
      ? {}
      : {
          extensionRef: (route, name) => {
            let answer = refs.get(name);
            if (answer === undefined) {
              answer = extensionRef(route, name);
              refs.set(name, answer);
            }
            return answer;
          },
        }),
  };
}

/**
 * What the translation says of every route of ours before building it: excluded until served, and
 * dependent on the Gateways it attached to. Returns the listeners that may carry its traffic (a
 * conflicted or refused one is counted, not routed).
 */
export function startRoute(evaluated: EvaluatedRoute, results: ResultSink): Attachment[] {
  const attachments = evaluated.parents
    .flatMap(p => p.attachments)
    .filter(a => a.listener.routable);
  // Our route, attached nowhere: it is told why on each parent; nothing to route.
  results.excluded(evaluated.route);
  for (const gateway of new Set(evaluated.parents.flatMap(p => p.attachments.map(a => a.gateway))))
    results.dependsOn(evaluated.route, gateway.gateway);
  return attachments;
}

/** The context a route's sub-translator gets, its plugin questions asked once per translation. */
export function routeContext(
  evaluated: EvaluatedRoute,
  attachments: readonly Attachment[],
  input: Omit<GatewayRoutesInput, "evaluation" | "translators" | "memo">,
): RouteContext {
  return {
    evaluated,
    attachments,
    results: input.results,
    ...pluginQuestions(input),
    ...(input.expressions === true ? { expressions: true } : {}),
  };
}

/** One HTTPRoute's or GRPCRoute's unit: the memoised one while its inputs stand, else built anew. */
export function routeUnit(
  translator: RouteTranslator,
  ctx: RouteContext,
  memo: GatewayRouteMemo,
): GatewayRouteUnit {
  return memo.unit(ctx, recorded => buildRoute(translator, recorded));
}

export function translateGatewayRoutes(input: GatewayRoutesInput): RouteEmission[] {
  const { evaluation, results } = input;
  const memo = input.memo ?? new GatewayRouteMemo();
  const emissions: RouteEmission[] = [];
  const stream: RouteContext[] = [];
  const streamAnnotations = new Map<GatewayRoute, RouteAnnotations>();
  for (const evaluated of evaluation.routes) {
    const ours = evaluated.parents.length > 0;
    if (!ours) continue;
    const attachments = startRoute(evaluated, results);
    if (attachments.length === 0) continue;
    const ctx = routeContext(evaluated, attachments, input);
    const route = evaluated.route;
    if (route.kind === "TCPRoute" || route.kind === "UDPRoute" || route.kind === "TLSRoute") {
      const annotations = readRouteAnnotations(route);
      for (const p of annotations.problems) results.problem(route, p.reason, p.message);
      if (refusesPluginsAnnotation(ctx)) continue;
      stream.push(ctx);
      streamAnnotations.set(route, annotations);
      continue;
    }
    const translator = input.translators[route.kind];
    if (translator === undefined) continue;
    const unit = routeUnit(translator, ctx, memo);
    unit.said.replay(results);
    emissions.push(...unit.emissions);
  }
  emissions.push(...streamEmissions(stream, streamAnnotations, results));
  return emissions;
}
