/**
 * What one HTTPRoute or GRPCRoute contributed last time, reused while nothing it read has changed (as
 * an Ingress's unit is, ../memo.ts): the route object itself, and what its evaluation found — each
 * backendRef's Service and port (or why it failed: a grant added or removed changes that), each
 * listener it attached to (the Gateway object, the listener, the hostnames it serves there) and each
 * parent's `Accepted`. Those are the only inputs of a route's sub-translator and its annotations, so
 * a reused unit is exactly what a rebuild would give; the golden tests compare memoised translations
 * with cold ones byte for byte. Its plugins (plugin-gate.ts, ExtensionRefs) are read through questions
 * the build asked: on reuse each is asked again (so the catalog says its problems this translation)
 * and a different answer — a KongPlugin added, removed, made invalid or valid — rebuilds the unit.
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
  /** The plugin questions the build asked, with their answers. */
  readonly asked: readonly PluginQuestion[];
}

/** A plugin question a route's build asked (routes.ts `RouteContext`) and its answer. */
type PluginQuestion =
  | { readonly kind: "admit"; readonly answer: string | undefined }
  | { readonly kind: "extensionRef"; readonly name: string; readonly answer: boolean };

/** `ctx` for a build: its results recorded in `said`, its plugin questions in `asked`. */
function recordingContext(
  ctx: RouteContext,
  said: ResultSink,
  asked: PluginQuestion[],
): RouteContext {
  const { admitPlugins, extensionRef } = ctx;
  return {
    evaluated: ctx.evaluated,
    attachments: ctx.attachments,
    results: said,
    ...(ctx.expressions === true ? { expressions: true } : {}),
    ...(admitPlugins === undefined
      ? {}
      : {
          admitPlugins: route => {
            const answer = admitPlugins(route);
            asked.push({ kind: "admit", answer });
            return answer;
          },
        }),
    ...(extensionRef === undefined
      ? {}
      : {
          extensionRef: (route, name) => {
            const answer = extensionRef(route, name);
            asked.push({ kind: "extensionRef", name, answer });
            return answer;
          },
        }),
  };
}

function sameAnswers(ctx: RouteContext, asked: readonly PluginQuestion[]): boolean {
  const route = ctx.evaluated.route;
  // Every question is asked again, even after a different answer: the catalog says its problems as asked.
  let same = true;
  for (const q of asked) {
    const answer =
      q.kind === "admit" ? ctx.admitPlugins?.(route) : ctx.extensionRef?.(route, q.name);
    if (answer !== q.answer) same = false;
  }
  return same;
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
    build: (ctx: RouteContext) => readonly RouteEmission[],
  ): GatewayRouteUnit {
    const route = ctx.evaluated.route;
    const inputs = routeInputs(ctx);
    const cached = this.#units.get(route);
    if (cached !== undefined && sameInputs(cached.inputs, inputs) && sameAnswers(ctx, cached.asked))
      return cached;
    const said = new RecordedResults();
    const asked: PluginQuestion[] = [];
    const emissions = build(recordingContext(ctx, said, asked));
    const unit: GatewayRouteUnit = { inputs, emissions, said, asked };
    this.#units.set(route, unit);
    this.#builds++;
    return unit;
  }
}
