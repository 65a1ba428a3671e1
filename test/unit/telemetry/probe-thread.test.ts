/**
 * The probe port on a thread of its own (telemetry/probe-thread.ts): the main thread's answers while it
 * can give them, and the probe thread's own while the main thread is held. The main thread is held
 * here the way a long translation holds it: by synchronous work, a child process run with spawnSync
 * that asks the probe port meanwhile.
 */
import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { healthRoutes, type Readiness } from "../../../src/telemetry/health-server.ts";
import { startProbeThread, type ProbeThread } from "../../../src/telemetry/probe-thread.ts";

const threads: ProbeThread[] = [];

afterEach(async () => {
  await Promise.all(threads.splice(0).map(t => t.close()));
});

async function start(opts: { maxSilentMs: number; readiness?: Readiness }) {
  const thread = await startProbeThread({
    host: "127.0.0.1",
    port: 0,
    routes: healthRoutes({
      loopLag: () => ({ lagMs: 3, overdueMs: 0 }),
      maxLagMs: 10_000,
      readiness: () => opts.readiness ?? { ready: true, reasons: [] },
    }),
    maxSilentMs: opts.maxSilentMs,
  });
  threads.push(thread);
  return `http://127.0.0.1:${thread.port}`;
}

/** Asks `url` from a child process while this thread waits for it synchronously (is held). */
function askWhileHeld(url: string, method = "GET"): { status: number; body: unknown } {
  const script = `fetch(${JSON.stringify(url)}, { method: ${JSON.stringify(method)} }).then(async r => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })))`;
  const child = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 20_000 });
  const out = JSON.parse(child.stdout) as { status: number; body: string };
  return { status: out.status, body: out.body === "" ? "" : (JSON.parse(out.body) as unknown) };
}

describe("probe thread", () => {
  it("answers with the main thread's routes while the main thread is free", async () => {
    const url = await start({ maxSilentMs: 10_000 });
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ healthy: true, lagMs: 3, overdueMs: 0, maxLagMs: 10_000 });
  });

  it("answers /healthz itself while the main thread is held, healthy within the silence allowed", async () => {
    const url = await start({ maxSilentMs: 10_000 });
    const held = askWhileHeld(`${url}/healthz`);
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({ healthy: true, maxLagMs: 10_000 });
    expect(held.body).toHaveProperty("busyMs");
  });

  it("fails /healthz when the main thread has been silent longer than allowed", async () => {
    const url = await start({ maxSilentMs: 0 });
    const held = askWhileHeld(`${url}/healthz`);
    expect(held).toMatchObject({ status: 503, body: { healthy: false, maxLagMs: 0 } });
  });

  it("repeats the main thread's last /readyz while it is held, and says it is busy before any", async () => {
    const notReady = { ready: false, reasons: ["informers not synced"] };
    const first = await start({ maxSilentMs: 10_000, readiness: notReady });
    expect(askWhileHeld(`${first}/readyz`)).toEqual({
      status: 503,
      body: { ready: false, reasons: ["the controller is busy"] },
    });
    const second = await start({ maxSilentMs: 10_000 });
    const free = await fetch(`${second}/readyz`);
    expect(free.status).toBe(200);
    expect(askWhileHeld(`${second}/readyz`)).toEqual({
      status: 200,
      body: { ready: true, reasons: [] },
    });
  });

  it("serves only the routes it was given, and only GET and HEAD", async () => {
    const url = await start({ maxSilentMs: 10_000 });
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`, { method: "POST" })).status).toBe(405);
    const head = await fetch(`${url}/healthz`, { method: "HEAD" });
    expect([head.status, await head.text()]).toEqual([200, ""]);
  });

  it("rejects when the port is taken", async () => {
    const url = await start({ maxSilentMs: 10_000 });
    const port = Number(new URL(url).port);
    await expect(
      startProbeThread({ host: "127.0.0.1", port, routes: {}, maxSilentMs: 1 }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
