/**
 * Condition lists as Gateway API and most CRDs use them (incidents-and-gateway-api.md §4.1): a map
 * keyed by `type`, merged read-modify-write, `lastTransitionTime` changed only when `status` changes.
 */

export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  /** RFC 3339 time of the last change of `status`. */
  readonly lastTransitionTime: string;
}

/** A condition as translation computes it: without a transition time, which only the writer knows. */
export type DesiredCondition = Omit<Condition, "lastTransitionTime">;

/** RFC 3339 with second precision, the form metav1.Time uses. */
export function conditionTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}

/**
 * Merges `desired` into `existing`: conditions of other types are kept in place, existing types are
 * updated in place, new types are appended. A condition whose status did not change keeps its
 * `lastTransitionTime`, so rewriting the same status is a no-op.
 */
export function mergeConditions(
  existing: readonly Condition[],
  desired: readonly DesiredCondition[],
  nowMs: number,
): Condition[] {
  const byType = new Map(desired.map(d => [d.type, d]));
  const stamp = (d: DesiredCondition, old: Condition | undefined): Condition => ({
    ...d,
    lastTransitionTime:
      old !== undefined && old.status === d.status ? old.lastTransitionTime : conditionTime(nowMs),
  });
  const merged = existing.map(old => {
    const d = byType.get(old.type);
    if (d === undefined) return old;
    byType.delete(old.type);
    return stamp(d, old);
  });
  return [...merged, ...[...byType.values()].map(d => stamp(d, undefined))];
}

/** Compares everything a reader acts on; `lastTransitionTime` is bookkeeping. */
function sameCondition(a: Condition, b: Condition): boolean {
  return (
    a.type === b.type &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.observedGeneration === b.observedGeneration
  );
}

/** Equality of two condition lists, ignoring `lastTransitionTime` and order. */
export function conditionsEqual(a: readonly Condition[], b: readonly Condition[]): boolean {
  if (a.length !== b.length) return false;
  const byType = new Map(b.map(c => [c.type, c]));
  return a.every(c => {
    const other = byType.get(c.type);
    return other !== undefined && sameCondition(c, other);
  });
}

/**
 * Whether the stored status was computed from a newer generation than ours; writing would then
 * regress it, so the writer skips (the Gateway API implementers guide's rule).
 */
export function isStale(existing: readonly Condition[], generation: number): boolean {
  return existing.some(
    c => c.observedGeneration !== undefined && c.observedGeneration > generation,
  );
}
