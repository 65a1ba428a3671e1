/**
 * The Ingress memo (ingresses.ts ingressUnit) through the real translator on the store's snapshots: an
 * Ingress's unit is reused while its inputs are unchanged, and a memoised translation always equals a
 * cold one of the same snapshot.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  translate,
} from "../../../src/translator/index.ts";
import { TranslationMemo } from "../../../src/translator/memo.ts";

function newStore(): Store {
  return new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
}

const meta = (name: string, namespace: string | undefined, resourceVersion = "1") => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  uid: `uid-${namespace ?? ""}-${name}`,
  resourceVersion,
  creationTimestamp: "2024-01-01T00:00:00Z",
});

const service = (
  name: string,
  resourceVersion = "1",
  annotations: Record<string, string> = {},
) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { ...meta(name, "shop", resourceVersion), annotations },
  spec: { ports: [{ name: "http", port: 80, protocol: "TCP" }] },
});

const ingress = (name: string, backend: string) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: meta(name, "shop"),
  spec: {
    ingressClassName: "kong",
    rules: [
      {
        host: `${name}.example.com`,
        http: {
          paths: [
            {
              path: "/",
              pathType: "Prefix",
              backend: { service: { name: backend, port: { number: 80 } } },
            },
          ],
        },
      },
    ],
  },
});

const parameters = (resourceVersion: string, serviceUpstream: boolean) => ({
  apiVersion: "configuration.konghq.com/v1alpha1",
  kind: "IngressClassParameters",
  metadata: meta("params", "kong", resourceVersion),
  spec: { serviceUpstream },
});

function storeWithParameters(): Store {
  const store = newStore();
  store.upsert("IngressClass", {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: meta("kong", undefined),
    spec: {
      controller: "ingress-controllers.konghq.com/kong",
      parameters: {
        apiGroup: "configuration.konghq.com",
        kind: "IngressClassParameters",
        name: "params",
        namespace: "kong",
        scope: "Namespace",
      },
    },
  });
  store.upsert("IngressClassParameters", parameters("1", true));
  store.upsert("Service", service("web"));
  store.upsert("Service", service("api"));
  store.upsert("Ingress", ingress("web", "web"));
  return store;
}

describe("Ingress memo", () => {
  it("reuses an Ingress's translation while the class's IngressClassParameters are unchanged", () => {
    const store = storeWithParameters();
    const snapshots = new Snapshotter(store);
    const memo = new TranslationMemo();
    const memoised = createTranslator(DEFAULT_TRANSLATE_OPTIONS, memo);
    const first = snapshots.take();
    memoised(first);
    const web = first.ingresses[0];
    expect(web).toBeDefined();
    const unit = memo.ingresses.get(web!);
    expect(unit?.classSettings.serviceUpstream).toBe(true);
    // A change the Ingress does not read: its unit must be reused as is.
    store.upsert("Service", service("api", "2"));
    const second = snapshots.take();
    expect(second.ingresses[0]).toBe(web);
    memoised(second);
    expect(memo.ingresses.get(web!)).toBe(unit);
  });

  it("rebuilds an Ingress's translation when the IngressClassParameters change, as a cold one", () => {
    const store = storeWithParameters();
    const snapshots = new Snapshotter(store);
    const memo = new TranslationMemo();
    const memoised = createTranslator(DEFAULT_TRANSLATE_OPTIONS, memo);
    memoised(snapshots.take());
    store.upsert("IngressClassParameters", parameters("2", false));
    const changed = snapshots.take();
    const incremental = memoised(changed);
    expect(memo.ingresses.get(changed.ingresses[0]!)?.classSettings.serviceUpstream).toBe(false);
    const cold = translate(changed, DEFAULT_TRANSLATE_OPTIONS);
    expect(incremental.config).toEqual(cold.config);
    expect(incremental.results).toEqual(cold.results);
  });

  it("equals a cold translation while a backend Service comes and goes and its plugin turns valid and invalid", () => {
    const store = newStore();
    store.upsert("Ingress", ingress("web", "web"));
    const snapshots = new Snapshotter(store);
    const memoised = createTranslator(DEFAULT_TRANSLATE_OPTIONS);
    const auth = (resourceVersion: string, keyNames: unknown) => ({
      apiVersion: "configuration.konghq.com/v1",
      kind: "KongPlugin",
      metadata: meta("auth", "shop", resourceVersion),
      plugin: "key-auth",
      config: { key_names: keyNames },
    });
    const steps: [string, () => void][] = [
      ["no Service", () => undefined],
      [
        "the Service, its plugin missing",
        () => store.upsert("Service", service("web", "2", { "konghq.com/plugins": "auth" })),
      ],
      ["its plugin valid", () => store.upsert("KongPlugin", auth("1", ["apikey"]))],
      ["its plugin invalid", () => store.upsert("KongPlugin", auth("2", "not a list"))],
      ["the Service gone", () => store.remove("Service", { namespace: "shop", name: "web" })],
      [
        "the Service back, its plugin still invalid",
        () => store.upsert("Service", service("web", "3", { "konghq.com/plugins": "auth" })),
      ],
    ];
    for (const [step, change] of steps) {
      change();
      const snapshot = snapshots.take();
      const cold = translate(snapshot, DEFAULT_TRANSLATE_OPTIONS);
      const incremental = memoised(snapshot);
      expect(incremental.results, step).toEqual(cold.results);
      expect(incremental.config, step).toEqual(cold.config);
    }
  });
});
