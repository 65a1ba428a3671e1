/**
 * Status per kind, in the manner of Contour's StatusUpdate and StatusMutator: the writer is the same for
 * every kind, and a mutator says where a kind's status lives, whether what the cluster shows already is
 * what we want, and which patch makes it so. Each kind is a member of {@link DesiredStatus} with a
 * mutator in {@link StatusMutators}: Ingress, and the Gateway API's GatewayClass, Gateway and routes.
 */
import type { ParentReference } from "../model/gateway-api.ts";
import { refKey } from "../model/object-ref.ts";
import type { DesiredCondition } from "./conditions.ts";
import type { LoadBalancerIngress } from "./ingress-address.ts";
import type { ObservedStatus } from "./observed.ts";

/** The status an Ingress should show. */
export interface IngressDesiredStatus {
  readonly kind: "Ingress";
  readonly namespace: string;
  readonly name: string;
  /** When known, a different object under the same name (deleted and re-created) is not written. */
  readonly uid?: string;
  readonly loadBalancer: readonly LoadBalancerIngress[];
}

/**
 * What every Gateway API status carries besides its own fields: the generation translation saw, which
 * becomes each condition's `observedGeneration` and guards against regressing a newer status.
 */
interface GenerationDesiredStatus {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  /** `metadata.generation` as translation saw it; undefined only for objects that lack one. */
  readonly generation: number | undefined;
}

export interface GatewayClassDesiredStatus extends GenerationDesiredStatus {
  readonly kind: "GatewayClass";
  readonly conditions: readonly DesiredCondition[];
  /** `status.supportedFeatures` names, sorted. */
  readonly supportedFeatures: readonly string[];
}

export interface RouteGroupKind {
  readonly group: string;
  readonly kind: string;
}

export interface ListenerDesiredStatus {
  readonly name: string;
  readonly supportedKinds: readonly RouteGroupKind[];
  readonly attachedRoutes: number;
  readonly conditions: readonly DesiredCondition[];
}

/** One entry of a Gateway's `status.addresses`. */
export interface GatewayStatusAddress {
  readonly type: "IPAddress" | "Hostname";
  readonly value: string;
}

export interface GatewayDesiredStatus extends GenerationDesiredStatus {
  readonly kind: "Gateway";
  readonly conditions: readonly DesiredCondition[];
  /** One per spec listener, in spec order; entries of listeners no longer in the spec go. */
  readonly listeners: readonly ListenerDesiredStatus[];
  /** Undefined while the published addresses are not known: the addresses shown stay as they are. */
  readonly addresses?: readonly GatewayStatusAddress[];
}

/** The route kinds whose `status.parents` we write. */
export type GatewayRouteKind = "HTTPRoute" | "GRPCRoute" | "TCPRoute" | "UDPRoute" | "TLSRoute";

export interface RouteParentDesiredStatus {
  /** As the route's spec names the parent, so the entry matches the spec's. */
  readonly parentRef: ParentReference;
  readonly conditions: readonly DesiredCondition[];
}

export interface RouteDesiredStatus<
  K extends GatewayRouteKind = GatewayRouteKind,
> extends GenerationDesiredStatus {
  readonly kind: K;
  /** `--gateway-api-controller-name`: the entries carrying it are ours, every other one is not. */
  readonly controllerName: string;
  /** Our entries; ours not listed here are removed. */
  readonly parents: readonly RouteParentDesiredStatus[];
}

/** `Programmed` on Kong's own kinds (kong-status.ts). */
export interface KongDesiredStatus extends GenerationDesiredStatus {
  readonly kind: "KongPlugin" | "KongClusterPlugin" | "KongConsumer";
  readonly conditions: readonly DesiredCondition[];
}

/** One member per Kong kind, so each kind can have its own mutator entry. */
type EachKongDesiredStatus = {
  [K in KongDesiredStatus["kind"]]: KongDesiredStatus & { readonly kind: K };
}[KongDesiredStatus["kind"]];

/** One member per route kind, so each kind can have its own mutator entry. */
type EachRouteDesiredStatus = { [K in GatewayRouteKind]: RouteDesiredStatus<K> }[GatewayRouteKind];

/**
 * The status one object should have. A kind with conditions carries its generation and the conditions
 * without `lastTransitionTime` (src/status/conditions.ts `DesiredCondition`); its mutator stamps the
 * time when it builds the patch.
 */
export type DesiredStatus =
  | IngressDesiredStatus
  | GatewayClassDesiredStatus
  | GatewayDesiredStatus
  | EachRouteDesiredStatus
  | EachKongDesiredStatus;

/** The key of an object's status: the queue, the writer and the observed index share it. */
export function statusKey(d: Pick<DesiredStatus, "kind" | "namespace" | "name">): string {
  return refKey(d);
}

export interface StatusMutator<D extends DesiredStatus> {
  /**
   * API path of the object's status subresource, at the version the watch shows the object at (a
   * kind may be served at an older version only).
   */
  statusPath(d: D, observed: ObservedStatus): string;
  /**
   * Whether the cluster already shows `desired`, so nothing is written. A kind whose status records
   * the generation it describes also answers yes when `observed` describes a newer one: writing would
   * regress it.
   */
  satisfied(desired: D, observed: ObservedStatus): boolean;
  /** Whether two desired statuses would write the same thing. */
  same(a: D, b: D): boolean;
  /**
   * The JSON merge patch (RFC 7386) that sets `desired`. It is given what the cluster shows and the
   * time, so a kind with conditions can keep the `lastTransitionTime` of unchanged ones, and can add
   * `metadata.resourceVersion` to be refused with a 409 rather than overwrite a status it has not seen.
   */
  patch(desired: D, observed: ObservedStatus, nowMs: number): object;
}

/** One mutator per kind of {@link DesiredStatus}. */
export type StatusMutators = {
  readonly [K in DesiredStatus["kind"]]: StatusMutator<Extract<DesiredStatus, { kind: K }>>;
};

/** The mutator of `desired`'s kind. */
export function mutatorFor<D extends DesiredStatus>(
  mutators: StatusMutators,
  desired: D,
): StatusMutator<D> {
  // The mapped type pairs each kind with its mutator; indexing by a kind union loses that pairing.
  return mutators[desired.kind] as unknown as StatusMutator<D>;
}
