/**
 * What a Gateway or route status says while Kong does not (yet) hold the config it describes. The
 * translation's conditions are kept where they do not depend on Kong (a listener that refuses a
 * route, a reference without a grant); what does — `Programmed` on a Gateway and its listeners, a
 * route parent's `Accepted=True` — waits as `Pending` until Kong holds the config, and turns False
 * with Kong's own words when Kong rejected the object (the same message its Warning event carries).
 */
import type {
  ConditionSpec,
  GatewayStatusSpec,
  RouteStatusSpec,
} from "../translator/gateway/conditions.ts";

/** Why an object of ours is not in the config Kong accepted. */
export interface Rejection {
  /** A KIC event reason, e.g. `KongConfigurationApplyFailed`. */
  readonly reason: string;
  readonly message: string;
}

export const WAITING_FOR_KONG = "waiting for Kong to accept a configuration that contains it";

function replacing(
  conditions: readonly ConditionSpec[],
  replace: (c: ConditionSpec) => ConditionSpec,
): readonly ConditionSpec[] {
  const next = conditions.map(replace);
  return next.every((c, i) => c === conditions[i]) ? conditions : next;
}

const pendingProgrammed = (c: ConditionSpec): ConditionSpec =>
  c.type === "Programmed" && c.status === "True"
    ? { type: "Programmed", status: "False", reason: "Pending", message: WAITING_FOR_KONG }
    : c;

/** A Gateway whose config Kong does not hold yet: it and its listeners are not programmed. */
export function pendingGateway(spec: GatewayStatusSpec): GatewayStatusSpec {
  return {
    ...spec,
    conditions: replacing(spec.conditions, pendingProgrammed),
    listeners: spec.listeners.map(l => ({
      ...l,
      conditions: replacing(l.conditions, pendingProgrammed),
    })),
  };
}

/** A Gateway Kong rejected: accepted as translated, not programmed, with Kong's reason. */
export function rejectedGateway(spec: GatewayStatusSpec, rejection: Rejection): GatewayStatusSpec {
  const programmed: ConditionSpec = {
    type: "Programmed",
    status: "False",
    reason: rejection.reason,
    message: `not in the configuration Kong accepted: ${rejection.message}`,
  };
  return {
    ...spec,
    conditions: replacing(spec.conditions, c => (c.type === "Programmed" ? programmed : c)),
  };
}

function routeWith(
  spec: RouteStatusSpec,
  replace: (c: ConditionSpec) => ConditionSpec,
): RouteStatusSpec {
  return {
    ...spec,
    parents: spec.parents.map(p => ({ ...p, conditions: replacing(p.conditions, replace) })),
  };
}

/** A route whose config Kong does not hold yet: parents it attached to are `Accepted=Unknown/Pending`. */
export function pendingRoute(spec: RouteStatusSpec): RouteStatusSpec {
  return routeWith(spec, c =>
    c.type === "Accepted" && c.status === "True"
      ? { type: "Accepted", status: "Unknown", reason: "Pending", message: WAITING_FOR_KONG }
      : c,
  );
}

/** A route Kong rejected: parents it attached to are `Accepted=False` with Kong's reason. */
export function rejectedRoute(spec: RouteStatusSpec, rejection: Rejection): RouteStatusSpec {
  return routeWith(spec, c =>
    c.type === "Accepted" && c.status === "True"
      ? {
          type: "Accepted",
          status: "False",
          reason: rejection.reason,
          message: `not in the configuration Kong accepted: ${rejection.message}`,
        }
      : c,
  );
}
