/**
 * The Kong half of the graph: one Admin API client per --kong-admin-url and the sender that pushes
 * to them, with every push counted in the metrics and logged as one line.
 */
import type { Logger } from "pino";
import type { Config } from "../config/schema.ts";
import { createAdminClients, type AdminTlsOptions } from "../kong/admin-client.ts";
import type { BackoffOptions } from "../sender/backoff.ts";
import type { PushRecord } from "../sender/gateway-worker.ts";
import { Sender, type SenderOptions } from "../sender/sender.ts";
import { logPush } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { Clock } from "../util/clock.ts";
import { KongNeverReachedError } from "./errors.ts";

export type KongSettings = Pick<
  Config,
  | "kongAdminUrl"
  | "kongAdminToken"
  | "kongAdminHeader"
  | "kongAdminTlsSkipVerify"
  | "kongAdminCaCert"
  | "kongAdminTlsClientCert"
  | "kongAdminTlsClientKey"
  | "kongAdminTlsServerName"
  | "kongAdminInitRetries"
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

/** Builds the sender; it pushes nothing until `start()` and a first `update()`. */
export function buildSender(opts: KongSideOptions): Sender {
  const { config, metrics, clock } = opts;
  const gateways = createAdminClients({
    urls: config.kongAdminUrl,
    ...(config.kongAdminToken === undefined ? {} : { token: config.kongAdminToken }),
    headers: config.kongAdminHeader,
    tls: tlsOf(config),
    timeouts: { baseMs: config.proxyTimeoutSeconds * 1000 },
    clock,
  });
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
  return new Sender({
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
  });
}

/**
 * KIC's start-up check (--kong-admin-init-retries × --kong-admin-init-retry-delay): resolves with an
 * error when no Kong node has answered by then, and with undefined once one has (or on abort). After
 * that first answer, Kong outages never end the controller; the sender retries for ever.
 */
export async function kongReachedWithin(opts: {
  readonly sender: Pick<Sender, "gateways" | "subscribe">;
  readonly config: KongSettings;
  readonly clock: Clock;
  readonly signal: AbortSignal;
}): Promise<KongNeverReachedError | undefined> {
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
