/**
 * The composition root of `kongress run`, built by hand (STYLE §3.1): kube clients → store → watchers
 * → sync loop → cycle → sender → Kong, and sender → applied-status feed → publisher → status writer
 * → Kubernetes, plus probes, metrics and dumps. Nothing here decides anything; every rule lives in the
 * module that owns it. Losing the API server or Kong never ends the process: watchers back off, the
 * sender keeps Kong's config, status writes requeue.
 */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Config } from "../config/schema.ts";
import { warnIgnoredSettings } from "../config/kic-flags.ts";
import { ApiServerProbe } from "../kube/apiserver-probe.ts";
import { createKubeClients, type KubeApi, type KubeClients } from "../kube/client.ts";
import type { RetryGate, BackoffOptions as WatchBackoffOptions } from "../kube/backoff.ts";
import { REQUIRED_KINDS, scopeLabel, watchScopes, type KindInfo } from "../kube/kinds.ts";
import { OptionalKindWatchers } from "../kube/optional-kinds.ts";
import { CrdBundleVersions } from "../kube/discovery.ts";
import type { Reflector } from "../kube/reflector.ts";
import { KubeWatchers } from "../kube/watchers.ts";
import { KIND_DEFINITIONS } from "../model/kinds.ts";
import { parseSupportedObject } from "../model/parse.ts";
import { SyncCycle } from "../pipeline/cycle.ts";
import { SyncLoop } from "../pipeline/loop.ts";
import { RevisitTimer } from "../pipeline/revisit.ts";
import type { BackoffOptions as SenderBackoffOptions } from "../sender/backoff.ts";
import { anySynced } from "../sender/gateway-state.ts";
import type { PushGate, Sender } from "../sender/sender.ts";
import { SecretFetcher } from "../store/secret-fetcher.ts";
import { Snapshotter } from "../store/snapshot.ts";
import { Store } from "../store/store.ts";
import { ObservedStatusIndex, StatusObservingSink } from "../status/observed.ts";
import type { Readiness } from "../telemetry/health-server.ts";
import { createMetrics, type Metrics } from "../telemetry/metrics.ts";
import { ReadinessTracker } from "../telemetry/readiness.ts";
import { DEFAULT_ROUTER_FLAVOR } from "../kong/router-flavor.ts";
import { ASSUME_SUPPORTED } from "../translator/gateway/listeners.ts";
import { IdleMemoryRelease, v8MemorySaver } from "./idle-memory.ts";
import { createTranslator } from "../translator/index.ts";
import type { Clock } from "../util/clock.ts";
import { scaledClock } from "../util/scaled-clock.ts";
import { AppliedStatusFeed } from "./applied-status.ts";
import type { SecretScrubber } from "../kong/redact.ts";
import { ConfigDumps } from "./config-dumps.ts";
import { CacheSyncTimeoutError } from "./errors.ts";
import { buildKongSide, kongReachedWithin, type KongSide } from "./kong-side.ts";
import { createHostClaimRecord, tenancyOptions, type HostClaimRecord } from "./host-claims.ts";
import { ListenerSide } from "./listener-side.ts";
import { watchPublishService } from "./publish-service.ts";
import { buildStatusSide, OBSERVED_STATUS_KINDS, type StatusSide } from "./status-side.ts";
import { startControllerTelemetry } from "./controller-telemetry.ts";
import { createElection, pushGateOf } from "./election-setup.ts";
import type { Election } from "./leader-election.ts";
import type { TelemetryPorts } from "./telemetry.ts";

/** Knobs tests turn to make outages and retries fit in seconds; production uses the defaults. */
export interface ControllerTuning {
  readonly watchBackoff?: WatchBackoffOptions;
  readonly senderBackoff?: Partial<SenderBackoffOptions>;
  /** How often the sender checks each Kong's /status while idle. */
  readonly kongPollIntervalMs?: number;
  readonly statusBaseDelayMs?: number;
  readonly kubeRequestTimeoutMs?: number;
  /** How often the API server is asked which optional kinds (CRDs) it serves. */
  readonly discoveryIntervalMs?: number;
  /** How often the API server is probed while it does not answer. */
  readonly apiserverProbeIntervalMs?: number;
  /** Switches V8's memory saver mode (runtime/idle-memory.ts); tests record the calls instead. */
  readonly memorySaver?: (on: boolean) => void;
}

