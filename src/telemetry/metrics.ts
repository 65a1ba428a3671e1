/**
 * Every metric the controller exports, created on an injected registry. Names and labels follow KIC
 * (kic-conventions.md §6.4) where the meaning is the same, so existing dashboards keep working; our own
 * metrics (watch, status, events) use the `kongress_` prefix and seconds, except event-to-push, which
 * sits beside KIC's push metrics.
 */
import {
  collectDefaultMetrics,
  Counter,
  exponentialBuckets,
  Gauge,
  Histogram,
  type Registry,
} from "prom-client";

/** KIC's `failure_reason` values. */
export type PushFailureReason = "conflict" | "network" | "other";

/** One push to one Kong node, as the sender observed it. */
export interface PushObservation {
  /** The Kong Admin API base URL (KIC's `dataplane` label). */
  readonly dataplane: string;
  readonly success: boolean;
  /** Required by KIC's label set when `success` is false. */
  readonly failureReason?: PushFailureReason;
  /** Whether the pushed config was the fallback build. */
  readonly fallback: boolean;
  readonly durationMs: number;
  /** Size of the posted body in bytes. */
  readonly sizeBytes: number;
  /** Objects Kong reported as broken (0 on success). */
  readonly brokenResources: number;
  /** When the push finished, in epoch milliseconds (from the injected clock). */
  readonly atMs: number;
}

/** One translation run. */
export interface TranslationObservation {
  readonly success: boolean;
  readonly fallback: boolean;
  readonly durationMs: number;
  readonly brokenResources: number;
}

/** Status-writer outcomes (Contour's set, plus `gone` when the object no longer exists). */
export type StatusUpdateResult = "success" | "noop" | "conflict" | "error" | "gone";

/** What happened to a Kubernetes Event the recorder tried to write. */
export type EventWriteResult = "created" | "aggregated" | "error" | "dropped";

const PROTOCOL = "db-less";
const PUSH_BUCKETS_MS = exponentialBuckets(100, 1.33, 30);
// KIC: 1 ms to 60 s in 30 exponential steps.
const TRANSLATION_BUCKETS_MS = exponentialBuckets(1, Math.pow(60_000, 1 / 29), 30);
// 1 ms to 10 s, ten buckets per decade: fine enough to tell 50 ms from 100 ms, and a 3 s ticker from both.
const EVENT_TO_PUSH_BUCKETS_S = exponentialBuckets(0.001, Math.pow(10, 1 / 10), 41).map(b =>
  Number(b.toPrecision(3)),
);

function kicMetrics(registers: Registry[]) {
  const pushLabels = ["success", "protocol", "failure_reason", "dataplane"] as const;
  const durationLabels = ["success", "protocol", "dataplane"] as const;
  const sizeLabels = ["dataplane", "protocol", "success"] as const;
  const push = (prefix: string, lastName: string) => ({
    count: new Counter({
      name: `${prefix}configuration_push_count`,
      help: "Config pushes to Kong, by outcome.",
      labelNames: pushLabels,
      registers,
    }),
    duration: new Histogram({
      name: `${prefix}configuration_push_duration_milliseconds`,
      help: "Duration of a config push to Kong, in milliseconds.",
      labelNames: durationLabels,
      buckets: PUSH_BUCKETS_MS,
      registers,
    }),
    size: new Gauge({
      name: `${prefix}configuration_push_size`,
      help: "Size of the last pushed config, in bytes.",
      labelNames: sizeLabels,
      registers,
    }),
    last: new Gauge({
      name: `${prefix}configuration_push_${lastName}`,
      help: "Unix time (seconds) of the last successful config push.",
      labelNames: ["dataplane"] as const,
      registers,
    }),
    broken: new Gauge({
      name: `${prefix}configuration_push_broken_resource_count`,
      help: "Objects Kong rejected in the last config push.",
      labelNames: ["dataplane"] as const,
      registers,
    }),
  });
  const translation = (prefix: string) => ({
    count: new Counter({
      name: `${prefix}translation_count`,
      help: "Translations of the watched objects into a Kong config, by outcome.",
      labelNames: ["success"] as const,
      registers,
    }),
    duration: new Histogram({
      name: `${prefix}translation_duration_milliseconds`,
      help: "Duration of a translation, in milliseconds.",
      labelNames: ["success"] as const,
      buckets: TRANSLATION_BUCKETS_MS,
      registers,
    }),
    broken: new Gauge({
      name: `${prefix}translation_broken_resource_count`,
      help: "Objects the last translation could not use.",
      registers,
    }),
  });
  return {
    push: push("ingress_controller_", "last_successful"),
    fallbackPush: push("ingress_controller_fallback_", "last"),
    translation: translation("ingress_controller_"),
    fallbackTranslation: translation("ingress_controller_fallback_"),
    snapshotCacheHit: new Counter({
      name: "ingress_controller_processed_config_snapshot_cache_hit",
      help: "Rebuilds skipped because the snapshot hash was unchanged.",
      registers,
    }),
    snapshotCacheMiss: new Counter({
      name: "ingress_controller_processed_config_snapshot_cache_miss",
      help: "Rebuilds that translated a changed snapshot.",
      registers,
    }),
  };
}

