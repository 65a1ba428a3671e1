/**
 * Gateway API statuses against a real kube-apiserver with the v1.6 standard CRDs, wired as `kongress
 * run` wires them: watches feed the observed-status index in front of the store, the real translator
 * decides the statuses from the store's snapshot, the publisher hands them to the writer, and the
 * writer patches each status subresource. Another controller's parent entry on the route must
 * survive every write, and a generation bump must move observedGeneration.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKubeApi, type KubeApi } from "../../src/kube/client.ts";
import { kindAt, SERVICE } from "../../src/kube/kinds.ts";
import { KubeWatchers } from "../../src/kube/watchers.ts";
import { KINDS } from "../../src/model/kinds.ts";
import { parseSupportedObject } from "../../src/model/parse.ts";
import { buildStatusSide, OBSERVED_STATUS_KINDS } from "../../src/runtime/status-side.ts";
import { gatewayDesired } from "../../src/status/gateway-publisher.ts";
import { gatewayStatusMutator } from "../../src/status/gateway-status.ts";
import { ObservedStatusIndex, StatusObservingSink } from "../../src/status/observed.ts";
import { Snapshotter } from "../../src/store/snapshot.ts";
import { Store } from "../../src/store/store.ts";
import { createMetrics } from "../../src/telemetry/metrics.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../src/translator/index.ts";
import type { GatewayApiStatuses } from "../../src/translator/types.ts";
import { systemClock } from "../../src/util/clock.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { installGatewayApiCrds } from "../support/kube/crds.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { waitFor } from "../support/wait.ts";

// The first run on a fresh machine includes the cold build of kube-apiserver and etcd.
const coldStartTimeoutMs = 30 * 60_000;
const G = "gateway.networking.k8s.io";
const OURS = "konghq.com/kic-gateway-controller";
const OTHER = "example.com/other-controller";
const ADDRESS = "192.0.2.10";
const POLL = { timeoutMs: 20_000, intervalMs: 50 };

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}
interface ParentStatus {
  parentRef: { name: string; namespace?: string };
  controllerName: string;
  conditions: Condition[];
}
interface Obj {
  metadata: { generation: number; resourceVersion: string };
  status?: {
    conditions?: Condition[];
    supportedFeatures?: { name: string }[];
    listeners?: { name: string; attachedRoutes: number; conditions: Condition[] }[];
    addresses?: { type: string; value: string }[];
    parents?: ParentStatus[];
  };
}

const manifests = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "infra" } },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } },
  {
    apiVersion: `${G}/v1`,
    kind: "GatewayClass",
    metadata: { name: "kong" },
    spec: { controllerName: OURS },
  },
  {
    apiVersion: `${G}/v1`,
    kind: "Gateway",
    metadata: { name: "kong", namespace: "infra" },
    spec: {
      gatewayClassName: "kong",
      listeners: [
        {
          name: "http",
          port: 80,
          protocol: "HTTP",
          allowedRoutes: { namespaces: { from: "All" } },
        },
      ],
    },
  },
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop" },
    spec: { ports: [{ port: 80, targetPort: 8080 }] },
  },
  {
    apiVersion: `${G}/v1`,
    kind: "HTTPRoute",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      parentRefs: [{ name: "kong", namespace: "infra" }],
      rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
    },
  },
];

/** What another implementation wrote for the same Gateway: it must come back untouched. */
const theirs: ParentStatus = {
  parentRef: { name: "kong", namespace: "infra" },
  controllerName: OTHER,
  conditions: [
    {
      type: "Accepted",
      status: "False",
      reason: "NotAllowedByListeners",
      message: "",
      observedGeneration: 1,
      lastTransitionTime: "2026-01-01T00:00:00Z",
    },
  ],
};

