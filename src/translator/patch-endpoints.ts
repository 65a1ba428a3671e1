/**
 * The endpoints patch: when a snapshot differs from the last translated one only in a few
 * EndpointSlices, each replaced in place (same uid, namespace, name and Service), the translation is the
 * last one with the upstreams of the Kong services their Services back written anew and the slices'
 * results replaced, instead of every stage visiting all 10k objects again. Pods starting, stopping and
 * turning ready change slices all day: in a large cluster this is the change seen most.
 *
 * Why that is the whole change: one stage reads slices, backend resolution (services.ts). It gives each
 * backend of the slice's Service its endpoints (an upstream's targets) and the slice its result
 * (translated and depending on its Service when it contributed, else only seen). What else resolution
 * gives (the Kong service's settings, origin, problems) comes from the Service, which did not change;
 * routes, certificates, plugins, host claims and Gateway API statuses read no endpoint. The property
 * tests compare every patch with a cold translation; anything else is left to the full path.
 */
import type { EndpointSlice, Service } from "../model/k8s.ts";
import { refKey } from "../model/object-ref.ts";
import { indexOfSorted } from "../util/compare.ts";
import type { IrService } from "./ir/types.ts";
import { sameItems } from "./ir/same.ts";
import { rewriteUpstreams } from "./kong-writer/index.ts";
import type { BackendSet, TranslationMemo } from "./memo.ts";
import {
  onlyListChanged,
  replacedInPlace,
  sameObject,
  type PatchBase,
  type PatchInputs,
  type Replaced,
} from "./patch-base.ts";
import { ResultsBuilder } from "./results.ts";
import { backendSetResolvedAgain, sliceServiceKey, type FreshEntries } from "./services.ts";
import type { ObjectResult, Snapshot, TranslateOptions, TranslationResult } from "./types.ts";

type SlicePair = Replaced<EndpointSlice>;

/**
 * The translation of `snapshot` patched from the last one `memo` holds, or undefined when the change is
 * not one this patch may take (then `memo` is as it was: the caller translates in full, with the same
 * `inputs`).
 */
export function patchEndpoints(
  snapshot: Snapshot,
  options: TranslateOptions,
  memo: TranslationMemo,
  inputs: PatchInputs,
): TranslationResult | undefined {
  const base = memo.patchBase;
  if (base === undefined || !onlyListChanged(base, snapshot, inputs, "endpointSlices"))
    return undefined;
  const pairs = changedSlices(base.snapshot.endpointSlices, snapshot.endpointSlices);
  const regrouped = pairs === undefined ? undefined : regroupedSlices(pairs, memo, base);
  if (pairs === undefined || regrouped === undefined) return undefined;
  const { slicesByService, touched } = regrouped;
  const sets = resolvedAgain(memo, touched, {
    slicesByService,
    clusterDomain: options.clusterDomain,
    ...(options.enableDrainSupport === true ? { drain: true } : {}),
  });
  if (sets === undefined) return undefined;
  const results = patchedResults(base.result.results, pairs, { memo, sets });
  const services = irServices(memo, sets);
  if (results === undefined || services === undefined) return undefined;
  // Last: it moves the writer's memo on, so nothing may fail after it.
  const config = rewriteUpstreams(base.result.config, services, memo.writer);
  if (config === undefined) return undefined;
  const result: TranslationResult = { ...base.result, config, results };
  const backends = new Map(memo.backends);
  for (const [name, { after }] of sets) backends.set(name, after);
  memo.backends = backends;
  memo.slices = { list: snapshot.endpointSlices, value: slicesByService };
  memo.backendSlices = slicesByService;
  memo.patchBase = { ...base, snapshot, result };
  memo.patched += 1;
  return result;
}

/**
 * The last translation's slices by Service with the changed ones in place of the old, as
 * `slicesByService` would group the new list, and the Services whose slices changed. Undefined when the
 * backends were not resolved against the last list's grouping, or an old slice is not in it.
 */
