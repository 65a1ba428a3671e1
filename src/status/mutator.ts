/**
 * Status per kind, in the manner of Contour's StatusUpdate and StatusMutator: the writer is the same for
 * every kind, and a mutator says where a kind's status lives, whether what the cluster shows already is
 * what we want, and which patch makes it so. Ingress is the first kind; Gateway API and Kong kinds add
 * a member to {@link DesiredStatus} and a mutator to {@link StatusMutators}.
 */
import { refKey } from "../model/object-ref.ts";
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
 * The status one object should have. A kind with conditions will carry its generation and the
 * conditions without `lastTransitionTime` (src/status/conditions.ts `DesiredCondition`); its mutator
 * stamps the time when it builds the patch.
 */
export type DesiredStatus = IngressDesiredStatus;

/** The key of an object's status: the queue, the writer and the observed index share it. */
export function statusKey(d: Pick<DesiredStatus, "kind" | "namespace" | "name">): string {
  return refKey(d);
}

export interface StatusMutator<D extends DesiredStatus> {
  /** API path of the object's status subresource. */
  statusPath(d: D): string;
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
  return mutators[desired.kind];
}