export interface StartControllerOptions {
  readonly config: Config;
  /** Read for POD_NAME (the events' reporting instance); defaults to none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly random?: () => number;
  readonly tuning?: ControllerTuning;
  /**
   * Learns the secrets of every translated config, so the logger (built before the controller, with
   * the same scrubber) and Events never show them.
   */
  readonly secrets?: SecretScrubber;
}

export interface Controller {
  /** The ports the telemetry servers bound. */
  readonly ports: TelemetryPorts;
  /**
   * Settles with the reason the controller gave up: only a start-up deadline (--cache-sync-timeout,
   * --kong-admin-init-retries) can end it. Pending for as long as it runs well.
   */
  readonly fatal: Promise<Error>;
  /** What /readyz reports. */
  readiness(): Readiness;
  /** Stops everything and releases every connection and port. Idempotent. */
  stop(): Promise<void>;
}

/** A loop that runs until the controller stops. `leaderOnly` ones run only while this replica leads. */
interface Runnable {
  readonly name: string;
  readonly leaderOnly: boolean;
  run(signal: AbortSignal): Promise<void>;
}

interface Parts {
  readonly metrics: Metrics;
  readonly kube: KubeClients;
  readonly store: Store;
  readonly watchers: KubeWatchers;
  readonly optional: OptionalKindWatchers;
  readonly fetcher: SecretFetcher;
  readonly sender: Sender;
  readonly kong: KongSide;
  readonly status: StatusSide;
  readonly loop: SyncLoop;
  readonly publishService: Reflector | undefined;
  readonly listeners: ListenerSide;
  readonly readiness: () => Readiness;
  readonly dumps: ConfigDumps | undefined;
  readonly claims: HostClaimRecord;
  readonly revisit: RevisitTimer;
  /** Whether this replica leads (`isLeader`, `subscribe`): what leader-only pushes will follow. */
  readonly election: Election;
}

function watchObserver(metrics: Metrics) {
  return {
    onEvent: (kind: string, type: string) => {
      metrics.watchEvents.inc({ kind, type });
    },
    onRestart: (kind: string, reason: string) => {
      metrics.watchRestarts.inc({ kind, reason });
    },
    onSynced: (kind: string) => {
      metrics.watchSynced.set({ kind }, 1);
    },
  };
}

function buildKubeSide(
  opts: StartControllerOptions,
  metrics: Metrics,
  kube: KubeClients,
  side: {
    readonly observed: ObservedStatusIndex;
    /** The Gateway API CRDs' bundle versions, re-read with every discovery. */
    readonly bundles: CrdBundleVersions;
    readonly onBundlesChanged: () => void;
  },
) {
  const { config, clock, logger } = opts;
  const { observed, bundles, onBundlesChanged } = side;
  const random = opts.random ?? Math.random;
  const backoff = opts.tuning?.watchBackoff;
  const probeInterval = opts.tuning?.apiserverProbeIntervalMs;
  // One probe for every client: after an outage all of them resume the moment it answers.
  const probe = new ApiServerProbe({
    health: kube.health,
    clock,
    logger,
    ...(probeInterval === undefined ? {} : { intervalMs: probeInterval }),
  });
  const store = new Store({
    ingressClass: config.ingressClass,
    gatewayControllerName: config.gatewayApiControllerName,
    parse: parseSupportedObject,
    watchNamespaces: config.watchNamespace,
    logger,
  });
  // Statuses go to the index the status writer compares with; the store gets objects without them.
  const sink = new StatusObservingSink({
    inner: store,
    index: observed,
    kinds: OBSERVED_STATUS_KINDS,
  });
  const watchersOf = (kinds: readonly KindInfo[]): KubeWatchers =>
    new KubeWatchers({
      ...{ api: kube.api, sink, clock, random, logger, kinds },
      watchNamespaces: config.watchNamespace,
      observer: watchObserver(metrics),
      gate: probe,
      ...(backoff === undefined ? {} : { tuning: { backoff } }),
    });
  const watchers = watchersOf(REQUIRED_KINDS);
  const optional = new OptionalKindWatchers({
    ...{ api: kube.api, sink, clock, logger },
    kinds: KIND_DEFINITIONS.filter(def => def.optional),
    newWatchers: kind => watchersOf([kind]),
    gate: probe,
    bundles,
    onBundlesChanged,
    ...(opts.tuning?.discoveryIntervalMs === undefined
      ? {}
      : { intervalMs: opts.tuning.discoveryIntervalMs }),
  });
  const fetcher = new SecretFetcher({
    api: kube.api,
    store,
    clock,
    random,
    logger,
    gate: probe,
    ...(backoff === undefined ? {} : { backoff }),
  });
  return { store, watchers, optional, fetcher, probe };
}

