/**
 * What a translation leaves for the patch of the next one (patch.ts, patch-endpoints.ts): its
 * snapshot and result, the answers it read besides the snapshot (router flavour, Kong's plugins, the
 * recorded host claims, the instant certificates were judged at, Kong's listeners, the Gateway API
 * bundles), and the stage outputs a patch asks again instead of rebuilding them: host ownership, the
 * TLS hosts' first claimants, the Ingress routes' path claims and the Gateway API evaluation.
 */
import type { Ingress, KubeObject, Service, ServicePort } from "../model/k8s.ts";
import { refKey } from "../model/object-ref.ts";
import { SNAPSHOT_LISTS } from "../model/snapshot.ts";
import { indexOfSorted, sameSet } from "../util/compare.ts";
import { sameSettings } from "./ir/same.ts";
import type { BackendSpec, RouteEmission, ServiceSpec } from "./ir/types.ts";
import { withinBudgets } from "./budgets.ts";
import { admitExternalNames } from "./external-names.ts";
import { objectBudgets } from "./ownership-apply.ts";
import { judgeRoute } from "./services.ts";
import { routeClaims, type PathClaims } from "./conflicts.ts";
import type { IngressRoute } from "./ingress.ts";
import type { TranslationMemo } from "./memo.ts";
import { PluginCatalog } from "./plugins.ts";
import { RecordedResults, type ResultSink } from "./results.ts";
import { admittedServices, type ServiceView } from "./plugin-gate.ts";
import type { HostOwnership, RecordedClaim } from "./ownership.ts";
import type { WriterFlavor } from "./kong-writer/index.ts";
import type { ListenerSupportOf } from "./gateway/listeners.ts";
import type { GatewayApiBundles } from "./gateway/versions.ts";
import type { GatewayApiEvaluation } from "./gateway/index.ts";
import type { ObjectResult, Snapshot, TranslateOptions, TranslationResult } from "./types.ts";

/** What a translation read besides its snapshot: a patch is valid only while each answer is the same. */
export interface PatchInputs {
  readonly flavor: WriterFlavor;
  readonly kongPlugins: ReadonlySet<string> | undefined;
  readonly recorded: readonly RecordedClaim[];
  readonly now: number | undefined;
  /**
   * What Kong's listens say about Gateway listeners, and the installed Gateway API bundles; unset
   * offline. Compared by identity: the controller hands out a new answer only when it changed.
   */
  readonly listenerSupport: ListenerSupportOf | undefined;
  readonly gatewayApiBundles: GatewayApiBundles | undefined;
}

export interface PatchBase {
  readonly snapshot: Snapshot;
  readonly result: TranslationResult;
  readonly inputs: PatchInputs;
  readonly ownership: HostOwnership;
  /** Each TLS host (lower case) with the object whose TLS section claimed it first (tls.ts). */
  readonly tlsHostOwners: ReadonlyMap<string, { readonly owner: KubeObject }>;
  /** The full path's path claims, kept up to date by each patch. */
  readonly claims: ClaimIndex;
  /** The Gateway API evaluation the result's statuses came from, kept up to date by each patch. */
  readonly gatewayApi: GatewayApiEvaluation;
}

/**
 * Every path claim key (conflicts.ts) with the Ingress holding it, and the keys two Ingresses claim:
 * a key held by one Ingress alone decides nothing between Ingresses, so its holder may change it.
 * The maps are the full path's own (`dropConflictingPaths`): indexing them costs nothing.
 */
export class ClaimIndex {
  readonly #holders: Map<string, { readonly ingress: Ingress }>;
  readonly #contested: ReadonlySet<string>;

  constructor(claims: PathClaims) {
    this.#holders = claims.holders;
    this.#contested = claims.contested;
  }

