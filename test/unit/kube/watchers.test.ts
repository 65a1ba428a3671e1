import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { KubeUnreachableError } from "../../../src/kube/errors.ts";
import { KubeWatchers } from "../../../src/kube/watchers.ts";
import { FakeKubeApi, ManualClock, RecordingSink, list, settle } from "./fakes.ts";

const started: KubeWatchers[] = [];

function setup(watchNamespaces: string[] = []) {
  const api = new FakeKubeApi();
  const watchers = new KubeWatchers({
    api,
    sink: new RecordingSink(),
    clock: new ManualClock(),
    random: () => 0,
    logger: pino({ level: "silent" }),
    watchNamespaces,
  });
  started.push(watchers);
  return { api, watchers };
}

afterEach(async () => {
  await Promise.all(started.splice(0).map(w => w.stop()));
});

describe("KubeWatchers", () => {
  it("watches every kind cluster-wide and syncs on an empty cluster", async () => {
    const { api, watchers } = setup();
    watchers.start();
    await watchers.waitSynced();
    expect(watchers.hasSynced()).toBe(true);
    expect(api.lists.map(c => c.path)).toEqual([
      "/apis/networking.k8s.io/v1/ingressclasses",
      "/apis/networking.k8s.io/v1/ingresses",
      "/api/v1/services",
      "/apis/discovery.k8s.io/v1/endpointslices",
      "/api/v1/secrets",
      "/api/v1/configmaps",
      "/api/v1/namespaces",
    ]);
    expect(watchers.health().map(h => h.scope)).toEqual([
      "IngressClass",
      "Ingress",
      "Service",
      "EndpointSlice",
      "Secret",
      "ConfigMap",
      "Namespace",
    ]);
  });

  it("lists and watches Secrets as metadata only, every other kind whole", async () => {
    const { api, watchers } = setup();
    watchers.start();
    await watchers.waitSynced();
    await settle();
    const metadataList =
      "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
    const metadataWatch =
      "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
    expect(api.lists.map(c => [c.path, c.accept])).toEqual([
      ["/apis/networking.k8s.io/v1/ingressclasses", undefined],
      ["/apis/networking.k8s.io/v1/ingresses", undefined],
      ["/api/v1/services", undefined],
      ["/apis/discovery.k8s.io/v1/endpointslices", undefined],
      ["/api/v1/secrets", metadataList],
      ["/api/v1/configmaps", undefined],
      ["/api/v1/namespaces", undefined],
    ]);
    const secretWatch = api.watches.find(w => w.path === "/api/v1/secrets");
    const serviceWatch = api.watches.find(w => w.path === "/api/v1/services");
    expect([secretWatch?.accept, serviceWatch?.accept]).toEqual([metadataWatch, undefined]);
  });

  it("lists and watches only ConfigMaps labelled konghq.com/configmap, as KIC", async () => {
    const { api, watchers } = setup();
    watchers.start();
    await watchers.waitSynced();
    await settle();
    const selector = "konghq.com/configmap=true";
    const configMapList = api.lists.find(c => c.path === "/api/v1/configmaps");
    const configMapWatch = api.watches.find(w => w.path === "/api/v1/configmaps");
    expect([configMapList?.query["labelSelector"], configMapWatch?.query["labelSelector"]]).toEqual(
      [selector, selector],
    );
    const serviceList = api.lists.find(c => c.path === "/api/v1/services");
    expect(serviceList?.query["labelSelector"]).toBeUndefined();
  });

  it("is not synced while one kind has not completed its first list", async () => {
    const { api, watchers } = setup();
    api.onList = ({ path }) => {
      if (path.includes("ingresses")) throw new KubeUnreachableError("not yet");
      return list("1", []);
    };
    watchers.start();
    await settle();
    expect(api.lists.some(c => c.path.includes("secrets"))).toBe(true);
    expect(watchers.hasSynced()).toBe(false);
  });

  it("limits every namespaced watcher to --watch-namespace", async () => {
    const { api, watchers } = setup(["b", "a"]);
    watchers.start();
    await watchers.waitSynced();
    await settle();
    expect(api.watches.map(w => w.path).sort()).toEqual([
      "/api/v1/namespaces",
      "/api/v1/namespaces/a/configmaps",
      "/api/v1/namespaces/a/secrets",
      "/api/v1/namespaces/a/services",
      "/api/v1/namespaces/b/configmaps",
      "/api/v1/namespaces/b/secrets",
      "/api/v1/namespaces/b/services",
      "/apis/discovery.k8s.io/v1/namespaces/a/endpointslices",
      "/apis/discovery.k8s.io/v1/namespaces/b/endpointslices",
      "/apis/networking.k8s.io/v1/ingressclasses",
      "/apis/networking.k8s.io/v1/namespaces/a/ingresses",
      "/apis/networking.k8s.io/v1/namespaces/b/ingresses",
    ]);
  });

  it("rejects waitSynced with the signal's reason when aborted first", async () => {
    const { api, watchers } = setup();
    api.onList = () => {
      throw new KubeUnreachableError("down");
    };
    watchers.start();
    const ac = new AbortController();
    const waiting = watchers.waitSynced(ac.signal);
    const reason = new Error("cache sync timeout");
    ac.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});
