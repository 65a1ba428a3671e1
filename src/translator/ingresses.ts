/**
 * The Ingress sub-translator: selects our Ingresses (oldest first), translates each into IR routes
 * (memoised per Ingress: its IR contribution and what it said), adds the oldest default backend,
 * resolves claims on the same host and path across Ingresses, and hands every TLS section to the
 * certificate collector.
 */
import type { Ingress, Service } from "../model/k8s.ts";
import { compareStrings } from "../util/compare.ts";
import { parseRouteAnnotations } from "./annotations.ts";
import { dropConflictingPaths } from "./conflicts.ts";
import { isOurIngressClass, matchIngressClass } from "./ingress-class.ts";
import {
  translateDefaultBackend,
  translateIngressRules,
  type IngressRoute,
  type ServiceLookup,
} from "./ingress.ts";
import { derivedFrom, type IngressUnit, type TranslationMemo } from "./memo.ts";
import { RecordedResults, type ResultSink } from "./results.ts";
import type { CertificateCollector } from "./tls.ts";
import { admittedServices, type ServiceView } from "./plugin-gate.ts";
import type { PluginCatalog } from "./plugins.ts";
import type { Snapshot, TranslateOptions } from "./types.ts";

export interface IngressInput {
  readonly snapshot: Snapshot;
  readonly options: TranslateOptions;
  /** By `namespace/name`. */
  readonly services: ReadonlyMap<string, Service>;
  readonly certificates: CertificateCollector;
  readonly results: ResultSink;
  readonly memo: TranslationMemo;
  readonly catalog: PluginCatalog;
}

/** Our Ingresses' routes, each on the Kong service of its backend, with cross-Ingress conflicts resolved. */
export function translateIngresses(input: IngressInput): readonly IngressRoute[] {
  const { certificates, results, memo, catalog } = input;
  const services = admittedServices(input.services, catalog, results);
  const ingresses = selectIngresses(input);
  const routes: IngressRoute[] = [];
  let defaultBackendOwner: Ingress | undefined;

  const lookup = serviceLookup(services);
  for (const ingress of ingresses) {
    // Outside the memo: a plugin's content is not among what an Ingress unit is keyed by.
    const admitted = catalog.resolve(ingress) !== undefined;
    const unit = ingressUnit(ingress, services, memo);
    unit.said.replay(results);
    if (!admitted) continue;
    for (const route of unit.routes) routes.push(route);
    certificates.addIngress(ingress);
    if (ingress.spec.defaultBackend === undefined) continue;
    const ctx = { ingress, overrides: unit.overrides, services: lookup, results };
    defaultBackendOwner = addDefaultBackend(ctx, { routes, owner: defaultBackendOwner });
  }

  const kept = dropConflictingPaths(routes, results, memo.claims);
  for (const r of kept) results.translated(r.ingress);
  for (const ingress of ingresses) results.excluded(ingress);
  return kept;
}

function selectIngresses(input: IngressInput): Ingress[] {
  const { snapshot, options, results, memo } = input;
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
function ingressUnit(ingress: Ingress, services: ServiceView, memo: TranslationMemo): IngressUnit {
  const cached = memo.ingresses.get(ingress);
  if (cached !== undefined && sameLookups(cached, services)) return cached;
  const said = new RecordedResults();
  const lookups = new Map<string, Service | undefined>();
  const parsed = parseRouteAnnotations(ingress.metadata.annotations);
  for (const p of parsed.problems) said.problem(ingress, p.reason, p.message);
  const lookup = serviceLookup(services);
  const recording: ServiceLookup = {
    get(ns, name) {
      const key = `${ns}/${name}`;
      lookups.set(key, services.get(key));
      return lookup.get(ns, name);
    },
  };
  const ctx = { ingress, overrides: parsed.value, services: recording, results: said };
  const routes = translateIngressRules(ctx);
  const unit: IngressUnit = { lookups, overrides: parsed.value, routes, said };
  memo.ingresses.set(ingress, unit);
  return unit;
}

function sameLookups(unit: IngressUnit, services: ServiceView): boolean {
  for (const [key, service] of unit.lookups) if (services.get(key) !== service) return false;
  return true;
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

function serviceLookup(services: ServiceView): ServiceLookup {
  return {
    get(namespace, name) {
      const key = `${namespace}/${name}`;
      const service = services.get(key);
      if (service !== undefined) return { service };
      const blocked = services.blocked(key);
      if (blocked === undefined)
        return { reason: "ServiceNotFound", missing: `Service ${key} not found` };
      return {
        reason: "ServiceExcluded",
        missing: `Service ${key} is left out: its plugins do not resolve (see its events)`,
      };
    },
  };
}
