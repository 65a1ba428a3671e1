/**
 * The status side against a real kube-apiserver, wired as `kongress run` wires it: a watch of Ingresses
 * feeds the observed-status index in front of the store, the publisher hands desired statuses to the
 * writer, and the writer patches the status subresource. Requests are counted on the real client.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKubeApi, type KubeApi } from "../../src/kube/client.ts";
import { INGRESS } from "../../src/kube/kinds.ts";
import { KubeWatchers } from "../../src/kube/watchers.ts";
import { parseSupportedObject } from "../../src/model/parse.ts";
import type { ObjectRef } from "../../src/model/object-ref.ts";
import { buildStatusSide, OBSERVED_STATUS_KINDS } from "../../src/runtime/status-side.ts";
import { EventReason, EventRecorder } from "../../src/status/events.ts";
import type { AppliedConfigReport } from "../../src/status/ingress-publisher.ts";
import { kubeEventsApi } from "../../src/status/kube-api.ts";
import { ObservedStatusIndex, StatusObservingSink } from "../../src/status/observed.ts";
import { Store } from "../../src/store/store.ts";
import { createMetrics, type Metrics } from "../../src/telemetry/metrics.ts";
import { systemClock } from "../../src/util/clock.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { waitFor } from "../support/wait.ts";

// The first run on a fresh machine includes the cold build of kube-apiserver and etcd.
const coldStartTimeoutMs = 30 * 60_000;
const NS = "status-it";
const ADDRESS = "192.0.2.10";
const N = 40;
const NAMES = Array.from({ length: N }, (_, i) => `web-${String(i)}`);

/** The API server answers within ms, but a cold one may take seconds for the first write. */
const POLL = { timeoutMs: 20_000, intervalMs: 50 };

