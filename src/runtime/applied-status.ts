/**
 * Turns what the sender knows (the objects in the configs Kong runs, the objects Kong rejected, the
 * Gateway API statuses of the config it confirmed last) and the newest translation into what the
 * status publishers take. Incident c (incidents-and-gateway-api.md, REQ-C1..C3): whatever Kong
 * accepted last, primary, fallback or last-known-good, decides which objects are configured and which
 * Gateway and route statuses hold; before any config is known no Ingress is reported on (Gateways and
 * routes show what waits for Kong, src/status/gateway-held.ts). GatewayClass statuses do not depend
 * on Kong: they follow the newest translation.
 */
import type { Logger } from "pino";
import type { ObjectFailure } from "../kong/flattened-errors.ts";
import { refKey, RefKeys, type GenerationRef } from "../model/object-ref.ts";
import type { GatewayState, SenderView } from "../sender/gateway-state.ts";
import { EventReason } from "../status/events.ts";
import type { AppliedConfigReport, ExcludedObject } from "../status/ingress-publisher.ts";
import { KONG_STATUS_KINDS } from "../status/kong-status.ts";
import type { GatewayApiStatuses, ObjectResult, TranslationResult } from "../translator/types.ts";
import type { Clock } from "../util/clock.ts";
import { compareStrings, indexOfSorted } from "../util/compare.ts";

export interface AppliedReportInput {
  readonly view: SenderView;
  /** The newest translation handed to the sender. */
  readonly latest: TranslationResult | undefined;
  /**
   * Whether a node has confirmed a fallback or last-known-good config since Kong rejected the newest
   * translation: only then are objects missing from the accepted config known to be left out.
   */
  readonly degradedSinceRejection: boolean;
  /** Keys of refs, remembered across reports (a report walks every result). */
  readonly keys?: RefKeys;
}

/** Gateway API objects whose exclusion by Kong is reported (their translation speaks for itself). */
const GATEWAY_API_KINDS: ReadonlySet<string> = new Set([
  "Gateway",
  "HTTPRoute",
  "GRPCRoute",
  "TCPRoute",
  "UDPRoute",
  "TLSRoute",
]);

/** Objects whose status says whether Kong runs them: Ingresses, Gateway API and Kong kinds. */
function isReported(r: ObjectResult): boolean {
  const kind = r.ref.kind;
  const ours = kind === "Ingress" || GATEWAY_API_KINDS.has(kind) || KONG_STATUS_KINDS.has(kind);
  return ours && r.outcome !== "ignored";
}

function sourceOf(gateways: readonly GatewayState[]): AppliedConfigReport["source"] {
  const synced = gateways.filter(g => g.phase === "synced");
  if (synced.some(g => g.config === "fallback")) return "fallback";
  if (synced.some(g => g.config === "lastKnownGood" || g.config === "kong"))
    return "last-known-good";
  return "primary";
}

/** The object at the generation translated: the one its status reports on. */
function translatedRef(r: ObjectResult): GenerationRef {
  return r.generation === undefined ? r.ref : { ...r.ref, generation: r.generation };
}

/** Why an object of ours is not in the accepted config, when that is known; undefined otherwise. */
function exclusionOf(
  r: ObjectResult,
  rejected: ReadonlyMap<string, readonly string[]>,
  degradedSinceRejection: boolean,
): ExcludedObject | undefined {
  const exclusion = exclusionWhy(r, rejected, degradedSinceRejection);
  return exclusion === undefined ? undefined : { ref: translatedRef(r), ...exclusion };
}

