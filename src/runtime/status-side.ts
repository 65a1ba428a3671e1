/**
 * The status half of the graph: the coalescing queue, the Ingress status writer, the event recorder
 * and the publisher that decides what goes on which Ingress. The writer is the leader-only part.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Config } from "../config/schema.ts";
import type { KubeClients } from "../kube/client.ts";
import { EventReason, EventRecorder, type EventRequest } from "../status/events.ts";
import { IngressStatusPublisher } from "../status/ingress-publisher.ts";
import { eventsApiFrom, ingressStatusApiFrom } from "../status/kube-api.ts";
import { CoalescingQueue } from "../status/queue.ts";
import { StatusWriter, type DesiredStatus } from "../status/writer.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { Clock } from "../util/clock.ts";

export interface StatusSideOptions {
  readonly config: Pick<
    Config,
    | "updateStatus"
    | "publishService"
    | "publishStatusAddress"
    | "emitKubernetesEvents"
    | "statusMaxBackoffMs"
  >;
  readonly kube: Pick<KubeClients, "networking" | "core">;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** First retry delay of a failed status write (tests shorten it). */
  readonly statusBaseDelayMs?: number;
}

export interface StatusSide {
  readonly recorder: EventRecorder;
  readonly publisher: IngressStatusPublisher;
  /** Undefined with --update-status=false. Leader-only once leader election exists. */
  readonly writer: StatusWriter | undefined;
}

/** Builds the status components; nothing runs until the writer's `run` is called. */
export function buildStatusSide(opts: StatusSideOptions): StatusSide {
  const { config, metrics, clock, logger } = opts;
  const queue = new CoalescingQueue<DesiredStatus>({
    clock,
    maxDelayMs: config.statusMaxBackoffMs,
    ...(opts.statusBaseDelayMs === undefined ? {} : { baseDelayMs: opts.statusBaseDelayMs }),
    onDepth: depth => {
      metrics.statusQueueDepth.set(depth);
    },
  });
  const recorder = new EventRecorder({
    api: eventsApiFrom(opts.kube.core),
    clock,
    logger,
    metrics,
    enabled: config.emitKubernetesEvents,
    instance: opts.env["POD_NAME"] ?? hostname(),
  });
  // Translation failures are recorded by the sync cycle on every translation; the publisher reports
  // apply failures only, so one problem does not count twice on the same Event.
  const applyEvents = {
    record: (request: EventRequest): void => {
      if (request.reason !== EventReason.TranslationFailed) recorder.record(request);
    },
  };
  const publisher = new IngressStatusPublisher({
    queue,
    events: applyEvents,
    logger,
    updateStatus: config.updateStatus,
    statusAddresses: config.publishStatusAddress,
    ...(config.publishService === undefined ? {} : { publishService: config.publishService }),
  });
  const writer = config.updateStatus
    ? new StatusWriter({
        queue,
        ingressApi: ingressStatusApiFrom(opts.kube.networking),
        clock,
        logger,
        metrics,
      })
    : undefined;
  return { recorder, publisher, writer };
}
