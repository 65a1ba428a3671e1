/**
 * Whether an object's status needs a write: desired against what the watch shows, and against what we
 * wrote ourselves but the watch has not shown yet (without that, a second accepted config arriving
 * between our write and its echo would write the same status twice).
 */
import type { DesiredStatus, StatusMutator } from "./mutator.ts";
import type { ObservedStatus } from "./observed.ts";

/** A write of ours that succeeded: the status it set and the version the server gave the object. */
export interface WrittenStatus<D extends DesiredStatus = DesiredStatus> {
  readonly desired: D;
  readonly resourceVersion: string;
}

/**
 * - `write`: the cluster does not show the desired status.
 * - `satisfied`: it does (or, for kinds with generations, shows a newer one).
 * - `awaiting-echo`: we wrote exactly this and the watch has not caught up yet.
 * - `absent`: the object is not in the watch cache (deleted, or not this uid): nothing to write to.
 */
export type StatusDecision = "write" | "satisfied" | "awaiting-echo" | "absent";

const DECIMAL = /^\d+$/;

/**
 * Whether the watch has shown the object at or after the version our write produced. Kubernetes calls
 * resourceVersions opaque, but etcd's are decimal revisions that only grow; when either is not, any
 * other version counts as caught up, so a status is at worst written twice and never left stale.
 */
export function echoed(observedVersion: string, writtenVersion: string): boolean {
  if (observedVersion === writtenVersion) return true;
  if (!DECIMAL.test(observedVersion) || !DECIMAL.test(writtenVersion)) return true;
  return BigInt(observedVersion) >= BigInt(writtenVersion);
}

export interface DecisionInput<D extends DesiredStatus> {
  readonly mutator: StatusMutator<D>;
  readonly desired: D;
  readonly observed: ObservedStatus | undefined;
  readonly written: WrittenStatus<D> | undefined;
}

export function decideStatus<D extends DesiredStatus>(input: DecisionInput<D>): StatusDecision {
  const { mutator, desired, observed, written } = input;
  if (observed === undefined) return "absent";
  if (desired.uid !== undefined && observed.uid !== undefined && desired.uid !== observed.uid)
    return "absent";
  if (mutator.satisfied(desired, observed)) return "satisfied";
  if (
    written !== undefined &&
    mutator.same(written.desired, desired) &&
    !echoed(observed.resourceVersion, written.resourceVersion)
  )
    return "awaiting-echo";
  return "write";
}
