import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { Service } from "../../../src/model/k8s.ts";
import { refKey } from "../../../src/model/object-ref.ts";
import { STATUS_MUTATORS } from "../../../src/runtime/status-side.ts";
import {
  IngressStatusPublisher,
  type IngressStatusPublisherOptions,
} from "../../../src/status/ingress-publisher.ts";
import type { LoadBalancerIngress } from "../../../src/status/ingress-address.ts";
import { statusKey, type DesiredStatus } from "../../../src/status/mutator.ts";
import { ObservedStatusIndex } from "../../../src/status/observed.ts";
import { CoalescingQueue } from "../../../src/status/queue.ts";
import { StatusWriter } from "../../../src/status/writer.ts";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { FakeStatusApi } from "./fake-status-api.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

const LB = [{ ip: "10.0.0.1" }];
const stops: AbortController[] = [];

afterEach(() => {
  for (const s of stops.splice(0)) s.abort();
});

function setup(opts: { attemptTimeoutMs?: number; concurrency?: number } = {}) {
  const clock = new ManualClock();
  const registry = new Registry();
  const metrics = createMetrics({ registry });
  const queue = new CoalescingQueue<DesiredStatus>({ clock, maxDelayMs: 30_000 });
  const observed = new ObservedStatusIndex();
  const api = new FakeStatusApi(observed);
  const writer = new StatusWriter({
    api,
    mutators: STATUS_MUTATORS,
    observed,
    queue,
    clock,
    logger: pino({ level: "silent" }),
    metrics,
    concurrency: opts.concurrency ?? 1,
    ...(opts.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: opts.attemptTimeoutMs }),
  });
  const stop = new AbortController();
  stops.push(stop);
  const running = writer.run(stop.signal);
  const desire = (name: string, loadBalancer: readonly LoadBalancerIngress[] = LB): void => {
    writer.desire({ kind: "Ingress", namespace: "default", name, loadBalancer });
  };
  const count = async (result: string): Promise<number> => {
    const json = await registry.getSingleMetric("kongress_status_update_total")?.get();
    return json?.values.find(v => v.labels["result"] === result)?.value ?? 0;
  };
  return { clock, queue, api, writer, desire, count, stop, running };
}

