/**
 * What HTTPRoute and GRPCRoute rules share on their way into the IR: the hosts and protocols a route is
 * served with (from the listeners it attached to), the backends of a rule, the 500 answer of a rule
 * without a valid backend, and the rule's fate. A rule Kong cannot route as written is never emitted
 * half-right: a match it cannot express drops the rule; a filter it cannot apply turns the rule's
 * answers into 500s (the spec: such requests must fail, not pass unfiltered). Either way every accepted
 * parent is told: `PartiallyInvalid=True/UnsupportedValue` ("Dropped Rule …") while some rule remains,
 * `Accepted=False/UnsupportedValue` when none does, and then the route reaches Kong not at all.
 */
import type { KongProtocol } from "../../kong/types.ts";
import type { GatewayRoute } from "../../model/gateway-api.ts";
import type {
  BackendSpec,
  HttpFilter,
  HttpMatch,
  IrHttpRoute,
  MatchPlace,
  RouteEmission,
} from "../ir/types.ts";
import { inexpressible } from "../kong-writer/index.ts";
import { kongMatchProblems } from "./matches.ts";
import type { RouteContext } from "./routes.ts";
import { parentRefOf, ruleTags } from "./shared.ts";

/** The hostnames a route serves over all its listeners; empty: any (some listener takes any host). */
export function servedHosts(ctx: RouteContext): readonly string[] {
  const hosts = new Set<string>();
  for (const a of ctx.attachments) {
    if (a.hostnames === undefined) return [];
    for (const h of a.hostnames) hosts.add(h);
  }
  return [...hosts].sort();
}

/** The Kong protocols of the listeners a route attached to, in `order`. */
export function servedProtocols(
  ctx: RouteContext,
  byListenerProtocol: Readonly<Record<string, KongProtocol>>,
  order: readonly KongProtocol[],
): KongProtocol[] {
  const used = new Set(ctx.attachments.map(a => byListenerProtocol[a.listener.listener.protocol]));
  return order.filter(p => used.has(p));
}

/** The distinct `{ protocol, port }` of the listeners a route attached to. */
export function servedListeners(ctx: RouteContext): { protocol: string; port: number }[] {
  const seen = new Map<string, { protocol: string; port: number }>();
  for (const a of ctx.attachments) {
    const { protocol, port } = a.listener.listener;
    seen.set(`${protocol}:${port}`, { protocol, port });
  }
  return [...seen.values()];
}

/** A rule's valid backends with their weights (0 stays 0); the route depends on their Services. */
export function ruleBackends(ctx: RouteContext, ruleIndex: number): BackendSpec[] {
  const out: BackendSpec[] = [];
  for (const b of ctx.evaluated.backends[ruleIndex] ?? []) {
    if (!b.ok) continue;
    out.push({ service: b.service, port: b.port, weight: b.weight });
    ctx.results.dependsOn(ctx.evaluated.route, b.service);
  }
  return out;
}

/**
 * A rule's filters, with a 500 answer when no valid backend is left to send to (the spec: never 404,
 * never another rule's backend), unless the rule redirects and needs none.
 */
export function withBackendlessAnswer(
  filters: readonly HttpFilter[],
  rule: { readonly backendRefs: number; readonly valid: number },
): readonly HttpFilter[] {
  if (rule.valid > 0 || filters.some(f => f.kind === "redirect")) return filters;
  const message =
    rule.backendRefs === 0 ? "no backend for this route" : "no valid backend for this route";
  return [...filters, { kind: "respond", statusCode: 500, message }];
}

const UNSUPPORTED_ANSWER: HttpFilter = Object.freeze({
  kind: "respond",
  statusCode: 500,
  message: "this route is not supported by the gateway",
});

/** A rule's routes as built, and what stands in the way of routing them as written. */
export interface RuleDraft {
  readonly routes: readonly IrHttpRoute[];
  /** Its matches cannot be expressed (or the rule is invalid): the rule is dropped. */
  readonly dropReasons: readonly string[];
  /** Its filters cannot be applied: its routes answer 500 instead. */
  readonly filterReasons: readonly string[];
}

/** What `draftRuleRoutes` needs of one HTTPRoute or GRPCRoute rule. */
export interface RuleMatches<M> {
  readonly route: GatewayRoute;
  readonly rule: { readonly name?: string };
  readonly index: number;
  /** The rule's matches, with the API server's default filled in where it has none. */
  readonly matches: readonly M[];
  readonly filters: readonly HttpFilter[];
  /** Why some of the rule's filters cannot be applied. */
  readonly filterProblems: readonly string[];
  /** Why the rule as a whole cannot be routed (before any of its matches is looked at). */
  readonly ruleProblems?: readonly string[];
  /** One match's Kong criteria, or why it cannot be expressed. */
  readonly build: (match: M) => { match: HttpMatch } | { problems: readonly string[] };
  /** What KIC's expressions router weighs of a match besides its criteria (its rule, index, ...). */
  readonly place?: (match: M) => Omit<MatchPlace, "rule" | "match">;
  /** Writing for Kong's expressions router, which matches more (query parameters). */
  readonly expressions?: boolean;
}

