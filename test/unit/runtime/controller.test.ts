/**
 * The controller's wiring, started against nothing at all (every connection refused): it must come up,
 * say why it is not ready, give up only at the start-up deadline, and stop cleanly.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.ts";
import { startController } from "../../../src/runtime/controller.ts";
import { freePort } from "../../support/free-port.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

const dir = mkdtempSync(join(tmpdir(), "kongress-runtime-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function kubeconfigTo(port: number): Promise<string> {
  const path = join(dir, `kubeconfig-${String(port)}`);
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:${String(port)}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
  );
  return Promise.resolve(path);
}

async function setup(
  extra: readonly string[] = [],
  env: Readonly<Record<string, string>> = { POD_NAMESPACE: "kongress" },
) {
  const apiPort = await freePort();
  const kongPort = await freePort();
  const config = loadConfig({
    argv: [
      `--kubeconfig=${await kubeconfigTo(apiPort)}`,
      `--kong-admin-url=http://127.0.0.1:${String(kongPort)}`,
      "--health-probe-bind-address=127.0.0.1:0",
      "--metrics-bind-address=127.0.0.1:0",
      "--publish-status-address=192.0.2.1",
      "--watch-namespace=a,b",
      "--cache-sync-timeout=10s",
      ...extra,
    ],
    env: {},
  });
  const clock = new ManualClock();
  const controller = await startController({
    config,
    env,
    logger: pino({ level: "silent" }),
    registry: new Registry(),
    clock,
    random: () => 0.5,
  });
  return { clock, controller };
}

describe("startController against unreachable servers", () => {
  it("serves probes and metrics while it cannot sync, and says why it is not ready", async () => {
    const { controller } = await setup();
    const base = `http://127.0.0.1:${String(controller.ports.health)}`;
    expect(controller.ports.metrics).toBe(controller.ports.health);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { reasons: string[] };
    expect(body.reasons).toContain("watch of Ingress@a has not synced");
    expect(body.reasons).toContain("watch of IngressClass has not synced");
    expect(body.reasons).toContain("no config has reached Kong yet");
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain("kongress_watch_synced");
    // Campaigning against an API server it cannot reach: not the leader, and alive.
    expect(metrics).toContain('leader_election_master_status{name="5b374a9e.konghq.com"} 0');
    expect((await fetch(`${base}/debug/config/successful`)).status).toBe(404);

    await controller.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it("gives up at --cache-sync-timeout, naming every scope that has not synced", async () => {
    const { clock, controller } = await setup();
    let fatal: Error | undefined;
    void controller.fatal.then(err => (fatal = err));
    await clock.advance(9_000);
    expect(fatal).toBe(undefined);
    await clock.advance(1_000);
    await settle();
    expect(fatal).toMatchObject({ code: "ERR_CACHE_SYNC_TIMEOUT" });
    expect(fatal?.message).toContain("Ingress@b");
    await controller.stop();
  });

  it("refuses to start with leader election on and no namespace for its Lease, naming the way out", async () => {
    await expect(setup([], {})).rejects.toMatchObject({
      code: "ERR_ELECTION_NAMESPACE_MISSING",
      message: expect.stringContaining("--election-namespace") as unknown,
    });
  });

  it("starts without a namespace when election is off, and counts itself the leader", async () => {
    const { controller } = await setup(["--force-leader-election=disabled"], {});
    const metrics = await (
      await fetch(`http://127.0.0.1:${String(controller.ports.metrics)}/metrics`)
    ).text();
    expect(metrics).toContain('leader_election_master_status{name="5b374a9e.konghq.com"} 1');
    await controller.stop();
  });

  it("serves the config dumps on their own loopback port with --dump-config", async () => {
    const port = await freePort();
    const { controller } = await setup([
      "--dump-config",
      `--diagnostic-server-port=${String(port)}`,
    ]);
    expect(controller.ports.diagnostics).toBe(port);
    const res = await fetch(`http://127.0.0.1:${String(port)}/debug/config/successful`);
    expect(res.status).toBe(204);
    await controller.stop();
    // Stopping twice is harmless.
    await controller.stop();
  });
});
