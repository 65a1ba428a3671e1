/**
 * The patch path: when a snapshot differs from the last translated one only in a few Ingresses, each
 * of which provably changes nothing but its own routes and its own result, the translation is the last
 * one with those routes swapped in its Kong services and those results replaced, instead of every stage
 * visiting all 10k objects again (a one-Ingress edit at 10k objects costs a few milliseconds, not 70).
 *
 * "Provably" means every stage that relates one object to another is asked again for the changed
 * Ingress, before and after, and found to relate it to nothing: the same host claims (so host ownership
 * and the tenancy report stand), every route admitted and within budget, no path claim another Ingress
 * makes too (conflicts.ts), its TLS hosts claimed first by itself with the same section (certificates
 * stand), every route on a Kong service it routed to before (same backends, same spec if it brought
 * the spec), no default backend, no plugins, nothing said about other objects, no host owned on a
 * wildcard (then catch-alls and excepted hosts relate routes to each other). Anything else is left to
 * the full path, which stays the reference: the property tests compare every patch with a cold
 * translation.
 *
 * Gateway API objects in the cluster change none of this, as long as none of them changed (only the
 * Ingress list may): HTTPRoutes' host claims count in the ownership asked again, which stands since
 * the Ingress claims the same hosts; a listener's certificate takes only hosts no Ingress bound first,
 * and the Ingress binds the same ones; the Ingress's Kong services hold no Gateway API route (their
 * names differ), and under the expressions router only Gateway API matches and host catch-alls take
 * priorities relative to other routes, which an Ingress route's own priority does not enter.
 */
import type { Ingress, IngressClass } from "../model/k8s.ts";
import { sameSet } from "../util/compare.ts";
import type { ObjectBudgets } from "./budgets.ts";
import { matchIngressClass } from "./ingress-class.ts";
import { classSettings, type ClassSettings } from "./ingress-class-parameters.ts";
import type { IngressEmission, IngressRoute } from "./ingress.ts";
import { ingressUnit } from "./ingresses.ts";
import type { IrService, ServiceSpec } from "./ir/types.ts";
import { rewriteServices } from "./kong-writer/index.ts";
import type { BackendSet, IngressUnit, TranslationMemo } from "./memo.ts";
import { objectBudgets } from "./ownership-apply.ts";
import {
  admittedWhole,
  claimKeysOf,
  onlyListChanged,
  patchPlugins,
  replacedInPlace,
  replacedResults,
  sameObject,
  sameServiceSpec,
  type PatchBase,
  type PatchInputs,
  type Replaced,
} from "./patch-base.ts";
import { hasPluginsAnnotation } from "./plugin-refs.ts";
import type { ServiceView } from "./plugin-gate.ts";
import { ResultsBuilder, type RecordedResults } from "./results.ts";
import { CertificateCollector } from "./tls.ts";
import type { ObjectResult, Snapshot, TranslateOptions, TranslationResult } from "./types.ts";

type IngressPair = Replaced<Ingress>;

interface PatchContext {
  readonly snapshot: Snapshot;
  readonly options: TranslateOptions;
  readonly memo: TranslationMemo;
  readonly base: PatchBase;
  readonly inputs: PatchInputs;
  readonly classes: ReadonlyMap<string, IngressClass>;
  readonly settings: ClassSettings;
  readonly view: ServiceView;
  readonly budgets: ObjectBudgets;
  /** Kong services rewritten so far, by name. */
  readonly services: Map<string, IrService>;
  /** Path claim keys moved so far; null: released. */
  readonly moves: Map<string, Ingress | null>;
  /**
   * Where the stages asked again say what they say about objects other than the changed Ingresses:
   * the last translation's results already hold it (the same calls on the same objects).
   */
  readonly aside: RecordedResults;
}

/**
 * The translation of `snapshot` patched from the last one `memo` holds, or undefined when the change
 * is not one a patch may take (then `memo` is as it was: the caller translates in full, with the
 * same `inputs`).
 */
