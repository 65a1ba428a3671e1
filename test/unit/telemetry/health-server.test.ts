import { connect } from "node:net";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import {
  diagnosticsRoutes,
  healthRoutes,
  metricsRoutes,
  startTelemetryServer,
  type ConfigDumpSource,
  type Readiness,
  type Routes,
  type TelemetryServer,
} from "../../../src/telemetry/health-server.ts";
import type { LoopLagReading } from "../../../src/telemetry/loop-lag.ts";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { join } from "node:path";
import { encodeConfig } from "../../../src/kong/admin-client.ts";
import { REDACTED, redactConfig } from "../../../src/kong/redact.ts";
import { ConfigDumps } from "../../../src/runtime/config-dumps.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../src/translator/index.ts";
import { loadSnapshot, readDocuments } from "../../support/golden.ts";

const logger = pino({ level: "silent" });
const servers: TelemetryServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => s.close()));
});

async function serve(routes: Routes): Promise<string> {
  const server = await startTelemetryServer({ host: "127.0.0.1", port: 0, routes, logger });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

function health(state: { lag: LoopLagReading; readiness: Readiness }): Routes {
  return healthRoutes({
    loopLag: () => state.lag,
    maxLagMs: 1000,
    readiness: () => state.readiness,
  });
}

describe("health routes", () => {
  it.each<[string, LoopLagReading, number]>([
    ["responsive loop", { lagMs: 3, overdueMs: 0 }, 200],
    ["lagging loop", { lagMs: 1500, overdueMs: 0 }, 503],
    ["overdue sample", { lagMs: 0, overdueMs: 5000 }, 503],
    ["at the limit", { lagMs: 1000, overdueMs: 1000 }, 200],
  ])("/healthz for a %s is %d", async (_name, lag, status) => {
    const base = await serve(health({ lag, readiness: { ready: false, reasons: ["x"] } }));
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ healthy: status === 200, lagMs: lag.lagMs });
  });

  it("/readyz follows the injected readiness and says why not", async () => {
    const state = {
      lag: { lagMs: 0, overdueMs: 0 },
      readiness: { ready: false, reasons: ["watch Ingress not synced"] } as Readiness,
    };
    const base = await serve(health(state));
    const before = await fetch(`${base}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ ready: false, reasons: ["watch Ingress not synced"] });
    state.readiness = { ready: true, reasons: [] };
    const after = await fetch(`${base}/readyz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ ready: true, reasons: [] });
  });
});

describe("metrics routes", () => {
  it("/metrics serves the injected registry in the Prometheus format", async () => {
    const registry = new Registry();
    createMetrics({ registry }).statusQueueDepth.set(4);
    const base = await serve(metricsRoutes(registry));
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const body = await res.text();
    expect(body).toContain("# TYPE kongress_status_queue_depth gauge");
    expect(body).toContain("kongress_status_queue_depth 4");
  });
});

describe("diagnostics routes", () => {
  /** A config with a certificate and its private key, as the translator builds it. */
  const result = translate(
    loadSnapshot(readDocuments(join(import.meta.dirname, "../../golden/tls-basic/in.yaml"))),
    DEFAULT_TRANSLATE_OPTIONS,
  );
  const key = result.config.certificates?.[0]?.key ?? "";
  const hash = encodeConfig(result.config).hash;

  function dumpsKongRuns(sensitive: boolean): ConfigDumps {
    const dumps = new ConfigDumps({ sensitive });
    dumps.translated(result);
    dumps.viewChanged({
      gateways: [{ url: "http://kong:8001", phase: "synced", since: 0, config: "primary", hash }],
      acceptedObjects: new Map(),
      rejectedObjects: [],
    });
    return dumps;
  }

  async function successful(sensitive: boolean) {
    const base = await serve(diagnosticsRoutes({ source: dumpsKongRuns(sensitive) }));
    const res = await fetch(`${base}/debug/config/successful`);
    expect(res.status).toBe(200);
    return (await res.json()) as { hash: string; config: typeof result.config };
  }

  it("serves the config Kong runs redacted by its structure, as the dumps made it", async () => {
    expect(key).toContain("PRIVATE KEY");
    const body = await successful(false);
    expect(body.hash).toBe(hash);
    expect(body.config.certificates?.[0]?.key).toBe(REDACTED);
    expect(body.config).toEqual(JSON.parse(JSON.stringify(redactConfig(result.config))));
  });

  it("serves keys with --dump-sensitive-config", async () => {
    expect((await successful(true)).config.certificates?.[0]?.key).toBe(key);
  });

  const source: ConfigDumpSource = {
    successful: () => undefined,
    failed: () => undefined,
    fallback: () => ({ excluded: [{ kind: "Ingress", namespace: "a", name: "b" }] }),
  };

  it.each([
    ["/debug/config/successful", 204, ""],
    ["/debug/config/failed", 204, ""],
    ["/debug/config/fallback", 200, '"excluded"'],
    ["/debug/config/raw-error", 404, "not found"],
  ])("%s answers %d", async (path, status, content) => {
    const base = await serve(diagnosticsRoutes({ source }));
    const res = await fetch(`${base}${path}`);
    expect(res.status).toBe(status);
    expect(await res.text()).toContain(content);
  });
});

describe("startTelemetryServer", () => {
  const routes: Routes = {
    "/ok": () => ({ status: 200, body: "fine" }),
    "/boom": () => {
      throw new Error("broken provider");
    },
  };

  it.each([
    ["GET", "/missing", 404],
    ["POST", "/ok", 405],
    ["GET", "/boom", 500],
    ["GET", "/ok?verbose=1", 200],
    ["HEAD", "/ok", 200],
  ])("%s %s is %d", async (method, path, status) => {
    const base = await serve(routes);
    const res = await fetch(`${base}${path}`, { method });
    expect(res.status).toBe(status);
  });

  it("answers 400 to a request target that is not a URL, and keeps serving", async () => {
    const base = await serve(routes);
    const { port } = new URL(base);
    const statusLine = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write("GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      });
      let received = "";
      socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
      socket.on("error", reject);
      // Without an answer the test fails here rather than at the test timeout.
      socket.setTimeout(5000, () => socket.destroy());
      socket.on("close", () => {
        resolve(received.split("\r\n")[0] ?? "");
      });
    });
    expect(statusLine).toBe("HTTP/1.1 400 Bad Request");
    expect((await fetch(`${base}/ok`)).status).toBe(200);
  });

  it("serves several route groups on one port", async () => {
    const registry = new Registry();
    const base = await serve({
      ...health({ lag: { lagMs: 0, overdueMs: 0 }, readiness: { ready: true, reasons: [] } }),
      ...metricsRoutes(registry),
    });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it("rejects when the port is taken", async () => {
    const first = await startTelemetryServer({ host: "127.0.0.1", port: 0, routes, logger });
    servers.push(first);
    await expect(
      startTelemetryServer({ host: "127.0.0.1", port: first.port, routes, logger }),
    ).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});