describe("StatusWriter", () => {
  it("writes a status that differs with one merge patch of the status subresource, no read", async () => {
    const { api, desire, count } = setup();
    api.put("default", "web");
    desire("web");
    await settle();
    expect(api.requests).toEqual([
      {
        method: "PATCH",
        path: "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web/status",
        contentType: "application/merge-patch+json",
        body: { status: { loadBalancer: { ingress: LB } } },
      },
    ]);
    expect(api.statusOf("default", "web")).toEqual(LB);
    expect(await count("success")).toBe(1);
  });

  it("sends nothing when the watch shows the status already, and counts a noop", async () => {
    const { api, desire, count, queue } = setup();
    api.put("default", "web", LB);
    desire("web");
    expect(queue.depth).toBe(0);
    await settle();
    expect(api.requests).toEqual([]);
    expect(await count("noop")).toBe(1);
  });

  it("costs nothing when the same status is desired again", async () => {
    const { api, desire, count, queue } = setup();
    api.put("default", "web");
    desire("web");
    await settle();
    for (let i = 0; i < 5; i++) desire("web");
    expect(queue.depth).toBe(0);
    await settle();
    expect(api.patches).toBe(1);
    expect(await count("noop")).toBe(0);
  });

  it("does not write twice when the status comes back before the watch shows our write", async () => {
    const { api, desire, writer } = setup();
    api.put("default", "web");
    api.autoDeliver = false;
    // Someone labels the Ingress; the event is still on its way when we write.
    api.touch("default", "web");
    desire("web");
    await settle();
    expect(api.patches).toBe(1);
    // The label event arrives after our answer, showing the object before our write.
    api.deliver(1);
    // Wanting another status and then this one again must not re-send what is already written.
    writer.desire({ kind: "Ingress", namespace: "default", name: "web", loadBalancer: [] });
    desire("web");
    await settle();
    expect(api.patches).toBe(1);
    api.deliver();
    desire("web", []);
    await settle();
    expect(api.patches).toBe(2);
  });

  it("restores a status someone else changed, once the watch shows it", async () => {
    const { api, desire, count } = setup();
    api.put("default", "web");
    desire("web");
    await settle();
    api.overwrite("default", "web", [
      { ip: "203.0.113.9", ports: [{ port: 80, protocol: "TCP" }] },
    ]);
    await settle();
    expect(api.patches).toBe(2);
    expect(api.statusOf("default", "web")).toEqual(LB);
    expect(await count("success")).toBe(2);
  });

  it("ignores watch events that leave the status as written", async () => {
    const { api, desire } = setup();
    api.put("default", "web");
    desire("web");
    await settle();
    api.touch("default", "web");
    api.touch("default", "web");
    await settle();
    expect(api.patches).toBe(1);
  });

  it("drops an Ingress deleted before the watch said so: one 404, no retry", async () => {
    const { api, desire, count, queue, clock } = setup();
    api.put("default", "web");
    api.delete("default", "web", { watch: false });
    desire("web");
    await settle();
    expect(await count("gone")).toBe(1);
    expect(queue.depth).toBe(0);
    await clock.advance(60_000);
    expect(api.requests).toHaveLength(1);
  });

  it("sends nothing for an Ingress the watch does not hold, or holds under another uid", async () => {
    const { api, writer, count } = setup();
    api.put("default", "other");
    writer.desire({ kind: "Ingress", namespace: "default", name: "absent", loadBalancer: LB });
    writer.desire({
      kind: "Ingress",
      namespace: "default",
      name: "other",
      uid: "uid-of-a-deleted-one",
      loadBalancer: LB,
    });
    await settle();
    expect(api.requests).toEqual([]);
    expect(await count("gone")).toBe(2);
  });

  it("writes a re-created Ingress of the same name once it is desired under its new uid", async () => {
    const { api, writer } = setup();
    const want = (uid: string): void => {
      writer.desire({ kind: "Ingress", namespace: "default", name: "web", uid, loadBalancer: LB });
    };
    api.put("default", "web", LB, "uid-1");
    want("uid-1");
    api.delete("default", "web", { watch: true });
    api.put("default", "web", [], "uid-2");
    // The accepted config still names the old object: nothing to write on its namesake.
    want("uid-1");
    await settle();
    expect(api.requests).toEqual([]);
    want("uid-2");
    await settle();
    expect(api.statusOf("default", "web")).toEqual(LB);
  });

  it("requeues a 409 with backoff and writes on the next try", async () => {
    const { api, desire, count, clock, queue } = setup();
    api.put("default", "web");
    api.script.push("conflict");
    desire("web");
    await settle();
    expect(await count("conflict")).toBe(1);
    expect(queue.depth).toBe(1);
    await clock.advance(500);
    expect(api.statusOf("default", "web")).toEqual(LB);
    expect(await count("success")).toBe(1);
  });

  it("requeues on any other failure, with growing capped backoff, until it succeeds", async () => {
    const { api, desire, count, clock } = setup();
    api.put("default", "web");
    api.script.push("error", "error", "error");
    desire("web");
    await settle();
    expect(await count("error")).toBe(1);
    await clock.advance(499);
    expect(api.requests).toHaveLength(1);
    await clock.advance(1);
    expect(await count("error")).toBe(2);
    await clock.advance(1000);
    expect(await count("error")).toBe(3);
    await clock.advance(2000);
    expect(api.statusOf("default", "web")).toEqual(LB);
    expect(await count("success")).toBe(1);
  });

  it("gives up on a write that hangs and requeues it", async () => {
    const { api, desire, count, clock } = setup({ attemptTimeoutMs: 5000 });
    api.put("default", "web");
    api.script.push("hang");
    desire("web");
    await clock.advance(5000);
    expect(await count("error")).toBe(1);
    await clock.advance(500);
    expect(api.statusOf("default", "web")).toEqual(LB);
  });

  it("writes the latest desired status when several were queued", async () => {
    const { api, desire, clock } = setup();
    api.put("default", "web");
    api.script.push("error");
    desire("web", [{ ip: "10.0.0.1" }]);
    await settle();
    desire("web", [{ hostname: "lb.example.com" }]);
    await clock.advance(500);
    expect(api.requests.map(r => r.body)).toEqual([
      { status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } } },
      { status: { loadBalancer: { ingress: [{ hostname: "lb.example.com" }] } } },
    ]);
  });

  it("turns a queued write into nothing once the object is released", async () => {
    const { api, desire, writer, clock } = setup();
    api.put("default", "web");
    api.script.push("error");
    desire("web");
    await settle();
    writer.release(statusKey({ kind: "Ingress", namespace: "default", name: "web" }));
    await clock.advance(60_000);
    expect(api.requests).toHaveLength(1);
  });

  it("keeps at most `concurrency` writes in flight", async () => {
    const { api, desire } = setup({ concurrency: 4 });
    for (let i = 0; i < 10; i++) api.put("default", `web-${String(i)}`);
    api.script.push(...Array.from({ length: 10 }, () => "hang" as const));
    for (let i = 0; i < 10; i++) desire(`web-${String(i)}`);
    await settle();
    expect(api.requests).toHaveLength(4);
  });

  it("stops when its signal aborts, leaving queued work in the queue", async () => {
    const { api, desire, stop, running, queue } = setup();
    stop.abort();
    await running;
    api.put("default", "web");
    desire("web");
    await settle();
    expect(queue.depth).toBe(1);
    expect(api.requests).toEqual([]);
  });
});

