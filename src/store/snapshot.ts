/**
 * Frozen, sorted views of the store for translation, with a content hash (KIC's
 * cache_stores_snapshot.go skips translation when its hash is unchanged; ours hashes content, not
 * resourceVersions, so a status write is not new input).
 */
import type { KubeObject } from "../model/k8s.ts";
import type { KindName } from "../model/kinds.ts";
import { byNamespaceName, SNAPSHOT_LISTS, snapshotOf, type Snapshot } from "../model/snapshot.ts";
import { compareStrings } from "../util/compare.ts";
import { deepFreeze } from "../util/deep-freeze.ts";
import type { InvalidObject } from "./store.ts";

/** A translation input plus what identifies it and what had to be left out of it. */
export interface StoreSnapshot extends Snapshot {
  /** Hex digest of the content of every object in the snapshot (the store's `contentHash`). */
  readonly hash: string;
  /** Objects that failed parsing, sorted by kind, namespace, name. */
  readonly invalid: readonly InvalidObject[];
}

/** What a snapshot is taken from; the Store implements it. */
export interface SnapshotSource {
  /** Changes whenever the content changes. */
  readonly version: number;
  /** Changes whenever the objects of `kind` change. */
  kindVersion(kind: KindName): number;
  /** Digest of the content of every object `objects` returns. */
  contentHash(): string;
  objects(kind: KindName): KubeObject[];
  invalidObjects(): InvalidObject[];
  /** Data translation reads is still on its way (a Secret being fetched): a snapshot would lack it. */
  awaitingData?(): boolean;
}

function sortedList(source: SnapshotSource, kind: KindName): readonly KubeObject[] {
  // The objects are frozen by the store already; freezing the array is enough.
  return Object.freeze(source.objects(kind).sort(byNamespaceName));
}

function sortedInvalid(source: SnapshotSource): readonly InvalidObject[] {
  return source
    .invalidObjects()
    .sort(
      (a, b) =>
        compareStrings(a.ref.kind, b.ref.kind) ||
        compareStrings(a.ref.namespace, b.ref.namespace) ||
        compareStrings(a.ref.name, b.ref.name),
    );
}

/** Takes a deep-frozen snapshot; every list is sorted by namespace, then name. */
export function takeSnapshot(source: SnapshotSource): StoreSnapshot {
  return new Snapshotter(source).take();
}

/**
 * Hands out the same snapshot object until the source changes, and then re-sorts only the kinds that
 * changed: one edited Ingress costs a sort of the Ingresses, not of every object in the cluster. It never
 * hands out one that lacks data on its way (the first snapshot waits at start-up: see the controller).
 */
export class Snapshotter {
  readonly #source: SnapshotSource;
  readonly #lists = new Map<KindName, { version: number; list: readonly KubeObject[] }>();
  #last: { version: number; snapshot: StoreSnapshot } | undefined;

  constructor(source: SnapshotSource) {
    this.#source = source;
  }

  take(): StoreSnapshot {
    const version = this.#source.version;
    if (this.#last?.version === version) return this.#last.snapshot;
    // The last complete snapshot until the data arrives, which is a change of its own.
    if (this.#last !== undefined && this.#source.awaitingData?.() === true)
      return this.#last.snapshot;
    const lists: Partial<Record<KindName, readonly KubeObject[]>> = {};
    for (const { kind } of SNAPSHOT_LISTS) {
      const kindVersion = this.#source.kindVersion(kind);
      let cached = this.#lists.get(kind);
      if (cached?.version !== kindVersion) {
        cached = { version: kindVersion, list: sortedList(this.#source, kind) };
        this.#lists.set(kind, cached);
      }
      lists[kind] = cached.list;
    }
    const snapshot: StoreSnapshot = Object.freeze({
      ...snapshotOf(lists),
      hash: this.#source.contentHash(),
      invalid: deepFreeze(sortedInvalid(this.#source)),
    });
    this.#last = { version, snapshot };
    return snapshot;
  }
}