function buildReadiness(
  config: Config,
  watched: { watchers: KubeWatchers; optional: OptionalKindWatchers },
  dataplane: { readonly kong: KongSide; readonly listeners: ListenerSide },
  pushGate: PushGate,
) {
  const { watchers, optional } = watched;
  const { kong, listeners } = dataplane;
  const { sender } = kong;
  const scopes = watchScopes(REQUIRED_KINDS, config.watchNamespace).map(scopeLabel);
  const tracker = new ReadinessTracker({
    watchedKinds: scopes,
    awaitDiscovery: true,
    // Only a replica that pushes waits for a config in Kong: a follower sharing the leader's Kongs
    // would otherwise never be ready (incident a).
    configRequired: () => pushGate.allowed(),
  });
  sender.subscribe(view => {
    if (anySynced(view)) tracker.configApplied();
  });
  // Re-evaluated on every probe (REQ-A3): no event is needed for a synced watcher to count.
  return (): Readiness => {
    for (const health of watchers.health()) if (health.synced) tracker.watcherSynced(health.scope);
    // Optional kinds found served at start-up are waited for like the others; later ones never are.
    if (optional.hasDiscovered() && optional.health().every(h => h.synced))
      tracker.kindsDiscovered();
    const tracked = tracker.report();
    // Kongs running another router flavour than the others cannot all be served as they route.
    const mixed = listeners.flavorProblems();
    const report =
      mixed.length === 0 ? tracked : { ready: false, reasons: [...tracked.reasons, ...mixed] };
    // Which Kongs do not hold our config yet, and why; once one does, a failing one is no reason.
    return report.ready
      ? report
      : { ...report, reasons: [...report.reasons, ...kong.notReadyReasons()] };
  };
}