function exclusionWhy(
  r: ObjectResult,
  rejected: ReadonlyMap<string, readonly string[]>,
  degradedSinceRejection: boolean,
): Omit<ExcludedObject, "ref"> | undefined {
  if (r.outcome === "excluded") {
    // A Gateway API object translation left out says why in its own status (no listener allows it, …).
    if (GATEWAY_API_KINDS.has(r.ref.kind)) return undefined;
    const message = r.problems.map(p => p.message).join("; ") || "translation left it out";
    return { reason: EventReason.TranslationFailed, message };
  }
  const messages = rejected.get(refKey(r.ref));
  if (messages !== undefined) {
    return { reason: EventReason.ApplyFailed, message: messages.join("; ") };
  }
  // Left out with what it read (a consumer and its credential Secret): known without waiting for a
  // fallback to be confirmed after this very translation.
  const dependency = r.dependsOn.find(d => rejected.has(refKey(d)));
  if (dependency !== undefined)
    return {
      reason: EventReason.ApplyFailed,
      message: `left out of the configuration Kong accepted: it reads ${refKey(dependency)}, which Kong rejected: ${(rejected.get(refKey(dependency)) ?? []).join("; ")}`,
    };
  if (!degradedSinceRejection) return undefined;
  return {
    reason: EventReason.ApplyFailed,
    message:
      "left out of the configuration Kong accepted, because it depends on objects Kong rejected",
  };
}

/**
 * The report for the publisher, or undefined while no node's running config is known ("not yet
 * known" is not "not configured"). An object of ours that is neither in the accepted config nor known
 * to be left out (e.g. created a moment ago, its push still under way) is in neither list, so its
 * status is left as it is. This full pass over every result is the reference the feed's patched
 * reports must equal.
 */
export function appliedReport(input: AppliedReportInput): AppliedConfigReport | undefined {
  const accepted = input.view.acceptedObjects;
  if (accepted === undefined) return undefined;
  const inputs: ReportInputs = {
    accepted,
    rejected: input.view.rejectedObjects,
    latest: input.latest,
    degradedSinceRejection: input.degradedSinceRejection,
    source: sourceOf(input.view.gateways),
  };
  return walkedReport(inputs, input.keys ?? new RefKeys());
}

function walkedReport(inputs: ReportInputs, keys: RefKeys): AppliedConfigReport {
  const { accepted, degradedSinceRejection } = inputs;
  const rejected = rejectedByKey(inputs.rejected);
  const excluded: ExcludedObject[] = [];
  for (const r of inputs.latest?.results ?? []) {
    if (!isReported(r) || accepted.has(keys.of(r.ref))) continue;
    const exclusion = exclusionOf(r, rejected, degradedSinceRejection);
    if (exclusion !== undefined) excluded.push(exclusion);
  }
  return { source: inputs.source, configured: accepted, excluded };
}

function rejectedByKey(failures: readonly ObjectFailure[]): ReadonlyMap<string, readonly string[]> {
  return new Map(failures.map(f => [refKey(f.ref), f.messages]));
}

/** What a report is made from; the same inputs make the same report. */
interface ReportInputs {
  readonly accepted: ReadonlyMap<string, GenerationRef>;
  readonly rejected: readonly ObjectFailure[];
  readonly latest: TranslationResult | undefined;
  readonly degradedSinceRejection: boolean;
  readonly source: AppliedConfigReport["source"];
}

/** The sender hands out a new empty list with each translation: no rejection is no rejection. */
function sameRejections(a: ReportInputs, b: ReportInputs): boolean {
  return a.rejected === b.rejected || (a.rejected.length === 0 && b.rejected.length === 0);
}

function sameInputs(a: ReportInputs, b: ReportInputs): boolean {
  return (
    a.accepted === b.accepted &&
    sameRejections(a, b) &&
    a.latest === b.latest &&
    a.degradedSinceRejection === b.degradedSinceRejection &&
    a.source === b.source
  );
}

/**
 * More results changed than this, and the report is made by the full pass: a full translation's
 * results are all new objects, and the scan for changes stops here instead of walking them all.
 */
const MAX_CHANGED_RESULTS = 64;

/**
 * The keys of the results that differ between two translations, when each differs only in results
 * replaced in place (same count, same key at each index: what a patched translation hands out, the
 * others being the very same objects); undefined otherwise. A scan of pointers, not of objects.
 */
function changedResultKeys(
  before: TranslationResult | undefined,
  after: TranslationResult | undefined,
  keys: RefKeys,
): string[] | undefined {
  if (before === after) return [];
  if (before === undefined || after === undefined) return undefined;
  const was = before.results;
  const now = after.results;
  if (was.length !== now.length) return undefined;
  const changed: string[] = [];
  for (let i = 0; i < now.length; i++) {
    const a = was[i];
    const b = now[i];
    if (a === b) continue;
    if (a === undefined || b === undefined || changed.length === MAX_CHANGED_RESULTS)
      return undefined;
    const key = keys.of(b.ref);
    if (keys.of(a.ref) !== key) return undefined;
    changed.push(key);
  }
  return changed;
}