export function patchTranslation(
  snapshot: Snapshot,
  options: TranslateOptions,
  memo: TranslationMemo,
  inputs: PatchInputs,
): TranslationResult | undefined {
  const base = memo.patchBase;
  if (base === undefined) return undefined;
  if (!patchable(base, snapshot, inputs)) return undefined;
  const pairs = changedIngresses(base.snapshot.ingresses, snapshot.ingresses);
  const ctx =
    pairs === undefined ? undefined : patchContext({ snapshot, options, memo, base }, inputs);
  if (pairs === undefined || ctx === undefined) return undefined;
  const entries: ObjectResult[] = [];
  for (const pair of pairs) {
    const entry = patchIngress(pair, ctx);
    if (entry === undefined) return undefined;
    entries.push(entry);
  }
  return commit(ctx, entries);
}

/** Only Ingresses changed, read with the same answers, and no wildcard host owned. */
function patchable(base: PatchBase, snapshot: Snapshot, inputs: PatchInputs): boolean {
  if (base.ownership.ownsWildcards()) return false;
  return onlyListChanged(base, snapshot, inputs, "ingresses");
}

/** The Ingresses replaced in place (same uid, namespace and name), or undefined for any other change. */
function changedIngresses(
  before: readonly Ingress[],
  after: readonly Ingress[],
): readonly IngressPair[] | undefined {
  return replacedInPlace(before, after, sameObject);
}

function patchContext(
  from: {
    readonly snapshot: Snapshot;
    readonly options: TranslateOptions;
    readonly memo: TranslationMemo;
    readonly base: PatchBase;
  },
  inputs: PatchInputs,
): PatchContext | undefined {
  const { snapshot, options, memo, base } = from;
  // Derived from these very lists by the last translation (the same lists: `patchable`).
  const { classes } = memo;
  const plugins = patchPlugins(snapshot, memo, inputs);
  if (classes === undefined || plugins === undefined) return undefined;
  const { aside, view } = plugins;
  const ourClass = classes.value.get(options.ingressClass);
  return {
    ...{ snapshot, options, memo, base, inputs, aside, view },
    classes: classes.value,
    settings: classSettings(ourClass, snapshot, aside, memo.classSettings),
    budgets: objectBudgets(options),
    services: new Map(),
    moves: new Map(),
  };
}

/** The changed Ingress's new result, with its routes moved in `ctx`; undefined: not patchable. */
function patchIngress(pair: IngressPair, ctx: PatchContext): ObjectResult | undefined {
  const { old, next } = pair;
  if (!sameStanding(old, next, ctx)) return undefined;
  const before = ctx.memo.ingresses.get(old);
  const unit = ingressUnit(
    next,
    { services: ctx.view, settings: ctx.settings, budgets: ctx.budgets },
    ctx.memo,
  );
  if (before === undefined || !plainUnit(old, before) || !plainUnit(next, unit)) return undefined;
  // `plainUnit`: every emission is an http route.
  const oldRoutes = before.routes as readonly IngressRoute[];
  const newRoutes = unit.routes as readonly IngressRoute[];
  if (!sameSet(claimedHosts(old, before), claimedHosts(next, unit))) return undefined;
  const admission = { ...ctx, flavor: ctx.inputs.flavor, results: ctx.aside };
  if (!admittedWhole(newRoutes, admission)) return undefined;
  if (!tlsClaimedFirst(next, ctx) || !moveClaims(pair, { oldRoutes, newRoutes }, ctx))
    return undefined;
  if (!reroute(oldRoutes, newRoutes, ctx)) return undefined;
  return resultOf(next, unit, ctx);
}

/** Same class, same age (its place among Ingresses), same TLS section; no default backend, no plugins. */
function sameStanding(old: Ingress, next: Ingress, ctx: PatchContext): boolean {
  const a = matchIngressClass(old, ctx.classes, ctx.options.ingressClass);
  const b = matchIngressClass(next, ctx.classes, ctx.options.ingressClass);
  if (!a.ours || !b.ours || a.ingressClass !== b.ingressClass) return false;
  if (!plainSpec(old) || !plainSpec(next)) return false;
  return (
    ctx.memo.ageKey(old) === ctx.memo.ageKey(next) &&
    JSON.stringify(old.spec.tls ?? []) === JSON.stringify(next.spec.tls ?? [])
  );
}

