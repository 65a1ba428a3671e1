/**
 * Kubernetes Events on the objects we translate, with KIC's reasons (kic-conventions.md §6.4).
 * Identical events are aggregated as client-go's EventCorrelator does: the first creates an Event,
 * repeats bump its `count` and `lastTimestamp`. The Event's name is derived from the object and the
 * event itself, so after a restart the same problem finds its Event (the create answers 409) and bumps
 * it instead of adding a second one.
 */
import { escapeControl } from "../util/escape-control.ts";
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { ObjectRef } from "../model/object-ref.ts";
import type { EventWriteResult, Metrics } from "../telemetry/metrics.ts";
import type { Clock } from "../util/clock.ts";
import { conditionTime } from "./conditions.ts";

/** KIC's event reasons. */
export const EventReason = {
  TranslationFailed: "KongConfigurationTranslationFailed",
  ApplyFailed: "KongConfigurationApplyFailed",
  Succeeded: "KongConfigurationSucceeded",
  FallbackTranslationFailed: "FallbackKongConfigurationTranslationFailed",
  FallbackApplyFailed: "FallbackKongConfigurationApplyFailed",
  FallbackSucceeded: "FallbackKongConfigurationSucceeded",
} as const;

export type EventType = "Normal" | "Warning";

/** What a caller wants recorded. */
export interface EventRequest {
  readonly ref: ObjectRef;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

/** A core/v1 Event as we write it. */
export interface CoreEvent {
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly involvedObject: {
    readonly apiVersion: string;
    readonly kind: string;
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
  };
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  /** RFC 3339. */
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly source: { readonly component: string };
  readonly reportingComponent: string;
  readonly reportingInstance: string;
}

/** The calls the recorder needs; tests use a fake, src/status/kube-api.ts the API server. */
export interface KubeEventsApi {
  /** `exists` when an Event of that name is there already (409). */
  createEvent(event: CoreEvent): Promise<"created" | "exists">;
  /** The `count` of an existing Event; undefined when it is gone (404). */
  readEventCount(ref: {
    readonly namespace: string;
    readonly name: string;
  }): Promise<number | undefined>;
  /** Sets `count` and `lastTimestamp`; `gone` when the Event has expired (404). */
  updateEventCount(update: {
    readonly namespace: string;
    readonly name: string;
    readonly count: number;
    readonly lastTimestamp: string;
  }): Promise<"ok" | "gone">;
}

export interface EventRecorderOptions {
  readonly api: KubeEventsApi;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, "kubernetesEvents">;
  /** --emit-kubernetes-events. */
  readonly enabled: boolean;
  /** `reportingInstance`, usually the pod name. */
  readonly instance: string;
  readonly component?: string;
  /** Distinct events remembered for aggregation; the oldest is forgotten first. */
  readonly cacheSize?: number;
  /** Writes waiting at most; more are dropped (and counted) rather than piling up in memory. */
  readonly maxBacklog?: number;
  /** Hides secret values in messages (Kong's rejections can quote a credential). */
  readonly scrub?: (message: string) => string;
}

interface Aggregate {
  readonly namespace: string;
  readonly name: string;
  readonly count: number;
}

/** core/v1 allows more, but events.k8s.io caps notes at 1 kB; stay within both. */
const MAX_MESSAGE = 1024;
/** Events of cluster-scoped objects live here, as client-go records them. */
const CLUSTER_SCOPED_NAMESPACE = "default";

function apiVersionOf(ref: ObjectRef): string {
  return ref.group === "" ? ref.version : `${ref.group}/${ref.version}`;
}

/** Escaped (a message quotes names and annotation values, which may carry terminal escapes) and cut. */
function truncate(raw: string): string {
  const message = escapeControl(raw);
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 3)}...`;
}

/** Object names are DNS subdomains of at most 253 characters; the suffix takes 17 of them. */
const MAX_NAME_PREFIX = 253 - 17;

/**
 * `<object>.<16 hex digits>`, the shape client-go's names have, but the digits hash the object (uid
 * included, so a re-created object gets fresh Events) and the event, not the time.
 */
export function eventName(request: EventRequest, message: string): string {
  const { ref } = request;
  const identity = [ref.group, ref.kind, ref.namespace, ref.name, ref.uid ?? ""];
  const digest = createHash("sha256")
    .update(JSON.stringify([identity, request.type, request.reason, message]))
    .digest("hex")
    .slice(0, 16);
  return `${ref.name.slice(0, MAX_NAME_PREFIX).replace(/\.+$/, "")}.${digest}`;
}

/**
 * Records Events without ever blocking the caller: `record` queues the write and returns; writes run
 * one at a time in order; failures are logged and counted, never thrown.
 */
export class EventRecorder {
  readonly #opts: EventRecorderOptions;
  readonly #logger: Logger;
  readonly #seen = new Map<string, Aggregate>();
  #tail: Promise<void> = Promise.resolve();
  #backlog = 0;

  constructor(opts: EventRecorderOptions) {
    this.#opts = opts;
    this.#logger = opts.logger.child({ component: "event-recorder" });
  }

  record(request: EventRequest): void {
    if (!this.#opts.enabled) return;
    if (this.#backlog >= (this.#opts.maxBacklog ?? 1000)) {
      this.#count(request, "dropped");
      return;
    }
    this.#backlog++;
    this.#tail = this.#tail
      .then(() => this.#write(request))
      .finally(() => {
        this.#backlog--;
      });
  }

  /** Resolves once every event recorded so far has been written or has failed. */
  idle(): Promise<void> {
    return this.#tail;
  }

  async #write(request: EventRequest): Promise<void> {
    const message = truncate(this.#opts.scrub?.(request.message) ?? request.message);
    const now = conditionTime(this.#opts.clock.now());
    const event = this.#build(request, message, now);
    const key = `${event.metadata.namespace}/${event.metadata.name}`;
    try {
      const known = this.#seen.get(key);
      if (known !== undefined && (await this.#bump(key, known, now)) === "ok") {
        this.#count(request, "aggregated");
        return;
      }
      if ((await this.#opts.api.createEvent(event)) === "created") {
        this.#remember(key, { ...event.metadata, count: 1 });
        this.#count(request, "created");
        return;
      }
      // Written before a restart (or by another replica): bump it.
      await this.#adopt(key, request, event, now);
    } catch (err) {
      this.#count(request, "error");
      const { kind, namespace, name } = request.ref;
      this.#logger.warn(
        { err, kind, namespace, name, reason: request.reason },
        "Event write failed",
      );
    }
  }

  /** Bumps an Event that exists but this process has not written (or has forgotten). */
  async #adopt(key: string, request: EventRequest, event: CoreEvent, now: string): Promise<void> {
    const count = await this.#opts.api.readEventCount(event.metadata);
    const adopted = { ...event.metadata, count: count ?? 0 };
    if (count !== undefined && (await this.#bump(key, adopted, now)) === "ok") {
      this.#count(request, "aggregated");
      return;
    }
    // It expired between the create and the bump: create it as if never seen. Should it be back
    // once more, someone else is writing it, and their Event stands.
    const created = await this.#opts.api.createEvent(event);
    if (created === "created") this.#remember(key, { ...event.metadata, count: 1 });
    this.#count(request, created === "created" ? "created" : "aggregated");
  }

  async #bump(key: string, known: Aggregate, now: string): Promise<"ok" | "gone"> {
    const count = known.count + 1;
    const outcome = await this.#opts.api.updateEventCount({ ...known, count, lastTimestamp: now });
    if (outcome === "ok") {
      this.#remember(key, { ...known, count });
    } else {
      this.#seen.delete(key);
    }
    return outcome;
  }

  #remember(key: string, aggregate: Aggregate): void {
    // Map order is insertion order: re-inserting keeps recently used keys at the end.
    this.#seen.delete(key);
    this.#seen.set(key, aggregate);
    const limit = this.#opts.cacheSize ?? 4096;
    for (const oldest of this.#seen.keys()) {
      if (this.#seen.size <= limit) break;
      this.#seen.delete(oldest);
    }
  }

  #build(request: EventRequest, message: string, now: string): CoreEvent {
    const { ref } = request;
    const component = this.#opts.component ?? "kongress";
    return {
      metadata: {
        name: eventName(request, message),
        namespace: ref.namespace === "" ? CLUSTER_SCOPED_NAMESPACE : ref.namespace,
      },
      involvedObject: {
        apiVersion: apiVersionOf(ref),
        kind: ref.kind,
        name: ref.name,
        ...(ref.namespace === "" ? {} : { namespace: ref.namespace }),
        ...(ref.uid === undefined ? {} : { uid: ref.uid }),
      },
      type: request.type,
      reason: request.reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component },
      reportingComponent: component,
      reportingInstance: this.#opts.instance,
    };
  }

  #count(request: EventRequest, result: EventWriteResult): void {
    this.#opts.metrics.kubernetesEvents.inc({ reason: request.reason, type: request.type, result });
  }
}
