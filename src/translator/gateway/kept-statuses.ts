/**
 * The Gateway API statuses of a translation, each one equal by value to the last translation's for the
 * same object replaced by that object. The status side tells an unchanged status by identity (the
 * publisher keeps what it built from each, the writer's first check is `===`), so a translation that
 * changed one route of thousands hands the status side one new route status, not thousands of equal
 * copies to compare. Values never change: a cold translation gives statuses equal to these.
 */
import { refKey } from "../../model/object-ref.ts";
import { sameData } from "../../util/compare.ts";
import type { GatewayApiStatuses } from "../types.ts";

/** `next` with the unchanged statuses taken from `previous`; `previous` itself when none changed. */
export function keptStatuses(
  previous: GatewayApiStatuses | undefined,
  next: GatewayApiStatuses,
): GatewayApiStatuses {
  if (previous === undefined) return next;
  const classes = kept(previous.classes, next.classes, c => c.name);
  const gateways = kept(previous.gateways, next.gateways, g => `${g.namespace}/${g.name}`);
  const routes = kept(previous.routes, next.routes, refKey);
  return classes === previous.classes &&
    gateways === previous.gateways &&
    routes === previous.routes
    ? previous
    : { classes, gateways, routes };
}

/**
 * `next`, each item equal to `previous`'s at the same place (the common case: snapshot order) or of
 * the same key (objects were added or removed before it) replaced by that one; `previous` when every
 * item was, in the same order.
 */
function kept<T>(
  previous: readonly T[],
  next: readonly T[],
  keyOf: (item: T) => string,
): readonly T[] {
  let byKey: Map<string, T> | undefined;
  let changed = previous.length !== next.length;
  const out = next.map((item, i) => {
    const atSamePlace = previous[i];
    if (atSamePlace !== undefined && sameData(atSamePlace, item)) return atSamePlace;
    changed = true;
    byKey ??= new Map(previous.map(p => [keyOf(p), p]));
    const sameKey = byKey.get(keyOf(item));
    return sameKey !== undefined && sameData(sameKey, item) ? sameKey : item;
  });
  return changed ? out : previous;
}
