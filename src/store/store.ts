/**
 * The in-memory cache the watchers fill and snapshots read. Every upsert/remove says whether the change
 * matters to the Kong config, judged from the store's own cached copy (so a delete needs no payload).
 *
 * Secrets: every Secret in the watched namespaces is watched as metadata only; those referenced by an
 * Ingress we translate, or labelled for us, are kept with their data, fetched with one GET each (see
 * secret-fetcher.ts) when they become needed and again whenever the watch announces a new version. The
 * rest are kept as stubs. Metadata is never taken for a Secret without data: a Secret whose data has
 * not arrived stays out of snapshots, and while one that translation needs is on its way the
 * snapshotter keeps handing out the last complete snapshot (`awaitingData`), so that a certificate is
 * never dropped from Kong's config just because its bytes are still in flight.
 */
import type { Logger } from "pino";
import type { GatewayClass, GatewayRoute, Gateway } from "../model/gateway-api.ts";
import type {
  EndpointSlice,
  Ingress,
  IngressClass,
  KubeObject,
  Secret,
  Service,
} from "../model/k8s.ts";
import { KIND_NAMES, type KindName } from "../model/kinds.ts";
import { splitApiVersion, type ObjectRef } from "../model/object-ref.ts";
import type { ObjectName, ReflectorSink } from "../kube/reflector.ts";
import { isMetadataOnly } from "../kube/trim.ts";
import { deepFreeze } from "../util/deep-freeze.ts";
import {
  gatewayReferences,
  ingressReferences,
  routeReferences,
  serviceReferences,
  isLabelledSecret,
  isOurIngress,
  nameKey,
  namespaceAllowed,
  sliceServiceKey,
  type References,
} from "./ownership.ts";
import { ReferenceIndex } from "./references.ts";
import {
  annotatedPluginKeys,
  consumerReferences,
  extensionRefPluginKeys,
  isGlobalPlugin,
  pluginReferencesOf,
  serviceKongReferences,
} from "./kong-ownership.ts";
import type { AnyKongPlugin, KongConsumerObject } from "../model/kong.ts";
import { isOurClassAnnotated } from "../translator/kong-class.ts";
import { identityOf, rawIdentity, type Identity } from "./identity.ts";
import { fingerprintOf, SetDigest } from "./fingerprint.ts";
import { Compactor } from "./compact.ts";

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
  /** `--gateway-api-controller-name`: GatewayClasses naming it are ours. */
  readonly gatewayControllerName?: string;
  /** `--watch-namespace`; objects elsewhere are ignored even if a watcher delivered them. */
  readonly watchNamespaces?: readonly string[];
  readonly logger: Logger;
}

/**
 * Every entry carries the fingerprint of its content (fingerprint.ts): equal content, no change. An
 * entry with an object reads its identity from the object's metadata (see {@link idOf}), so that
 * thousands of entries do not each hold a copy of it.
 */
type Entry = { readonly fingerprint: string } & (
  | { readonly state: "kept"; readonly obj: KubeObject }
  /** A Secret we do not need, held without its data. */
  | { readonly state: "stub"; readonly obj: Secret }
  | { readonly state: "invalid"; readonly invalid: InvalidObject; readonly id: Identity }
);

const ALL_KINDS: readonly KindName[] = KIND_NAMES;

type ConfigurationKind = "ReferenceGrant" | "IngressClassParameters";

/** Kinds that only adjust how others are read (grants, class parameters). */
function isConfigurationKind(kind: KindName): kind is ConfigurationKind {
  return kind === "ReferenceGrant" || kind === "IngressClassParameters";
}

export class Store implements ReflectorSink {
  readonly #opts: StoreOptions;
  readonly #log: Logger;
  readonly #entries = new Map<KindName, Map<string, Entry>>(ALL_KINDS.map(k => [k, new Map()]));
  readonly #classes = new Map<string, IngressClass>();
  readonly #refs = new ReferenceIndex();
  /**
   * Needed Secrets whose data, at the version the watch last announced, has not arrived. `blocking`:
   * no data is held at all (and fetching has not given up), so a snapshot now would miss it.
   */
  readonly #secretNeeds = new Map<
    string,
    { readonly uid: string; readonly resourceVersion: string; blocking: boolean }
  >();
  readonly #listeners = new Set<(change: StoreChange) => void>();
  readonly #secretListeners = new Set<(name: ObjectName) => void>();
  /** Per kind: bumped whenever the kind's kept objects change, so snapshots re-sort only that kind. */
  readonly #kindVersions = new Map<KindName, number>(ALL_KINDS.map(k => [k, 0]));
  /** The fingerprints of every kept object: the snapshot's content hash. */
  readonly #digest = new SetDigest();
  readonly #compactor = new Compactor();
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

