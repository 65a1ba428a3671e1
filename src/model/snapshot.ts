/**
 * The translator's input, shared by everything that makes one (the store, the CLI from manifest files)
 * and everything that reads one (translator, sender): one sorted, frozen list per registered kind.
 */
import { compareStrings } from "../util/compare.ts";
import { deepFreeze } from "../util/deep-freeze.ts";
import type { KubeObject } from "./k8s.ts";
import { KIND_DEFINITIONS, type KindName, type KindObjects, type ListOf } from "./kinds.ts";
import { objectKey } from "./object-ref.ts";

/**
 * Everything translation reads: a frozen, point-in-time view of the watched objects, one list per kind
 * of the registry (kinds.ts), each sorted by namespace, then name. Never mutated.
 */
export type Snapshot = {
  readonly [K in KindName as ListOf<K>]: readonly KindObjects[K][];
};

/** The snapshot list names, each with its kind, in registry order. */
export const SNAPSHOT_LISTS: readonly { readonly list: keyof Snapshot; readonly kind: KindName }[] =
  Object.freeze(
    KIND_DEFINITIONS.map(def => ({ list: def.list as keyof Snapshot, kind: def.kind })),
  );

export function byNamespaceName(a: KubeObject, b: KubeObject): number {
  return (
    compareStrings(a.metadata.namespace ?? "", b.metadata.namespace ?? "") ||
    compareStrings(a.metadata.name, b.metadata.name)
  );
}

/** A snapshot from one list per kind; kinds left out are empty. The lists are used as they are. */
export function snapshotOf(lists: Partial<Record<KindName, readonly KubeObject[]>>): Snapshot {
  const out: Record<string, readonly KubeObject[]> = {};
  for (const { list, kind } of SNAPSHOT_LISTS) out[list] = lists[kind] ?? [];
  return out as unknown as Snapshot;
}

/**
 * Groups parsed objects into a deep-frozen {@link Snapshot}, each list sorted by namespace then name.
 * When two objects share kind, namespace and name, the later one wins (as successive applies would).
 * Objects of other kinds are left out. The objects themselves are frozen in place, not copied.
 */
export function buildSnapshot(objects: readonly KubeObject[]): Snapshot {
  const byKey = new Map<string, KubeObject>();
  for (const obj of objects) byKey.set(objectKey(obj), obj);
  const lists: Partial<Record<KindName, KubeObject[]>> = {};
  for (const obj of byKey.values()) {
    const kind = obj.kind as KindName;
    (lists[kind] ??= []).push(obj);
  }
  for (const list of Object.values(lists)) list.sort(byNamespaceName);
  return deepFreeze(snapshotOf(lists));
}

/** The objects of one kind in a snapshot. */
export function listOf<K extends KindName>(snapshot: Snapshot, kind: K): readonly KindObjects[K][] {
  const entry = SNAPSHOT_LISTS.find(l => l.kind === kind);
  return entry === undefined ? [] : (snapshot[entry.list] as readonly KindObjects[K][]);
}
