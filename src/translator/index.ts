/**
 * The translator: a pure function from a frozen snapshot to the Kong declarative config plus one result per
 * input object. No I/O, clock, logger or environment; invalid input becomes a problem on its object.
 *
 * Stages, each a function of a small part of the snapshot so it can be memoised by the identity of what
 * it reads (memo.ts): Ingress → route drafts (ingress.ts), Service + port + EndpointSlices → Kong service
 * and upstream (backends.ts), TLS sections → certificates (tls.ts); then a merge that resolves
 * cross-object conflicts (oldest wins) and sorts every list. `translate` starts from nothing;
 * `createTranslator` keeps the memo between calls, so one changed object costs about one object's work
 * plus the merge, and its output is byte-identical to `translate`'s.
 */
import type { EndpointSlice, Ingress, Secret, Service } from "../model/k8s.ts";
import { SERVICE_NAME_LABEL } from "../model/k8s.ts";
import type { KongConfig, KongRoute, KongService, KongUpstream } from "../kong/types.ts";
import { parseRouteAnnotations, PLUGINS_ANNOTATION } from "./annotations.ts";
import { translateBackend } from "./backends.ts";
import { isOurIngressClass, matchIngressClass } from "./ingress-class.ts";
import {
  translateDefaultBackend,
  translateIngressRules,
  type IngressRoute,
  type ServiceLookup,
} from "./ingress.ts";
import { compareStrings } from "../util/compare.ts";
import { derivedFrom, TranslationMemo, type BackendEntry, type IngressUnit } from "./memo.ts";
import { RecordedResults, ResultsBuilder, type ResultSink } from "./results.ts";
import { CertificateCollector } from "./tls.ts";
import { dropConflictingPaths } from "./conflicts.ts";
import { evaluateGatewayApi } from "./gateway/index.ts";
import {
  DEFAULT_GATEWAY_CONTROLLER_NAME,
  type GatewayApiStatuses,
  type Snapshot,
  type TranslateOptions,
  type TranslationResult,
} from "./types.ts";

export type { Snapshot, TranslateOptions, TranslationResult } from "./types.ts";
export { DEFAULT_TRANSLATE_OPTIONS } from "./types.ts";

/** Upstream KIC adds to an otherwise empty config so Kong's `/status/ready` turns 200 (KIC PR #4316). */
export const STUB_UPSTREAM_NAME = "kong";

export type Translator = (snapshot: Snapshot) => TranslationResult;

/** Translates from scratch. */
export function translate(snapshot: Snapshot, options: TranslateOptions): TranslationResult {
  return translateWith(snapshot, options, new TranslationMemo());
}

/** A translator that remembers per-object work between calls (for the controller's sync loop). */
export function createTranslator(options: TranslateOptions): Translator {
  const memo = new TranslationMemo();
  return snapshot => translateWith(snapshot, options, memo);
}

function translateWith(
  snapshot: Snapshot,
  options: TranslateOptions,
  memo: TranslationMemo,
): TranslationResult {
  const results = new ResultsBuilder(memo.refOf);
  // In key order (Kind/namespace/name), so the results rarely need sorting.
  const all = [
    snapshot.endpointSlices,
    snapshot.ingresses,
    snapshot.ingressClasses,
    snapshot.secrets,
    snapshot.services,
  ];
  for (const list of all) for (const obj of list) results.seen(obj);

  const ingresses = selectIngresses(snapshot, options, results, memo);
  memo.services = derivedFrom(memo.services, snapshot.services, byKey);
  memo.secrets = derivedFrom(memo.secrets, snapshot.secrets, byKey);
  const services = memo.services.value;
  const certificates = new CertificateCollector(memo.secrets.value, results, memo.keyPair);
  const routes: IngressRoute[] = [];
  let defaultBackendOwner: Ingress | undefined;

  const lookup = serviceLookup(services, results);
  for (const ingress of ingresses) {
    const unit = ingressUnit(ingress, services, memo);
    unit.said.replay(results);
    if (unit.leftOut) continue;
    for (const route of unit.routes) routes.push(route);
    certificates.addIngress(ingress);
    if (ingress.spec.defaultBackend === undefined) continue;
    const ctx = { ingress, overrides: unit.overrides, services: lookup, results };
    defaultBackendOwner = addDefaultBackend(ctx, { routes, owner: defaultBackendOwner });
  }

  const kept = dropConflictingPaths(routes, results, memo.claims);
  for (const r of kept) results.translated(r.ingress);
  for (const ingress of ingresses) results.excluded(ingress);

  memo.slices = derivedFrom(memo.slices, snapshot.endpointSlices, slicesByService);
  const config = assemble({
    routes: kept,
    certificates: certificates.certificates(memo.certificates),
    slicesByService: memo.slices.value,
    options,
    results,
    memo,
  });
  return { config, results: results.build(), gatewayApi: gatewayApiStatuses(snapshot, options) };
}

