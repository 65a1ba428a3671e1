/**
 * The controller's HTTP endpoints: probes on --health-probe-bind-address (from a thread of their own
 * when no other endpoint shares it), /metrics on --metrics-bind-address (one server when both name the
 * same address), and, with --dump-config, the config dumps on --diagnostic-server-port, on loopback only
 * as KIC serves them.
 */
import type { Logger } from "pino";
import {
  startTelemetryServer,
  type Routes,
  type TelemetryServer,
} from "../telemetry/health-server.ts";
import { startProbeThread } from "../telemetry/probe-thread.ts";

export interface BindAddress {
  readonly host: string;
  readonly port: number;
}

export interface TelemetryEndpointsOptions {
  readonly health: {
    readonly address: BindAddress;
    readonly routes: Routes;
    /**
     * Set: the probes are served from a thread of their own (telemetry/probe-thread.ts) when no other
     * endpoint shares their address, and answer for a main thread silent up to this long.
     */
    readonly maxSilentMs?: number;
  };
  readonly metrics: { readonly address: BindAddress; readonly routes: Routes };
  readonly diagnostics?: { readonly port: number; readonly routes: Routes };
  readonly logger: Logger;
}

/** The ports actually bound (they differ from the settings when those ask for port 0). */
export interface TelemetryPorts {
  readonly health: number;
  readonly metrics: number;
  readonly diagnostics?: number;
}

export interface TelemetryEndpoints {
  readonly ports: TelemetryPorts;
  close(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";

function keyOf(address: BindAddress): string {
  return `${address.host}|${address.port}`;
}

/** Starts one server per distinct address; if one fails to bind, the ones already started close. */
export async function startTelemetryEndpoints(
  opts: TelemetryEndpointsOptions,
): Promise<TelemetryEndpoints> {
  const wanted = new Map<string, { address: BindAddress; routes: Routes }>();
  const add = (address: BindAddress, routes: Routes): string => {
    const key = keyOf(address);
    wanted.set(key, { address, routes: { ...wanted.get(key)?.routes, ...routes } });
    return key;
  };
  const metricsKey = add(opts.metrics.address, opts.metrics.routes);
  const diagnosticsKey =
    opts.diagnostics === undefined
      ? undefined
      : add({ host: LOOPBACK, port: opts.diagnostics.port }, opts.diagnostics.routes);
  const { maxSilentMs } = opts.health;
  const ownThread = maxSilentMs !== undefined && !wanted.has(keyOf(opts.health.address));
  const healthKey = ownThread
    ? keyOf(opts.health.address)
    : add(opts.health.address, opts.health.routes);

  const servers = new Map<string, TelemetryServer>();
  if (ownThread)
    servers.set(
      healthKey,
      await startProbeThread({
        ...opts.health.address,
        routes: opts.health.routes,
        maxSilentMs,
      }),
    );
  const closeAll = async (): Promise<void> => {
    await Promise.all([...servers.values()].map(s => s.close()));
  };
  try {
    for (const [key, { address, routes }] of wanted) {
      servers.set(
        key,
        await startTelemetryServer({
          host: address.host,
          port: address.port,
          routes,
          logger: opts.logger,
        }),
      );
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  const portOf = (key: string): number => servers.get(key)?.port ?? 0;
  return {
    ports: {
      health: portOf(healthKey),
      metrics: portOf(metricsKey),
      ...(diagnosticsKey === undefined ? {} : { diagnostics: portOf(diagnosticsKey) }),
    },
    close: closeAll,
  };
}
