/**
 * The translator: a pure function from a frozen snapshot to the Kong declarative config plus one result per
 * input object. No I/O, clock, logger or environment; invalid input becomes a problem on its object.
 *
 * Stages, each a function of a small part of the snapshot so it can be memoised by the (uid,
 * resourceVersion) of what it reads: Ingress → route drafts (ingress.ts), Service + port + EndpointSlices →
 * Kong service and upstream (backends.ts), TLS sections → certificates (tls.ts); then a merge that resolves
 * cross-object conflicts (oldest wins) and sorts every list.
 */
import type { EndpointSlice, Ingress, Secret, Service } from "../model/k8s.ts";
import { SERVICE_NAME_LABEL } from "../model/k8s.ts";
import type { KongConfig, KongRoute, KongService, KongUpstream } from "../kong/types.ts";
import { parseRouteAnnotations, PLUGINS_ANNOTATION } from "./annotations.ts";
import { kongServiceName, translateBackend } from "./backends.ts";
import { isOurIngressClass, matchIngressClass } from "./ingress-class.ts";
import {
  translateDefaultBackend,
  translateIngressRules,
  type IngressRoute,
  type ServiceLookup,
} from "./ingress.ts";
import { compareStrings } from "../util/compare.ts";
import { ResultsBuilder } from "./results.ts";
import { CertificateCollector, compareAge } from "./tls.ts";
import { dropConflictingPaths } from "./conflicts.ts";
import type { Snapshot, TranslateOptions, TranslationResult } from "./types.ts";

export type { Snapshot, TranslateOptions, TranslationResult } from "./types.ts";
export { DEFAULT_TRANSLATE_OPTIONS } from "./types.ts";

/** Upstream KIC adds to an otherwise empty config so Kong's `/status/ready` turns 200 (KIC PR #4316). */
export const STUB_UPSTREAM_NAME = "kong";

export function translate(snapshot: Snapshot, options: TranslateOptions): TranslationResult {
  const results = new ResultsBuilder();
  const all = [
    ...snapshot.ingressClasses,
    ...snapshot.ingresses,
    ...snapshot.services,
    ...snapshot.endpointSlices,
    ...snapshot.secrets,
  ];
  for (const obj of all) results.seen(obj);

  const ingresses = selectIngresses(snapshot, options, results);
  const services = serviceLookup(snapshot.services, results);
  const certificates = new CertificateCollector(byKey(snapshot.secrets), results);
  const routes: IngressRoute[] = [];
  let defaultBackendOwner: Ingress | undefined;

  for (const ingress of ingresses) {
    const parsed = parseRouteAnnotations(ingress.metadata.annotations);
    for (const p of parsed.problems) results.problem(ingress, p.reason, p.message);
    if (ingress.metadata.annotations?.[PLUGINS_ANNOTATION] !== undefined) {
      excludeForPlugins(ingress, results);
      continue;
    }
    const ctx = { ingress, overrides: parsed.value, services, results };
    routes.push(...translateIngressRules(ctx));
    certificates.addIngress(ingress);
    defaultBackendOwner = addDefaultBackend(ctx, { routes, owner: defaultBackendOwner });
  }

  const kept = dropConflictingPaths(routes, results);
  for (const r of kept) results.translated(r.ingress);
  for (const ingress of ingresses) results.excluded(ingress);

  const config = assemble({
    routes: kept,
    certificates: certificates.certificates(),
    slicesByService: slicesByService(snapshot.endpointSlices),
    options,
    results,
  });
  return { config, results: results.build() };
}

function selectIngresses(
  snapshot: Snapshot,
  options: TranslateOptions,
  results: ResultsBuilder,
): Ingress[] {
  const classes = new Map(snapshot.ingressClasses.map(c => [c.metadata.name, c]));
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
  return ours.sort(compareAge);
}

function excludeForPlugins(obj: Ingress | Service, results: ResultsBuilder): void {
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

function serviceLookup(services: readonly Service[], results: ResultsBuilder): ServiceLookup {
  const map = byKey(services);
  return {
    get(namespace, name) {
      const service = map.get(`${namespace}/${name}`);
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
    map.set(key, [...(map.get(key) ?? []), slice]);
  }
  return map;
}

interface AssembleInput {
  readonly routes: readonly IngressRoute[];
  readonly certificates: ReturnType<CertificateCollector["certificates"]>;
  readonly slicesByService: ReadonlyMap<string, readonly EndpointSlice[]>;
  readonly options: TranslateOptions;
  readonly results: ResultsBuilder;
}

function assemble(input: AssembleInput): KongConfig {
  // Routes of one backend name share its Service and port: the name spells namespace, Service and port.
  const byBackend = new Map<string, { first: IngressRoute; routes: KongRoute[] }>();
  for (const r of input.routes) {
    const name = kongServiceName(r.backend);
    const entry = byBackend.get(name) ?? { first: r, routes: [] };
    entry.routes.push(r.route);
    byBackend.set(name, entry);
  }
  const services: KongService[] = [];
  const upstreams: KongUpstream[] = [];
  for (const entry of byBackend.values()) {
    const built = buildBackend(entry.first, input);
    services.push({ ...built.service, routes: [...entry.routes].sort(byName) });
    upstreams.push(built.upstream);
  }
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

function buildBackend(
  route: IngressRoute,
  input: AssembleInput,
): { service: KongService; upstream: KongUpstream } {
  const { service } = route;
  const namespace = service.metadata.namespace ?? "";
  const slices = input.slicesByService.get(`${namespace}/${service.metadata.name}`) ?? [];
  const built = translateBackend({
    key: route.backend,
    service,
    port: route.port,
    slices,
    clusterDomain: input.options.clusterDomain,
  });
  input.results.translated(service);
  for (const p of built.problems) input.results.problem(service, p.reason, p.message);
  for (const slice of built.slices) {
    input.results.translated(slice);
    input.results.dependsOn(slice, service);
  }
  return built;
}

function byName(a: { name: string }, b: { name: string }): number {
  return compareStrings(a.name, b.name);
}
