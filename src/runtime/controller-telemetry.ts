/** The controller's probes, metrics and dumps, with the event-loop monitor /healthz reads. */
import type { Logger } from "pino";
import type { Config } from "../config/schema.ts";
import {
  diagnosticsRoutes,
  healthRoutes,
  metricsRoutes,
  type Readiness,
} from "../telemetry/health-server.ts";
import { createLoopLagMonitor } from "../telemetry/loop-lag.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { Clock } from "../util/clock.ts";
import type { ConfigDumps } from "./config-dumps.ts";
import { startTelemetryEndpoints, type TelemetryEndpoints } from "./telemetry.ts";

/** How often the event loop is sampled, and the lag past which /healthz fails. */
const LOOP_LAG_INTERVAL_MS = 1000;
const MAX_LOOP_LAG_MS = 10_000;

export interface ControllerTelemetryOptions {
  readonly config: Pick<
    Config,
    "healthProbeBindAddress" | "metricsBindAddress" | "diagnosticServerPort"
  >;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly readiness: () => Readiness;
  /** Present with --dump-config. */
  readonly dumps: ConfigDumps | undefined;
  /** Ends the loop monitor. */
  readonly signal: AbortSignal;
}

/** Starts the monitor and the servers; `close()` closes the servers (the signal ends the monitor). */
export async function startControllerTelemetry(
  opts: ControllerTelemetryOptions,
): Promise<TelemetryEndpoints> {
  const { config, metrics } = opts;
  const loopLag = createLoopLagMonitor({
    clock: opts.clock,
    intervalMs: LOOP_LAG_INTERVAL_MS,
    onSample: lagMs => {
      metrics.eventLoopLag.set(lagMs / 1000);
    },
  });
  const endpoints = await startTelemetryEndpoints({
    health: {
      address: config.healthProbeBindAddress,
      routes: healthRoutes({
        loopLag: () => loopLag.read(),
        maxLagMs: MAX_LOOP_LAG_MS,
        readiness: opts.readiness,
      }),
      // A translation can hold the main thread for seconds (docs/benchmarks.md, hostile tenant).
      maxSilentMs: MAX_LOOP_LAG_MS,
    },
    metrics: { address: config.metricsBindAddress, routes: metricsRoutes(metrics.registry) },
    ...(opts.dumps === undefined
      ? {}
      : {
          diagnostics: {
            port: config.diagnosticServerPort,
            routes: diagnosticsRoutes({ source: opts.dumps }),
          },
        }),
    logger: opts.logger.child({ component: "telemetry" }),
  });
  void loopLag.run(opts.signal);
  return endpoints;
}