function buildParts(opts: StartControllerOptions, kube: KubeClients): Parts {
  const { config, clock, logger } = opts;
  const metrics = createMetrics({ registry: opts.registry, processMetrics: true });
  const observed = new ObservedStatusIndex();
  // Bound below, once the sender it asks Kongs through exists.
  const late: { listeners?: ListenerSide; loop?: SyncLoop } = {};
  const bundles = new CrdBundleVersions();
  const { store, watchers, optional, fetcher, probe } = buildKubeSide(opts, metrics, kube, {
    observed,
    bundles,
    onBundlesChanged: () => late.loop?.notify(),
  });
  const claims = createHostClaimRecord({
    ...opts,
    api: kube.api,
    registry: metrics.registry,
    onChange: () => late.loop?.notify(),
  });
  const options = {
    ingressClass: config.ingressClass,
    clusterDomain: config.clusterDomain,
    enableDrainSupport: config.enableDrainSupport,
    gatewayControllerName: config.gatewayApiControllerName,
    listenerSupport: () => late.listeners?.support() ?? ASSUME_SUPPORTED,
    routerFlavor: () => late.listeners?.routerFlavor() ?? DEFAULT_ROUTER_FLAVOR,
    kongPlugins: () => late.listeners?.availablePlugins(),
    gatewayApiBundles: () => bundles.current(),
    ...tenancyOptions(config),
    hostClaims: () => claims.current(),
    now: () => clock.now(),
  };
  // One memoising translator for the cycle and the sender's fallbacks: unchanged objects cost nothing.
  const translateBound = createTranslator(options);
  const election = createElection({
    ...{ config, env: opts.env ?? {}, api: kube.api, metrics, clock, logger },
    random: opts.random ?? Math.random,
  });
  // One gate for who pushes and for whether readiness waits for Kong, so the two cannot disagree.
  const pushGate = pushGateOf(config, election);
  const kong = buildKongSide({
    pushGate,
    config,
    translate: translateBound,
    metrics,
    clock,
    logger,
    random: opts.random ?? Math.random,
    ...(opts.tuning?.senderBackoff === undefined ? {} : { backoff: opts.tuning.senderBackoff }),
    ...(opts.tuning?.kongPollIntervalMs === undefined
      ? {}
      : { pollIntervalMs: opts.tuning.kongPollIntervalMs }),
    discovery: {
      api: kube.api,
      gate: probe,
      ...(opts.tuning?.watchBackoff === undefined
        ? {}
        : { backoff: opts.tuning.watchBackoff, watchBackoff: opts.tuning.watchBackoff }),
    },
  });
  const sender = kong.sender;
  const listenerSide = new ListenerSide({
    sender,
    clientOf: url => kong.clientOf(url),
    publishService: watchedPublishService(config),
    metrics,
    clock,
    logger,
    random: opts.random ?? Math.random,
    onChange: () => late.loop?.notify(),
  });
  late.listeners = listenerSide;
  const status = buildStatusSide({
    config,
    api: kube.api,
    observed,
    metrics,
    clock,
    logger,
    env: opts.env ?? {},
    secrets: opts.secrets,
    ...(opts.tuning?.statusBaseDelayMs === undefined
      ? {}
      : { statusBaseDelayMs: opts.tuning.statusBaseDelayMs }),
  });
  const feed = new AppliedStatusFeed({
    publisher: {
      onConfigApplied: report => {
        status.publisher.onConfigApplied(report);
        status.kong.onConfigApplied(report);
      },
    },
    gatewayApi: status.gatewayApi,
    clock,
    logger,
  });
  const dumps = config.dumpConfig
    ? new ConfigDumps({ sensitive: config.dumpSensitiveConfig })
    : undefined;
  // A certificate's dates change what translation says at instants of their own (pipeline/revisit.ts).
  const revisit = new RevisitTimer({ clock, onDue: () => late.loop?.notify() });
  const cycle = new SyncCycle({
    snapshots: new Snapshotter(store),
    translate: translateBound,
    send: input => {
      sender.update(input);
    },
    events: status.problems,
    metrics,
    clock,
    logger,
    onTranslated: ({ result }) => {
      // First: whatever is logged or recorded about this config may quote its secrets.
      opts.secrets?.remember(result.config);
      claims.observe(result.tenancy);
      revisit.schedule(result.revisitAt);
      feed.translated(result);
      dumps?.translated(result);
    },
    // All only ever grow, so their sum changes whenever one does.
    inputsVersion: () => listenerSide.version + bundles.changes + claims.changes + revisit.version,
  });
  const syncLoop = buildSyncLoop(opts, cycle);
  late.loop = syncLoop;
  store.onChange(() => {
    syncLoop.notify();
  });
  sender.subscribe(view => {
    feed.viewChanged(view);
    dumps?.viewChanged(view);
  });
  const publishService = publishServiceWatch(
    opts,
    { api: kube.api, gate: probe },
    status,
    listenerSide,
  );
  const readiness = buildReadiness(
    config,
    { watchers, optional },
    { kong, listeners: listenerSide },
    pushGate,
  );
  return {
    ...{ metrics, kube, store, watchers, optional, fetcher, sender, kong, status, loop: syncLoop },
    ...{ publishService, readiness, dumps, listeners: listenerSide, election, claims, revisit },
  };
}

/**
 * The sync loop over `cycle`; V8 may give unused heap memory back while no cycle has run for a while
 * (runtime/idle-memory.ts).
 */
function buildSyncLoop(opts: StartControllerOptions, cycle: SyncCycle): SyncLoop {
  const { config, clock, logger } = opts;
  const idleMemory = new IdleMemoryRelease({
    clock,
    quietMs: config.idleMemoryReleaseMs,
    memorySaver: opts.tuning?.memorySaver ?? v8MemorySaver,
    logger,
  });
  return new SyncLoop({
    clock,
    holdoffMs: config.syncHoldoffMs,
    maxDelayMs: config.syncMaxDelayMs,
    // A throw (a translator bug) becomes a rejection the loop logs; the next change retries.
    cycle: (signal, firstChangeAt) =>
      new Promise<void>(resolve => {
        idleMemory.busy();
        try {
          cycle.run(firstChangeAt);
        } finally {
          idleMemory.quiet(signal);
        }
        resolve();
      }),
    logger,
  });
}

