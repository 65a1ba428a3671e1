import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { LoadBalancerIngress } from "../../../src/status/ingress-address.ts";
import { CoalescingQueue } from "../../../src/status/queue.ts";
import { statusKey, StatusWriter, type DesiredStatus } from "../../../src/status/writer.ts";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { FakeIngressStatusApi } from "./fake-status-api.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

const LB = [{ ip: "10.0.0.1" }];
const stops: AbortController[] = [];

afterEach(() => {
  for (const s of stops.splice(0)) s.abort();
});

function setup(opts: { attemptTimeoutMs?: number; maxConflictRetries?: number } = {}) {
  const clock = new ManualClock();
  const registry = new Registry();
  const metrics = createMetrics({ registry });
  const queue = new CoalescingQueue<DesiredStatus>({ clock, maxDelayMs: 30_000 });
  const api = new FakeIngressStatusApi();
  const writer = new StatusWriter({
    queue,
    ingressApi: api,
    clock,
    logger: pino({ level: "silent" }),
    metrics,
    concurrency: 1,
    ...opts,
  });
  const stop = new AbortController();
  stops.push(stop);
  const running = writer.run(stop.signal);
  const enqueue = (name: string, loadBalancer: readonly LoadBalancerIngress[] = LB): void => {
    const d: DesiredStatus = { kind: "Ingress", namespace: "default", name, loadBalancer };
    queue.add(statusKey(d), d);
  };
  const count = async (result: string): Promise<number> => {
    const json = await registry.getSingleMetric("kongress_status_update_total")?.get();
    return json?.values.find(v => v.labels["result"] === result)?.value ?? 0;
  };
  return { clock, queue, api, enqueue, count, stop, running };
}

describe("StatusWriter", () => {
  it("writes a status that differs", async () => {
    const { api, enqueue, count } = setup();
    api.put("default", "web");
    enqueue("web");
    await settle();
    expect(api.writes).toEqual([{ key: "default/web", loadBalancer: LB }]);
    expect(await count("success")).toBe(1);
  });

  it("skips the write when the status is already right", async () => {
    const { api, enqueue, count } = setup();
    api.put("default", "web", LB);
    enqueue("web");
    await settle();
    expect(api.reads).toEqual(["default/web"]);
    expect(api.writes).toEqual([]);
    expect(await count("noop")).toBe(1);
  });

  it("re-reads and retries on a 409", async () => {
    const { api, enqueue, count } = setup();
    api.put("default", "web");
    api.replaceScript.push("conflict");
    enqueue("web");
    await settle();
    expect(api.reads).toEqual(["default/web", "default/web"]);
    expect(api.writes).toHaveLength(1);
    expect(await count("conflict")).toBe(1);
    expect(await count("success")).toBe(1);
  });

  it("requeues with backoff after repeated conflicts", async () => {
    const { api, enqueue, count, clock, queue } = setup({ maxConflictRetries: 1 });
    api.put("default", "web");
    api.replaceScript.push("conflict", "conflict");
    enqueue("web");
    await settle();
    expect(api.writes).toHaveLength(0);
    expect(await count("conflict")).toBe(2);
    expect(queue.depth).toBe(1);
    await clock.advance(500);
    expect(api.writes).toHaveLength(1);
  });

  it("drops an Ingress that is gone", async () => {
    const { enqueue, count, queue } = setup();
    enqueue("deleted");
    await settle();
    expect(await count("gone")).toBe(1);
    expect(queue.depth).toBe(0);
  });

  it("drops an Ingress deleted between read and write", async () => {
    const { api, enqueue, count, queue } = setup();
    api.put("default", "web");
    api.replaceScript.push("gone");
    enqueue("web");
    await settle();
    expect(await count("gone")).toBe(1);
    expect(queue.depth).toBe(0);
  });

  it("requeues on any other failure, with growing capped backoff, until it succeeds", async () => {
    const { api, enqueue, count, clock } = setup();
    api.put("default", "web");
    api.getScript.push("error", "error", "error");
    enqueue("web");
    await settle();
    expect(await count("error")).toBe(1);
    await clock.advance(499);
    expect(api.reads).toHaveLength(1);
    await clock.advance(1);
    expect(await count("error")).toBe(2);
    await clock.advance(1000);
    expect(await count("error")).toBe(3);
    await clock.advance(2000);
    expect(api.writes).toHaveLength(1);
    expect(await count("success")).toBe(1);
  });

  it("gives up on an attempt that hangs and requeues it", async () => {
    const { api, enqueue, count, clock } = setup({ attemptTimeoutMs: 5000 });
    api.put("default", "web");
    api.getScript.push("hang");
    enqueue("web");
    await clock.advance(5000);
    expect(await count("error")).toBe(1);
    await clock.advance(500);
    expect(api.writes).toHaveLength(1);
  });

  it("writes the latest desired status when several were queued", async () => {
    const { api, enqueue, clock } = setup();
    api.put("default", "web");
    api.getScript.push("error");
    enqueue("web", [{ ip: "10.0.0.1" }]);
    await settle();
    enqueue("web", [{ hostname: "lb.example.com" }]);
    await clock.advance(500);
    expect(api.writes).toEqual([
      { key: "default/web", loadBalancer: [{ hostname: "lb.example.com" }] },
    ]);
  });

  it("stops when its signal aborts, leaving queued work in the queue", async () => {
    const { enqueue, stop, running, queue } = setup();
    stop.abort();
    await running;
    enqueue("web");
    await settle();
    expect(queue.depth).toBe(1);
  });
});
