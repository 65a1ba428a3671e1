/**
 * What one HTTPRoute or GRPCRoute contributed last time, reused while nothing it read has changed (as
 * an Ingress's unit is, ../memo.ts): the route object itself, and what its evaluation found — each
 * backendRef's Service and port (or why it failed: a grant added or removed changes that), each
 * listener it attached to (the Gateway object, the listener, the hostnames it serves there) and each
 * parent's `Accepted`. Those are the only inputs of a route's sub-translator and its annotations, so
 * a reused unit is exactly what a rebuild would give; the golden tests compare memoised translations
 * with cold ones byte for byte.
 *
 * TCPRoutes, UDPRoutes and TLSRoutes are not memoised: which of them gets a port depends on all of
 * them (the oldest wins), and they are cheap to build.
 */
import type { GatewayRoute } from "../../model/gateway-api.ts";
import type { RouteEmission } from "../ir/types.ts";
import { RecordedResults, type ResultSink } from "../results.ts";
import type { RouteContext } from "./routes.ts";

export interface GatewayRouteUnit {
  /** What the unit was built from, compared element by element (identity for objects). */
  readonly inputs: readonly unknown[];
  readonly emissions: readonly RouteEmission[];
  /** Everything the build said, replayed into each translation that reuses it. */
  readonly said: RecordedResults;
}

/** The inputs of one route's build, in a fixed order; each list is preceded by its length. */
export function routeInputs(ctx: RouteContext): unknown[] {
  const { evaluated, attachments } = ctx;
  // The router flavour decides what a match can express: a unit built for one is not the other's.
  const inputs: unknown[] = [evaluated.route, ctx.expressions === true, evaluated.backends.length];
  for (const rule of evaluated.backends) {
    inputs.push(rule.length);
    for (const b of rule) {
      if (b.ok) inputs.push(true, b.service, b.port, b.weight);
      else inputs.push(false, b.reason, b.message);
    }
  }
  inputs.push(attachments.length);
  for (const a of attachments)
    inputs.push(
      a.gateway.gateway,
      a.listener.listener,
      a.listener.passthrough,
      a.hostnames?.join(),
    );
  inputs.push(evaluated.parents.length);
  for (const p of evaluated.parents) inputs.push(p.parentRef, p.accepted.status, p.accepted.reason);
  return inputs;
}

function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

export class GatewayRouteMemo {
  readonly #units = new WeakMap<GatewayRoute, GatewayRouteUnit>();
  #builds = 0;

  /** How many route units were built rather than reused, over this memo's life. */
  get builds(): number {
    return this.#builds;
  }

  /** The route's unit: the cached one while its inputs are the same, else `build`'s, recorded. */
  unit(
    ctx: RouteContext,
    build: (results: ResultSink) => readonly RouteEmission[],
  ): GatewayRouteUnit {
    const route = ctx.evaluated.route;
    const inputs = routeInputs(ctx);
    const cached = this.#units.get(route);
    if (cached !== undefined && sameInputs(cached.inputs, inputs)) return cached;
    const said = new RecordedResults();
    const unit: GatewayRouteUnit = { inputs, emissions: build(said), said };
    this.#units.set(route, unit);
    this.#builds++;
    return unit;
  }
}