/** The results under `key`, found by halving: results are sorted by their ref's key (translator/results.ts). */
function resultsUnder(
  results: readonly ObjectResult[],
  key: string,
  keys: RefKeys,
): readonly ObjectResult[] {
  const keyOf = (r: ObjectResult): string => keys.of(r.ref);
  const at = indexOfSorted(results, key, keyOf);
  if (at === undefined) return [];
  // One result per object; a kind served under two groups would share the key, so look beside it.
  let first = at;
  while (first > 0 && keyOf(results[first - 1] as ObjectResult) === key) first--;
  let end = at + 1;
  while (end < results.length && keyOf(results[end] as ObjectResult) === key) end++;
  return results.slice(first, end);
}

function byKey(keys: RefKeys): (a: ExcludedObject, b: ExcludedObject) => number {
  return (a, b) => compareStrings(keys.of(a.ref), keys.of(b.ref));
}

/**
 * The report for `next`, made from the last one by the keys that changed, or undefined when that is
 * not known to equal the full pass. Every exclusion depends on its own result, on whether the accepted
 * config holds its key, and on the rejections and their confirmation; with the last two the same, only
 * the keys whose result or accepted entry changed can differ. Those are known when the accepted map
 * was patched from the last one (`SenderView.acceptedChanges`) and the translation replaced results
 * in place. Rejections, a source that changed or any other map or translation: the full pass.
 */
function patchedReport(
  last: { readonly inputs: ReportInputs; readonly report: AppliedConfigReport },
  next: ReportInputs,
  view: SenderView,
  keys: RefKeys,
): Omit<AppliedConfigReport, "serial"> | undefined {
  const since = last.report.serial;
  const changed = since === undefined ? undefined : changedKeys(last.inputs, next, view, keys);
  if (since === undefined || changed === undefined) return undefined;
  const was = last.report.excluded;
  const kept = was.filter(x => !changed.has(keys.of(x.ref)));
  const added: ExcludedObject[] = [];
  const rejected = rejectedByKey(next.rejected);
  for (const key of changed) {
    if (next.accepted.has(key)) continue;
    for (const r of resultsUnder(next.latest?.results ?? [], key, keys)) {
      if (!isReported(r)) continue;
      const exclusion = exclusionOf(r, rejected, next.degradedSinceRejection);
      if (exclusion !== undefined) added.push(exclusion);
    }
  }
  // In the full pass's order (the results'), and the very same list when nothing moved.
  const excluded =
    added.length === 0 && kept.length === was.length ? was : [...kept, ...added].sort(byKey(keys));
  return {
    source: next.source,
    configured: next.accepted,
    excluded,
    changes: { since, keys: changed },
  };
}

/** The keys whose report may differ between `was` and `next`, when only those can; see above. */
function changedKeys(
  was: ReportInputs,
  next: ReportInputs,
  view: SenderView,
  keys: RefKeys,
): Set<string> | undefined {
  if (
    !sameRejections(was, next) ||
    next.degradedSinceRejection !== was.degradedSinceRejection ||
    next.source !== was.source
  )
    return undefined;
  const changes = view.acceptedChanges;
  const acceptedKeys =
    next.accepted === was.accepted ? [] : changes?.from === was.accepted ? changes.keys : undefined;
  const resultKeys = changedResultKeys(was.latest, next.latest, keys);
  if (acceptedKeys === undefined || resultKeys === undefined) return undefined;
  return new Set([...acceptedKeys, ...resultKeys]);
}

/** What the Gateway API status publisher takes (src/status/gateway-publisher.ts). */
export interface GatewayApiStatusSink {
  /** Every translation handed to the sender. */
  onTranslated(statuses: GatewayApiStatuses): void;
  /** The statuses of the config Kong accepted, when they change. */
  onConfigApplied(statuses: GatewayApiStatuses): void;
  /** What Kong runs and what of ours it left out, whenever that changes. */
  onAppliedReport(report: AppliedConfigReport): void;
}

