/**
 * Per-object budgets: one object must not exhaust the controller or Kong for everyone. 13,000
 * `konghq.com/host-aliases` on 400 rules made a 177 MB config; 9,000 rules in one Ingress (inside
 * Kubernetes' object limit) never finished. An object over a budget is left out as broken, with a
 * problem saying which budget and by how much; everything else goes on. The defaults are far above
 * what a sane object needs; `--max-*-per-object` set them.
 */
import type { Ingress, KubeObject } from "../model/k8s.ts";
import type { RouteEmission } from "./ir/types.ts";
import type { ResultSink } from "./results.ts";

export interface ObjectBudgets {
  /** Kong routes one object may produce. */
  readonly routes: number;
  /** Hosts × paths over its routes: what Kong's router holds for it. */
  readonly hostPaths: number;
  /** `konghq.com/host-aliases` entries. */
  readonly aliases: number;
  /** Estimated bytes of its routes in the config. */
  readonly bytes: number;
}

export const DEFAULT_OBJECT_BUDGETS: ObjectBudgets = Object.freeze({
  routes: 2_000,
  hostPaths: 20_000,
  aliases: 1_000,
  bytes: 4 * 1024 * 1024,
});

/** What a route costs besides its hosts and paths: names, tags, fields (measured: about 400 bytes). */
const ROUTE_OVERHEAD_BYTES = 400;

function overText(what: string, value: number, budget: number, flag: string): string {
  return `it has ${value} ${what}, over the budget of ${budget} per object (--${flag}); it is left out`;
}

/**
 * Checked on the spec before an Ingress is translated, so an object built to explode (thousands of
 * aliases on every rule) costs nothing: the hosts × paths it would produce, and its aliases.
 */
export function ingressOverBudget(
  ingress: Ingress,
  aliases: number,
  budgets: ObjectBudgets,
): string | undefined {
  if (aliases > budgets.aliases)
    return overText("host aliases", aliases, budgets.aliases, "max-host-aliases-per-object");
  let hostPaths = 0;
  for (const rule of ingress.spec.rules ?? [])
    hostPaths += (rule.http?.paths.length ?? 0) * (1 + aliases);
  if (hostPaths > budgets.hostPaths)
    return overText("hosts × paths", hostPaths, budgets.hostPaths, "max-host-paths-per-object");
  return undefined;
}

interface Cost {
  routes: number;
  hostPaths: number;
  bytes: number;
}

/** Every object's routes, measured; those of an object over a budget are left out, with a problem. */
export function withinBudgets<T extends RouteEmission>(
  emissions: readonly T[],
  budgets: ObjectBudgets,
  results: ResultSink,
): T[] {
  const costs = new Map<KubeObject, Cost>();
  for (const e of emissions) {
    const obj = e.route.origin.object;
    let cost = costs.get(obj);
    if (cost === undefined) {
      cost = { routes: 0, hostPaths: 0, bytes: 0 };
      costs.set(obj, cost);
    }
    cost.routes += 1;
    cost.bytes += ROUTE_OVERHEAD_BYTES;
    if (e.route.kind !== "http") continue;
    const { hosts, paths } = e.route.match;
    cost.hostPaths += Math.max(1, hosts.length) * Math.max(1, paths.length);
    for (const host of hosts) cost.bytes += host.length + 3;
    for (const path of paths) cost.bytes += path.value.length + 4;
  }
  const over = new Set<KubeObject>();
  for (const [obj, cost] of costs) {
    const problem = costProblem(cost, budgets);
    if (problem === undefined) continue;
    over.add(obj);
    results.problem(obj, "BudgetExceeded", problem);
  }
  return over.size === 0 ? [...emissions] : emissions.filter(e => !over.has(e.route.origin.object));
}

function costProblem(cost: Cost, budgets: ObjectBudgets): string | undefined {
  if (cost.routes > budgets.routes)
    return overText("Kong routes", cost.routes, budgets.routes, "max-routes-per-object");
  if (cost.hostPaths > budgets.hostPaths)
    return overText(
      "hosts × paths",
      cost.hostPaths,
      budgets.hostPaths,
      "max-host-paths-per-object",
    );
  if (cost.bytes > budgets.bytes)
    return overText(
      "estimated config bytes",
      cost.bytes,
      budgets.bytes,
      "max-config-bytes-per-object",
    );
  return undefined;
}
