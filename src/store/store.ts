/**
 * The in-memory cache the watchers fill and snapshots read. Every upsert/remove says whether the change
 * matters to the Kong config, judged from the store's own cached copy (so a delete needs no payload).
 *
 * Secrets: every Secret in the watched namespaces is watched, but only those referenced by an Ingress
 * we translate, or labelled for us, are kept with their data; the rest are kept as metadata-only stubs.
 * When a stub becomes referenced, its data is fetched with one GET (see secret-fetcher.ts), because the
 * watch would only resend it on the Secret's next change.
 */
import type { Logger } from "pino";
import type { WatchedKind as KindName } from "../kube/kinds.ts";
import type { EndpointSlice, Ingress, IngressClass, KubeObject, Secret } from "../model/k8s.ts";
import { splitApiVersion, type ObjectRef } from "../model/object-ref.ts";
import type { ObjectName, ReflectorSink } from "../kube/reflector.ts";
import { deepFreeze } from "../util/deep-freeze.ts";
import {
  ingressReferences,
  isLabelledSecret,
  isOurIngress,
  nameKey,
  namespaceAllowed,
  sliceServiceKey,
} from "./ownership.ts";
import { ReferenceIndex } from "./references.ts";
import { identityOf, rawIdentity, type Identity } from "./identity.ts";
import { fingerprintOf, SetDigest } from "./fingerprint.ts";

/** Result of checking one raw object (the shape of `parseKubeObject` in src/model/parse.ts). */
export type ParseOutcome =
  | { readonly ok: true; readonly object: KubeObject }
  | { readonly ok: false; readonly reason: string }
  | { readonly ok: "unsupported"; readonly kind: string; readonly apiVersion: string };

export type ObjectParser = (raw: unknown) => ParseOutcome;

/** An object the API server holds but translation cannot use; reported, never translated. */
export interface InvalidObject {
  readonly ref: ObjectRef;
  readonly reason: string;
}

/** A change that matters to the config. */
export interface StoreChange {
  readonly kind: KindName;
  readonly namespace: string;
  readonly name: string;
  readonly type: "upsert" | "remove";
}

export interface StoreOptions {
  /** `--ingress-class`. */
  readonly ingressClass: string;
  readonly parse: ObjectParser;
  /** `--watch-namespace`; objects elsewhere are ignored even if a watcher delivered them. */
  readonly watchNamespaces?: readonly string[];
  readonly logger: Logger;
}

/** Every entry carries the fingerprint of its content (fingerprint.ts): equal content, no change. */
type Entry = { readonly fingerprint: Buffer } & (
  | { readonly state: "kept"; readonly obj: KubeObject; readonly id: Identity }
  /** A Secret we do not need, held without its data. */
  | { readonly state: "stub"; readonly obj: Secret; readonly id: Identity }
  | { readonly state: "invalid"; readonly invalid: InvalidObject; readonly id: Identity }
);

const ALL_KINDS: readonly KindName[] = [
  "IngressClass",
  "Ingress",
  "Service",
  "EndpointSlice",
  "Secret",
];

export class Store implements ReflectorSink {
  readonly #opts: StoreOptions;
  readonly #log: Logger;
  readonly #entries = new Map<KindName, Map<string, Entry>>(ALL_KINDS.map(k => [k, new Map()]));
  readonly #classes = new Map<string, IngressClass>();
  readonly #refs = new ReferenceIndex();
  readonly #pendingSecrets = new Set<string>();
  readonly #listeners = new Set<(change: StoreChange) => void>();
  readonly #secretListeners = new Set<(name: ObjectName) => void>();
  /** Per kind: bumped whenever the kind's kept objects change, so snapshots re-sort only that kind. */
  readonly #kindVersions = new Map<KindName, number>(ALL_KINDS.map(k => [k, 0]));
  /** The fingerprints of every kept object: the snapshot's content hash. */
  readonly #digest = new SetDigest();
  #version = 0;

