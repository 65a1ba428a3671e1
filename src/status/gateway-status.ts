/**
 * Gateway status as a mutator: the Gateway's `conditions` merged by type (§4.1); `listeners`, one
 * entry per spec listener with its `supportedKinds`, `attachedRoutes` and conditions merged the same
 * way (the entry of a listener no longer in the spec goes); and `addresses`, the published ones.
 */
import { isRecord } from "../util/is-record.ts";
import { GATEWAY_GROUP } from "../model/gateway-api.ts";
import {
  conditionsEqual,
  isApiConditionType,
  isStale,
  mergeConditions,
  observedConditions,
  type Condition,
} from "./conditions.ts";
import {
  gatewayApiStatusPath,
  guardedStatusPatch,
  recordsOf,
  statusRecord,
  type Json,
} from "./gateway-api-status.ts";
import { sameData } from "../util/compare.ts";
import type {
  GatewayDesiredStatus,
  GatewayStatusAddress,
  ListenerDesiredStatus,
  RouteGroupKind,
  StatusMutator,
} from "./mutator.ts";
import type { ObservedStatus } from "./observed.ts";

/** The API's limits on `status.listeners`, a listener's `supportedKinds` and `status.addresses`. */
const MAX_LISTENERS = 64;
const MAX_SUPPORTED_KINDS = 8;
const MAX_ADDRESSES = 16;

interface ListenerStatus {
  readonly name: string;
  readonly supportedKinds: readonly RouteGroupKind[];
  readonly attachedRoutes: number;
  readonly conditions: readonly Condition[];
}

interface GatewayStatus {
  readonly conditions: readonly Condition[];
  readonly listeners: readonly ListenerStatus[];
  readonly addresses?: readonly GatewayStatusAddress[];
}

/** The listener entries the cluster shows, by name. */
function observedListeners(current: Json): Map<string, Json> {
  const byName = new Map<string, Json>();
  for (const entry of recordsOf(current["listeners"])) {
    const name = entry["name"];
    if (typeof name === "string" && !byName.has(name)) byName.set(name, entry);
  }
  return byName;
}

function renderListener(
  desired: ListenerDesiredStatus,
  observed: Json | undefined,
  nowMs: number,
): ListenerStatus {
  return {
    name: desired.name,
    supportedKinds: desired.supportedKinds
      .slice(0, MAX_SUPPORTED_KINDS)
      .map(k => ({ group: k.group, kind: k.kind })),
    attachedRoutes: desired.attachedRoutes,
    conditions: mergeConditions(
      observedConditions(observed?.["conditions"]),
      desired.conditions,
      nowMs,
      isApiConditionType,
    ),
  };
}

function render(desired: GatewayDesiredStatus, observed: ObservedStatus, nowMs: number) {
  const current = statusRecord(observed);
  const listeners = observedListeners(current);
  const status: GatewayStatus = {
    conditions: mergeConditions(
      observedConditions(current["conditions"]),
      desired.conditions,
      nowMs,
      isApiConditionType,
    ),
    listeners: desired.listeners
      .slice(0, MAX_LISTENERS)
      .map(l => renderListener(l, listeners.get(l.name), nowMs)),
    ...(desired.addresses === undefined
      ? {}
      : {
          addresses: desired.addresses
            .slice(0, MAX_ADDRESSES)
            .map(a => ({ type: a.type, value: a.value })),
        }),
  };
  return status;
}

/** `group` defaults to the Gateway API's in the CRD; an explicit "" is the core group. */
function sameKinds(observed: unknown, kinds: readonly RouteGroupKind[]): boolean {
  const entries = recordsOf(observed);
  return (
    Array.isArray(observed) &&
    entries.length === observed.length &&
    entries.length === kinds.length &&
    entries.every((e, i) => {
      const kind = kinds[i];
      return (
        kind !== undefined &&
        (e["group"] ?? GATEWAY_GROUP) === kind.group &&
        e["kind"] === kind.kind
      );
    })
  );
}

function sameListener(next: ListenerStatus, observed: unknown): boolean {
  return (
    isRecord(observed) &&
    observed["name"] === next.name &&
    observed["attachedRoutes"] === next.attachedRoutes &&
    sameKinds(observed["supportedKinds"], next.supportedKinds) &&
    conditionsEqual(next.conditions, observedConditions(observed["conditions"]))
  );
}

/** `type` defaults to `IPAddress` in the CRD. */
function sameAddresses(observed: unknown, addresses: readonly GatewayStatusAddress[]): boolean {
  const entries = Array.isArray(observed) ? observed : [];
  return (
    entries.length === addresses.length &&
    entries.every((e: unknown, i) => {
      const address = addresses[i];
      return (
        address !== undefined &&
        isRecord(e) &&
        (e["type"] ?? "IPAddress") === address.type &&
        e["value"] === address.value
      );
    })
  );
}

/** Every condition list of the Gateway: any of them newer than ours means our copy is stale. */
function everyCondition(current: Json): Condition[] {
  return [
    ...observedConditions(current["conditions"]),
    ...recordsOf(current["listeners"]).flatMap(l => observedConditions(l["conditions"])),
  ];
}

export const gatewayStatusMutator: StatusMutator<GatewayDesiredStatus> = {
  statusPath: (d, observed) => gatewayApiStatusPath("Gateway", d, observed),
  satisfied: (desired, observed) => {
    const current = statusRecord(observed);
    if (isStale(everyCondition(current), desired.generation)) return true;
    const next = render(desired, observed, 0);
    const listeners = Array.isArray(current["listeners"]) ? current["listeners"] : [];
    return (
      conditionsEqual(next.conditions, observedConditions(current["conditions"])) &&
      listeners.length === next.listeners.length &&
      next.listeners.every((l, i) => sameListener(l, listeners[i])) &&
      (next.addresses === undefined || sameAddresses(current["addresses"], next.addresses))
    );
  },
  same: (a, b) => sameData(a, b),
  patch: (desired, observed, nowMs) =>
    guardedStatusPatch(observed, render(desired, observed, nowMs)),
};
