/**
 * Optional kinds against a real kube-apiserver: Gateway API kinds are watched once their CRDs are
 * installed, at the version the bundle serves (v1 on current bundles, v1alpha2 on a v1.4 experimental
 * one), and dropped with their objects when the CRDs go; without them nothing waits.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKubeApi, type KubeApi } from "../../src/kube/client.ts";
import { AggregatedDiscovery, discoverKinds } from "../../src/kube/discovery.ts";
import { OptionalKindWatchers } from "../../src/kube/optional-kinds.ts";
import { KubeWatchers } from "../../src/kube/watchers.ts";
import { KIND_DEFINITIONS } from "../../src/model/kinds.ts";
import { parseSupportedObject } from "../../src/model/parse.ts";
import { Store } from "../../src/store/store.ts";
import { systemClock } from "../../src/util/clock.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { applyCrdFiles, GATEWAY_KINDS_AT_V1, installGatewayApiCrds } from "../support/kube/crds.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { waitFor } from "../support/wait.ts";

const coldStartTimeoutMs = 30 * 60_000;
const logger = pino({ level: "silent" });
const GROUP = "gateway.networking.k8s.io";

interface Watching {
  readonly store: Store;
  readonly optional: OptionalKindWatchers;
  stop(): Promise<void>;
}

function watch(cluster: KubeCluster): Watching {
  const api: KubeApi = createKubeApi({
    kubeconfig: cluster.kubeconfigPath,
    requestTimeoutMs: 5_000,
  });
  const store = new Store({ ingressClass: "kong", parse: parseSupportedObject, logger });
  const backoff = { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0.2 };
  const optional = new OptionalKindWatchers({
    ...{ api, sink: store, clock: systemClock, logger },
    kinds: KIND_DEFINITIONS.filter(def => def.optional),
    intervalMs: 500,
    retryMs: 100,
    newWatchers: kind =>
      new KubeWatchers({
        ...{ api, sink: store, clock: systemClock, random: Math.random, logger, kinds: [kind] },
        watchNamespaces: [],
        tuning: { backoff },
      }),
  });
  optional.start();
  return {
    store,
    optional,
    stop: async () => {
      await optional.stop();
      await api.close();
    },
  };
}

const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } };
const tcpRoute = (apiVersion: string) => ({
  apiVersion,
  kind: "TCPRoute",
  metadata: { name: "db", namespace: "apps" },
  spec: { parentRefs: [{ name: "kong" }], rules: [{ backendRefs: [{ name: "db", port: 5432 }] }] },
});
const httpRoute = {
  apiVersion: `${GROUP}/v1`,
  kind: "HTTPRoute",
  metadata: { name: "web", namespace: "apps" },
  spec: { parentRefs: [{ name: "kong" }], rules: [{ backendRefs: [{ name: "web", port: 80 }] }] },
};

function apply(cluster: KubeCluster, objects: unknown[]): Promise<string> {
  return kubectlOk(cluster, ["apply", "-f", "-"], {
    stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
  });
}

describe("optional kinds, current standard bundle", () => {
  let cluster: KubeCluster;
  let watching: Watching | undefined;
  beforeAll(async () => {
    cluster = await startKubeCluster();
  }, coldStartTimeoutMs);
  afterAll(async () => {
    await watching?.stop();
    await cluster.stop();
  });

  it(
    "waits for nothing without CRDs, starts the kinds when they are installed, drops them when they go",
    async () => {
      watching = watch(cluster);
      const { store, optional } = watching;
      await optional.waitSynced(AbortSignal.timeout(10_000));
      expect([...optional.served().values()].every(v => v === undefined)).toBe(true);

      await installGatewayApiCrds(cluster.kubeconfigPath);
      const applying = performance.now();
      await apply(cluster, [namespace, httpRoute, tcpRoute(`${GROUP}/v1`)]);
      const seen = await waitFor(
        "the routes in the store",
        () => store.objects("HTTPRoute").length === 1 && store.objects("TCPRoute").length === 1,
        { timeoutMs: 20_000 },
      );
      const sinceApply = performance.now() - applying;
      process.stderr.write(
        `optional-kinds: routes in the store ${sinceApply.toFixed(0)} ms after kubectl apply started (${seen.ms.toFixed(0)} ms after it returned)\n`,
      );
      expect(Object.fromEntries(optional.served())).toEqual(GATEWAY_KINDS_AT_V1);
      expect(store.objects("TCPRoute")[0]?.apiVersion).toBe(`${GROUP}/v1`);

      await kubectlOk(cluster, ["delete", "crd", `tcproutes.${GROUP}`, "--wait=true"]);
      await waitFor("TCPRoute off", () => optional.served().get("TCPRoute") === undefined, {
        timeoutMs: 20_000,
      });
      expect(store.objects("TCPRoute")).toEqual([]);
      expect(store.objects("HTTPRoute")).toHaveLength(1);
    },
    10 * 60_000,
  );

  it(
    "watches KIC's IngressClassParameters once the chart's CRD is installed",
    async () => {
      // Its own watchers and namespace, so the test does not lean on the one before it.
      const own = watch(cluster);
      try {
        const { store, optional } = own;
        await optional.waitSynced(AbortSignal.timeout(10_000));
        expect(optional.served().get("IngressClassParameters")).toBeUndefined();
        const crd = new URL(
          "../../charts/kongress/crds/configuration.konghq.com_ingressclassparameterses.yaml",
          import.meta.url,
        ).pathname;
        await applyCrdFiles(cluster.kubeconfigPath, [crd]);
        await apply(cluster, [
          namespace,
          {
            apiVersion: "configuration.konghq.com/v1alpha1",
            kind: "IngressClassParameters",
            metadata: { name: "kong-params", namespace: "apps" },
            spec: { serviceUpstream: true },
          },
        ]);
        await waitFor(
          "the parameters in the store",
          () => store.objects("IngressClassParameters").length === 1,
          { timeoutMs: 20_000 },
        );
        expect(optional.served().get("IngressClassParameters")).toBe("v1alpha1");
        // The CRD's default fills in the field the object left out.
        expect(store.objects("IngressClassParameters")[0]).toMatchObject({
          spec: { serviceUpstream: true, enableLegacyRegexDetection: false },
        });
      } finally {
        await own.stop();
      }
    },
    5 * 60_000,
  );

  it("a discovery round with nothing changed is one request the API server answers 304", async () => {
    const raw = createKubeApi({ kubeconfig: cluster.kubeconfigPath, requestTimeoutMs: 5_000 });
    const answers: string[] = [];
    const api: KubeApi = {
      getJson: (path, o) => {
        answers.push(`GET ${path}`);
        return raw.getJson(path, o);
      },
      getDocument: async (path, o) => {
        const doc = await raw.getDocument(path, o);
        answers.push(`document ${path}: ${doc.notModified ? "304" : "read"}`);
        return doc;
      },
      watch: (path, o) => raw.watch(path, o),
      send: (method, path, o) => raw.send(method, path, o),
      close: () => raw.close(),
    };
    try {
      const kinds = KIND_DEFINITIONS.filter(def => def.optional);
      const signal = AbortSignal.timeout(20_000);
      const aggregated = new AggregatedDiscovery(logger);
      const rounds = [];
      for (let round = 0; round < 3; round++)
        rounds.push(await discoverKinds(api, kinds, signal, aggregated));
      expect(answers).toEqual([
        "document /apis: read",
        "document /apis: 304",
        "document /apis: 304",
      ]);
      // The same kinds at the same versions as the documents per group say.
      const perGroup = await discoverKinds(raw, kinds, signal);
      for (const found of rounds)
        expect(Object.fromEntries(found)).toEqual(Object.fromEntries(perGroup));
      expect([...perGroup.values()].some(v => v !== undefined)).toBe(true);
    } finally {
      await raw.close();
    }
  });
});

describe("optional kinds, a v1.4 experimental bundle", () => {
  let cluster: KubeCluster;
  let watching: Watching | undefined;
  beforeAll(async () => {
    cluster = await startKubeCluster();
  }, coldStartTimeoutMs);
  afterAll(async () => {
    await watching?.stop();
    await cluster.stop();
  });

  it(
    "watches TCPRoute at v1alpha2 where v1 is not served",
    async () => {
      await installGatewayApiCrds(cluster.kubeconfigPath, {
        version: "v1.4.1",
        channel: "experimental",
      });
      await apply(cluster, [namespace, tcpRoute(`${GROUP}/v1alpha2`)]);
      watching = watch(cluster);
      const { store, optional } = watching;
      await optional.waitSynced(AbortSignal.timeout(20_000));
      expect(optional.served().get("TCPRoute")).toBe("v1alpha2");
      expect(optional.served().get("HTTPRoute")).toBe("v1");
      expect(store.objects("TCPRoute").map(o => o.apiVersion)).toEqual([`${GROUP}/v1alpha2`]);
    },
    10 * 60_000,
  );
});