function gatewayApiStatuses(snapshot: Snapshot, options: TranslateOptions): GatewayApiStatuses {
  const evaluated = evaluateGatewayApi(snapshot, {
    controllerName: options.gatewayControllerName ?? DEFAULT_GATEWAY_CONTROLLER_NAME,
    ...(options.listenerSupport === undefined ? {} : { support: options.listenerSupport() }),
  });
  return {
    classes: evaluated.classes,
    gateways: evaluated.gatewayStatuses,
    routes: evaluated.routes.map(r => r.status),
  };
}

function selectIngresses(
  snapshot: Snapshot,
  options: TranslateOptions,
  results: ResultSink,
  memo: TranslationMemo,
): Ingress[] {
  memo.classes = derivedFrom(
    memo.classes,
    snapshot.ingressClasses,
    list => new Map(list.map(c => [c.metadata.name, c])),
  );
  const classes = memo.classes.value;
  for (const ingressClass of snapshot.ingressClasses) {
    if (isOurIngressClass(ingressClass, options.ingressClass)) results.translated(ingressClass);
  }
  const ours: Ingress[] = [];
  for (const ingress of snapshot.ingresses) {
    const match = matchIngressClass(ingress, classes, options.ingressClass);
    if (!match.ours) continue;
    if (match.ingressClass !== undefined) results.dependsOn(ingress, match.ingressClass);
    ours.push(ingress);
  }
  // Oldest first: on conflicts (default backend, TLS hosts, duplicate routes) the oldest Ingress wins.
  return ours.sort((a, b) => compareStrings(memo.ageKey(a), memo.ageKey(b)));
}

/** One Ingress's own contribution: reused while the Ingress and every Service it looked up are the same. */
function ingressUnit(
  ingress: Ingress,
  services: ReadonlyMap<string, Service>,
  memo: TranslationMemo,
): IngressUnit {
  const cached = memo.ingresses.get(ingress);
  if (cached !== undefined && sameLookups(cached, services)) return cached;
  const said = new RecordedResults();
  const lookups = new Map<string, Service | undefined>();
  const parsed = parseRouteAnnotations(ingress.metadata.annotations);
  for (const p of parsed.problems) said.problem(ingress, p.reason, p.message);
  let unit: IngressUnit;
  if (ingress.metadata.annotations?.[PLUGINS_ANNOTATION] !== undefined) {
    excludeForPlugins(ingress, said);
    unit = { lookups, overrides: parsed.value, leftOut: true, routes: [], said };
  } else {
    const lookup = serviceLookup(services, said);
    const recording: ServiceLookup = {
      get(ns, name) {
        const key = `${ns}/${name}`;
        lookups.set(key, services.get(key));
        return lookup.get(ns, name);
      },
    };
    const ctx = { ingress, overrides: parsed.value, services: recording, results: said };
    const routes = translateIngressRules(ctx);
    unit = { lookups, overrides: parsed.value, leftOut: false, routes, said };
  }
  memo.ingresses.set(ingress, unit);
  return unit;
}

function sameLookups(unit: IngressUnit, services: ReadonlyMap<string, Service>): boolean {
  for (const [key, service] of unit.lookups) if (services.get(key) !== service) return false;
  return true;
}

function excludeForPlugins(obj: Ingress | Service, results: ResultSink): void {
  results.problem(
    obj,
    "PluginsNotSupported",
    `annotation ${PLUGINS_ANNOTATION} is not supported yet; ${obj.kind} ${obj.metadata.namespace ?? ""}/${obj.metadata.name} is left out rather than served without its plugins`,
  );
  results.excluded(obj);
}

function addDefaultBackend(
  ctx: Parameters<typeof translateDefaultBackend>[0],
  state: { routes: IngressRoute[]; owner: Ingress | undefined },
): Ingress | undefined {
  const { ingress, results } = ctx;
  if (ingress.spec.defaultBackend === undefined) return state.owner;
  if (state.owner !== undefined) {
    const owner = `${state.owner.metadata.namespace ?? ""}/${state.owner.metadata.name}`;
    results.problem(
      ingress,
      "DefaultBackendConflict",
      `spec.defaultBackend is ignored: the older Ingress ${owner} already sets the default backend`,
    );
    return state.owner;
  }
  const route = translateDefaultBackend(ctx);
  if (route === undefined) return undefined;
  state.routes.push(route);
  return ingress;
}