/** A default backend is decided between Ingresses; plugins are resolved and attached across objects. */
function plainSpec(ingress: Ingress): boolean {
  return ingress.spec.defaultBackend === undefined && !hasPluginsAnnotation(ingress);
}

/** Within budget, with http routes only, saying nothing about other objects, using no left-out Service. */
function plainUnit(ingress: Ingress, unit: IngressUnit): boolean {
  if (unit.overBudget === true || unit.routes.length === 0 || !unit.said.onlyAbout(ingress))
    return false;
  for (const record of unit.lookups) if (record.blocked) return false;
  return unit.routes.every(plainRoute);
}

/** An http route with hosts (a host-less one is counted per namespace) and paths, and no plugin. */
function plainRoute(e: IngressEmission): boolean {
  const route = e.route;
  return (
    route.kind === "http" &&
    route.match.hosts.length > 0 &&
    route.match.paths.length > 0 &&
    !route.filters.some(f => f.kind === "plugin")
  );
}

/** The hosts the Ingress claims (`claimIngressHosts`), as the claim collector keys them. */
function claimedHosts(ingress: Ingress, unit: IngressUnit): Set<string> {
  const hosts = new Set<string>();
  const add = (host: string): void => {
    if (host !== "") hosts.add(host.toLowerCase());
  };
  for (const rule of ingress.spec.rules ?? []) add(rule.host ?? "");
  for (const alias of unit.overrides.hostAliases) add(alias);
  for (const tls of ingress.spec.tls ?? []) for (const host of tls.hosts ?? []) add(host);
  return hosts;
}

/**
 * Each TLS host was bound first by this Ingress (an older one's claim decides, and is then told
 * nothing new) and may be used by its namespace: its certificates and their SNIs stand as they are.
 */
function tlsClaimedFirst(ingress: Ingress, ctx: PatchContext): boolean {
  const namespace = ingress.metadata.namespace ?? "";
  for (const tls of ingress.spec.tls ?? []) {
    if (tls.secretName === undefined || tls.secretName === "") continue;
    for (const raw of tls.hosts ?? []) {
      const host = raw.toLowerCase();
      const owner = ctx.base.tlsHostOwners.get(host)?.owner;
      const own =
        owner?.kind === ingress.kind &&
        owner.metadata.namespace === ingress.metadata.namespace &&
        owner.metadata.name === ingress.metadata.name;
      if (!own || ctx.base.ownership.refusal(namespace, host) !== undefined) return false;
    }
  }
  return true;
}

/**
 * Releases the old version's path claims and takes the new one's: each held by this Ingress alone,
 * before and after, so no other Ingress is dropped, shares or conflicts because of it.
 */
function moveClaims(
  pair: IngressPair,
  routes: { oldRoutes: readonly IngressRoute[]; newRoutes: readonly IngressRoute[] },
  ctx: PatchContext,
): boolean {
  const claims = ctx.base.claims;
  const holderOf = (key: string): Ingress | null | undefined =>
    ctx.moves.has(key) ? ctx.moves.get(key) : claims.soleHolder(key);
  const released = routes.oldRoutes.flatMap(r => claimKeysOf(r, ctx.memo));
  if (!released.every(key => holderOf(key) === pair.old)) return false;
  for (const key of released) ctx.moves.set(key, null);
  for (const r of routes.newRoutes)
    for (const key of claimKeysOf(r, ctx.memo)) {
      const holder = holderOf(key);
      if (holder !== null && holder !== pair.next) return false;
      ctx.moves.set(key, pair.next);
    }
  return true;
}

