import { CoreV1Api, KubeConfig, NetworkingV1Api } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectRef } from "../../src/model/object-ref.ts";
import { EventReason, EventRecorder } from "../../src/status/events.ts";
import { IngressStatusPublisher } from "../../src/status/ingress-publisher.ts";
import { eventsApiFrom, ingressStatusApiFrom } from "../../src/status/kube-api.ts";
import { CoalescingQueue } from "../../src/status/queue.ts";
import { statusKey, StatusWriter, type DesiredStatus } from "../../src/status/writer.ts";
import { createMetrics, type Metrics } from "../../src/telemetry/metrics.ts";
import { systemClock } from "../../src/util/clock.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { waitFor } from "../support/wait.ts";

// The first run on a fresh machine includes the cold build of kube-apiserver and etcd.
const coldStartTimeoutMs = 30 * 60_000;
const NS = "status-it";

function ingressRef(name: string): ObjectRef {
  return { group: "networking.k8s.io", version: "v1", kind: "Ingress", namespace: NS, name };
}

/** The API server answers within ms, but a cold one may take seconds for the first write. */
const POLL = { timeoutMs: 20_000, intervalMs: 100 };

async function counterValue(metrics: Metrics, result: string): Promise<number> {
  const json = await metrics.statusUpdates.get();
  return json.values.find(v => v.labels.result === result)?.value ?? 0;
}

