/**
 * Condition lists as Gateway API and most CRDs use them (incidents-and-gateway-api.md §4.1): a map
 * keyed by `type`, merged read-modify-write, `lastTransitionTime` changed only when `status` changes,
 * at most {@link MAX_CONDITIONS} entries, and nobody else's condition ever removed or reordered.
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

/** The API's limit on one condition list (`+kubebuilder:validation:MaxItems=8`). */
export const MAX_CONDITIONS = 8;

/** RFC 3339 with second precision, the form metav1.Time uses. */
export function conditionTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}

/**
 * Whether a condition type is one the Gateway API defines (`Accepted`, `Programmed`, …), which on an
 * object of ours only we set. Anyone else's carries a domain prefix (`example.com/Thing`), and the API
 * forbids us to remove, change or reorder it.
 */
export function isApiConditionType(type: string): boolean {
  return !type.includes("/");
}

/** Never owns anything: every condition not desired is kept. */
const OWNS_NOTHING = (): boolean => false;

/**
 * Merges `desired` into `existing`: conditions of other types are kept in place, existing types are
 * updated in place, new types are appended. A condition whose status did not change keeps its
 * `lastTransitionTime`, so rewriting the same status is a no-op. An existing condition that `owns`
 * claims and `desired` no longer holds is removed. New types that would pass {@link MAX_CONDITIONS}
 * are left out: the limit is the API server's, and the conditions already there are not ours to drop.
 */
export function mergeConditions(
  existing: readonly Condition[],
  desired: readonly DesiredCondition[],
  nowMs: number,
  owns: (type: string) => boolean = OWNS_NOTHING,
): Condition[] {
  const byType = new Map(desired.map(d => [d.type, d]));
  const stamp = (d: DesiredCondition, old: Condition | undefined): Condition => ({
    ...d,
    lastTransitionTime:
      old !== undefined && old.status === d.status ? old.lastTransitionTime : conditionTime(nowMs),
  });
  const merged: Condition[] = [];
  for (const old of existing) {
    const d = byType.get(old.type);
    if (d === undefined) {
      if (!owns(old.type)) merged.push(old);
      continue;
    }
    byType.delete(old.type);
    merged.push(stamp(d, old));
  }
  for (const d of byType.values()) {
    if (merged.length >= MAX_CONDITIONS) break;
    merged.push(stamp(d, undefined));
  }
  return merged;
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
 * regress it, so the writer skips (the Gateway API implementers guide's rule). Without a generation
 * of ours nothing can be compared.
 */
export function isStale(existing: readonly Condition[], generation: number | undefined): boolean {
  if (generation === undefined) return false;
  return existing.some(
    c => c.observedGeneration !== undefined && c.observedGeneration > generation,
  );
}

const STATUSES: ReadonlySet<string> = new Set(["True", "False", "Unknown"]);

function isCondition(value: unknown): value is Condition {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c["type"] === "string" && typeof c["status"] === "string" && STATUSES.has(c["status"])
  );
}

/**
 * A condition list as the cluster holds it. Entries are kept as they are, unknown fields included,
 * since a merge patch replaces the list whole and others' conditions must go back unchanged; what is
 * not a condition at all reads as absent.
 */
export function observedConditions(value: unknown): Condition[] {
  return Array.isArray(value) ? value.filter(isCondition) : [];
}
