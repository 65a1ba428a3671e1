/**
 * What one translation remembers for the next (issue: a one-object change must not cost a full
 * rebuild). Every entry is keyed by the identity of frozen snapshot objects — the store hands out the
 * same object until its content changes — or by the snapshot's lists, which the store's snapshotter
 * reuses for kinds that did not change. So a cached value is only ever reused for exactly the input it
 * was computed from, and `translate` stays a pure function of its snapshot: the golden and property
 * tests compare every memoised translation with a cold one, byte for byte.
 *
 * Per-object caches are WeakMaps (an object that leaves the snapshot takes its entries with it); the
 * per-backend cache is rebuilt by every translation from the entries it used. An Ingress's entry is its
 * IR contribution; the writer's memo turns unchanged IR parts into the same Kong entities as before.
 */
import type {
  EndpointSlice,
  Ingress,
  IngressClass,
  IngressClassParameters,
  KubeObject,
  Secret,
  Service,
  ServicePort,
} from "../model/k8s.ts";
import { keptRefs, type RecordedResults, type RefOf } from "./results.ts";
import type { ResolvedBackend } from "./backends.ts";
import type { IngressEmission, IngressRoute } from "./ingress.ts";
import type { IrBackend, IrHttpRoute, IrRoute } from "./ir/types.ts";
import { KongWriterMemo } from "./kong-writer/index.ts";
import { KeyPairVerdicts, readKeyPair, type KeyPair } from "./tls.ts";
import type { RouteOverrides } from "./annotations.ts";
import { settingsFromParameters, type ClassSettings } from "./ingress-class-parameters.ts";
import type { ClaimKeys } from "./conflicts.ts";
import type { AnyKongPlugin, KongUpstreamPolicyObject } from "../model/kong.ts";
import type { BuiltPlugin } from "./plugin-config.ts";
import type { CredentialRead } from "./credentials.ts";
import { GatewayRouteMemo } from "./gateway/memo.ts";
import { ageKeyOf } from "./ownership.ts";
import type { PolicyUpstream } from "./upstream-policy.ts";
import type { PatchBase } from "./patch-base.ts";
import { CriterionVerdicts } from "./routes.ts";
import { once } from "../util/weak-once.ts";

/**
 * What a Service name led to when an Ingress looked it up: the Service it may route to, or none; and
 * whether none was because the Service is left out for its plugins (the Ingress says which).
 */
export interface ServiceLookupRecord {
  /** `namespace/name`. */
  readonly key: string;
  readonly service: Service | undefined;
  readonly blocked: boolean;
}

/** What one Ingress contributed, and the Services it looked up (by name). */
export interface IngressUnit {
  /** One per name; usually one or two, so a list (a Map's table holds room for several). */
  readonly lookups: readonly ServiceLookupRecord[];
  readonly overrides: RouteOverrides;
  /** The class's settings it was translated with (IngressClassParameters). */
  readonly classSettings: ClassSettings;
  /** Left out for a budget (budgets.ts): no routes, no certificates, and it claims no host. */
  readonly overBudget?: true;
  readonly routes: readonly IngressEmission[];
  readonly said: RecordedResults;
}

/** One backend of one Kong service: its inputs and their resolution. */
export interface BackendEntry {
  readonly service: Service;
  /** The Service's port object (an Ingress unit hands out the same one while it is reused). */
  readonly port: ServicePort;
  readonly weight: number | undefined;
  readonly serviceUpstream: boolean;
  readonly slices: readonly EndpointSlice[];
  readonly resolved: ResolvedBackend;
}

/** The backends of one Kong service, in order, and their IR (one array while all are unchanged). */
export interface BackendSet {
  readonly entries: readonly BackendEntry[];
  readonly backends: readonly IrBackend[];
}

/** A value derived from one snapshot list; reused while the snapshot hands out the same list. */
export interface ListDerived<L, V> {
  readonly list: L;
  readonly value: V;
}

/** What Kong's router makes of one route: why it cannot take it, else what it leaves out of it. */
export interface RouterVerdict {
  /** Written for Kong's expressions router. */
  readonly expressions: boolean;
  readonly limits: readonly string[];
  readonly losses: readonly string[];
}

