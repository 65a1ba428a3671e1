/**
 * The Kong half of the graph: the sender and the Kongs it pushes to, either the fixed
 * --kong-admin-url list (one Admin API client each) or, with --kong-admin-svc, the Kongs gateway
 * discovery finds behind a Service, added and dropped as they come and go. Every push is counted in
 * the metrics and logged as one line; every Kong's phase is a metric too.
 */
import type { Logger } from "pino";
import type { Config } from "../config/schema.ts";
import {
  AdminClient,
  createAdminClients,
  type AdminTlsOptions,
  type KongAdminApi,
} from "../kong/admin-client.ts";
import { AdminApiDiscovery, type DiscoveryState } from "../kube/admin-discovery.ts";
import type { DiscoveredAdminApi } from "../kube/admin-endpoints.ts";
import type { BackoffOptions as KubeBackoffOptions, RetryGate } from "../kube/backoff.ts";
import type { KubeApi } from "../kube/client.ts";
import type { BackoffOptions } from "../sender/backoff.ts";
import type { GatewayPhase, SenderView } from "../sender/gateway-state.ts";
import type { PushRecord } from "../sender/gateway-worker.ts";
import { Sender, type PushGate, type SenderOptions } from "../sender/sender.ts";
import { logPush } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { Clock } from "../util/clock.ts";
import { KongNeverReachedError } from "./errors.ts";

export type KongSettings = Pick<
  Config,
  | "kongAdminUrl"
  | "kongAdminSvc"
  | "kongAdminSvcPortNames"
  | "kongAdminToken"
  | "kongAdminHeader"
  | "kongAdminTlsSkipVerify"
  | "kongAdminCaCert"
  | "kongAdminTlsClientCert"
  | "kongAdminTlsClientKey"
  | "kongAdminTlsServerName"
  | "kongAdminInitRetries"
  | "maxConfigBytes"
  | "kongAdminInitRetryDelayMs"
  | "proxyTimeoutSeconds"
  | "proxySyncSeconds"
>;

export interface KongSideOptions {
  readonly config: KongSettings;
  readonly translate: SenderOptions["translate"];
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  readonly backoff?: Partial<BackoffOptions>;
  readonly pollIntervalMs?: number;
  /**
   * Whether this replica may push now. Default: always. Wire leadership here when replicas share
   * their Kongs through --kong-admin-svc; a replica with its own Kongs (fixed URLs, a sidecar) pushes
   * whether or not it leads.
   */
  readonly pushGate?: PushGate;
}

export interface KongSideDiscoveryOptions {
  /** The API server, read with --kong-admin-svc. */
  readonly api: KubeApi;
  /** Between reports of a discovery problem that lasts (tests shorten it). */
  readonly backoff?: KubeBackoffOptions;
  /** The discovery watches' restarts. */
  readonly watchBackoff?: KubeBackoffOptions;
  /** Where the discovery watches wait to retry (the API server probe). */
  readonly gate?: RetryGate;
}

/** The sender with the source of its Kongs. */
export interface KongSide {
  readonly sender: Sender;
  /** Present with --kong-admin-svc. */
  readonly discovery: AdminApiDiscovery | undefined;
  /** Starts the sender, then discovery (whose Kongs the sender starts pushing to as they appear). */
  start(): void;
  /** Stops discovery, then the sender and every Kong's client. Idempotent. */
  stop(): Promise<void>;
  /** Why no Kong may hold our config yet: each Kong not synced and discovery's problem (/readyz). */
  notReadyReasons(): string[];
  /**
   * A client of the Kong at this display URL that is not the sender's, for questions (listener
   * discovery's `GET /`) that must not wait behind a push.
   */
  clientOf(url: string): KongAdminApi | undefined;
}

function tlsOf(config: KongSettings): AdminTlsOptions {
  return {
    ...(config.kongAdminCaCert === undefined ? {} : { ca: config.kongAdminCaCert }),
    ...(config.kongAdminTlsClientCert === undefined ? {} : { cert: config.kongAdminTlsClientCert }),
    ...(config.kongAdminTlsClientKey === undefined ? {} : { key: config.kongAdminTlsClientKey }),
    ...(config.kongAdminTlsServerName === undefined
      ? {}
      : { serverName: config.kongAdminTlsServerName }),
    skipVerify: config.kongAdminTlsSkipVerify,
  };
}

/** What every Admin API client shares, from the --kong-admin-* settings. */
function clientSettings(config: KongSettings, clock: Clock) {
  return {
    ...(config.kongAdminToken === undefined ? {} : { token: config.kongAdminToken }),
    headers: config.kongAdminHeader,
    tls: tlsOf(config),
    timeouts: { baseMs: config.proxyTimeoutSeconds * 1000 },
    clock,
  };
}

