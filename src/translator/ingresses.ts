/**
 * The Ingress sub-translator: selects our Ingresses (oldest first), translates each into IR routes
 * (memoised per Ingress: its IR contribution and what it said), adds the oldest default backend,
 * resolves claims on the same host and path across Ingresses, and hands every TLS section to the
 * certificate collector.
 */
import type { Ingress, Service } from "../model/k8s.ts";
import { compareStrings } from "../util/compare.ts";
import { parseRouteAnnotations } from "./annotations.ts";
import { ingressOverBudget, type ObjectBudgets } from "./budgets.ts";
import { dropConflictingPaths, type PathClaims, type Share } from "./conflicts.ts";
import { isOurIngressClass, matchIngressClass } from "./ingress-class.ts";
import { classSettings, type ClassSettings } from "./ingress-class-parameters.ts";
import {
  translateDefaultBackend,
  translateIngressRules,
  type IngressEmission,
  type IngressRoute,
  type IngressStreamRoute,
  type ServiceLookup,
} from "./ingress.ts";
import {
  derivedFrom,
  type IngressUnit,
  type ServiceLookupRecord,
  type TranslationMemo,
} from "./memo.ts";
import { RecordedResults, type ResultSink } from "./results.ts";
import {
  reportAnyHost,
  reportForeignHost,
  type ClaimCollector,
  type HostOwnership,
} from "./ownership.ts";
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
  /** Whether a namespace may route any host (a default backend). */
  readonly admitsAnyHost: (namespace: string) => boolean;
  readonly budgets: ObjectBudgets;
}

/** Our Ingresses (oldest first) and their routes, before host ownership and per-path conflicts. */
export interface IngressRoutes {
  readonly ingresses: readonly Ingress[];
  readonly routes: readonly IngressRoute[];
  /** Stream routes (konghq.com/protocols tcp, tls) match on SNIs, not host and path: no claims. */
  readonly streams: readonly IngressStreamRoute[];
  /** Ingresses left out whole (over a budget, or their plugins do not resolve): no TLS hosts bound. */
  readonly leftOut: ReadonlySet<Ingress>;
  /**
   * The hosts each Ingress claims (rule hosts, aliases, TLS hosts), also of one left out for its
   * plugins, so a broken object keeps its hosts; claimed once its routes are within budget
   * (`claimIngressHosts`), since an object refused for a budget serves nothing and claims nothing.
   */
  readonly claimants: readonly IngressClaimant[];
}

export interface IngressClaimant {
  readonly ingress: Ingress;
  readonly aliases: readonly string[];
}

/** Our Ingresses' routes, each on the Kong service of its backend, and who claims which hosts. */
export function translateIngresses(input: IngressInput): IngressRoutes {
  const { results, memo, catalog } = input;
  const services = admittedServices(input.services, catalog, results);
  const ingresses = selectIngresses(input);
  const routes: IngressRoute[] = [];
  // Stream routes (konghq.com/protocols tcp, tls) match on SNIs, not host and path: no claims.
  const streams: IngressStreamRoute[] = [];
  let defaultBackendOwner: Ingress | undefined;

  const leftOut = new Set<Ingress>();
  const claimants: IngressClaimant[] = [];
  const lookup = serviceLookup(services);
  const ourClass = input.snapshot.ingressClasses.find(
    c => c.metadata.name === input.options.ingressClass,
  );
  const settings = classSettings(ourClass, input.snapshot, results, memo.classSettings);
  for (const ingress of ingresses) {
    const unit = ingressUnit(ingress, { services, settings, budgets: input.budgets }, memo);
    if (settings.source !== undefined) results.dependsOn(ingress, settings.source);
    unit.said.replay(results);
    if (unit.overBudget !== true) claimants.push({ ingress, aliases: unit.overrides.hostAliases });
    // The plugins outside the memo: a plugin's content is not among what an Ingress unit is keyed by.
    if (unit.overBudget === true || catalog.resolve(ingress) === undefined) {
      leftOut.add(ingress);
      continue;
    }
    for (const r of unit.routes) {
      if (r.route.kind === "http") routes.push(r as IngressRoute);
      else streams.push(r as IngressStreamRoute);
    }
    if (ingress.spec.defaultBackend === undefined) continue;
    if (!input.admitsAnyHost(ingress.metadata.namespace ?? "")) {
      reportAnyHost(results, ingress, "spec.defaultBackend");
      continue;
    }
    const ctx = {
      ingress,
      overrides: unit.overrides,
      classSettings: settings,
      services: lookup,
      results,
      verdicts: memo.criteria,
    };
    defaultBackendOwner = addDefaultBackend(ctx, {
      routes,
      streams,
      owner: defaultBackendOwner,
    });
  }
  return { ingresses, routes, streams, leftOut, claimants };
}

/**
 * Binds the admitted Ingresses' TLS hosts (only those their namespace may use), resolves claims on the
 * same host and path between them; which Ingresses are translated is decided once Kong's router has
 * judged their routes (`markServed`; each is excluded until then: `selectIngresses`).
 */
export function finishIngresses(
  input: Pick<IngressInput, "certificates" | "results" | "memo">,
  p: {
    ingresses: readonly Ingress[];
    leftOut: ReadonlySet<Ingress>;
    admitted: readonly IngressRoute[];
    streams: readonly IngressStreamRoute[];
    ownership: HostOwnership;
  },
): {
  readonly routes: readonly IngressEmission[];
  readonly sharing: readonly Share[];
  readonly pathClaims: PathClaims;
} {
  const { certificates, results, memo } = input;
  for (const ingress of p.ingresses) {
    if (p.leftOut.has(ingress)) continue;
    certificates.addIngress(ingress, tlsHostFilter(ingress, p.ownership, results));
  }
  const resolved = dropConflictingPaths(p.admitted, results, memo.claims, memo.behaviour);
  const { kept, sharing } = resolved;
  return {
    routes: p.streams.length === 0 ? kept : [...kept, ...p.streams],
    sharing,
    pathClaims: { holders: resolved.claims, contested: resolved.contested },
  };
}

