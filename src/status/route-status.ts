/**
 * Route status (HTTPRoute, GRPCRoute, TCPRoute, UDPRoute, TLSRoute) as a mutator. `status.parents` is
 * no map: an entry is identified by its parentRef and its controllerName (§4.1). Ours are replaced
 * (conditions merged by type), added when missing and removed when no longer desired; every other
 * controller's entry goes back exactly as it was, in its place. At most 32 entries: when the list is
 * full, others' entries stay and ours that do not fit are left out.
 */
import { isRecord } from "../util/is-record.ts";
import { GATEWAY_GROUP, type ParentReference } from "../model/gateway-api.ts";
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
import type { RouteDesiredStatus, RouteParentDesiredStatus, StatusMutator } from "./mutator.ts";
import type { ObservedStatus } from "./observed.ts";

/** The API's limit on `status.parents`. */
const MAX_PARENTS = 32;

interface OurParentStatus {
  readonly parentRef: ParentReference;
  readonly controllerName: string;
  readonly conditions: readonly Condition[];
}

/** A rendered entry: ours (built) or someone else's (as the cluster holds it). */
type ParentEntry =
  | { readonly ours: OurParentStatus; readonly theirs?: never }
  | { readonly theirs: Json; readonly ours?: never };

function optional(value: unknown): unknown {
  return value === null ? undefined : value;
}

/**
 * Whether a parentRef the cluster shows names the same parent as ours. The CRD fills in `group` and
 * `kind`; `namespace` defaults to the route's own.
 */
function sameParentRef(ours: ParentReference, theirs: unknown, routeNamespace: string): boolean {
  if (!isRecord(theirs)) return false;
  return (
    (ours.group ?? GATEWAY_GROUP) === (optional(theirs["group"]) ?? GATEWAY_GROUP) &&
    (ours.kind ?? "Gateway") === (optional(theirs["kind"]) ?? "Gateway") &&
    (ours.namespace ?? routeNamespace) === (optional(theirs["namespace"]) ?? routeNamespace) &&
    ours.name === theirs["name"] &&
    ours.sectionName === optional(theirs["sectionName"]) &&
    ours.port === optional(theirs["port"])
  );
}

function copyParentRef(ref: ParentReference): ParentReference {
  return {
    ...(ref.group === undefined ? {} : { group: ref.group }),
    ...(ref.kind === undefined ? {} : { kind: ref.kind }),
    ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }),
    name: ref.name,
    ...(ref.sectionName === undefined ? {} : { sectionName: ref.sectionName }),
    ...(ref.port === undefined ? {} : { port: ref.port }),
  };
}

function isOurs(entry: Json, controllerName: string): boolean {
  return entry["controllerName"] === controllerName;
}

function renderParents(
  desired: RouteDesiredStatus,
  observed: ObservedStatus,
  nowMs: number,
): ParentEntry[] {
  const current = recordsOf(statusRecord(observed)["parents"]);
  let room = MAX_PARENTS - current.filter(e => !isOurs(e, desired.controllerName)).length;
  const placed = new Set<RouteParentDesiredStatus>();
  const ours = (p: RouteParentDesiredStatus, existing: readonly Condition[]): ParentEntry => {
    placed.add(p);
    room--;
    const conditions = mergeConditions(existing, p.conditions, nowMs, isApiConditionType);
    return {
      ours: {
        parentRef: copyParentRef(p.parentRef),
        controllerName: desired.controllerName,
        conditions,
      },
    };
  };
  const out: ParentEntry[] = [];
  for (const entry of current) {
    if (!isOurs(entry, desired.controllerName)) {
      out.push({ theirs: entry });
      continue;
    }
    const match = desired.parents.find(
      p => !placed.has(p) && sameParentRef(p.parentRef, entry["parentRef"], desired.namespace),
    );
    // Ours, but for a parent we no longer serve (or a duplicate): removed.
    if (match === undefined || room <= 0) continue;
    out.push(ours(match, observedConditions(entry["conditions"])));
  }
  for (const p of desired.parents) {
    if (room <= 0) break;
    if (!placed.has(p)) out.push(ours(p, []));
  }
  return out;
}

function sameEntry(next: ParentEntry, observed: Json | undefined, routeNamespace: string): boolean {
  const { ours } = next;
  if (ours === undefined) return next.theirs === observed;
  if (observed === undefined) return false;
  return (
    observed["controllerName"] === ours.controllerName &&
    sameParentRef(ours.parentRef, observed["parentRef"], routeNamespace) &&
    conditionsEqual(ours.conditions, observedConditions(observed["conditions"]))
  );
}

export const routeStatusMutator: StatusMutator<RouteDesiredStatus> = {
  statusPath: (d, observed) => gatewayApiStatusPath(d.kind, d, observed),
  satisfied: (desired, observed) => {
    const current = recordsOf(statusRecord(observed)["parents"]);
    const ourConditions = current
      .filter(e => isOurs(e, desired.controllerName))
      .flatMap(e => observedConditions(e["conditions"]));
    if (isStale(ourConditions, desired.generation)) return true;
    const next = renderParents(desired, observed, 0);
    return (
      next.length === current.length &&
      next.every((e, i) => sameEntry(e, current[i], desired.namespace))
    );
  },
  same: (a, b) => sameData(a, b),
  patch: (desired, observed, nowMs) =>
    guardedStatusPatch(observed, {
      parents: renderParents(desired, observed, nowMs).map(e => e.ours ?? e.theirs),
    }),
};