describe("status writer against a real kube-apiserver", () => {
  let cluster: KubeCluster;
  let networking: NetworkingV1Api;
  let core: CoreV1Api;
  let metrics: Metrics;
  let queue: CoalescingQueue<DesiredStatus>;
  let recorder: EventRecorder;
  const stop = new AbortController();
  let running: Promise<void> | undefined;

  const manifest = (names: readonly string[]): string =>
    [
      `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }`,
      ...names.map(
        name => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: ${NS} }
spec:
  ingressClassName: kong
  rules:
    - host: ${name}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: { service: { name: web, port: { number: 80 } } }`,
      ),
    ].join("\n---\n");

  const readIngress = (name: string) => networking.readNamespacedIngress({ name, namespace: NS });

  beforeAll(async () => {
    cluster = await startKubeCluster();
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    networking = kc.makeApiClient(NetworkingV1Api);
    core = kc.makeApiClient(CoreV1Api);
    const names = ["web", "noop", "broken", "good", "raced"];
    await kubectlOk(cluster, ["apply", "-f", "-"], { stdin: manifest(names) });

    const logger = pino({ level: "silent" });
    metrics = createMetrics({ registry: new Registry() });
    queue = new CoalescingQueue<DesiredStatus>({ clock: systemClock, maxDelayMs: 2000 });
    const writer = new StatusWriter({
      queue,
      ingressApi: ingressStatusApiFrom(networking),
      clock: systemClock,
      logger,
      metrics,
    });
    running = writer.run(stop.signal);
    recorder = new EventRecorder({
      api: eventsApiFrom(core),
      clock: systemClock,
      logger,
      metrics,
      enabled: true,
      instance: "status-it",
    });
  }, coldStartTimeoutMs);

  afterAll(async () => {
    stop.abort();
    await running;
    await cluster.stop();
  }, 60_000);

  const enqueue = (name: string, loadBalancer: DesiredStatus["loadBalancer"]): void => {
    const desired: DesiredStatus = { kind: "Ingress", namespace: NS, name, loadBalancer };
    queue.add(statusKey(desired), desired);
  };

  it("writes status.loadBalancer through the status subresource", async () => {
    enqueue("web", [{ ip: "10.0.0.1" }, { hostname: "lb.example.com" }]);
    const { value: lb } = await waitFor(
      "the web address",
      async () => {
        const ingress = await readIngress("web");
        return ingress.status?.loadBalancer?.ingress?.length === 2
          ? ingress.status.loadBalancer.ingress
          : undefined;
      },
      POLL,
    );
    expect(lb.map(e => ({ ip: e.ip, hostname: e.hostname }))).toEqual([
      { ip: "10.0.0.1", hostname: undefined },
      { ip: undefined, hostname: "lb.example.com" },
    ]);
    const spec = (await readIngress("web")).spec;
    expect(spec?.rules?.[0]?.host).toBe("web.example.com");
  });

  it("skips a write when the status is already right", async () => {
    enqueue("noop", [{ ip: "10.0.0.2" }]);
    await waitFor(
      "the first write",
      async () => (await readIngress("noop")).status?.loadBalancer?.ingress?.[0]?.ip === "10.0.0.2",
      POLL,
    );
    const before = (await readIngress("noop")).metadata?.resourceVersion;
    const noops = await counterValue(metrics, "noop");
    enqueue("noop", [{ ip: "10.0.0.2" }]);
    await waitFor("a no-op", async () => (await counterValue(metrics, "noop")) > noops, POLL);
    expect((await readIngress("noop")).metadata?.resourceVersion).toBe(before);
  });

  it("maps a stale resourceVersion to a conflict, then writes after a re-read", async () => {
    const api = ingressStatusApiFrom(networking);
    const stale = await api.getIngress({ namespace: NS, name: "raced" });
    await kubectlOk(cluster, ["label", "ingress", "raced", "touched=yes", "-n", NS]);
    expect(await api.replaceIngressStatus(stale!, [{ ip: "10.0.0.3" }])).toBe("conflict");
    const fresh = await api.getIngress({ namespace: NS, name: "raced" });
    expect(await api.replaceIngressStatus(fresh!, [{ ip: "10.0.0.3" }])).toBe("ok");
    const after = await readIngress("raced");
    expect(after.status?.loadBalancer?.ingress?.[0]?.ip).toBe("10.0.0.3");
    expect(after.metadata?.labels).toEqual({ touched: "yes" });
  });

  it("drops an Ingress that does not exist", async () => {
    const gone = await counterValue(metrics, "gone");
    enqueue("missing", [{ ip: "10.0.0.4" }]);
    await waitFor("gone", async () => (await counterValue(metrics, "gone")) > gone, POLL);
    expect(queue.depth).toBe(0);
  });

  it("creates a Warning event once and aggregates repeats into its count", async () => {
    const request = {
      ref: ingressRef("web"),
      type: "Warning" as const,
      reason: EventReason.TranslationFailed,
      message: "Service status-it/missing not found",
    };
    recorder.record(request);
    recorder.record(request);
    recorder.record(request);
    await recorder.idle();
    const events = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: "involvedObject.name=web,reason=KongConfigurationTranslationFailed",
    });
    expect(events.items).toHaveLength(1);
    const [event] = events.items;
    expect(event?.count).toBe(3);
    expect(event?.type).toBe("Warning");
    expect(event?.involvedObject.kind).toBe("Ingress");
    expect(event?.message).toBe("Service status-it/missing not found");
  });

  it("after a fallback apply, addresses the configured Ingress and warns on the excluded one", async () => {
    const publisher = new IngressStatusPublisher({
      queue,
      events: recorder,
      logger: pino({ level: "silent" }),
      updateStatus: true,
      statusAddresses: ["192.0.2.10"],
    });
    publisher.onConfigApplied({
      source: "fallback",
      configured: [ingressRef("good")],
      excluded: [
        {
          ref: ingressRef("broken"),
          reason: EventReason.ApplyFailed,
          message: "Kong rejected the route: invalid regex",
        },
      ],
    });
    await waitFor(
      "the good address",
      async () =>
        (await readIngress("good")).status?.loadBalancer?.ingress?.[0]?.ip === "192.0.2.10",
      POLL,
    );
    await recorder.idle();
    expect((await readIngress("broken")).status?.loadBalancer?.ingress ?? []).toEqual([]);
    const events = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: "involvedObject.name=broken",
    });
    expect(events.items.map(e => [e.type, e.reason, e.message])).toEqual([
      ["Warning", "KongConfigurationApplyFailed", "Kong rejected the route: invalid regex"],
    ]);
  });
});