  /** Needed Secrets whose data is still to be fetched (at the version last announced). */
  secretsToFetch(): ObjectName[] {
    return [...this.#secretNeeds.keys()].map(splitKey);
  }

  /** Whether this Secret's data is still to be fetched. */
  needsSecretData(name: ObjectName): boolean {
    return this.#secretNeeds.has(nameKey(name.namespace, name.name));
  }

  /**
   * A Secret translation reads has no data yet: a snapshot taken now would lack it. Its arrival (or
   * the end of the need) is a relevant change of its own.
   */
  awaitingData(): boolean {
    for (const need of this.#secretNeeds.values()) if (need.blocking) return true;
    return false;
  }

  /**
   * Fetching this Secret keeps failing: snapshots stop waiting for it (translation reports it missing)
   * while fetching goes on.
   */
  secretUnavailable(name: ObjectName): void {
    const key = nameKey(name.namespace, name.name);
    const need = this.#secretNeeds.get(key);
    if (need?.blocking !== true) return;
    need.blocking = false;
    this.#emit({ kind: "Secret", ...name, type: "upsert" });
  }

  upsert(kind: KindName, raw: unknown): boolean {
    const id = rawIdentity(raw);
    if (id === undefined) {
      this.#log.warn({ kind }, "Ignoring an object without a name");
      return false;
    }
    if (!namespaceAllowed(id.namespace, this.#opts.watchNamespaces ?? [])) return false;
    const key = nameKey(id.namespace, id.name);
    if (kind === "Secret" && isMetadataOnly(raw)) return this.#upsertSecretMetadata(key, raw);
    // Same content (a status write, a relist, a resync): nothing to do, and the cached object stays.
    const prev = this.#map(kind).get(key);
    const fingerprint = fingerprintOf(kind, key, raw);
    if (kind !== "Secret" && prev?.fingerprint === fingerprint && idOf(prev).uid === id.uid)
      return false;
    const changed = this.#put(kind, key, this.#entryFor(kind, key, raw, fingerprint));
    // A whole Secret: its data is now held (or not wanted).
    return kind === "Secret" ? this.#endSecretNeed(key, changed) : changed;
  }

  #put(kind: KindName, key: string, next: Entry): boolean {
    const prev = this.#map(kind).get(key);
    if (prev !== undefined && sameContent(prev, next)) return false;
    this.#set(kind, key, prev, next);
    return this.#changed({ kind, key, type: "upsert" }, prev, next);
  }

  /**
   * A Secret as the metadata-only watch sends it. A Secret we need the data of is fetched; until the
   * data arrives, a version held before stays in use.
   */
  #upsertSecretMetadata(key: string, raw: unknown): boolean {
    const next = this.#entryFor("Secret", key, secretOfMetadata(raw));
    if (next.state !== "kept") return this.#endSecretNeed(key, this.#put("Secret", key, next));
    const prev = this.#map("Secret").get(key);
    if (prev?.state === "kept") {
      // The version held is the one announced: whatever was needed has arrived.
      if (sameVersion(prev, next)) return this.#endSecretNeed(key, false);
      this.#needSecret(key, idOf(next), false);
      return false;
    }
    const changed = this.#put("Secret", key, {
      state: "stub",
      obj: stubOf(next.obj as Secret),
      fingerprint: next.fingerprint,
    });
    this.#needSecret(key, idOf(next), true);
    return changed;
  }

  remove(kind: KindName, name: ObjectName): boolean {
    const key = nameKey(name.namespace, name.name);
    const prev = this.#map(kind).get(key);
    if (prev === undefined) return false;
    this.#set(kind, key, prev, undefined);
    const changed = this.#changed({ kind, key, type: "remove" }, prev, undefined);
    return kind === "Secret" ? this.#endSecretNeed(key, changed) : changed;
  }

