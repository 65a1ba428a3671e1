/**
 * Fallback after a rejection (kic-conventions.md §4.7, done with less collateral): leave out each object
 * Kong named as broken, and nothing else, then translate again.
 *
 * Granularity. A rejected Kong entity is mapped to exactly one object through its `k8s-*` tags, and that
 * object is what is left out — the Ingress for a bad route, the Service for a bad Kong service or
 * upstream, the EndpointSlice for a bad target, the Secret for a bad certificate. Objects that read it
 * (the `dependsOn` lists translation recorded) are not dropped wholesale as KIC does: translation already
 * degrades around a missing reference, so an Ingress keeps every path that does not route to a broken
 * Service, and keeps serving its hosts when its TLS Secret is broken (each with a problem saying why).
 * Those dependants are returned as `affected`; the status report (runtime/applied-status.ts) names the
 * ones that end up contributing nothing as excluded. Finer than one object is not possible: tags name objects, not rules.
 */

import type { EntityFailure } from "../kong/flattened-errors.ts";
import type { KubeObject } from "../model/k8s.ts";
import type { KindName } from "../model/kinds.ts";
import { objectKey, refKey, type ObjectRef } from "../model/object-ref.ts";
import { SNAPSHOT_LISTS, snapshotOf, type Snapshot } from "../model/snapshot.ts";
import type { ObjectResult } from "../translator/types.ts";

export interface FallbackPlan {
  /** The snapshot without the broken objects. */
  readonly snapshot: Snapshot;
  /** Objects Kong named as broken (present in the snapshot), sorted by key: the ones left out. */
  readonly broken: readonly ObjectRef[];
  /** Objects that read a broken object (transitively) and are translated again without it, sorted by key. */
  readonly affected: readonly ObjectRef[];
}

/** dependency key → keys of the objects whose translation read it. */
export function dependantsOf(results: readonly ObjectResult[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const result of results) {
    const dependant = refKey(result.ref);
    for (const dependency of result.dependsOn) {
      const key = refKey(dependency);
      const set = graph.get(key) ?? new Set<string>();
      set.add(dependant);
      graph.set(key, set);
    }
  }
  return graph;
}

/** The broken keys and all their transitive dependants. */
export function exclusionClosure(
  broken: Iterable<string>,
  dependants: ReadonlyMap<string, ReadonlySet<string>>,
): Set<string> {
  const excluded = new Set<string>();
  const stack = [...broken];
  for (let key = stack.pop(); key !== undefined; key = stack.pop()) {
    if (excluded.has(key)) continue;
    excluded.add(key);
    for (const next of dependants.get(key) ?? []) stack.push(next);
  }
  return excluded;
}

/**
 * The snapshot's declared object lists (one per kind of the registry, model/kinds.ts), each passed
 * through `map`, as a new snapshot. Only these are objects: a snapshot from the store also carries its
 * `hash` and the `invalid` objects it could not parse, which must never be read as objects.
 */
export function mapDeclaredLists(
  snapshot: Snapshot,
  map: (list: readonly KubeObject[]) => readonly KubeObject[],
): Snapshot {
  const lists: Partial<Record<KindName, readonly KubeObject[]>> = {};
  for (const { list, kind } of SNAPSHOT_LISTS) lists[kind] = map(snapshot[list]);
  return snapshotOf(lists);
}

/**
 * The translator's input without the objects whose key is in `keys`: the declared lists filtered,
 * nothing else (the store's hash would no longer describe the content).
 */
export function withoutObjects(snapshot: Snapshot, keys: ReadonlySet<string>): Snapshot {
  return mapDeclaredLists(snapshot, list => list.filter(obj => !keys.has(objectKey(obj))));
}

function snapshotObjects(snapshot: Snapshot): Map<string, KubeObject> {
  const objects = new Map<string, KubeObject>();
  mapDeclaredLists(snapshot, list => {
    for (const obj of list) objects.set(objectKey(obj), obj);
    return list;
  });
  return objects;
}

/**
 * What to leave out after Kong rejected the config built from `snapshot`. Undefined when no failure
 * names an object of the snapshot (nothing to exclude: only last-known-good can help).
 */
export function planFallback(input: {
  readonly snapshot: Snapshot;
  readonly results: readonly ObjectResult[];
  readonly failures: readonly EntityFailure[];
}): FallbackPlan | undefined {
  const present = snapshotObjects(input.snapshot);
  const broken = new Map<string, ObjectRef>();
  for (const failure of input.failures) {
    if (failure.ref === undefined) continue;
    const key = refKey(failure.ref);
    if (present.has(key)) broken.set(key, failure.ref);
  }
  if (broken.size === 0) return undefined;
  const closure = exclusionClosure(broken.keys(), dependantsOf(input.results));
  const refs = new Map(input.results.map(r => [refKey(r.ref), r.ref]));
  const sortedRefs = (keys: Iterable<string>): ObjectRef[] =>
    [...keys]
      .filter(key => present.has(key))
      .sort()
      .map(key => refs.get(key) ?? broken.get(key))
      .filter(ref => ref !== undefined);
  return {
    snapshot: withoutObjects(input.snapshot, new Set(broken.keys())),
    broken: sortedRefs(broken.keys()),
    affected: sortedRefs([...closure].filter(key => !broken.has(key))),
  };
}