function ownMetrics(registers: Registry[]) {
  return {
    // Not one of KIC's (its fixed ticker would make it read ~3 s), but about the same pushes, so it is
    // named and labelled like KIC's push metrics rather than with our prefix.
    eventToPush: new Histogram({
      name: "ingress_controller_event_to_push_seconds",
      help: "From the store reporting a change to the start of the first config push to Kong that carries it, in seconds.",
      labelNames: ["dataplane"] as const,
      buckets: EVENT_TO_PUSH_BUCKETS_S,
      registers,
    }),
    watchEvents: new Counter({
      name: "kongress_watch_events_total",
      help: "Watch events received, by kind and type (ADDED, MODIFIED, DELETED).",
      labelNames: ["kind", "type"] as const,
      registers,
    }),
    watchRestarts: new Counter({
      name: "kongress_watch_restarts_total",
      help: "Watches restarted after an error, by kind and reason.",
      labelNames: ["kind", "reason"] as const,
      registers,
    }),
    watchSynced: new Gauge({
      name: "kongress_watch_synced",
      help: "1 once the first list of a kind has been processed, else 0.",
      labelNames: ["kind"] as const,
      registers,
    }),
    statusQueueDepth: new Gauge({
      name: "kongress_status_queue_depth",
      help: "Objects waiting for a status write (ready or backing off).",
      registers,
    }),
    statusUpdates: new Counter({
      name: "kongress_status_update_total",
      help: "Status write attempts, by kind and result (success, noop, conflict, error, gone).",
      labelNames: ["kind", "result"] as const,
      registers,
    }),
    statusUpdateDuration: new Histogram({
      name: "kongress_status_update_duration_seconds",
      help: "Duration of one status write decision and, when needed, its PATCH, in seconds.",
      labelNames: ["kind"] as const,
      registers,
    }),
    kubernetesEvents: new Counter({
      name: "kongress_kubernetes_events_total",
      help: "Kubernetes Events written, by reason, type and result (created, aggregated, error, dropped).",
      labelNames: ["reason", "type", "result"] as const,
      registers,
    }),
    dataplanePhase: new Gauge({
      name: "kongress_dataplane_phase",
      help: "1 for the phase each Kong is in (pending, synced, failing), 0 for the others; a Kong no longer pushed to has no series.",
      labelNames: ["dataplane", "phase"] as const,
      registers,
    }),
    discoveredKongs: new Gauge({
      name: "kongress_gateway_discovery_kongs",
      help: "Kong Admin APIs found behind --kong-admin-svc: the Kongs config is pushed to.",
      registers,
    }),
    discoveryErrors: new Counter({
      name: "kongress_gateway_discovery_errors_total",
      help: "Gateway discovery problems (ServiceNotFound, NoAdminEndpoints, ApiError), counted when found and again at every backoff step while they last.",
      labelNames: ["reason"] as const,
      registers,
    }),
    // A state set (one series per state, 1 for the current one), so an alert reads
    // `kongress_kong_listeners_state{state="unknown"} == 1` without knowing a numeric encoding.
    kongListenersState: new Gauge({
      name: "kongress_kong_listeners_state",
      help: "What the controller knows of Kong's proxy and stream listeners (GET / of every ready Kong): 1 for the current state (unknown, known_empty, known), 0 for the others.",
      labelNames: ["state"] as const,
      registers,
    }),
    // The router flavour routes are written for, as a state set like the listeners' state.
    routerFlavor: new Gauge({
      name: "kongress_router_flavor",
      help: "Kong's router_flavor the config is written for (GET / of every ready Kong): 1 for the current one (traditional, traditional_compatible, expressions), 0 for the others.",
      labelNames: ["flavor"] as const,
      registers,
    }),
    kongRouterFlavorMismatch: new Gauge({
      name: "kongress_kong_router_flavor_mismatch",
      help: "1 for each Kong whose router_flavor differs from the one the config is written for (mixed flavours: that Kong is not served as it routes).",
      labelNames: ["dataplane", "flavor"] as const,
      registers,
    }),
    // controller-runtime's name and label, which KIC's /metrics serves: dashboards that find the
    // leader by it keep working.
    leaderElection: new Gauge({
      name: "leader_election_master_status",
      help: "1 while this replica holds the leader-election Lease named by `name`, else 0.",
      labelNames: ["name"] as const,
      registers,
    }),
    eventLoopLag: new Gauge({
      name: "kongress_event_loop_lag_seconds",
      help: "Last measured event-loop lag, in seconds.",
      registers,
    }),
  };
}