/**
 * The publish Service is watched only when its addresses are the ones published; its ports then also
 * map Gateway listeners to Kong's listens.
 */
function watchedPublishService(config: Config): string | undefined {
  const service = config.publishService;
  if (!config.updateStatus || service === undefined || config.publishStatusAddress.length > 0)
    return undefined;
  return `${service.namespace}/${service.name}`;
}

function publishServiceWatch(
  opts: StartControllerOptions,
  kube: { readonly api: KubeApi; readonly gate: RetryGate },
  status: StatusSide,
  listeners: ListenerSide,
): Reflector | undefined {
  const { config } = opts;
  const service = config.publishService;
  if (watchedPublishService(config) === undefined || service === undefined) return undefined;
  return watchPublishService({
    api: kube.api,
    service,
    onChange: svc => {
      status.publisher.onPublishServiceChanged(svc);
      listeners.publishServiceChanged(svc);
      status.gatewayApi.onPublishServiceChanged(svc);
    },
    clock: opts.clock,
    random: opts.random ?? Math.random,
    logger: opts.logger,
    gate: kube.gate,
  });
}

function runnablesOf(parts: Parts): Runnable[] {
  const writer = parts.status.writer;
  return [
    { name: "sync-loop", leaderOnly: false, run: signal => parts.loop.run(signal) },
    { name: "events", leaderOnly: true, run: signal => parts.status.events.run(signal) },
    { name: "host-claims", leaderOnly: true, run: signal => parts.claims.run(signal) },
    ...(writer === undefined
      ? []
      : [{ name: "status-writer", leaderOnly: true, run: (s: AbortSignal) => writer.run(s) }]),
  ];
}

/** Start-up deadlines: the first lists, then a first answer from Kong. */
async function startupChecks(
  opts: StartControllerOptions,
  parts: Parts,
  signal: AbortSignal,
): Promise<Error> {
  const { config, clock } = opts;
  const timeout = new AbortController();
  const done = new AbortController();
  const waitSignal = AbortSignal.any([signal, timeout.signal]);
  const synced = Promise.all([
    parts.watchers.waitSynced(waitSignal),
    parts.optional.waitSynced(waitSignal),
  ]);
  // 0: no deadline; the replica stays alive and not Ready until its lists complete.
  const timer =
    config.cacheSyncTimeoutMs === 0
      ? new Promise<boolean>(() => undefined)
      : clock.sleep(config.cacheSyncTimeoutMs, AbortSignal.any([signal, done.signal])).then(
          () => true,
          () => false,
        );
  const winner = await Promise.race([synced.then(() => "synced" as const), timer]).catch(
    () => false,
  );
  done.abort();
  if (winner === true) {
    timeout.abort();
    const pending = [...parts.watchers.health(), ...parts.optional.health()]
      .filter(h => !h.synced)
      .map(h => h.scope);
    return new CacheSyncTimeoutError(config.cacheSyncTimeoutMs, pending);
  }
  if (winner !== "synced") return new Promise<never>(() => undefined);
  const unreachable = await kongReachedWithin({ sender: parts.sender, config, clock, signal });
  return unreachable ?? new Promise<never>(() => undefined);
}

function startAll(opts: StartControllerOptions, parts: Parts, signal: AbortSignal) {
  const log = opts.logger.child({ component: "controller" });
  const runAll = (runnables: readonly Runnable[], until: AbortSignal): Promise<void>[] =>
    runnables.map(r =>
      r.run(until).catch((err: unknown) => {
        log.error({ err, runnable: r.name, leaderOnly: r.leaderOnly }, "Runnable failed");
      }),
    );
  const runnables = runnablesOf(parts);
  const leaderOnly = runnables.filter(r => r.leaderOnly);
  // Every replica keeps watching, translating and pushing; the leader-only loops run per term and
  // stop the moment the term ends, while the caches and Kong's config stay as they are.
  const running = [
    ...runAll(
      runnables.filter(r => !r.leaderOnly),
      signal,
    ),
    parts.election.run(signal, async term => {
      await Promise.all(runAll(leaderOnly, term));
    }),
  ];
  parts.watchers.start();
  parts.optional.start();
  parts.fetcher.start();
  parts.kong.start();
  parts.publishService?.start();
  parts.listeners.start();
  // The first snapshot must not lack the referenced Secrets, whose data is fetched after the lists.
  void Promise.all([parts.watchers.waitSynced(signal), parts.optional.waitSynced(signal)])
    .then(() => parts.fetcher.waitSettled(signal))
    // Claims recorded before this start keep their dates from the first translation on.
    .then(() => parts.claims.load(signal))
    .then(
      () => {
        if (signal.aborted) return;
        log.info("Every watcher has synced and every needed Secret is fetched");
        parts.loop.markSynced();
      },
      () => undefined,
    );
  return running;
}