describe("StatusWriter behind the Ingress publisher", () => {
  const N = 50;
  const refs = Array.from({ length: N }, (_, i) => ({
    group: "networking.k8s.io",
    version: "v1",
    kind: "Ingress",
    namespace: "default",
    name: `web-${String(i)}`,
    uid: `uid-web-${String(i)}`,
  }));
  const accepted = {
    source: "primary" as const,
    configured: new Map(refs.map(ref => [refKey(ref), ref])),
    excluded: [],
  };

  function withPublisher(
    addresses: Pick<IngressStatusPublisherOptions, "statusAddresses" | "publishService">,
  ) {
    const t = setup({ concurrency: 16 });
    const publisher = new IngressStatusPublisher({
      statuses: t.writer,
      problems: { report: () => undefined },
      logger: pino({ level: "silent" }),
      updateStatus: true,
      ...addresses,
    });
    for (const ref of refs) t.api.put(ref.namespace, ref.name);
    return { ...t, publisher };
  }

  it("writes each Ingress once, then nothing for the same accepted config again", async () => {
    const { api, publisher, queue } = withPublisher({ statusAddresses: ["10.0.0.1"] });
    publisher.onConfigApplied(accepted);
    await settle();
    expect(api.patches).toBe(N);
    publisher.onConfigApplied(accepted);
    publisher.resync();
    expect(queue.depth).toBe(0);
    await settle();
    expect(api.patches).toBe(N);
  });

  it("after a restart, writes nothing where the cluster already shows the status", async () => {
    const { api, publisher, count } = withPublisher({ statusAddresses: ["10.0.0.1"] });
    for (const ref of refs) api.put(ref.namespace, ref.name, [{ ip: "10.0.0.1" }]);
    publisher.onConfigApplied(accepted);
    await settle();
    expect(api.requests).toEqual([]);
    expect(await count("noop")).toBe(N);
  });

  it("rewrites every configured Ingress when the publish addresses change", async () => {
    const { api, publisher } = withPublisher({
      statusAddresses: [],
      publishService: { namespace: "kong", name: "proxy" },
    });
    const service = (ip: string): Service => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { namespace: "kong", name: "proxy" },
      spec: { type: "LoadBalancer" },
      status: { loadBalancer: { ingress: [{ ip }] } },
    });
    publisher.onConfigApplied(accepted);
    publisher.onPublishServiceChanged(service("203.0.113.1"));
    await settle();
    expect(api.patches).toBe(N);
    publisher.onPublishServiceChanged(service("203.0.113.2"));
    await settle();
    expect(api.patches).toBe(2 * N);
    expect(api.statusOf("default", "web-7")).toEqual([{ ip: "203.0.113.2" }]);
  });
});