export type KicMetrics = ReturnType<typeof kicMetrics>;
export type OwnMetrics = ReturnType<typeof ownMetrics>;

/** All metrics, plus recorders that pick KIC's primary or fallback family from one observation. */
export interface Metrics extends KicMetrics, OwnMetrics {
  readonly registry: Registry;
  recordPush(o: PushObservation): void;
  recordTranslation(o: TranslationObservation): void;
}

export interface CreateMetricsOptions {
  readonly registry: Registry;
  /** KIC puts `instance_id` on every series; set it when several replicas are scraped together. */
  readonly instanceId?: string;
  /**
   * Adds prom-client's process and Node.js runtime metrics (`process_*`, `nodejs_*`: memory, CPU,
   * event-loop lag, GC), the counterpart of the `process_*` and `go_*` metrics KIC exports. Only the
   * controller asks: they watch this whole process, and the event-loop monitor they start runs for
   * the rest of its life.
   */
  readonly processMetrics?: boolean;
}

function recordPush(kic: KicMetrics, o: PushObservation): void {
  const family = o.fallback ? kic.fallbackPush : kic.push;
  const success = String(o.success);
  const failure_reason = o.success ? "" : (o.failureReason ?? "other");
  family.count.inc({ success, protocol: PROTOCOL, failure_reason, dataplane: o.dataplane });
  family.duration.observe({ success, protocol: PROTOCOL, dataplane: o.dataplane }, o.durationMs);
  family.size.set({ dataplane: o.dataplane, protocol: PROTOCOL, success }, o.sizeBytes);
  family.broken.set({ dataplane: o.dataplane }, o.brokenResources);
  if (o.success) family.last.set({ dataplane: o.dataplane }, o.atMs / 1000);
}

function recordTranslation(kic: KicMetrics, o: TranslationObservation): void {
  const family = o.fallback ? kic.fallbackTranslation : kic.translation;
  const success = String(o.success);
  family.count.inc({ success });
  family.duration.observe({ success }, o.durationMs);
  family.broken.set(o.brokenResources);
}

/** How often the default metrics' event-loop delay histogram samples the loop. */
export const EVENT_LOOP_SAMPLE_MS = 1000;

/** Creates every metric on `registry` (never the global one). */
export function createMetrics(opts: CreateMetricsOptions): Metrics {
  if (opts.instanceId !== undefined)
    opts.registry.setDefaultLabels({ instance_id: opts.instanceId });
  const registers = [opts.registry];
  // prom-client samples the loop's delay every 10 ms by default: a native timer waking the process 100
  // times a second, most of an idle controller's CPU. Once a second is enough for a lag histogram
  // (the health check has its own probe, kongress_event_loop_lag_seconds).
  if (opts.processMetrics === true)
    collectDefaultMetrics({
      register: opts.registry,
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
  const kic = kicMetrics(registers);
  return {
    ...kic,
    ...ownMetrics(registers),
    registry: opts.registry,
    recordPush: o => {
      recordPush(kic, o);
    },
    recordTranslation: o => {
      recordTranslation(kic, o);
    },
  };
}