export class TranslationMemo {
  readonly #refs = new WeakMap<KubeObject, ReturnType<RefOf>>();
  readonly #pairs = new WeakMap<Secret, KeyPair>();
  readonly #ageKeys = new WeakMap<KubeObject, string>();
  readonly #claims = new WeakMap<IrHttpRoute, ClaimKeys>();
  readonly #classSettings = new WeakMap<IngressClassParameters, ClassSettings>();
  readonly #behaviours = new WeakMap<IngressRoute, string>();
  readonly #verdicts = new WeakMap<IrRoute, RouterVerdict>();
  readonly ingresses = new WeakMap<Ingress, IngressUnit>();
  /** Per plugin object, its config as built and checked (plugin-config.ts). */
  readonly pluginBuilds = new WeakMap<AnyKongPlugin, BuiltPlugin>();
  /**
   * Per credential Secret, what it holds as checked with Kong's schemas (costly: once per Secret
   * version), and whether Kong had its type's plugin then.
   */
  readonly credentials = new WeakMap<
    Secret,
    { readonly pluginEnabled: boolean; readonly read: CredentialRead }
  >();
  /** Per KongUpstreamPolicy, its Kong upstream fields. */
  readonly upstreamPolicies = new WeakMap<KongUpstreamPolicyObject, PolicyUpstream>();
  readonly gatewayRoutes = new GatewayRouteMemo();
  /** Kong's verdicts on route annotation criteria, by value (routes.ts). */
  readonly criteria = new CriterionVerdicts();
  /** By Kong service name. */
  backends: ReadonlyMap<string, BackendSet> = new Map();
  /** The EndpointSlices by Service that `backends` was checked against. */
  backendSlices: ReadonlyMap<string, readonly EndpointSlice[]> | undefined;
  readonly writer = new KongWriterMemo();
  /** The last translation, as the patch of an Ingress-only change starts from it (patch.ts). */
  patchBase: PatchBase | undefined;
  /** Translations made by patching the last one: tests check that the patch path is really taken. */
  patched = 0;
  classes: ListDerived<readonly IngressClass[], ReadonlyMap<string, IngressClass>> | undefined;
  services: ListDerived<readonly Service[], ReadonlyMap<string, Service>> | undefined;
  secrets: ListDerived<readonly Secret[], ReadonlyMap<string, Secret>> | undefined;
  slices: ListDerived<readonly EndpointSlice[], ReadonlyMap<string, EndpointSlice[]>> | undefined;

  readonly #keptRef = keptRefs();

  readonly refOf: RefOf = obj => once(this.#refs, obj, this.#keptRef);

  readonly #pairVerdicts = new KeyPairVerdicts();

  /**
   * Parsing and checking a certificate and key is costly: once per Secret version is enough, and
   * once per content when several Secrets hold the same pair.
   */
  readonly keyPair = (secret: Secret): KeyPair =>
    once(this.#pairs, secret, s => readKeyPair(s, this.#pairVerdicts));

  /** `compareAge`'s order as one string: creation time, then namespace/name (ownership.ts). */
  readonly ageKey = (obj: KubeObject): string => once(this.#ageKeys, obj, ageKeyOf);

  /** What a route does with a request (conflicts.ts), once per emission object. */
  readonly behaviour = (r: IngressRoute, compute: (r: IngressRoute) => string): string =>
    once(this.#behaviours, r, compute);

  /** Kong's router's verdict on a route (services.ts), once per route object and router flavour. */
  readonly routerVerdict = (
    route: IrRoute,
    expressions: boolean,
    judge: (route: IrRoute, expressions: boolean) => RouterVerdict,
  ): RouterVerdict => {
    const known = this.#verdicts.get(route);
    if (known?.expressions === expressions) return known;
    const verdict = judge(route, expressions);
    this.#verdicts.set(route, verdict);
    return verdict;
  };

  /** One settings object per parameters version: an Ingress unit's memo compares settings by identity. */
  readonly classSettings = (parameters: IngressClassParameters): ClassSettings =>
    once(this.#classSettings, parameters, settingsFromParameters);

  /** A route's claim keys (conflicts.ts), once per route object. */
  readonly claims = (route: IrHttpRoute, compute: (route: IrHttpRoute) => ClaimKeys): ClaimKeys =>
    once(this.#claims, route, compute);
}

/** `value` of `cached` if it was derived from `list`, else a fresh derivation. */
export function derivedFrom<L, V>(
  cached: ListDerived<L, V> | undefined,
  list: L,
  derive: (list: L) => V,
): ListDerived<L, V> {
  return cached?.list === list ? cached : { list, value: derive(list) };
}
