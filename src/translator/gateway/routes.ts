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
import { translateStreamRoutes } from "./stream.ts";

/** What a kind's sub-translator gets for one route. */
export interface RouteContext {
  readonly evaluated: EvaluatedRoute;
  /** Every listener the route attached to, over all its parents. */
  readonly attachments: readonly Attachment[];
  readonly results: ResultSink;
  /** Writing for Kong's expressions router, which matches more (query parameters). */
  readonly expressions?: boolean;
}

export type RouteTranslator = (ctx: RouteContext) => readonly RouteEmission[];

export interface GatewayRoutesInput {
  readonly evaluation: GatewayApiEvaluation;
  readonly results: ResultSink;
  /** Per route kind; kinds without one contribute nothing yet. */
  readonly translators: Partial<Record<GatewayRoute["kind"], RouteTranslator>>;
  readonly expressions?: boolean;
}

export function translateGatewayRoutes(input: GatewayRoutesInput): RouteEmission[] {
  const { evaluation, results } = input;
  const emissions: RouteEmission[] = [];
  const stream: RouteContext[] = [];
  for (const evaluated of evaluation.routes) {
    const ours = evaluated.parents.length > 0;
    if (!ours) continue;
    // Only listeners that may carry traffic: a conflicted or refused one is counted, not routed.
    const attachments = evaluated.parents
      .flatMap(p => p.attachments)
      .filter(a => a.listener.routable);
    // Our route, attached nowhere: it is told why on each parent; nothing to route.
    results.excluded(evaluated.route);
    for (const gateway of new Set(
      evaluated.parents.flatMap(p => p.attachments.map(a => a.gateway)),
    ))
      results.dependsOn(evaluated.route, gateway.gateway);
    if (attachments.length === 0) continue;
    const ctx: RouteContext = {
      evaluated,
      attachments,
      results,
      ...(input.expressions === true ? { expressions: true } : {}),
    };
    const kind = evaluated.route.kind;
    if (kind === "TCPRoute" || kind === "UDPRoute" || kind === "TLSRoute") {
      stream.push(ctx);
      continue;
    }
    const emitted = input.translators[kind]?.(ctx) ?? [];
    if (emitted.length > 0) results.translated(evaluated.route);
    emissions.push(...emitted);
  }
  for (const e of translateStreamRoutes(stream)) {
    results.translated(e.route.origin.object);
    emissions.push(e);
  }
  return emissions;
}
