/**
 * Frozen, sorted views of the store for translation, with KIC's content hash (cache_stores_snapshot.go):
 * sha256 of the sorted `uid:resourceVersion` pairs, so an unchanged input can skip translation.
 */
import { createHash } from "node:crypto";
import type { WatchedKind } from "../kube/kinds.ts";
import type {
  EndpointSlice,
  Ingress,
  IngressClass,
  KubeObject,
  Secret,
  Service,
} from "../model/k8s.ts";
import type { Snapshot } from "../translator/types.ts";
import { compareStrings } from "../util/compare.ts";
import { deepFreeze } from "../util/deep-freeze.ts";
import type { InvalidObject } from "./store.ts";

/** A translation input plus what identifies it and what had to be left out of it. */
export interface StoreSnapshot extends Snapshot {
  /** Hex sha256 of the sorted `uid:resourceVersion` pairs of every object in the snapshot. */
  readonly hash: string;
  /** Objects that failed parsing, sorted by kind, namespace, name. */
  readonly invalid: readonly InvalidObject[];
}

/** What a snapshot is taken from; the Store implements it. */
export interface SnapshotSource {
  /** Changes whenever the content changes. */
  readonly version: number;
  objects(kind: WatchedKind): KubeObject[];
  invalidObjects(): InvalidObject[];
  /** Data translation reads is still on its way (a Secret being fetched): a snapshot would lack it. */
  awaitingData?(): boolean;
}

function byNamespaceName(a: KubeObject, b: KubeObject): number {
  return (
    compareStrings(a.metadata.namespace ?? "", b.metadata.namespace ?? "") ||
    compareStrings(a.metadata.name, b.metadata.name)
  );
}

function sorted<T extends KubeObject>(source: SnapshotSource, kind: WatchedKind): T[] {
  return (source.objects(kind) as T[]).sort(byNamespaceName);
}

/** The content hash of a set of objects; independent of their order. */
export function snapshotHash(objects: Iterable<KubeObject>): string {
  const pairs: string[] = [];
  for (const obj of objects) {
    const m = obj.metadata;
    // Objects without a uid (never the case for API server objects) are identified by name.
    const id = m.uid ?? `${obj.kind}/${m.namespace ?? ""}/${m.name}`;
    pairs.push(`${id}:${m.resourceVersion ?? ""}`);
  }
  pairs.sort(compareStrings);
  return createHash("sha256").update(pairs.join("\n")).digest("hex");
}

/** Takes a deep-frozen snapshot; every list is sorted by namespace, then name. */
export function takeSnapshot(source: SnapshotSource): StoreSnapshot {
  const lists = {
    ingressClasses: sorted<IngressClass>(source, "IngressClass"),
    ingresses: sorted<Ingress>(source, "Ingress"),
    services: sorted<Service>(source, "Service"),
    endpointSlices: sorted<EndpointSlice>(source, "EndpointSlice"),
    secrets: sorted<Secret>(source, "Secret"),
  };
  const invalid = source
    .invalidObjects()
    .sort(
      (a, b) =>
        compareStrings(a.ref.kind, b.ref.kind) ||
        compareStrings(a.ref.namespace, b.ref.namespace) ||
        compareStrings(a.ref.name, b.ref.name),
    );
  const hash = snapshotHash(Object.values(lists).flat());
  return deepFreeze({ ...lists, hash, invalid });
}

/**
 * Hands out the same snapshot object until the source changes, and never one that lacks data on its
 * way (the first snapshot waits at start-up: see the controller).
 */
export class Snapshotter {
  readonly #source: SnapshotSource;
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
    const snapshot = takeSnapshot(this.#source);
    this.#last = { version, snapshot };
    return snapshot;
  }
}