  /** The Ingress holding `key` alone; null when nobody claims it, undefined when several do. */
  soleHolder(key: string): Ingress | null | undefined {
    if (this.#contested.has(key)) return undefined;
    return this.#holders.get(key)?.ingress ?? null;
  }

  /** Applies a patch's moves: a key mapped to null is no longer claimed. */
  apply(moves: ReadonlyMap<string, Ingress | null>): void {
    for (const [key, ingress] of moves)
      if (ingress === null) this.#holders.delete(key);
      else this.#holders.set(key, { ingress });
  }
}

/**
 * Whether `snapshot` differs from the base's in `list` alone (the snapshotter reuses the lists of kinds
 * that did not change), read with the same answers and with no certificate date crossed since.
 */
export function onlyListChanged(
  base: PatchBase,
  snapshot: Snapshot,
  inputs: PatchInputs,
  list: keyof Snapshot,
): boolean {
  if (snapshot === base.snapshot || snapshot[list] === base.snapshot[list]) return false;
  for (const { list: other } of SNAPSHOT_LISTS)
    if (other !== list && snapshot[other] !== base.snapshot[other]) return false;
  const revisitAt = base.result.revisitAt;
  const datesStand = revisitAt === undefined || inputs.now === undefined || inputs.now < revisitAt;
  return datesStand && sameInputs(base.inputs, inputs);
}

/**
 * More objects of a kind changed at once are rare (a rollout): the full path is then about as cheap per
 * change as a patch.
 */
const MAX_REPLACED = 8;

/** An object of the last snapshot and the version that replaced it in place. */
export interface Replaced<T> {
  readonly old: T;
  readonly next: T;
}

/**
 * The objects of `after` that replaced one of `before` in place (`same`: the same object, as a list
 * sorted by namespace and name keeps it in its place), at most `MAX_REPLACED`; undefined for any other
 * change (one added, removed or renamed, or more than that).
 */
export function replacedInPlace<T>(
  before: readonly T[],
  after: readonly T[],
  same: (a: T, b: T) => boolean,
): Replaced<T>[] | undefined {
  if (before.length !== after.length) return undefined;
  const pairs: Replaced<T>[] = [];
  for (let i = 0; i < after.length; i++) {
    const old = before[i];
    const next = after[i];
    if (old === next) continue;
    if (old === undefined || next === undefined || !same(old, next)) return undefined;
    if (pairs.length === MAX_REPLACED) return undefined;
    pairs.push({ old, next });
  }
  return pairs.length === 0 ? undefined : pairs;
}

/** The same object (same uid, namespace and name), perhaps at another version. */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  const x = a.metadata;
  const y = b.metadata;
  return x.uid === y.uid && x.namespace === y.namespace && x.name === y.name;
}

const NO_SETTINGS = Object.freeze({});

/**
 * Specs `buildService` builds alike from: the same name, upstream, backends (Service, port, options,
 * so a remembered backend set stands) and settings.
 */
export function sameServiceSpec(a: ServiceSpec, b: ServiceSpec): boolean {
  if (a.name !== b.name || a.upstreamName !== b.upstreamName) return false;
  if (a.backends.length !== b.backends.length) return false;
  for (let i = 0; i < a.backends.length; i++) {
    const x = a.backends[i];
    const y = b.backends[i];
    if (x === undefined || y === undefined || !sameBackend(x, y)) return false;
  }
  return sameSettings(a.settings ?? NO_SETTINGS, b.settings ?? NO_SETTINGS);
}

function sameBackend(x: BackendSpec, y: BackendSpec): boolean {
  return (
    x.service === y.service &&
    samePort(x.port, y.port) &&
    x.weight === y.weight &&
    x.portMissing === y.portMissing &&
    x.serviceUpstream === y.serviceUpstream
  );
}

/**
 * By value: a port the Service does not list is a placeholder made anew for each unit (`unlistedPort`),
 * equal to the last one for the same backend port.
 */
function samePort(a: ServicePort, b: ServicePort): boolean {
  return (
    a === b ||
    (a.port === b.port &&
      a.name === b.name &&
      a.protocol === b.protocol &&
      a.targetPort === b.targetPort &&
      a.appProtocol === b.appProtocol)
  );
}

/**
 * Whether every one of an object's routes reaches Kong as the full path would send it: each host
 * admitted by the last translation's owners (a patch keeps the claims, so the owners stand), within
 * the object's budgets and the ExternalName policy, and taken whole by Kong's router. Then nothing is
 * left out and nothing more is said; when something is, the caller leaves the change to the full path.
 */
export function admittedWhole(
  emissions: readonly RouteEmission[],
  ctx: {
    readonly base: PatchBase;
    readonly memo: TranslationMemo;
    readonly options: TranslateOptions;
    readonly flavor: WriterFlavor;
    readonly results: ResultSink;
  },
): boolean {
  const expressions = ctx.flavor === "expressions";
  for (const { route } of emissions) {
    if (route.kind !== "http") return false;
    const namespace = route.origin.object.metadata.namespace ?? "";
    for (const host of route.match.hosts)
      if (ctx.base.ownership.refusal(namespace, host) !== undefined) return false;
    const verdict = ctx.memo.routerVerdict(route, expressions, judgeRoute);
    if (verdict.limits.length > 0 || verdict.losses.length > 0) return false;
  }
  const budgets = objectBudgets(ctx.options);
  return (
    withinBudgets(emissions, budgets, ctx.results).length === emissions.length &&
    admitExternalNames([...emissions], ctx.options, ctx.results).length === emissions.length
  );
}

