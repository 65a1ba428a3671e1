/**
 * The status half of the graph: the observed-status index the watch feeds, the coalescing queue, the
 * status writer (one mutator per kind), the event recorder with its change-only problem reporting, and
 * the publishers that decide what goes on which Ingress and which Gateway API object. The writer and
 * the Events are leader-only.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Config } from "../config/schema.ts";
import type { SecretScrubber } from "../kong/redact.ts";
import type { KubeApi } from "../kube/client.ts";
import type { WatchedKind } from "../kube/kinds.ts";
import { EventReason, EventRecorder } from "../status/events.ts";
import { gatewayClassStatusMutator } from "../status/gateway-class-status.ts";
import { GatewayApiStatusPublisher } from "../status/gateway-publisher.ts";
import { gatewayStatusMutator } from "../status/gateway-status.ts";
import { IngressStatusPublisher } from "../status/ingress-publisher.ts";
import { ingressStatusMutator } from "../status/ingress-status.ts";
import { kubeEventsApi } from "../status/kube-api.ts";
import type { DesiredStatus, StatusMutators } from "../status/mutator.ts";
import type { ObservedStatusIndex } from "../status/observed.ts";
import { ProblemEvents, type ProblemReporter } from "../status/problem-events.ts";
import { CoalescingQueue } from "../status/queue.ts";
import { routeStatusMutator } from "../status/route-status.ts";
import { StatusWriter } from "../status/writer.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { Clock } from "../util/clock.ts";
import { LeaderOnlyEvents } from "./leader-only-events.ts";

/** The status mutator of every kind we write status on. */
export const STATUS_MUTATORS: StatusMutators = {
  Ingress: ingressStatusMutator,
  GatewayClass: gatewayClassStatusMutator,
  Gateway: gatewayStatusMutator,
  HTTPRoute: routeStatusMutator,
  GRPCRoute: routeStatusMutator,
  TCPRoute: routeStatusMutator,
  UDPRoute: routeStatusMutator,
  TLSRoute: routeStatusMutator,
};

/** The watched kinds whose status the observed index keeps (and the store never sees). */
export const OBSERVED_STATUS_KINDS: ReadonlySet<WatchedKind> = new Set<WatchedKind>(
  Object.keys(STATUS_MUTATORS) as (keyof StatusMutators)[],
);

export interface StatusSideOptions {
  readonly config: Pick<
    Config,
    | "updateStatus"
    | "publishService"
    | "publishStatusAddress"
    | "emitKubernetesEvents"
    | "statusMaxBackoffMs"
    | "gatewayApiControllerName"
  >;
  readonly api: Pick<KubeApi, "send" | "getJson">;
  /** Fed by the watch (src/status/observed.ts `StatusObservingSink`). */
  readonly observed: ObservedStatusIndex;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** First retry delay of a failed status write (tests shorten it). */
  readonly statusBaseDelayMs?: number;
  /** Hides the secrets of recent configs in Event messages. */
  readonly secrets?: SecretScrubber | undefined;
}

export interface StatusSide {
  readonly recorder: EventRecorder;
  /** Where the sync cycle reports translation problems; writes Events only on change. */
  readonly problems: ProblemEvents;
  /** Leader-only: Events are written only while its `run` runs. */
  readonly events: LeaderOnlyEvents;
  readonly publisher: IngressStatusPublisher;
  /** GatewayClasses from each translation; Gateways and routes from the one Kong accepted. */
  readonly gatewayApi: GatewayApiStatusPublisher;
  /** Undefined with --update-status=false. Leader-only. */
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
    api: kubeEventsApi(opts.api),
    clock,
    logger,
    metrics,
    enabled: config.emitKubernetesEvents,
    instance: opts.env["POD_NAME"] ?? hostname(),
    ...(opts.secrets === undefined ? {} : { scrub: opts.secrets.scrubText.bind(opts.secrets) }),
  });
  const events: LeaderOnlyEvents = new LeaderOnlyEvents({
    recorder,
    current: () => problems.current(),
  });
  const problems = new ProblemEvents({ recorder: events, clock });
  // Translation failures are reported by the sync cycle with one Event per problem; the publisher
  // reports apply failures only, so one problem does not count twice.
  const applyProblems: ProblemReporter = {
    report: (source, list) => {
      problems.report(
        source,
        list.filter(r => r.reason !== EventReason.TranslationFailed),
      );
    },
  };
  const writer = new StatusWriter({
    api: opts.api,
    mutators: STATUS_MUTATORS,
    observed: opts.observed,
    queue,
    clock,
    logger,
    metrics,
  });
  const publisher = new IngressStatusPublisher({
    statuses: writer,
    problems: applyProblems,
    logger,
    updateStatus: config.updateStatus,
    statusAddresses: config.publishStatusAddress,
    ...(config.publishService === undefined ? {} : { publishService: config.publishService }),
  });
  const gatewayApi = new GatewayApiStatusPublisher({
    statuses: writer,
    logger,
    updateStatus: config.updateStatus,
    controllerName: config.gatewayApiControllerName,
    statusAddresses: config.publishStatusAddress,
    ...(config.publishService === undefined ? {} : { publishService: config.publishService }),
  });
  return {
    ...{ recorder, problems, events, publisher, gatewayApi },
    writer: config.updateStatus ? writer : undefined,
  };
}