/**
 * The Kong routes of one rule, one per match (`<kind>.<ns>.<name>.<rule>.<match>`), each checked
 * against what the writer and Kong can express; what cannot be is sorted into the draft's reasons.
 */
export function draftRuleRoutes<M>(input: RuleMatches<M>): RuleDraft {
  const { route, rule, index } = input;
  const dropReasons: string[] = [...(input.ruleProblems ?? [])];
  const filterReasons: string[] = [...input.filterProblems];
  const routes: IrHttpRoute[] = [];
  const base = `${route.kind.toLowerCase()}.${route.metadata.namespace ?? ""}.${route.metadata.name}.${index}`;
  for (const [j, m] of input.matches.entries()) {
    const built = input.build(m);
    if ("problems" in built) {
      dropReasons.push(...built.problems);
      continue;
    }
    const ir: IrHttpRoute = {
      kind: "http",
      name: `${base}.${j}`,
      origin: { object: route, tags: ruleTags(rule) },
      match: built.match,
      settings: {},
      filters: input.filters,
      place: { rule: index, match: j, ...input.place?.(m) },
    };
    const problems = routeProblems(ir, input.expressions);
    dropReasons.push(...problems.match);
    filterReasons.push(...problems.filters);
    routes.push(ir);
  }
  return { routes, dropReasons, filterReasons };
}

/**
 * Sorts the writer's and Kong's objections to a built route into match problems (checked on the route
 * without its filters) and filter problems (the rest).
 */
export function routeProblems(
  route: IrHttpRoute,
  expressions = false,
): { match: string[]; filters: string[] } {
  const bare = inexpressible({ ...route, filters: [] }, expressions);
  const match = [...bare, ...kongMatchProblems(route.match)];
  const filters = inexpressible(route, expressions).filter(r => !bare.includes(r));
  return { match, filters };
}

function describe(index: number, reasons: readonly string[], suffix = ""): string {
  return `Dropped Rule ${index}: ${[...new Set(reasons)].join("; ")}${suffix}`;
}

/** The emissions of a route's rules, and the route's conditions for what could not be emitted. */
export function emitRules(
  ctx: RouteContext,
  rules: readonly { readonly draft: RuleDraft; readonly service: RouteEmission["service"] }[],
): RouteEmission[] {
  const emissions: RouteEmission[] = [];
  const dropped: string[] = [];
  let kept = 0;
  for (const [index, { draft, service }] of rules.entries()) {
    if (draft.dropReasons.length > 0) {
      dropped.push(describe(index, draft.dropReasons));
      continue;
    }
    let routes = draft.routes;
    if (draft.filterReasons.length > 0) {
      dropped.push(describe(index, draft.filterReasons, " (its requests are answered with 500)"));
      routes = routes.map(r => ({ ...r, filters: [UNSUPPORTED_ANSWER] }));
    } else kept++;
    for (const route of routes) emissions.push({ route, service });
  }
  if (dropped.length > 0) reportDropped(ctx, dropped.join("; "), kept > 0);
  // Not accepted at all: the route has no place in Kong's config, not even its 500 answers.
  return kept > 0 ? emissions : [];
}

function reportDropped(ctx: RouteContext, message: string, someKept: boolean): void {
  const condition = someKept
    ? {
        type: "PartiallyInvalid",
        status: "True" as const,
        reason: "UnsupportedValue",
        message,
      }
    : {
        type: "Accepted",
        status: "False" as const,
        reason: "UnsupportedValue",
        message: `no rule can be routed as written: ${message}`,
      };
  refuseOnAcceptedParents(ctx, condition);
}

/** Sets `condition` for every parent the route attached to (the others keep their own reason). */
export function refuseOnAcceptedParents(
  ctx: Pick<RouteContext, "evaluated" | "results">,
  condition: {
    readonly type: string;
    readonly status: "True" | "False";
    readonly reason: string;
    readonly message: string;
  },
): void {
  const route: GatewayRoute = ctx.evaluated.route;
  const results = ctx.results.for(route);
  for (const parent of ctx.evaluated.parents) {
    if (parent.accepted.status !== "True") continue;
    results.parent(parentRefOf(route, parent)).set(condition);
  }
}

/**
 * A route whose plugins (`konghq.com/plugins`, or its backend Services') do not resolve is left out,
 * as an Ingress is: served without its plugins (often authentication) it would be open to anyone.
 */
export function refusesPluginsAnnotation(ctx: RouteContext): boolean {
  const refusal = ctx.admitPlugins?.(ctx.evaluated.route);
  if (refusal === undefined) return false;
  refuseOnAcceptedParents(ctx, {
    type: "Accepted",
    status: "False",
    reason: "UnsupportedValue",
    message: refusal,
  });
  return true;
}