/** The new routes in place of the old ones, on the same Kong services. */
function reroute(
  oldRoutes: readonly IngressRoute[],
  newRoutes: readonly IngressRoute[],
  ctx: PatchContext,
): boolean {
  const names = new Set(oldRoutes.map(r => r.service.name));
  if (!sameSet(names, new Set(newRoutes.map(r => r.service.name)))) return false;
  for (const name of names) {
    const was = oldRoutes.filter(r => r.service.name === name);
    const now = newRoutes.filter(r => r.service.name === name);
    if (!rerouteService(name, { was, now }, ctx)) return false;
  }
  return true;
}

/**
 * One Kong service with the Ingress's routes swapped where they were (an Ingress's routes are
 * consecutive in its service: Ingresses are emitted one after another). Its first route brings the
 * service's spec: if that was the Ingress's, the new first one must bring an equal spec.
 */
function rerouteService(
  name: string,
  routes: { was: readonly IngressRoute[]; now: readonly IngressRoute[] },
  ctx: PatchContext,
): boolean {
  const { was, now } = routes;
  const ir = ctx.services.get(name) ?? ctx.memo.writer.services.get(name)?.ir;
  const first = was[0];
  const firstNow = now[0];
  if (ir === undefined || first === undefined || firstNow === undefined) return false;
  const at = ir.routes.indexOf(first.route);
  if (at < 0 || !was.every((r, i) => ir.routes[at + i] === r.route)) return false;
  if (at === 0 && !sameSpec(first.service, firstNow.service, ctx.memo.backends.get(name)))
    return false;
  const rest = ir.routes.slice(at + was.length);
  ctx.services.set(name, {
    ...ir,
    routes: [...ir.routes.slice(0, at), ...now.map(r => r.route), ...rest],
  });
  return true;
}

/**
 * Specs the service builds alike from (`buildService`): one backend, so the backend set comes out
 * equal to the remembered one and the service's origin is its Service's, not the spec's.
 */
function sameSpec(a: ServiceSpec, b: ServiceSpec, set: BackendSet | undefined): boolean {
  if (set?.entries.length !== 1 || a.backends.length !== 1) return false;
  return sameServiceSpec(a, b);
}

/**
 * The Ingress's result as the full path builds it, call for call: selected (its class, excluded until
 * served), its class settings, its unit's word, its TLS section (bound: `tlsClaimedFirst`), served.
 */
function resultOf(
  ingress: Ingress,
  unit: IngressUnit,
  ctx: PatchContext,
): ObjectResult | undefined {
  const { memo } = ctx;
  const builder = new ResultsBuilder(memo.refOf);
  builder.seen(ingress);
  const match = matchIngressClass(ingress, ctx.classes, ctx.options.ingressClass);
  if (match.ours && match.ingressClass !== undefined)
    builder.dependsOn(ingress, match.ingressClass);
  builder.excluded(ingress);
  if (ctx.settings.source !== undefined) builder.dependsOn(ingress, ctx.settings.source);
  unit.said.replay(builder);
  const secrets = memo.secrets?.value ?? new Map();
  new CertificateCollector(secrets, builder, memo.keyPair, ctx.inputs.now).addIngress(ingress);
  builder.translated(ingress);
  const { ref } = memo.refOf(ingress);
  return builder.build().find(r => r.ref === ref);
}

/** The last translation with the new results and services; `memo` moves on only if all fit. */
function commit(
  ctx: PatchContext,
  entries: readonly ObjectResult[],
): TranslationResult | undefined {
  const { base, memo } = ctx;
  const results = replacedResults(base.result.results, entries);
  if (results === undefined) return undefined;
  const services = [...ctx.services.values()];
  const config = rewriteServices(base.result.config, services, memo.writer, ctx.inputs.flavor);
  if (config === undefined) return undefined;
  const result: TranslationResult = { ...base.result, config, results };
  base.claims.apply(ctx.moves);
  memo.patchBase = { ...base, snapshot: ctx.snapshot, result };
  memo.patched += 1;
  return result;
}