/**
 * `results` (sorted by their ref's key, as `ResultsBuilder.build` sorts them) with each of `entries`
 * in place of the entry for the same object; undefined when one has no entry there.
 */
export function replacedResults(
  results: readonly ObjectResult[],
  entries: readonly ObjectResult[],
): ObjectResult[] | undefined {
  const out = [...results];
  for (const entry of entries) {
    const at = indexOfSorted(out, refKey(entry.ref), r => refKey(r.ref));
    if (at === undefined) return undefined;
    out[at] = entry;
  }
  return out;
}

/** What a patch reads plugins and Services through, as the full path does. */
export interface PatchPlugins {
  /** Where the plugin stages say what the last translation's results already hold. */
  readonly aside: RecordedResults;
  readonly catalog: PluginCatalog;
  /** The Services by `namespace/name`. */
  readonly servicesByKey: ReadonlyMap<string, Service>;
  /** Which Services are left out for their plugins. */
  readonly view: ServiceView;
}

/**
 * The full path's plugin catalog and Service view over the same KongPlugins, Secrets and Services (a
 * patch takes only snapshots where those did not change: the memo's derivations are of these very
 * lists); undefined before a full translation derived them.
 */
export function patchPlugins(
  snapshot: Snapshot,
  memo: TranslationMemo,
  inputs: PatchInputs,
): PatchPlugins | undefined {
  const { services, secrets } = memo;
  if (services === undefined || secrets === undefined) return undefined;
  const aside = new RecordedResults();
  const catalog = new PluginCatalog({
    plugins: [...snapshot.kongPlugins, ...snapshot.kongClusterPlugins],
    secrets: secrets.value,
    grants: snapshot.referenceGrants,
    results: aside,
    builds: memo.pluginBuilds,
    kongPlugins: inputs.kongPlugins,
  });
  const view = admittedServices(services.value, catalog, aside);
  return { aside, catalog, servicesByKey: services.value, view };
}

/** The base's result, kept in `memo` as what the next translation may patch. */
export function rememberedForPatch(memo: TranslationMemo, base: PatchBase): TranslationResult {
  memo.patchBase = base;
  return base.result;
}

/** A route's claim keys, all paths together (a route without paths claims nothing). */
export function claimKeysOf(r: IngressRoute, memo: TranslationMemo): string[] {
  return memo.claims(r.route, routeClaims).flat();
}

/**
 * The answers a translation reads besides its snapshot, asked once per translation, before the patch
 * is tried, and given to whichever path translates: one translation writes for one router, judges
 * plugins by one list of Kong's and every certificate at one instant.
 */
export function readInputs(options: TranslateOptions): PatchInputs {
  const plugins =
    typeof options.kongPlugins === "function" ? options.kongPlugins() : options.kongPlugins;
  const recorded =
    typeof options.hostClaims === "function" ? options.hostClaims() : options.hostClaims;
  return {
    flavor: options.routerFlavor?.() ?? "traditional_compatible",
    kongPlugins: plugins === undefined ? undefined : new Set(plugins),
    recorded: recorded ?? [],
    now: typeof options.now === "function" ? options.now() : options.now,
    listenerSupport: options.listenerSupport?.(),
    gatewayApiBundles: options.gatewayApiBundles?.(),
  };
}

/** Whether `now`'s answers are those `base` was translated with (certificates: no date crossed since). */
export function sameInputs(base: PatchInputs, now: PatchInputs): boolean {
  return (
    base.flavor === now.flavor &&
    samePlugins(base.kongPlugins, now.kongPlugins) &&
    sameClaims(base.recorded, now.recorded) &&
    sameInstantWindow(base.now, now.now) &&
    base.listenerSupport === now.listenerSupport &&
    base.gatewayApiBundles === now.gatewayApiBundles
  );
}

function samePlugins(
  a: ReadonlySet<string> | undefined,
  b: ReadonlySet<string> | undefined,
): boolean {
  return a === undefined || b === undefined ? a === b : sameSet(a, b);
}

function sameClaims(a: readonly RecordedClaim[], b: readonly RecordedClaim[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((claim, i) => {
    const other = b[i];
    return (
      other !== undefined &&
      claim.host === other.host &&
      claim.namespace === other.namespace &&
      claim.since === other.since
    );
  });
}

/**
 * Certificates judged at `base` are judged alike at `now` only if `now` is not earlier and no
 * certificate date lies between (the result's `revisitAt` is the first one after `base`): checked by
 * the caller with `revisitAt`; here only that both have an instant, or neither.
 */
function sameInstantWindow(base: number | undefined, now: number | undefined): boolean {
  if (base === undefined || now === undefined) return base === now;
  return now >= base;
}