  constructor(opts: StoreOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: "store" });
  }

  /** Increases whenever anything a snapshot shows changed (relevant or not). */
  get version(): number {
    return this.#version;
  }

  /** Increases whenever the kept objects of `kind` change. */
  kindVersion(kind: KindName): number {
    return this.#kindVersions.get(kind) ?? 0;
  }

  /** Hex digest of the content of every kept object; equal content, equal hash, whatever the order. */
  contentHash(): string {
    return this.#digest.hex();
  }

  /** Subscribes to relevant changes; returns the unsubscribe function. */
  onChange(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Subscribes to "this Secret's data is needed" (a referenced stub). */
  onSecretNeeded(listener: (name: ObjectName) => void): () => void {
    this.#secretListeners.add(listener);
    return () => this.#secretListeners.delete(listener);
  }

  /** Referenced Secrets whose data has not arrived yet; translation without them would miss TLS. */
  pendingSecrets(): ObjectName[] {
    return [...this.#pendingSecrets].map(splitKey);
  }

  upsert(kind: KindName, raw: unknown): boolean {
    const id = rawIdentity(raw);
    if (id === undefined) {
      this.#log.warn({ kind }, "Ignoring an object without a name");
      return false;
    }
    if (!namespaceAllowed(id.namespace, this.#opts.watchNamespaces ?? [])) return false;
    const key = nameKey(id.namespace, id.name);
    const fingerprint = fingerprintOf(kind, key, raw);
    const prev = this.#map(kind).get(key);
    // Same content (a status write, a relist, a resync): nothing to do, and the cached object stays.
    if (prev !== undefined && prev.fingerprint.equals(fingerprint) && prev.id.uid === id.uid) {
      if (prev.state !== "stub" || !this.#wantsSecretData(key, prev.obj)) return false;
    }
    const next = this.#entryFor(kind, key, raw, fingerprint);
    this.#set(kind, key, prev, next);
    return this.#changed({ kind, key, type: "upsert" }, prev, next);
  }

  remove(kind: KindName, name: ObjectName): boolean {
    const key = nameKey(name.namespace, name.name);
    const prev = this.#map(kind).get(key);
    if (prev === undefined) return false;
    this.#set(kind, key, prev, undefined);
    return this.#changed({ kind, key, type: "remove" }, prev, undefined);
  }

  names(kind: KindName, namespace: string | undefined): ObjectName[] {
    const out: ObjectName[] = [];
    for (const entry of this.#map(kind).values()) {
      if (namespace === undefined || entry.id.namespace === namespace)
        out.push({ namespace: entry.id.namespace, name: entry.id.name });
    }
    return out;
  }

  /**
   * Stores a Secret fetched on demand, if it is still a referenced stub with the same uid. Returns
   * whether it was taken (a relevant change).
   */
  fillSecret(raw: unknown): boolean {
    const id = rawIdentity(raw);
    if (id === undefined) return false;
    const key = nameKey(id.namespace, id.name);
    const prev = this.#map("Secret").get(key);
    if (prev?.state !== "stub" || prev.id.uid !== id.uid || !this.#refs.isSecretReferenced(key)) {
      this.#pendingSecrets.delete(key);
      return false;
    }
    return this.upsert("Secret", raw);
  }

  /** Objects that go into a snapshot: valid, and (for Secrets) kept with their data. Unsorted. */
  objects(kind: KindName): KubeObject[] {
    const out: KubeObject[] = [];
    for (const entry of this.#map(kind).values()) if (entry.state === "kept") out.push(entry.obj);
    return out;
  }

  /** Objects that failed parsing, for events. Unsorted. */
  invalidObjects(): InvalidObject[] {
    const out: InvalidObject[] = [];
    for (const kind of ALL_KINDS) {
      for (const entry of this.#map(kind).values())
        if (entry.state === "invalid") out.push(entry.invalid);
    }
    return out;
  }

  /** A kept object, if any. */
  get(kind: KindName, namespace: string, name: string): KubeObject | undefined {
    const entry = this.#map(kind).get(nameKey(namespace, name));
    return entry?.state === "kept" ? entry.obj : undefined;
  }

  /** Replaces (or, with `next` undefined, deletes) an entry and keeps versions and digest in step. */
  #set(kind: KindName, key: string, prev: Entry | undefined, next: Entry | undefined): void {
    if (next === undefined) this.#map(kind).delete(key);
    else this.#map(kind).set(key, next);
    // Stubs are not in snapshots: churn of unused Secrets (Helm releases, tokens) keeps the cached one.
    if (inSnapshots(prev) || inSnapshots(next)) this.#version++;
    if (prev?.state === "kept") this.#digest.toggle(prev.fingerprint);
    if (next?.state === "kept") this.#digest.toggle(next.fingerprint);
    if (prev?.state === "kept" || next?.state === "kept")
      this.#kindVersions.set(kind, this.kindVersion(kind) + 1);
  }

  #map(kind: KindName): Map<string, Entry> {
    const map = this.#entries.get(kind);
    if (map === undefined) throw new Error(`kind ${kind} is not stored`);
    return map;
  }

  #entryFor(kind: KindName, key: string, raw: unknown, fingerprint: Buffer): Entry {
    const parsed = this.#opts.parse(raw);
    if (parsed.ok !== true) {
      const id = rawIdentity(raw) ?? { namespace: "", name: "", uid: "", resourceVersion: "" };
      const reason =
        parsed.ok === false
          ? parsed.reason
          : `unsupported kind ${parsed.kind} in API version ${parsed.apiVersion}`;
      return { state: "invalid", invalid: invalidOf(kind, raw, reason), id, fingerprint };
    }
    const obj = deepFreeze(parsed.object);
    const id = identityOf(obj);
    if (kind === "Secret" && !this.#wantsSecretData(key, obj as Secret))
      return { state: "stub", obj: stubOf(obj as Secret), id, fingerprint };
    return { state: "kept", obj, id, fingerprint };
  }

  #wantsSecretData(key: string, secret: Secret): boolean {
    return this.#refs.isSecretReferenced(key) || isLabelledSecret(secret);
  }

  /** Updates indexes after a change and reports whether it matters; notifies listeners if so. */
  #changed(
    change: { kind: KindName; key: string; type: StoreChange["type"] },
    prev: Entry | undefined,
    next: Entry | undefined,
  ): boolean {
    const invalidInvolved = prev?.state === "invalid" || next?.state === "invalid";
    const relevant = this.#relevance(change, prev, next) || invalidInvolved;
    if (relevant) {
      const { namespace, name } = splitKey(change.key);
      this.#emit({ kind: change.kind, namespace, name, type: change.type });
    }
    return relevant;
  }

  #relevance(
    change: { kind: KindName; key: string },
    prev: Entry | undefined,
    next: Entry | undefined,
  ): boolean {
    const { kind, key } = change;
    switch (kind) {
      case "IngressClass":
        return this.#ingressClassChanged(key, next);
      case "Ingress":
        return this.#indexIngress(key, next);
      case "Service":
        return this.#refs.isServiceReferenced(key);
      case "EndpointSlice":
        return [prev, next].some(e => {
          const service = e?.state === "kept" ? sliceServiceKey(e.obj as EndpointSlice) : undefined;
          return service !== undefined && this.#refs.isServiceReferenced(service);
        });
      case "Secret":
        return this.#secretChanged(key, prev, next);
    }
  }

  #ingressClassChanged(key: string, next: Entry | undefined): boolean {
    const { name } = splitKey(key);
    if (next?.state === "kept") this.#classes.set(name, next.obj as IngressClass);
    else this.#classes.delete(name);
    if (name !== this.#opts.ingressClass) return false;
    // Whether classless Ingresses are ours depends on our IngressClass being the default.
    for (const [ingressKey, entry] of this.#map("Ingress")) this.#indexIngress(ingressKey, entry);
    return true;
  }

  /** Re-indexes one Ingress; returns whether it is, or was, ours. */
  #indexIngress(key: string, entry: Entry | undefined): boolean {
    const owner = `Ingress/${key}`;
    const wasOurs = this.#refs.has(owner);
    const ingress = entry?.state === "kept" ? (entry.obj as Ingress) : undefined;
    const ours =
      ingress !== undefined && isOurIngress(ingress, this.#classes, this.#opts.ingressClass);
    const transitions = this.#refs.set(owner, ours ? ingressReferences(ingress) : undefined);
    for (const secretKey of transitions.added) this.#secretReferenced(secretKey);
    for (const secretKey of transitions.removed) this.#secretUnreferenced(secretKey);
    return wasOurs || ours;
  }

  #secretChanged(key: string, prev: Entry | undefined, next: Entry | undefined): boolean {
    if (next?.state === "kept" || next === undefined) this.#pendingSecrets.delete(key);
    return prev?.state === "kept" || next?.state === "kept" || this.#refs.isSecretReferenced(key);
  }

  #secretReferenced(key: string): void {
    const entry = this.#map("Secret").get(key);
    if (entry?.state !== "stub") return;
    this.#pendingSecrets.add(key);
    const name = splitKey(key);
    for (const listener of this.#secretListeners) {
      this.#safely(() => {
        listener(name);
      });
    }
  }

  #secretUnreferenced(key: string): void {
    this.#pendingSecrets.delete(key);
    const entry = this.#map("Secret").get(key);
    if (entry?.state !== "kept" || isLabelledSecret(entry.obj as Secret)) return;
    const stub: Entry = { ...entry, state: "stub", obj: stubOf(entry.obj as Secret) };
    this.#set("Secret", key, entry, stub);
  }

  #emit(change: StoreChange): void {
    for (const listener of this.#listeners) {
      this.#safely(() => {
        listener(change);
      });
    }
  }

  // A failing listener must not abort the watch that delivered the change.
  #safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err }, "Store listener failed");
    }
  }
}

/** Kept objects are translation input; invalid ones are reported with the snapshot. */
function inSnapshots(entry: Entry | undefined): boolean {
  return entry !== undefined && entry.state !== "stub";
}

function stubOf(secret: Secret): Secret {
  const stub: { -readonly [K in keyof Secret]?: Secret[K] } = { ...secret };
  delete stub.data;
  return deepFreeze(stub as Secret);
}

function splitKey(key: string): ObjectName {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

function invalidOf(kind: KindName, raw: unknown, reason: string): InvalidObject {
  const id = rawIdentity(raw);
  const apiVersion =
    raw !== null && typeof raw === "object" && "apiVersion" in raw ? String(raw.apiVersion) : "";
  const ref: ObjectRef = {
    ...splitApiVersion(apiVersion),
    kind,
    namespace: id?.namespace ?? "",
    name: id?.name ?? "",
    ...(id?.uid ? { uid: id.uid } : {}),
  };
  return { ref, reason };
}