describe("Gateway API statuses against a real kube-apiserver", () => {
  let cluster: KubeCluster;
  let raw: KubeApi;
  let watchers: KubeWatchers;
  let side: ReturnType<typeof buildStatusSide> | undefined;
  const writes: string[] = [];
  const metrics = createMetrics({ registry: new Registry() });
  const observed = new ObservedStatusIndex();
  const logger = pino({ level: "silent" });
  const store = new Store({
    ingressClass: "kong",
    gatewayControllerName: OURS,
    parse: parseSupportedObject,
    logger,
  });
  const stop = new AbortController();
  let running: Promise<void> | undefined;

  const read = async (path: string): Promise<Obj> =>
    (await raw.getJson(`/apis/${G}/v1/${path}`, { signal: stop.signal })) as Obj;
  const route = () => read("namespaces/shop/httproutes/web");
  const ourParent = (o: Obj) => o.status?.parents?.find(p => p.controllerName === OURS);
  /** Translates the store's snapshot, as the sync cycle does. */
  const translated = (): GatewayApiStatuses =>
    translate(new Snapshotter(store).take(), {
      ...DEFAULT_TRANSLATE_OPTIONS,
      gatewayControllerName: OURS,
    }).gatewayApi;
  /** A translation Kong accepted: every status is published. */
  const publish = (statuses: GatewayApiStatuses): void => {
    if (side === undefined) throw new Error("the status side is not built");
    side.gatewayApi.onTranslated(statuses);
    side.gatewayApi.onConfigApplied(statuses);
  };
  const routeGeneration = () =>
    store.objects("HTTPRoute").find(r => r.metadata.name === "web")?.metadata.generation;

  beforeAll(async () => {
    cluster = await startKubeCluster();
    await installGatewayApiCrds(cluster.kubeconfigPath);
    await kubectlOk(cluster, ["apply", "-f", "-"], {
      stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: manifests }),
    });
    await kubectlOk(cluster, [
      ...["patch", "httproute", "web", "-n", "shop", "--subresource=status", "--type=merge"],
      ...["-p", JSON.stringify({ status: { parents: [theirs] } })],
    ]);
    raw = createKubeApi({ kubeconfig: cluster.kubeconfigPath });
    const api: KubeApi = {
      getJson: (path, o) => raw.getJson(path, o),
      getDocument: (path, o) => raw.getDocument(path, o),
      watch: (path, o) => raw.watch(path, o),
      close: () => raw.close(),
      send: (method, path, o) => {
        writes.push(`${method} ${path}`);
        return raw.send(method, path, o);
      },
    };
    watchers = new KubeWatchers({
      api,
      sink: new StatusObservingSink({
        inner: store,
        index: observed,
        kinds: OBSERVED_STATUS_KINDS,
      }),
      clock: systemClock,
      random: Math.random,
      logger,
      watchNamespaces: [],
      kinds: [
        SERVICE,
        ...(["GatewayClass", "Gateway", "HTTPRoute"] as const).map(k => kindAt(KINDS[k])),
      ],
    });
    watchers.start();
    await watchers.waitSynced(stop.signal);
    side = buildStatusSide({
      config: {
        updateStatus: true,
        publishStatusAddress: [ADDRESS],
        emitKubernetesEvents: false,
        statusMaxBackoffMs: 2000,
        gatewayApiControllerName: OURS,
      },
      api,
      observed,
      metrics,
      clock: systemClock,
      logger,
      env: {},
      statusBaseDelayMs: 100,
    });
    running = side.writer?.run(stop.signal);
  }, coldStartTimeoutMs);

  afterAll(async () => {
    stop.abort();
    await running;
    side?.problems.close();
    await watchers.stop();
    await raw.close();
    await cluster.stop();
  }, 60_000);

  it("writes the GatewayClass, Gateway and HTTPRoute statuses once, next to another controller's parent", async () => {
    const statuses = translated();
    publish(statuses);
    const { value: gatewayClass } = await waitFor(
      "the GatewayClass accepted",
      async () => {
        const o = await read("gatewayclasses/kong");
        return o.status?.conditions?.[0]?.status === "True" && o;
      },
      POLL,
    );
    expect(gatewayClass.status?.conditions).toMatchObject([
      { type: "Accepted", reason: "Accepted", observedGeneration: 1 },
    ]);
    expect(gatewayClass.status?.supportedFeatures?.map(f => f.name)).toEqual(
      statuses.classes[0]?.supportedFeatures,
    );
    const { value: gateway } = await waitFor(
      "the Gateway programmed",
      async () => {
        const o = await read("namespaces/infra/gateways/kong");
        return o.status?.listeners?.length === 1 && o;
      },
      POLL,
    );
    expect(gateway.status?.conditions).toMatchObject([
      { type: "Accepted", status: "True", observedGeneration: 1 },
      { type: "Programmed", status: "True", observedGeneration: 1 },
    ]);
    expect(gateway.status?.listeners?.[0]).toMatchObject({ name: "http", attachedRoutes: 1 });
    expect(gateway.status?.addresses).toEqual([{ type: "IPAddress", value: ADDRESS }]);
    const { value: written } = await waitFor(
      "our parent entry on the route",
      async () => {
        const o = await route();
        return ourParent(o) !== undefined && o;
      },
      POLL,
    );
    expect(written.status?.parents).toEqual([
      { ...theirs, parentRef: { group: G, kind: "Gateway", ...theirs.parentRef } },
      {
        parentRef: { group: G, kind: "Gateway", name: "kong", namespace: "infra" },
        controllerName: OURS,
        conditions: [
          expect.objectContaining({ type: "Accepted", status: "True", observedGeneration: 1 }),
          expect.objectContaining({ type: "ResolvedRefs", status: "True", observedGeneration: 1 }),
        ],
      },
    ]);
    // Once the watch shows every write, the same statuses again cost nothing.
    await waitFor(
      "the watch to show our route entry",
      () => JSON.stringify(observed.get("HTTPRoute/shop/web")?.status).includes(OURS),
      POLL,
    );
    const patches = writes.filter(w => w.startsWith("PATCH"));
    expect(
      patches.map(w => w.replace(/^PATCH \/apis\/gateway.networking.k8s.io\/v1\//, "")),
    ).toEqual(
      expect.arrayContaining([
        "gatewayclasses/kong/status",
        "namespaces/infra/gateways/kong/status",
        "namespaces/shop/httproutes/web/status",
      ]),
    );
    expect(patches).toHaveLength(3);
    publish(translated());
    expect((await metrics.statusQueueDepth.get()).values[0]?.value).toBe(0);
    expect(writes.filter(w => w.startsWith("PATCH"))).toHaveLength(3);
  });

  it("moves observedGeneration with a generation bump and keeps lastTransitionTime", async () => {
    const before = ourParent(await route());
    await kubectlOk(cluster, [
      ...["patch", "httproute", "web", "-n", "shop", "--type=merge"],
      ...[
        "-p",
        JSON.stringify({
          spec: { rules: [{ backendRefs: [{ name: "web", port: 80, weight: 2 }] }] },
        }),
      ],
    ]);
    await waitFor("the store to hold generation 2", () => routeGeneration() === 2, POLL);
    publish(translated());
    const { value: after } = await waitFor(
      "observedGeneration 2",
      async () => {
        const o = await route();
        return ourParent(o)?.conditions.every(c => c.observedGeneration === 2) === true && o;
      },
      POLL,
    );
    expect(ourParent(after)?.conditions.map(c => c.lastTransitionTime)).toEqual(
      before?.conditions.map(c => c.lastTransitionTime),
    );
    expect(after.status?.parents?.find(p => p.controllerName === OTHER)?.conditions).toEqual(
      theirs.conditions,
    );
  });

  it("refuses a write built from a stale copy with a 409, and then keeps what someone else added", async () => {
    const stale = observed.get("Gateway/infra/kong");
    if (stale === undefined) throw new Error("the Gateway is not observed");
    const audited = {
      type: "example.com/Audited",
      status: "True",
      reason: "Seen",
      message: "",
      lastTransitionTime: "2026-01-01T00:00:00Z",
    };
    const current = (await read("namespaces/infra/gateways/kong")).status?.conditions ?? [];
    const programmedOff = current.map(c =>
      c.type === "Programmed" ? { ...c, status: "False", reason: "Pending" } : c,
    );
    await kubectlOk(cluster, [
      ...["patch", "gateway", "kong", "-n", "infra", "--subresource=status", "--type=merge"],
      ...["-p", JSON.stringify({ status: { conditions: [...programmedOff, audited] } })],
    ]);
    const spec = translated().gateways[0];
    if (spec === undefined) throw new Error("the Gateway is not ours");
    const desired = gatewayDesired(spec, [{ ip: ADDRESS }]);
    const refused = await raw
      .send("PATCH", gatewayStatusMutator.statusPath(desired, stale), {
        body: gatewayStatusMutator.patch(desired, stale, Date.now()),
        contentType: "application/merge-patch+json",
        signal: stop.signal,
      })
      .then(
        () => undefined,
        (err: unknown) => (err as { statusCode?: number }).statusCode,
      );
    expect(refused).toBe(409);
    // The writer sees the change through the watch and restores ours around the other condition.
    const { value: restored } = await waitFor(
      "Programmed restored",
      async () => {
        const o = await read("namespaces/infra/gateways/kong");
        return o.status?.conditions?.find(c => c.type === "Programmed")?.status === "True" && o;
      },
      POLL,
    );
    expect(restored.status?.conditions?.map(c => c.type)).toEqual([
      "Accepted",
      "Programmed",
      "example.com/Audited",
    ]);
  });

  it("removes our entry once the route leaves our Gateway, leaving the other controller's", async () => {
    await kubectlOk(cluster, [
      ...["patch", "httproute", "web", "-n", "shop", "--type=merge"],
      ...[
        "-p",
        JSON.stringify({ spec: { parentRefs: [{ name: "elsewhere", namespace: "infra" }] } }),
      ],
    ]);
    await waitFor("the store to hold generation 3", () => routeGeneration() === 3, POLL);
    publish(translated());
    const { value } = await waitFor(
      "our entry gone",
      async () => {
        const o = await route();
        return ourParent(o) === undefined && o;
      },
      POLL,
    );
    expect(value.status?.parents?.map(p => p.controllerName)).toEqual([OTHER]);
  });
});