/** Builds the controller and starts it; resolves once the telemetry endpoints listen. */
export async function startController(given: StartControllerOptions): Promise<Controller> {
  // --time-scale: every part runs on the one clock, so every wait shrinks alike.
  const opts = { ...given, clock: scaledClock(given.clock, given.config.timeScale) };
  const { config, logger } = opts;
  const log = logger.child({ component: "controller" });
  warnIgnoredSettings(log, config.ignoredSettings);
  // Throws KubeConfigError (start-up fails, naming what was tried) when there are no credentials.
  const kube = createKubeClients({
    kubeconfig: config.kubeconfig,
    apiserverHost: config.apiserverHost,
    env: opts.env ?? {},
    clock: opts.clock,
    ...(opts.tuning?.kubeRequestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: opts.tuning.kubeRequestTimeoutMs }),
  });
  let parts: Parts;
  try {
    parts = buildParts(opts, kube);
  } catch (err) {
    await kube.close();
    throw err;
  }
  const stopping = new AbortController();
  let telemetry: Awaited<ReturnType<typeof startControllerTelemetry>>;
  try {
    telemetry = await startControllerTelemetry({
      ...{ config, clock: opts.clock, logger, metrics: parts.metrics },
      ...{ readiness: parts.readiness, dumps: parts.dumps, signal: stopping.signal },
    });
  } catch (err) {
    await parts.kong.stop();
    await kube.close();
    throw err;
  }
  const running = startAll(opts, parts, stopping.signal);
  const fatal = startupChecks(opts, parts, stopping.signal);
  log.info(
    { ports: telemetry.ports, watchNamespaces: config.watchNamespace },
    "Controller started",
  );
  let stopped: Promise<void> | undefined;
  return {
    ports: telemetry.ports,
    fatal,
    readiness: parts.readiness,
    stop: () =>
      (stopped ??= stopAll({ parts, running, telemetry, stopping, log, clock: opts.clock })),
  };
}

/** After this long, a stop that still waits logs what it waits for (the CLI gives up at 15 s). */
const STOP_REPORT_MS = 5_000;

async function stopAll(s: {
  parts: Parts;
  running: Promise<void>[];
  telemetry: { close(): Promise<void> };
  stopping: AbortController;
  log: Logger;
  clock: Clock;
}): Promise<void> {
  const { parts } = s;
  s.log.info("Stopping");
  s.stopping.abort();
  const pending = new Set<string>();
  const track = async (name: string, done: Promise<unknown> | undefined): Promise<void> => {
    pending.add(name);
    try {
      await done;
    } finally {
      pending.delete(name);
    }
  };
  const reported = new AbortController();
  void s.clock.sleep(STOP_REPORT_MS, reported.signal).then(
    () => {
      s.log.warn({ waitingFor: [...pending] }, "Stop is taking long");
    },
    () => undefined,
  );
  try {
    await track("loops", Promise.all(s.running));
    await Promise.all([
      track("watchers", parts.watchers.stop()),
      track("optional kinds", parts.optional.stop()),
      track("secret fetcher", parts.fetcher.stop()),
      track("publish service", parts.publishService?.stop()),
      track("listeners", parts.listeners.stop()),
      track("kong", parts.kong.stop()),
    ]);
    parts.status.problems.close();
    parts.revisit.close();
    await track("telemetry", s.telemetry.close());
    await track("kubernetes client", parts.kube.close());
  } finally {
    reported.abort();
  }
  s.log.info("Stopped");
}