function serviceLookup(services: ReadonlyMap<string, Service>, results: ResultSink): ServiceLookup {
  return {
    get(namespace, name) {
      const service = services.get(`${namespace}/${name}`);
      if (service === undefined) {
        return { reason: "ServiceNotFound", missing: `Service ${namespace}/${name} not found` };
      }
      if (service.metadata.annotations?.[PLUGINS_ANNOTATION] !== undefined) {
        excludeForPlugins(service, results);
        return {
          reason: "ServiceExcluded",
          missing: `Service ${namespace}/${name} is left out (annotation ${PLUGINS_ANNOTATION} is not supported yet)`,
        };
      }
      return { service };
    },
  };
}

function byKey<T extends Secret | Service>(objects: readonly T[]): Map<string, T> {
  return new Map(objects.map(o => [`${o.metadata.namespace ?? ""}/${o.metadata.name}`, o]));
}

function slicesByService(slices: readonly EndpointSlice[]): Map<string, EndpointSlice[]> {
  const map = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (service === undefined) continue;
    const key = `${slice.metadata.namespace ?? ""}/${service}`;
    const list = map.get(key);
    if (list === undefined) map.set(key, [slice]);
    else list.push(slice);
  }
  return map;
}

interface AssembleInput {
  readonly routes: readonly IngressRoute[];
  readonly certificates: ReturnType<CertificateCollector["certificates"]>;
  readonly slicesByService: ReadonlyMap<string, readonly EndpointSlice[]>;
  readonly options: TranslateOptions;
  readonly results: ResultSink;
  readonly memo: TranslationMemo;
}

function assemble(input: AssembleInput): KongConfig {
  // Routes of one backend name share its Service and port: the name spells namespace, Service and port.
  const byBackend = new Map<string, { first: IngressRoute; routes: KongRoute[] }>();
  for (const r of input.routes) {
    const entry = byBackend.get(r.serviceName);
    if (entry === undefined) byBackend.set(r.serviceName, { first: r, routes: [r.route] });
    else entry.routes.push(r.route);
  }
  const services: KongService[] = [];
  const upstreams: KongUpstream[] = [];
  const used = new Map<string, BackendEntry>();
  for (const [name, entry] of byBackend) {
    if (entry.routes.length > 1) entry.routes.sort(byName);
    const backend = buildBackend(entry.first, entry.routes, input);
    used.set(name, backend);
    services.push(backend.entity);
    upstreams.push(backend.built.upstream);
  }
  input.memo.backends = used;
  if (services.length === 0 && input.certificates.length === 0) {
    upstreams.push({ name: STUB_UPSTREAM_NAME, algorithm: "round-robin" });
  }
  return {
    _format_version: "3.0",
    ...(services.length > 0 ? { services: services.sort(byName) } : {}),
    ...(upstreams.length > 0 ? { upstreams: upstreams.sort(byName) } : {}),
    ...(input.certificates.length > 0 ? { certificates: input.certificates } : {}),
  };
}

/** The Kong service (with `routes`) and upstream of one backend; reused while its inputs are the same. */
function buildBackend(
  route: IngressRoute,
  routes: readonly KongRoute[],
  input: AssembleInput,
): BackendEntry {
  const { service, port } = route;
  const namespace = service.metadata.namespace ?? "";
  const slices = input.slicesByService.get(`${namespace}/${service.metadata.name}`) ?? NO_SLICES;
  const previous = input.memo.backends.get(route.serviceName);
  const sameInput =
    previous !== undefined &&
    previous.service === service &&
    previous.port === port &&
    sameItems(previous.slices, slices);
  const built = sameInput
    ? previous.built
    : translateBackend({
        key: route.backend,
        service,
        port,
        slices,
        clusterDomain: input.options.clusterDomain,
      });
  const { results } = input;
  results.translated(service);
  for (const p of built.problems) results.problem(service, p.reason, p.message);
  for (const slice of built.slices) {
    results.translated(slice);
    results.dependsOn(slice, service);
  }
  if (sameInput && sameItems(previous.routes, routes)) return previous;
  const entity = { ...built.service, routes: [...routes] };
  return { service, port, slices, built, routes, entity };
}

const NO_SLICES: readonly EndpointSlice[] = Object.freeze([]);

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function byName(a: { name: string }, b: { name: string }): number {
  return compareStrings(a.name, b.name);
}
