/**
 * Which router Kong runs (`configuration.router_flavor` of `GET /`, the answer listener discovery
 * already asks for), which decides how routes are written: `expressions` takes expression routes, the
 * others traditional ones. Pure: sender/listener-discovery.ts does the asking.
 *
 * Every Kong gets the same config, so Kongs running different flavours cannot all be served: the
 * controller keeps the last flavour every Kong agreed on and reports each Kong that differs.
 */
import { compareStrings } from "../util/compare.ts";
import type { RootInfo } from "./responses.ts";

export type KongRouterFlavor = "traditional" | "traditional_compatible" | "expressions";

const FLAVORS: ReadonlySet<string> = new Set([
  "traditional",
  "traditional_compatible",
  "expressions",
]);

/** Kong's default since 3.0, assumed until a Kong says otherwise. */
export const DEFAULT_ROUTER_FLAVOR: KongRouterFlavor = "traditional_compatible";

/** The flavour one `GET /` reports; undefined when it reports none we know. */
export function flavorFromRoot(root: RootInfo): KongRouterFlavor | undefined {
  const flavor = root.configuration.router_flavor;
  return flavor !== undefined && FLAVORS.has(flavor) ? (flavor as KongRouterFlavor) : undefined;
}

export interface FlavorReport {
  readonly url: string;
  /** Undefined: not asked yet, or it did not say. */
  readonly flavor?: KongRouterFlavor;
}

export interface RouterFlavorView {
  /** The flavour routes are written for. */
  readonly flavor: KongRouterFlavor;
  /** Kongs reporting another flavour, sorted by URL; empty when every Kong agrees. */
  readonly mismatched: readonly { readonly url: string; readonly flavor: KongRouterFlavor }[];
}

/**
 * The flavour of the ready Kongs: the one they report when they agree (Kongs that have not said are
 * left out), else `last`, the last they agreed on, with every Kong that reports another one.
 */
export function mergeRouterFlavors(
  reports: readonly FlavorReport[],
  last: KongRouterFlavor,
): RouterFlavorView {
  const known = reports.flatMap(r => (r.flavor === undefined ? [] : [{ ...r, flavor: r.flavor }]));
  const flavors = new Set(known.map(r => r.flavor));
  if (flavors.size === 0) return { flavor: last, mismatched: [] };
  const [only] = flavors;
  if (flavors.size === 1 && only !== undefined) return { flavor: only, mismatched: [] };
  const mismatched = known
    .filter(r => r.flavor !== last)
    .map(r => ({ url: r.url, flavor: r.flavor }))
    .sort((a, b) => compareStrings(a.url, b.url));
  return { flavor: last, mismatched };
}

export function sameFlavorView(a: RouterFlavorView, b: RouterFlavorView): boolean {
  const key = (v: RouterFlavorView): string =>
    JSON.stringify([v.flavor, v.mismatched.map(m => [m.url, m.flavor])]);
  return key(a) === key(b);
}

/** One line per Kong that differs, for readiness and logs. */
export function flavorProblems(view: RouterFlavorView): string[] {
  return view.mismatched.map(
    m =>
      `Kong ${m.url} runs router_flavor ${m.flavor}, the other Kongs ${view.flavor}; routes are written for ${view.flavor}`,
  );
}