export interface AppliedStatusFeedOptions {
  readonly publisher: { onConfigApplied(report: AppliedConfigReport): void };
  readonly gatewayApi?: GatewayApiStatusSink;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * `false`: every report by the full pass over every result, never from the last report's changed
   * keys: the reference those are checked against.
   */
  readonly patchReports?: boolean;
}

/**
 * Feeds the publisher from sender views and translations, only when the report changes: the sender
 * publishes a view on every state change (polls included), and each report may write statuses and
 * events.
 */
export class AppliedStatusFeed {
  readonly #o: AppliedStatusFeedOptions;
  #view: SenderView | undefined;
  #latest: TranslationResult | undefined;
  /** When Kong was first seen rejecting the newest translation. */
  #rejectedAt: number | undefined;
  /** The last report and what it was made from. */
  #last: { readonly inputs: ReportInputs; readonly report: AppliedConfigReport } | undefined;
  #serial = 0;
  #walks = 0;
  /** The accepted Gateway API statuses last handed on. */
  #lastGatewayApi: GatewayApiStatuses | undefined;
  readonly #keys = new RefKeys();

  constructor(options: AppliedStatusFeedOptions) {
    this.#o = options;
  }

  /** How many reports were made by the full pass over every result; the others by the changed keys. */
  get walks(): number {
    return this.#walks;
  }

  /** The cycle handed a new translation to the sender. */
  translated(result: TranslationResult): void {
    this.#latest = result;
    this.#rejectedAt = undefined;
    this.#o.gatewayApi?.onTranslated(result.gatewayApi);
    this.#publish();
  }

  /** The sender's view changed. */
  viewChanged(view: SenderView): void {
    this.#view = view;
    if (view.rejectedObjects.length === 0) this.#rejectedAt = undefined;
    else this.#rejectedAt ??= this.#o.clock.now();
    this.#publishGatewayApi(view);
    this.#publish();
  }

  /** Views come on every state change; the statuses they carry change only with a confirmed config. */
  #publishGatewayApi(view: SenderView): void {
    const statuses = view.acceptedGatewayApi;
    if (statuses === undefined || statuses === this.#lastGatewayApi) return;
    this.#lastGatewayApi = statuses;
    this.#o.gatewayApi?.onConfigApplied(statuses);
  }

  #degradedSinceRejection(view: SenderView): boolean {
    const since = this.#rejectedAt;
    if (since === undefined) return false;
    return view.gateways.some(
      g =>
        g.phase === "synced" &&
        g.degraded !== undefined &&
        (g.config === "fallback" || g.config === "lastKnownGood") &&
        g.since >= since,
    );
  }

  #publish(): void {
    const view = this.#view;
    const accepted = view?.acceptedObjects;
    if (view === undefined || accepted === undefined) return;
    // Views come on every state change, polls included; most carry the very same accepted objects
    // (the running config's own map), rejections and translation, and then nothing is to be done.
    const inputs: ReportInputs = {
      accepted,
      rejected: view.rejectedObjects,
      latest: this.#latest,
      degradedSinceRejection: this.#degradedSinceRejection(view),
      source: sourceOf(view.gateways),
    };
    const last = this.#last;
    if (last !== undefined && sameInputs(last.inputs, inputs)) return;
    const made =
      (last === undefined || this.#o.patchReports === false
        ? undefined
        : patchedReport(last, inputs, view, this.#keys)) ?? this.#walked(inputs);
    const report: AppliedConfigReport = { ...made, serial: ++this.#serial };
    this.#last = { inputs, report };
    this.#o.logger.debug(
      {
        source: report.source,
        configured: report.configured.size,
        excluded: report.excluded.map(x => refKey(x.ref)),
      },
      "Accepted config changed",
    );
    this.#o.publisher.onConfigApplied(report);
    this.#o.gatewayApi?.onAppliedReport(report);
  }

  #walked(inputs: ReportInputs): AppliedConfigReport {
    this.#walks++;
    return walkedReport(inputs, this.#keys);
  }
}
