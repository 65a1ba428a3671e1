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
import { refKey, RefKeys, type GenerationRef } from "../model/object-ref.ts";
import type { GatewayState, SenderView } from "../sender/gateway-state.ts";
import { EventReason } from "../status/events.ts";
import type { AppliedConfigReport, ExcludedObject } from "../status/ingress-publisher.ts";
import { KONG_STATUS_KINDS } from "../status/kong-status.ts";
import type { GatewayApiStatuses, ObjectResult, TranslationResult } from "../translator/types.ts";
import type { Clock } from "../util/clock.ts";

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
 * status is left as it is.
 */
export function appliedReport(input: AppliedReportInput): AppliedConfigReport | undefined {
  const accepted = input.view.acceptedObjects;
  if (accepted === undefined) return undefined;
  const rejected = new Map(input.view.rejectedObjects.map(f => [refKey(f.ref), f.messages]));
  const excluded: ExcludedObject[] = [];
  const keys = input.keys ?? new RefKeys();
  for (const r of input.latest?.results ?? []) {
    if (!isReported(r) || accepted.has(keys.of(r.ref))) continue;
    const exclusion = exclusionOf(r, rejected, input.degradedSinceRejection);
    if (exclusion !== undefined) excluded.push(exclusion);
  }
  return {
    source: sourceOf(input.view.gateways),
    configured: [...accepted.values()],
    excluded,
  };
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
  /** What the last report was made from; the same inputs make the same report. */
  #lastInputs: readonly unknown[] | undefined;
  /** The accepted Gateway API statuses last handed on. */
  #lastGatewayApi: GatewayApiStatuses | undefined;
  readonly #keys = new RefKeys();

  constructor(options: AppliedStatusFeedOptions) {
    this.#o = options;
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
    if (view === undefined) return;
    const degradedSinceRejection = this.#degradedSinceRejection(view);
    // Views come on every state change, polls included; most carry the very same accepted objects
    // (the running config's own map), rejections and translation, and then nothing is to be done.
    const inputs = [
      view.acceptedObjects,
      view.rejectedObjects,
      this.#latest,
      degradedSinceRejection,
      sourceOf(view.gateways),
    ];
    if (this.#lastInputs?.every((input, i) => input === inputs[i]) === true) return;
    const report = appliedReport({
      view,
      latest: this.#latest,
      degradedSinceRejection,
      keys: this.#keys,
    });
    if (report === undefined) return;
    this.#lastInputs = inputs;
    this.#o.logger.debug(
      {
        source: report.source,
        configured: report.configured.length,
        excluded: report.excluded.map(x => refKey(x.ref)),
      },
      "Accepted config changed",
    );
    this.#o.publisher.onConfigApplied(report);
    this.#o.gatewayApi?.onAppliedReport(report);
  }
}
