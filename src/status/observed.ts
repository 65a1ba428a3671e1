/**
 * The statuses the cluster shows, as the watch delivers them. The status writer compares what it wants
 * with these instead of reading every object back (issue 7: one GET per configured Ingress per
 * accepted config). Only the status travels here: the store and translation never see it.
 */
import type { WatchedKind } from "../kube/kinds.ts";
import type { ObjectName, ReflectorSink } from "../kube/reflector.ts";
import { refKey } from "../model/object-ref.ts";
import { isRecord } from "../util/is-record.ts";

/** An object's status as last seen by the watch, with what tells versions and objects apart. */
export interface ObservedStatus {
  /** The version the object is watched at (src/kube/trim.ts sets it): one the API server serves. */
  readonly apiVersion: string | undefined;
  readonly uid: string | undefined;
  readonly resourceVersion: string;
  readonly generation: number | undefined;
  /** The object's `status`, trimmed to the part we write (src/kube/trim.ts). */
  readonly status: unknown;
}

type Json = Record<string, unknown>;

function stringField(from: Json, key: string): string | undefined {
  const value = from[key];
  return typeof value === "string" ? value : undefined;
}

function observedOf(raw: Json): { name: ObjectName; observed: ObservedStatus } | undefined {
  const metadata = raw["metadata"];
  if (!isRecord(metadata)) return undefined;
  const name = stringField(metadata, "name");
  if (name === undefined || name === "") return undefined;
  const generation = metadata["generation"];
  return {
    name: { namespace: stringField(metadata, "namespace") ?? "", name },
    observed: {
      apiVersion: stringField(raw, "apiVersion"),
      uid: stringField(metadata, "uid"),
      resourceVersion: stringField(metadata, "resourceVersion") ?? "",
      generation: typeof generation === "number" ? generation : undefined,
      status: raw["status"],
    },
  };
}

/** The observed status of every watched object of the kinds we write status on, by `refKey`. */
export class ObservedStatusIndex {
  readonly #byKey = new Map<string, ObservedStatus>();
  readonly #listeners = new Set<(key: string) => void>();

  /** Objects indexed. */
  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): ObservedStatus | undefined {
    return this.#byKey.get(key);
  }

  /** Subscribes to "the observed status of `key` changed or went away"; returns the unsubscribe. */
  onChange(listener: (key: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Records a watched object; a relist's repeat of the same version changes nothing. */
  record(kind: WatchedKind, raw: unknown): void {
    const seen = isRecord(raw) ? observedOf(raw) : undefined;
    if (seen === undefined) return;
    const key = refKey({ kind, ...seen.name });
    const previous = this.#byKey.get(key);
    if (previous !== undefined && previous.resourceVersion === seen.observed.resourceVersion)
      return;
    this.#byKey.set(key, seen.observed);
    this.#notify(key);
  }

  forget(kind: WatchedKind, name: ObjectName): void {
    const key = refKey({ kind, ...name });
    if (this.#byKey.delete(key)) this.#notify(key);
  }

  #notify(key: string): void {
    for (const listener of this.#listeners) listener(key);
  }
}

export interface StatusObservingSinkOptions {
  /** Where objects go on to, without their status (the store). */
  readonly inner: ReflectorSink;
  readonly index: ObservedStatusIndex;
  /** The kinds whose status is recorded and taken off. */
  readonly kinds: ReadonlySet<WatchedKind>;
}

function withoutStatus(raw: unknown): unknown {
  if (!isRecord(raw) || !("status" in raw)) return raw;
  const rest = { ...raw };
  delete rest["status"];
  return rest;
}

/**
 * A ReflectorSink in front of the store: records the status of each object of `kinds`, then hands the
 * object on without it, so that a status write never looks like a change to translation's input.
 */
export class StatusObservingSink implements ReflectorSink {
  readonly #o: StatusObservingSinkOptions;

  constructor(options: StatusObservingSinkOptions) {
    this.#o = options;
  }

  upsert(kind: WatchedKind, raw: unknown): void {
    if (!this.#o.kinds.has(kind)) {
      this.#o.inner.upsert(kind, raw);
      return;
    }
    // Indexed first: whatever the store's change sets off sees the status that came with it.
    this.#o.index.record(kind, raw);
    this.#o.inner.upsert(kind, withoutStatus(raw));
  }

  remove(kind: WatchedKind, name: ObjectName): void {
    this.#o.inner.remove(kind, name);
    if (this.#o.kinds.has(kind)) this.#o.index.forget(kind, name);
  }

  names(kind: WatchedKind, namespace: string | undefined): readonly ObjectName[] {
    return this.#o.inner.names(kind, namespace);
  }
}