function senderOf(opts: KongSideOptions, gateways: readonly KongAdminApi[]): Sender {
  const { config, metrics, clock } = opts;
  const pushLog = opts.logger.child({ component: "push" });
  const onPush = (record: PushRecord): void => {
    metrics.recordPush(record);
    logPush(
      pushLog,
      {
        dataplane: record.dataplane,
        configHash: record.configHash,
        sizeBytes: record.sizeBytes,
        durationMs: record.durationMs,
        outcome: record.outcome,
        fallback: record.fallback,
      },
      record.success,
    );
  };
  const sender = new Sender({
    gateways,
    translate: opts.translate,
    clock,
    logger: opts.logger,
    random: opts.random,
    // Unset: adaptive pacing with its own cap; set: that cap (0 = no pacing).
    ...(config.proxySyncSeconds === undefined
      ? {}
      : { pacing: { capMs: config.proxySyncSeconds * 1000 } }),
    onPush,
    onChangePushed: record => {
      metrics.eventToPush.observe({ dataplane: record.dataplane }, record.delayMs / 1000);
    },
    ...(opts.backoff === undefined ? {} : { backoff: opts.backoff }),
    ...(opts.pollIntervalMs === undefined ? {} : { pollIntervalMs: opts.pollIntervalMs }),
    ...(opts.pushGate === undefined ? {} : { pushGate: opts.pushGate }),
    maxConfigBytes: config.maxConfigBytes,
  });
  trackPhases(sender, metrics);
  return sender;
}

const PHASES: readonly GatewayPhase[] = ["pending", "synced", "failing"];

/** `kongress_dataplane_phase`: one series per Kong and phase, gone with the Kong. */
function trackPhases(sender: Sender, metrics: Metrics): void {
  let shown = new Map<string, GatewayPhase>();
  sender.subscribe((view: SenderView) => {
    const now = new Map(view.gateways.map(g => [g.url, g.phase]));
    for (const url of shown.keys()) {
      if (now.has(url)) continue;
      for (const phase of PHASES) metrics.dataplanePhase.remove({ dataplane: url, phase });
    }
    for (const [url, current] of now) {
      if (shown.get(url) === current) continue;
      for (const phase of PHASES) {
        metrics.dataplanePhase.set({ dataplane: url, phase }, phase === current ? 1 : 0);
      }
    }
    shown = now;
  });
}

/** Builds the sender for the fixed --kong-admin-url list; it pushes nothing until `start()` and a first `update()`. */
export function buildSender(opts: KongSideOptions): Sender {
  const clients = createAdminClients({
    urls: opts.config.kongAdminUrl,
    ...clientSettings(opts.config, opts.clock),
  });
  return senderOf(opts, clients);
}

/**
 * The sender and, with --kong-admin-svc, the discovery that tells it which Kongs to push to: one that
 * appears gets the current config at once, one that goes away is dropped (its requests abandoned)
 * without holding back the others.
 */
export function buildKongSide(
  opts: KongSideOptions & { readonly discovery: KongSideDiscoveryOptions },
): KongSide {
  const service = opts.config.kongAdminSvc;
  if (service === undefined) {
    const sender = buildSender(opts);
    const questions = new Map(
      createAdminClients({
        urls: opts.config.kongAdminUrl,
        ...clientSettings(opts.config, opts.clock),
      }).map(c => [c.url, c]),
    );
    return {
      sender,
      discovery: undefined,
      start: () => {
        sender.start();
      },
      stop: async () => {
        await sender.stop();
        await Promise.all([...questions.values()].map(c => c.close()));
      },
      notReadyReasons: () => gatewayReasons(sender.view()),
      clientOf: url => questions.get(url),
    };
  }
  const sender = senderOf(opts, []);
  const kongs = new DiscoveredKongs(sender, opts);
  const discovery = new AdminApiDiscovery({
    api: opts.discovery.api,
    service,
    portNames: opts.config.kongAdminSvcPortNames,
    onChange: state => {
      opts.metrics.discoveredKongs.set(state.apis.length);
      kongs.apply(state.apis);
    },
    onProblem: problem => {
      opts.metrics.discoveryErrors.inc({ reason: problem.reason });
    },
    clock: opts.clock,
    random: opts.random,
    logger: opts.logger,
    ...(opts.discovery.backoff === undefined ? {} : { backoff: opts.discovery.backoff }),
    ...(opts.discovery.watchBackoff === undefined
      ? {}
      : { watchBackoff: opts.discovery.watchBackoff }),
    ...(opts.discovery.gate === undefined ? {} : { gate: opts.discovery.gate }),
  });
  let stopped: Promise<void> | undefined;
  return {
    sender,
    discovery,
    start: () => {
      sender.start();
      discovery.start();
    },
    stop: () =>
      (stopped ??= (async () => {
        await discovery.stop();
        await kongs.settled();
        await sender.stop();
        await kongs.closeQuestionClients();
      })()),
    notReadyReasons: () => [
      ...discoveryReasons(`${service.namespace}/${service.name}`, discovery.state),
      ...gatewayReasons(sender.view()),
    ],
    clientOf: url => kongs.questionClient(url),
  };
}