function regroupedSlices(
  pairs: readonly SlicePair[],
  memo: TranslationMemo,
  base: PatchBase,
): { slicesByService: Map<string, EndpointSlice[]>; touched: Set<Service> } | undefined {
  const derived = memo.slices;
  if (derived?.list !== base.snapshot.endpointSlices || memo.backendSlices !== derived.value)
    return undefined;
  const slicesByService = new Map(derived.value);
  const touched = new Set<Service>();
  for (const { old, next } of pairs) {
    const key = sliceServiceKey(next);
    // A slice of no Service is read by nobody: only its result changes.
    if (key === undefined) continue;
    const list = slicesByService.get(key);
    const at = list?.indexOf(old) ?? -1;
    if (list === undefined || at < 0) return undefined;
    const replaced = list.slice();
    replaced[at] = next;
    slicesByService.set(key, replaced);
    const service = memo.services?.value.get(key);
    if (service !== undefined) touched.add(service);
  }
  return { slicesByService, touched };
}

/** The slices replaced in place (same uid, namespace, name and Service), or undefined for any other change. */
function changedSlices(
  before: readonly EndpointSlice[],
  after: readonly EndpointSlice[],
): readonly SlicePair[] | undefined {
  return replacedInPlace(before, after, sameSlice);
}

/** The same slice, still of the same Service (a relabelled one moves between Services' lists). */
function sameSlice(a: EndpointSlice, b: EndpointSlice): boolean {
  return sameObject(a, b) && sliceServiceKey(a) === sliceServiceKey(b);
}

/**
 * By Kong service name, the backend sets of the Kong services backed by a touched Service, resolved
 * again; undefined if one cannot be. Kong services the last translation left out hold no set: the full
 * path would leave them out again (their Services did not change).
 */
function resolvedAgain(
  memo: TranslationMemo,
  touched: ReadonlySet<Service>,
  input: Parameters<typeof backendSetResolvedAgain>[2],
): Map<string, { readonly before: BackendSet; readonly after: BackendSet }> | undefined {
  const sets = new Map<string, { before: BackendSet; after: BackendSet }>();
  if (touched.size === 0) return sets;
  const fresh: FreshEntries = new Map();
  for (const [name, set] of memo.backends) {
    if (!set.entries.some(e => touched.has(e.service))) continue;
    const after = backendSetResolvedAgain(set, fresh, input);
    if (after === undefined) return undefined;
    if (after !== set) sets.set(name, { before: set, after });
  }
  return sets;
}

/**
 * The last results with each changed slice's result as the full path builds it, call for call: seen,
 * then translated and depending on its Service for each backend it gave endpoints to.
 */
function patchedResults(
  results: readonly ObjectResult[],
  pairs: readonly SlicePair[],
  from: {
    readonly memo: TranslationMemo;
    readonly sets: ReadonlyMap<string, { readonly after: BackendSet }>;
  },
): ObjectResult[] | undefined {
  const patched = [...results];
  for (const { next } of pairs) {
    const builder = new ResultsBuilder(from.memo.refOf);
    builder.seen(next);
    for (const { after } of from.sets.values())
      for (const entry of after.entries)
        if (entry.resolved.slices.includes(next)) {
          builder.translated(next);
          builder.dependsOn(next, entry.service);
        }
    const [entry] = builder.build();
    if (entry === undefined) return undefined;
    // Sorted by their ref's key (`ResultsBuilder.build`); the slice keeps its key.
    const at = indexOfSorted(patched, refKey(entry.ref), r => refKey(r.ref));
    if (at === undefined) return undefined;
    patched[at] = entry;
  }
  return patched;
}

/**
 * The Kong services of `sets` as the full path would build them now: the last ones with the new
 * backends. All else comes from the Services, which did not change (`resolveBackend` is pure in its
 * input: the same Service gives the same settings, origin and problems). Undefined when the writer's
 * last service was not built from the set resolved again.
 */
function irServices(
  memo: TranslationMemo,
  sets: ReadonlyMap<string, { readonly before: BackendSet; readonly after: BackendSet }>,
): IrService[] | undefined {
  const services: IrService[] = [];
  for (const [name, { before, after }] of sets) {
    const ir = memo.writer.services.get(name)?.ir;
    if (ir === undefined || !sameItems(ir.backends, before.backends)) return undefined;
    services.push({ ...ir, backends: after.backends });
  }
  return services;
}
