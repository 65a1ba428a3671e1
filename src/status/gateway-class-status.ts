/**
 * GatewayClass status as a mutator: `conditions` merged by type (§4.1) and `supportedFeatures` in the
 * v1.6 shape, a list of `{ name }` sorted by name, which is ours alone.
 */
import { isRecord } from "../util/is-record.ts";
import {
  conditionsEqual,
  isApiConditionType,
  isStale,
  mergeConditions,
  observedConditions,
} from "./conditions.ts";
import { gatewayApiStatusPath, guardedStatusPatch, statusRecord } from "./gateway-api-status.ts";
import { sameData } from "../util/compare.ts";
import type { GatewayClassDesiredStatus, StatusMutator } from "./mutator.ts";
import type { ObservedStatus } from "./observed.ts";

/** The API's limit on `status.supportedFeatures`. */
const MAX_FEATURES = 64;

function render(desired: GatewayClassDesiredStatus, observed: ObservedStatus, nowMs: number) {
  const current = statusRecord(observed);
  return {
    conditions: mergeConditions(
      observedConditions(current["conditions"]),
      desired.conditions,
      nowMs,
      isApiConditionType,
    ),
    supportedFeatures: desired.supportedFeatures.slice(0, MAX_FEATURES).map(name => ({ name })),
  };
}

function featureName(entry: unknown): unknown {
  return isRecord(entry) ? entry["name"] : entry;
}

function sameFeatures(observed: unknown, names: readonly { name: string }[]): boolean {
  if (!Array.isArray(observed)) return names.length === 0;
  return (
    observed.length === names.length &&
    observed.every((entry: unknown, i) => isRecord(entry) && featureName(entry) === names[i]?.name)
  );
}

export const gatewayClassStatusMutator: StatusMutator<GatewayClassDesiredStatus> = {
  statusPath: (d, observed) => gatewayApiStatusPath("GatewayClass", d, observed),
  satisfied: (desired, observed) => {
    const current = statusRecord(observed);
    const conditions = observedConditions(current["conditions"]);
    if (isStale(conditions, desired.generation)) return true;
    const next = render(desired, observed, 0);
    return (
      conditionsEqual(next.conditions, conditions) &&
      sameFeatures(current["supportedFeatures"], next.supportedFeatures)
    );
  },
  same: (a, b) => sameData(a, b),
  patch: (desired, observed, nowMs) =>
    guardedStatusPatch(observed, render(desired, observed, nowMs)),
};