/** Keeps the sender's Kongs equal to the discovered ones. */
class DiscoveredKongs {
  readonly #sender: Sender;
  readonly #opts: KongSideOptions;
  readonly #log: Logger;
  readonly #removals = new Set<Promise<void>>();
  /** A second client per Kong, for listener discovery. */
  readonly #questions = new Map<string, KongAdminApi>();

  constructor(sender: Sender, opts: KongSideOptions) {
    this.#sender = sender;
    this.#opts = opts;
    this.#log = opts.logger.child({ component: "gateway-discovery" });
  }

  apply(apis: readonly DiscoveredAdminApi[]): void {
    // The sender keys Kongs by display URL, the origin of a discovered URL (no path, no credentials).
    const wanted = new Map(apis.map(api => [new URL(api.url).origin, api]));
    for (const { url } of this.#sender.gateways()) {
      if (!wanted.has(url)) this.#drop(url);
    }
    const known = new Set(this.#sender.gateways().map(g => g.url));
    for (const [url, api] of wanted) {
      if (known.has(url)) continue;
      this.#log.info({ dataplane: url }, "Kong discovered; pushing the current config to it");
      this.#sender.addGateway(this.#clientOf(api));
      this.#questions.set(url, this.#clientOf(api));
    }
  }

  questionClient(url: string): KongAdminApi | undefined {
    return this.#questions.get(url);
  }

  async closeQuestionClients(): Promise<void> {
    await Promise.all([...this.#questions.values()].map(c => c.close()));
    this.#questions.clear();
  }

  /** Resolves once every dropped Kong's worker has stopped. */
  async settled(): Promise<void> {
    await Promise.all(this.#removals);
  }

  #drop(url: string): void {
    this.#log.info({ dataplane: url }, "Kong gone; no longer pushing to it");
    const question = this.#questions.get(url);
    this.#questions.delete(url);
    void question?.close().catch(() => undefined);
    const removal = this.#sender.removeGateway(url).catch((err: unknown) => {
      this.#log.error({ err, dataplane: url }, "Closing a dropped Kong's client failed");
    });
    this.#removals.add(removal);
    void removal.finally(() => this.#removals.delete(removal));
  }

  #clientOf(api: DiscoveredAdminApi): KongAdminApi {
    const { config, clock } = this.#opts;
    const settings = clientSettings(config, clock);
    // KIC names the Pod behind the Service in SNI; --kong-admin-tls-server-name overrides it.
    const serverName = config.kongAdminTlsServerName ?? api.tlsServerName;
    return new AdminClient({ ...settings, tls: { ...settings.tls, serverName }, url: api.url });
  }
}

function discoveryReasons(service: string, state: DiscoveryState): string[] {
  if (state.problem !== undefined) return [`Kong discovery (${service}): ${state.problem.message}`];
  if (!state.synced) return [`Kong discovery (${service}) has not listed the Service yet`];
  return [];
}

/** One line per Kong that is not synced, e.g. `Kong https://10.0.0.7:8444 failing: ...`. */
function gatewayReasons(view: SenderView): string[] {
  return view.gateways
    .filter(g => g.phase !== "synced")
    .map(g =>
      g.phase === "pending"
        ? `Kong ${g.url} pending: not reached yet`
        : `Kong ${g.url} failing: ${g.code ?? "error"}: ${g.reason ?? "unknown"}`,
    );
}

/**
 * KIC's start-up check (--kong-admin-init-retries × --kong-admin-init-retry-delay): resolves with an
 * error when no Kong node has answered by then, and with undefined once one has (or on abort). After
 * that first answer, Kong outages never end the controller; the sender retries for ever.
 *
 * With --kong-admin-svc it resolves with undefined at once: discovered Kongs come and go (a Kong
 * Deployment installed after the controller, scaled to zero), and a restart would find no more of
 * them. Discovery reports its problems in the log and the metrics, and /readyz stays false until a
 * Kong holds our config.
 */
export async function kongReachedWithin(opts: {
  readonly sender: Pick<Sender, "gateways" | "subscribe">;
  readonly config: KongSettings;
  readonly clock: Clock;
  readonly signal: AbortSignal;
}): Promise<KongNeverReachedError | undefined> {
  if (opts.config.kongAdminSvc !== undefined) return undefined;
  const reached = (): boolean =>
    opts.sender.gateways().some(g => g.hash !== undefined || g.phase === "synced");
  const waitMs = opts.config.kongAdminInitRetries * opts.config.kongAdminInitRetryDelayMs;
  const deadline = new AbortController();
  const both = AbortSignal.any([opts.signal, deadline.signal]);
  const unsubscribe = opts.sender.subscribe(() => {
    if (reached()) deadline.abort();
  });
  try {
    if (reached()) return undefined;
    await opts.clock.sleep(waitMs, both).catch(() => undefined);
    if (reached() || opts.signal.aborted) return undefined;
    return new KongNeverReachedError(
      waitMs,
      opts.sender.gateways().map(g => g.url),
    );
  } finally {
    unsubscribe();
  }
}