  names(kind: KindName, namespace: string | undefined): ObjectName[] {
    const out: ObjectName[] = [];
    for (const entry of this.#map(kind).values()) {
      const id = idOf(entry);
      if (namespace === undefined || id.namespace === namespace)
        out.push({ namespace: id.namespace, name: id.name });
    }
    return out;
  }

  /**
   * Stores a whole Secret fetched on demand, if its data is still needed and it is the incarnation
   * (uid) the watch last announced. The need ends when it is the version announced; a fetch may also
   * return a newer one than the watch has told of yet, which is held and ends the need once the watch
   * announces it. Returns whether that was a relevant change.
   */
  fillSecret(raw: unknown): boolean {
    const id = rawIdentity(raw);
    if (id === undefined || isMetadataOnly(raw)) return false;
    const key = nameKey(id.namespace, id.name);
    const need = this.#secretNeeds.get(key);
    // Another uid: the watch has yet to tell of the delete and re-create, and will.
    if (need === undefined || need.uid !== id.uid) return false;
    const lifted = need.blocking;
    if (id.resourceVersion === need.resourceVersion) this.#secretNeeds.delete(key);
    else need.blocking = false;
    return this.#put("Secret", key, this.#entryFor("Secret", key, raw)) || lifted;
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

  /** The entry for `raw`; `fingerprint` is its fingerprint, when the caller has it already. */
  #entryFor(
    kind: KindName,
    key: string,
    raw: unknown,
    fingerprint = fingerprintOf(kind, key, raw),
  ): Entry {
    const parsed = this.#opts.parse(raw);
    if (parsed.ok !== true) {
      const id = rawIdentity(raw) ?? { namespace: "", name: "", uid: "", resourceVersion: "" };
      const reason =
        parsed.ok === false
          ? parsed.reason
          : `unsupported kind ${parsed.kind} in API version ${parsed.apiVersion}`;
      return { state: "invalid", invalid: invalidOf(kind, raw, reason), id, fingerprint };
    }
    const obj = deepFreeze(this.#compactor.compact(parsed.object));
    if (kind === "Secret" && !this.#wantsSecretData(key, obj as Secret))
      return { state: "stub", obj: stubOf(obj as Secret), fingerprint };
    return { state: "kept", obj, fingerprint };
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
    if (isKongKind(kind)) return this.#kongRelevance(kind, key, [prev, next]);
    if (isRouteKind(kind)) {
      this.#indexReferences(kind, key, next, o => {
        const route = o as GatewayRoute;
        const kong = [...annotatedPluginKeys(route), ...extensionRefPluginKeys(route)];
        return { ...routeReferences(route), kong };
      });
      return true;
    }
    if (isConfigurationKind(kind)) return this.#configurationChanged(kind, key);
    switch (kind) {
      case "IngressClass":
        return this.#ingressClassChanged(key, next);
      case "Ingress":
        return this.#indexIngress(key, next);
      case "Service":
        // Every Service is indexed, ours or not: the cost is the data of a Secret that a Service
        // no route of ours uses names for TLS, which translation then does not read.
        this.#indexReferences("Service", key, next, o => {
          const service = o as Service;
          return { ...serviceReferences(service), kong: serviceKongReferences(service).kong ?? [] };
        });
        return this.#refs.isServiceReferenced(key);
      case "EndpointSlice":
        return [prev, next].some(e => {
          const service = e?.state === "kept" ? sliceServiceKey(e.obj as EndpointSlice) : undefined;
          return service !== undefined && this.#refs.isServiceReferenced(service);
        });
      case "Secret":
        return this.#secretChanged(key, prev, next);
      case "ConfigMap":
        return this.#refs.isConfigMapReferenced(key);
      case "GatewayClass":
        return [prev, next].some(
          e =>
            e?.state === "kept" &&
            (e.obj as GatewayClass).spec.controllerName === this.#opts.gatewayControllerName,
        );
      case "Gateway":
        this.#indexReferences("Gateway", key, next, o => gatewayReferences(o as Gateway));
        return true;
      case "Namespace":
        // Only a Gateway listener's namespace selector reads a namespace's labels.
        return this.#map("Gateway").size > 0;
    }
  }

  /** Kong's own kinds (kong-ownership.ts). */
  #kongRelevance(
    kind: KongKind,
    key: string,
    entries: readonly [Entry | undefined, Entry | undefined],
  ): boolean {
    switch (kind) {
      case "KongPlugin":
      case "KongClusterPlugin":
        return this.#pluginChanged(kind, key, entries);
      case "KongConsumer":
        return this.#indexConsumer(key, entries[1]);
      case "KongUpstreamPolicy":
        return this.#refs.isKongReferenced(`${kind}/${key}`);
    }
  }

  /**
   * Re-indexes what a Gateway or route reads. Which Gateways and routes are ours is for translation to
   * say (it follows parentRefs and classes), so every one is indexed: the cost is fetching the data of
   * a Secret a foreign Gateway names, which translation then does not use.
   */
  #indexReferences(
    kind: KindName,
    key: string,
    entry: Entry | undefined,
    references: (obj: KubeObject) => References,
  ): void {
    this.#setReferences(kind, key, entry?.state === "kept" ? references(entry.obj) : undefined);
  }

  /**
   * Indexes what the `kind` object at `key` references, and follows the Secrets it now names or no
   * longer names.
   */
  #setReferences(kind: KindName, key: string, refs: References | undefined): void {
    const transitions = this.#refs.set(kind, key, refs);
    for (const secretKey of transitions.added) this.#secretReferenced(secretKey);
    for (const secretKey of transitions.removed) this.#secretUnreferenced(secretKey);
  }

  #configurationChanged(kind: ConfigurationKind, key: string): boolean {
    return kind === "ReferenceGrant" || this.#classParametersChanged(key);
  }

  /** Whether our IngressClass names these parameters (`spec.parameters`). */
  #classParametersChanged(key: string): boolean {
    const params = this.#classes.get(this.#opts.ingressClass)?.spec.parameters;
    const { namespace, name } = splitKey(key);
    return (
      params?.kind === "IngressClassParameters" &&
      params.name === name &&
      (params.namespace ?? "") === namespace
    );
  }

  #ingressClassChanged(key: string, next: Entry | undefined): boolean {
    const { name } = splitKey(key);
    if (next?.state === "kept") this.#classes.set(name, next.obj as IngressClass);
    else this.#classes.delete(name);
    if (name !== this.#opts.ingressClass) return false;
    // Whether classless Ingresses (and KongConsumers) are ours depends on our IngressClass being the default.
    for (const [ingressKey, entry] of this.#map("Ingress")) this.#indexIngress(ingressKey, entry);
    for (const [consumerKey, entry] of this.#map("KongConsumer"))
      this.#indexConsumer(consumerKey, entry);
    return true;
  }

  /** A plugin matters when something names it; a KongClusterPlugin also when it is (or was) global. */
  #pluginChanged(
    kind: "KongPlugin" | "KongClusterPlugin",
    key: string,
    entries: readonly (Entry | undefined)[],
  ): boolean {
    const next = entries[1];
    this.#indexReferences(kind, key, next, o => pluginReferencesOf(o as AnyKongPlugin));
    const global = entries.some(e => e?.state === "kept" && isGlobalPlugin(e.obj));
    return (
      this.#refs.isKongReferenced(`${kind}/${key}`) || (kind === "KongClusterPlugin" && global)
    );
  }

  /** Re-indexes one KongConsumer; returns whether it is, or was, ours. */
  #indexConsumer(key: string, entry: Entry | undefined): boolean {
    const wasOurs = this.#refs.has("KongConsumer", key);
    const consumer = entry?.state === "kept" ? (entry.obj as KongConsumerObject) : undefined;
    const ours =
      consumer !== undefined &&
      isOurClassAnnotated(consumer, this.#classes, this.#opts.ingressClass);
    this.#setReferences("KongConsumer", key, ours ? consumerReferences(consumer) : undefined);
    return wasOurs || ours;
  }

  /** Re-indexes one Ingress; returns whether it is, or was, ours. */
  #indexIngress(key: string, entry: Entry | undefined): boolean {
    const wasOurs = this.#refs.has("Ingress", key);
    const ingress = entry?.state === "kept" ? (entry.obj as Ingress) : undefined;
    const ours =
      ingress !== undefined && isOurIngress(ingress, this.#classes, this.#opts.ingressClass);
    const refs = ours
      ? { ...ingressReferences(ingress), kong: annotatedPluginKeys(ingress) }
      : undefined;
    this.#setReferences("Ingress", key, refs);
    return wasOurs || ours;
  }

  #secretChanged(key: string, prev: Entry | undefined, next: Entry | undefined): boolean {
    // A new stub of a needed Secret changes nothing yet: the arrival of its data will.
    const referencedDelete = next === undefined && this.#refs.isSecretReferenced(key);
    return prev?.state === "kept" || next?.state === "kept" || referencedDelete;
  }

  #secretReferenced(key: string): void {
    const entry = this.#map("Secret").get(key);
    if (entry?.state === "stub") this.#needSecret(key, idOf(entry), true);
  }

  /** Records that this Secret's data (at version `id`) is needed, and asks for it. */
  #needSecret(key: string, id: Identity, blocking: boolean): void {
    const known = this.#secretNeeds.get(key);
    // A relist re-announcing a Secret whose fetching gave up must not hold snapshots back again.
    const givenUp = known?.uid === id.uid && !known.blocking;
    this.#secretNeeds.set(key, {
      uid: id.uid,
      resourceVersion: id.resourceVersion,
      blocking: blocking && !givenUp,
    });
    const name = splitKey(key);
    for (const listener of this.#secretListeners) {
      this.#safely(() => {
        listener(name);
      });
    }
  }

  /** Drops a need; returns whether snapshots were waiting for it. */
  #clearSecretNeed(key: string): boolean {
    const need = this.#secretNeeds.get(key);
    this.#secretNeeds.delete(key);
    return need?.blocking === true;
  }

  /**
   * Ends a need after a change (`changed`: already reported). When snapshots were waiting for it, its
   * end is a change of its own, so that the next cycle takes the now complete snapshot.
   */
  #endSecretNeed(key: string, changed: boolean): boolean {
    const lifted = this.#clearSecretNeed(key);
    if (lifted && !changed) this.#emit({ kind: "Secret", ...splitKey(key), type: "upsert" });
    return changed || lifted;
  }

  // The Ingress change that unreferences a Secret is relevant itself, also when it ends a need.
  #secretUnreferenced(key: string): void {
    const entry = this.#map("Secret").get(key);
    if (entry === undefined || entry.state === "invalid" || isLabelledSecret(entry.obj as Secret))
      return;
    this.#clearSecretNeed(key);
    if (entry.state !== "kept") return;
    this.#set("Secret", key, entry, { ...entry, state: "stub", obj: stubOf(entry.obj as Secret) });
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