interface Ingress {
  metadata: { uid: string; resourceVersion: string; labels?: Record<string, string> };
  spec: { rules: { host: string }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

async function counterValue(metrics: Metrics, result: string): Promise<number> {
  const json = await metrics.statusUpdates.get();
  return json.values.find(v => v.labels.result === result)?.value ?? 0;
}

/** The real client, counting every write it sends. */
function countingApi(api: KubeApi): { api: KubeApi; writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    api: {
      getJson: (path, o) => api.getJson(path, o),
      getDocument: (path, o) => api.getDocument(path, o),
      watch: (path, o) => api.watch(path, o),
      close: () => api.close(),
      send: (method, path, o) => {
        writes.push(`${method} ${path}`);
        return api.send(method, path, o);
      },
    },
  };
}

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

describe("status writer against a real kube-apiserver", () => {
  let cluster: KubeCluster;
  let raw: KubeApi;
  let counted: ReturnType<typeof countingApi>;
  let metrics: Metrics;
  let watchers: KubeWatchers;
  let side: ReturnType<typeof buildStatusSide>;
  const observed = new ObservedStatusIndex();
  const refs = new Map<string, ObjectRef>();
  const stop = new AbortController();
  let running: Promise<void> | undefined;

  const readIngress = async (name: string): Promise<Ingress> =>
    (await raw.getJson(`/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses/${name}`, {
      signal: stop.signal,
    })) as Ingress;
  const addressOf = async (name: string) => (await readIngress(name)).status?.loadBalancer?.ingress;
  const statusWrites = (): number => counted.writes.filter(w => w.endsWith("/status")).length;
  const accepted = (
    configured: readonly string[],
    excluded: AppliedConfigReport["excluded"] = [],
  ) =>
    ({
      source: "primary",
      configured: new Map(configured.map(name => [`Ingress/${NS}/${name}`, refs.get(name)!])),
      excluded,
    }) satisfies AppliedConfigReport;

  beforeAll(async () => {
    cluster = await startKubeCluster();
    await kubectlOk(cluster, ["apply", "-f", "-"], {
      stdin: manifest([...NAMES, "good", "broken", "moved", "deleted"]),
    });
    raw = createKubeApi({ kubeconfig: cluster.kubeconfigPath });
    counted = countingApi(raw);
    const logger = pino({ level: "silent" });
    metrics = createMetrics({ registry: new Registry() });
    const store = new Store({ ingressClass: "kong", parse: parseSupportedObject, logger });
    watchers = new KubeWatchers({
      api: counted.api,
      sink: new StatusObservingSink({
        inner: store,
        index: observed,
        kinds: OBSERVED_STATUS_KINDS,
      }),
      clock: systemClock,
      random: Math.random,
      logger,
      watchNamespaces: [NS],
      kinds: [INGRESS],
    });
    watchers.start();
    await watchers.waitSynced(stop.signal);
    for (const ingress of store.objects("Ingress")) {
      const { name, uid } = ingress.metadata;
      refs.set(name, {
        group: "networking.k8s.io",
        version: "v1",
        kind: "Ingress",
        namespace: NS,
        name,
        ...(uid === undefined ? {} : { uid }),
      });
    }
    side = buildStatusSide({
      config: {
        updateStatus: true,
        publishStatusAddress: [ADDRESS],
        emitKubernetesEvents: true,
        statusMaxBackoffMs: 2000,
        gatewayApiControllerName: "konghq.com/kic-gateway-controller",
      },
      api: counted.api,
      observed,
      metrics,
      clock: systemClock,
      logger,
      env: { POD_NAME: "status-it" },
      statusBaseDelayMs: 100,
    });
    // Both are leader-only work: here the one process leads for the whole suite.
    running = Promise.all([side.writer?.run(stop.signal), side.events.run(stop.signal)]).then(
      () => undefined,
    );
  }, coldStartTimeoutMs);

  afterAll(async () => {
    stop.abort();
    await running;
    side.problems.close();
    await watchers.stop();
    await raw.close();
    await cluster.stop();
  }, 60_000);

  it("writes every configured Ingress once, and nothing for the same accepted config again", async () => {
    const before = statusWrites();
    side.publisher.onConfigApplied(accepted(NAMES));
    const { ms } = await waitFor(
      `all ${String(N)} addresses`,
      async () => {
        const ips = await Promise.all(NAMES.map(async n => (await addressOf(n))?.[0]?.ip));
        return ips.every(ip => ip === ADDRESS);
      },
      POLL,
    );
    await waitFor(
      "every write's answer",
      async () => (await counterValue(metrics, "success")) >= N,
      POLL,
    );
    const first = statusWrites() - before;
    // Again at once, while echoes of our writes may still be on their way through the watch...
    side.publisher.onConfigApplied(accepted(NAMES));
    // ...and again once the watch has shown every one of them.
    await waitFor(
      "the watch to show every write",
      () =>
        NAMES.every(n =>
          JSON.stringify(observed.get(`Ingress/${NS}/${n}`)?.status).includes(ADDRESS),
        ),
      POLL,
    );
    side.publisher.onConfigApplied(accepted([...NAMES].reverse()));
    const second = statusWrites() - before - first;
    process.stderr.write(
      `status: ${String(N)} Ingresses addressed in ${String(ms)} ms with ${String(first)} API requests; ` +
        `the same accepted config again: ${String(second)} requests\n`,
    );
    expect(first).toBe(N);
    expect(second).toBe(0);
    expect(counted.writes.every(w => w.startsWith("PATCH "))).toBe(true);
    const spec = (await readIngress("web-0")).spec;
    expect(spec.rules[0]?.host).toBe("web-0.example.com");
  });

  it("restores a status someone else changed", async () => {
    const before = statusWrites();
    await kubectlOk(cluster, [
      ...["patch", "ingress", "web-3", "-n", NS, "--subresource=status", "--type=merge"],
      ...["-p", '{"status":{"loadBalancer":{"ingress":[{"hostname":"elsewhere.example"}]}}}'],
    ]);
    await waitFor(
      "web-3's address back",
      async () => {
        const lb = await addressOf("web-3");
        return lb?.length === 1 && lb[0]?.ip === ADDRESS;
      },
      POLL,
    );
    expect(statusWrites() - before).toBe(1);
  });

  it("leaves a status alone when only labels change", async () => {
    const before = statusWrites();
    const rv = (await readIngress("web-5")).metadata.resourceVersion;
    await kubectlOk(cluster, ["label", "ingress", "web-5", "-n", NS, "touched=yes"]);
    await waitFor(
      "the watch to show the label change",
      () => observed.get(`Ingress/${NS}/web-5`)?.resourceVersion !== rv,
      POLL,
    );
    side.publisher.resync();
    expect(statusWrites() - before).toBe(0);
  });

  it("after a fallback apply, addresses the configured Ingress and warns on the excluded one", async () => {
    side.publisher.onConfigApplied(
      accepted(
        ["good"],
        [
          {
            ref: refs.get("broken")!,
            reason: EventReason.ApplyFailed,
            message: "Kong rejected the route: invalid regex",
          },
        ],
      ),
    );
    await waitFor(
      "the good address",
      async () => (await addressOf("good"))?.[0]?.ip === ADDRESS,
      POLL,
    );
    await side.recorder.idle();
    expect((await addressOf("broken")) ?? []).toEqual([]);
    const events = (await raw.getJson(`/api/v1/namespaces/${NS}/events`, {
      query: { fieldSelector: "involvedObject.name=broken" },
      signal: stop.signal,
    })) as { items: { type: string; reason: string; message: string }[] };
    expect(events.items.map(e => [e.type, e.reason, e.message])).toEqual([
      ["Warning", "KongConfigurationApplyFailed", "Kong rejected the route: invalid regex"],
    ]);
  });

  it("bumps an Event written before a restart instead of creating another", async () => {
    const request = {
      ref: refs.get("moved")!,
      type: "Warning" as const,
      reason: EventReason.TranslationFailed,
      message: "Service status-it/missing not found",
    };
    const recorder = () =>
      new EventRecorder({
        api: kubeEventsApi(counted.api),
        clock: systemClock,
        logger: pino({ level: "silent" }),
        metrics,
        enabled: true,
        instance: "status-it",
      });
    const first = recorder();
    first.record(request);
    await first.idle();
    const restarted = recorder();
    restarted.record(request);
    await restarted.idle();
    const events = (await raw.getJson(`/api/v1/namespaces/${NS}/events`, {
      query: { fieldSelector: "involvedObject.name=moved" },
      signal: stop.signal,
    })) as { items: { count: number; reason: string; message: string }[] };
    expect(events.items.map(e => [e.reason, e.message, e.count])).toEqual([
      ["KongConfigurationTranslationFailed", "Service status-it/missing not found", 2],
    ]);
  });

  // Last: it stops the watch, so the writer cannot learn of the delete before it writes.
  it("drops an Ingress deleted before the watch said so: one 404, no retries", async () => {
    await watchers.stop();
    await kubectlOk(cluster, ["delete", "ingress", "deleted", "-n", NS]);
    const before = statusWrites();
    const gone = await counterValue(metrics, "gone");
    side.publisher.onConfigApplied(accepted(["deleted"]));
    await waitFor("gone", async () => (await counterValue(metrics, "gone")) > gone, POLL);
    expect(statusWrites() - before).toBe(1);
    // Nothing waits for a retry.
    expect((await metrics.statusQueueDepth.get()).values[0]?.value).toBe(0);
    expect(await counterValue(metrics, "error")).toBe(0);
  });
});