/** The claimants' hosts, but for Ingresses `refused` (over a budget once their routes were counted). */
export function claimIngressHosts(
  claims: ClaimCollector,
  claimants: readonly IngressClaimant[],
  refused: ReadonlySet<Ingress>,
): void {
  for (const { ingress, aliases } of claimants) {
    if (refused.has(ingress)) continue;
    for (const rule of ingress.spec.rules ?? [])
      if (rule.host !== undefined) claims.add(rule.host, ingress);
    for (const alias of aliases) claims.add(alias, ingress);
    for (const tls of ingress.spec.tls ?? [])
      for (const host of tls.hosts ?? []) claims.add(host, ingress);
  }
}

function tlsHostFilter(
  ingress: Ingress,
  ownership: HostOwnership,
  results: ResultSink,
): (host: string) => boolean {
  const namespace = ingress.metadata.namespace ?? "";
  return host => {
    const refusal = ownership.refusal(namespace, host);
    if (refusal === undefined) return true;
    reportForeignHost(results, ingress, {
      host,
      refusal,
      what: "does not bind its TLS Secret to it",
    });
    return false;
  };
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
  const ours: { readonly ingress: Ingress; readonly age: string }[] = [];
  let sorted = true;
  for (const ingress of snapshot.ingresses) {
    const match = matchIngressClass(ingress, classes, options.ingressClass);
    if (!match.ours) continue;
    if (match.ingressClass !== undefined) results.dependsOn(ingress, match.ingressClass);
    // Excluded unless something it emits is served (`markServed`); said here, where its result is at
    // hand, since an outcome only moves up and the order of saying it does not matter.
    results.excluded(ingress);
    const age = memo.ageKey(ingress);
    const last = ours[ours.length - 1];
    if (last !== undefined && compareStrings(last.age, age) > 0) sorted = false;
    ours.push({ ingress, age });
  }
  // Oldest first: on conflicts (default backend, TLS hosts, duplicate routes) the oldest Ingress wins.
  // Often already so (created together, listed by name): then no sort, and each age is read once.
  if (!sorted) ours.sort((a, b) => compareStrings(a.age, b.age));
  return ours.map(o => o.ingress);
}

/**
 * One Ingress's own contribution: reused while the Ingress, its class settings and every Service it
 * looked up (admitted, left out for its plugins, or missing) are the same.
 */
export function ingressUnit(
  ingress: Ingress,
  input: {
    services: ServiceView;
    settings: ClassSettings;
    budgets: ObjectBudgets;
  },
  memo: TranslationMemo,
): IngressUnit {
  const { services, settings } = input;
  const cached = memo.ingresses.get(ingress);
  if (cached?.classSettings === settings && sameLookups(cached, services)) return cached;
  const said = new RecordedResults();
  const lookups: ServiceLookupRecord[] = [];
  const looked = new Set<string>();
  const parsed = parseRouteAnnotations(ingress.metadata.annotations);
  for (const p of parsed.problems) said.problem(ingress, p.reason, p.message);
  let unit: IngressUnit;
  const overBudget = ingressOverBudget(ingress, parsed.value.hostAliases.length, input.budgets);
  if (overBudget !== undefined) {
    said.problem(ingress, "BudgetExceeded", overBudget);
    said.excluded(ingress);
    unit = {
      lookups: NO_LOOKUPS,
      overrides: parsed.value,
      classSettings: settings,
      overBudget: true,
      routes: [],
      said,
    };
  } else {
    const lookup = serviceLookup(services);
    const recording: ServiceLookup = {
      get(ns, name) {
        const key = `${ns}/${name}`;
        // The same name leads to the same Service within one translation: once is enough.
        if (!looked.has(key)) {
          looked.add(key);
          lookups.push(lookupRecord(services, key));
        }
        return lookup.get(ns, name);
      },
    };
    const ctx = {
      ingress,
      overrides: parsed.value,
      classSettings: settings,
      services: recording,
      results: said,
      verdicts: memo.criteria,
    };
    const routes = translateIngressRules(ctx);
    unit = {
      lookups: lookups.slice(),
      overrides: parsed.value,
      classSettings: settings,
      routes,
      said,
    };
  }
  memo.ingresses.set(ingress, unit);
  return unit;
}

const NO_LOOKUPS: readonly ServiceLookupRecord[] = Object.freeze([]);

function lookupRecord(services: ServiceView, key: string): ServiceLookupRecord {
  const service = services.get(key);
  return { key, service, blocked: blockedFor(services, key, service) };
}

function blockedFor(services: ServiceView, key: string, service: Service | undefined): boolean {
  return service === undefined && services.blocked(key) !== undefined;
}

/** Whether every Service the unit looked up leads where it did: a missing and a blocked one differ. */
function sameLookups(unit: IngressUnit, services: ServiceView): boolean {
  for (const was of unit.lookups) {
    const service = services.get(was.key);
    if (service !== was.service || blockedFor(services, was.key, service) !== was.blocked)
      return false;
  }
  return true;
}

function addDefaultBackend(
  ctx: Parameters<typeof translateDefaultBackend>[0],
  state: { routes: IngressRoute[]; streams: IngressStreamRoute[]; owner: Ingress | undefined },
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
  if (route.route.kind === "http") state.routes.push(route as IngressRoute);
  else state.streams.push(route as IngressStreamRoute);
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