type KongKind = "KongPlugin" | "KongClusterPlugin" | "KongConsumer" | "KongUpstreamPolicy";

const ROUTE_KINDS: ReadonlySet<KindName> = new Set([
  "HTTPRoute",
  "GRPCRoute",
  "TCPRoute",
  "UDPRoute",
  "TLSRoute",
]);

function isRouteKind(kind: KindName): kind is GatewayRoute["kind"] {
  return ROUTE_KINDS.has(kind);
}

function isKongKind(kind: KindName): kind is KongKind {
  return kind.startsWith("Kong");
}

/** Where the entry's object lives and which version it is. */
function idOf(entry: Entry): Identity {
  return entry.state === "invalid" ? entry.id : identityOf(entry.obj);
}

/** Kept objects are translation input; invalid ones are reported with the snapshot. */
function inSnapshots(entry: Entry | undefined): boolean {
  return entry !== undefined && entry.state !== "stub";
}

/** Same state and same content: nothing translation reads changed (a status write, a relist). */
function sameContent(a: Entry, b: Entry): boolean {
  return a.state === b.state && idOf(a).uid === idOf(b).uid && a.fingerprint === b.fingerprint;
}

/** The same version of the same object (a Secret with data and its metadata-only announcement). */
function sameVersion(a: Entry, b: Entry): boolean {
  const [x, y] = [idOf(a), idOf(b)];
  return (
    x.uid === y.uid &&
    x.resourceVersion === y.resourceVersion &&
    // Without a resourceVersion (e.g. hand-made objects) only a full comparison would be safe.
    x.resourceVersion !== ""
  );
}

/** A metadata-only Secret as the Secret it describes, without data (the parser checks the metadata). */
function secretOfMetadata(raw: unknown): unknown {
  const metadata = (raw as { metadata?: unknown }).metadata;
  return { apiVersion: "v1", kind: "Secret", metadata };
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
