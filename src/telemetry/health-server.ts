/**
 * The controller's own HTTP endpoints: /healthz and /readyz (probes), /metrics, /debug/config/*.
 * Routes are plain functions grouped per concern, so main can serve them on one port or, as KIC does,
 * on separate ones (--health-probe-bind-address, --metrics-bind-address, --diagnostic-server-port).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer } from "./http-server.ts";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { LoopLagReading } from "./loop-lag.ts";

export interface HttpReply {
  readonly status: number;
  readonly contentType?: string;
  readonly body?: string;
}

/** Exact path → handler. Only GET and HEAD reach a handler. */
export type Routes = Readonly<Record<string, (url: URL) => HttpReply | Promise<HttpReply>>>;

/** Whether this replica can serve traffic, and if not, why (shown by /readyz). */
export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

export interface HealthRoutesOptions {
  readonly loopLag: () => LoopLagReading;
  /** Lag (or overdue time) above which /healthz fails. */
  readonly maxLagMs: number;
  /** Every watcher synced and the first push done, or Kong already holding our config. */
  readonly readiness: () => Readiness;
}

const JSON_TYPE = "application/json; charset=utf-8";

function json(status: number, value: unknown): HttpReply {
  return { status, contentType: JSON_TYPE, body: `${JSON.stringify(value, null, 2)}\n` };
}

/**
 * /healthz says only whether this process is alive, judged by its event loop: never by the API server
 * or Kong, whose outages must not restart us (STYLE rule 15). /readyz reports the injected readiness.
 */
export function healthRoutes(opts: HealthRoutesOptions): Routes {
  return {
    "/healthz": () => {
      const reading = opts.loopLag();
      const healthy = reading.lagMs <= opts.maxLagMs && reading.overdueMs <= opts.maxLagMs;
      return json(healthy ? 200 : 503, { healthy, ...reading, maxLagMs: opts.maxLagMs });
    },
    "/readyz": () => {
      const r = opts.readiness();
      return json(r.ready ? 200 : 503, { ready: r.ready, reasons: r.reasons });
    },
  };
}

/** /metrics in the Prometheus text format, from the injected registry. */
export function metricsRoutes(registry: Registry): Routes {
  return {
    "/metrics": async () => ({
      status: 200,
      contentType: registry.contentType,
      body: await registry.metrics(),
    }),
  };
}

/** A config as it was sent to Kong, with the hash it was sent under. */
export interface ConfigDump {
  readonly hash: string;
  readonly config: unknown;
}

/**
 * Where the diagnostics routes read the controller's last configs from. The source serves them as
 * they may be shown: redacted unless --dump-sensitive-config (src/runtime/config-dumps.ts, which
 * knows Kong's structure); the routes add no redaction of their own.
 */
export interface ConfigDumpSource {
  /** The last config Kong accepted. */
  successful(): ConfigDump | undefined;
  /** The last config Kong rejected. */
  failed(): ConfigDump | undefined;
  /** What the last fallback excluded or backfilled, and why. */
  fallback(): unknown;
}

export interface DiagnosticsRoutesOptions {
  readonly source: ConfigDumpSource;
}

/**
 * /debug/config/{successful,failed,fallback}, KIC's diagnostics (204 when empty). KIC's `raw-error`
 * (Kong's last error body as text) is left out: Kong's answers are classified where they arrive
 * (src/kong/outcome.ts) and what they say about objects is in `fallback`, scrubbed of secrets; a raw
 * body is not kept.
 */
export function diagnosticsRoutes(opts: DiagnosticsRoutesOptions): Routes {
  const dump = (value: unknown): HttpReply =>
    value === undefined ? { status: 204 } : json(200, value);
  return {
    "/debug/config/successful": () => dump(opts.source.successful()),
    "/debug/config/failed": () => dump(opts.source.failed()),
    "/debug/config/fallback": () => dump(opts.source.fallback()),
  };
}

export interface TelemetryServerOptions {
  /** Empty means every interface. */
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly routes: Routes;
  readonly logger: Logger;
}

export interface TelemetryServer {
  /** The port actually bound. */
  readonly port: number;
  close(): Promise<void>;
}

async function answer(routes: Routes, req: IncomingMessage, logger: Logger): Promise<HttpReply> {
  // The parser lets through request targets such as `//[` that are no URL; a throw here would be an
  // unhandled rejection, which ends the process.
  const url = URL.parse(req.url ?? "/", "http://localhost");
  if (url === null) return { status: 400, body: "bad request target\n" };
  const handler = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
  if (handler === undefined) return { status: 404, body: "not found\n" };
  if (req.method !== "GET" && req.method !== "HEAD") return { status: 405, body: "GET only\n" };
  try {
    return await handler(url);
  } catch (err) {
    logger.error({ err, path: url.pathname }, "Telemetry endpoint failed");
    return { status: 500, body: "internal error\n" };
  }
}

function send(res: ServerResponse, reply: HttpReply, head: boolean): void {
  res.statusCode = reply.status;
  res.setHeader("content-type", reply.contentType ?? "text/plain; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  res.end(head ? undefined : reply.body);
}

/** Serves `routes` on host:port until `close()`. Resolves once listening. */
export async function startTelemetryServer(opts: TelemetryServerOptions): Promise<TelemetryServer> {
  const server = createServer((req, res) => {
    void answer(opts.routes, req, opts.logger).then(reply => {
      send(res, reply, req.method === "HEAD");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host === "" ? undefined : opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info({ host: opts.host, port, paths: Object.keys(opts.routes) }, "Serving telemetry");
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close(err => {
          if (err === undefined) resolve();
          else reject(err);
        });
        server.closeIdleConnections();
      }),
  };
}
