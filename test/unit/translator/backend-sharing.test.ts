/**
 * Kong services of one Service port (an Ingress naming the port by number in one path and by name in
 * another) share one backend resolution, and so one list of targets, through the real translator on
 * the store's snapshots; a memoised translation still equals a cold one after the endpoints change.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { KongUpstream } from "../../../src/kong/types.ts";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  translate,
} from "../../../src/translator/index.ts";
import { TranslationMemo } from "../../../src/translator/memo.ts";

const meta = (name: string, resourceVersion = "1", labels?: Record<string, string>) => ({
  name,
  namespace: "shop",
  uid: `uid-${name}`,
  resourceVersion,
  creationTimestamp: "2024-01-01T00:00:00Z",
  ...(labels === undefined ? {} : { labels }),
});

const service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: meta("web"),
  spec: { ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
};

const slice = (resourceVersion: string, addresses: readonly string[]) => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: meta("web-x", resourceVersion, { "kubernetes.io/service-name": "web" }),
  addressType: "IPv4",
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  endpoints: addresses.map(address => ({ addresses: [address], conditions: { ready: true } })),
});

const path = (p: string, port: { number: number } | { name: string }) => ({
  path: p,
  pathType: "Prefix",
  backend: { service: { name: "web", port } },
});

const ingress = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: meta("web"),
  spec: {
    ingressClassName: "kong",
    rules: [
      {
        host: "web.example.com",
        http: { paths: [path("/", { number: 80 }), path("/api", { name: "http" })] },
      },
    ],
  },
};

function upstreams(config: { readonly upstreams?: readonly KongUpstream[] }): KongUpstream[] {
  return [...(config.upstreams ?? [])];
}

describe("backends of one Service port", () => {
  it("share one resolution and one list of targets, and equal a cold translation when endpoints change", () => {
    const store = new Store({
      ingressClass: "kong",
      parse: parseSupportedObject,
      logger: pino({ level: "silent" }),
    });
    store.upsert("IngressClass", {
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: { name: "kong", uid: "uid-kong", resourceVersion: "1" },
      spec: { controller: "ingress-controllers.konghq.com/kong" },
    });
    store.upsert("Service", service);
    store.upsert("EndpointSlice", slice("1", ["10.0.0.1", "10.0.0.2"]));
    store.upsert("Ingress", ingress);
    const snapshots = new Snapshotter(store);
    const memo = new TranslationMemo();
    const memoised = createTranslator(DEFAULT_TRANSLATE_OPTIONS, memo);
    const steps: [string, () => void][] = [
      ["first", () => undefined],
      ["endpoints changed", () => store.upsert("EndpointSlice", slice("2", ["10.0.0.3"]))],
    ];
    for (const [step, change] of steps) {
      change();
      const snapshot = snapshots.take();
      const incremental = memoised(snapshot);
      const cold = translate(snapshot, DEFAULT_TRANSLATE_OPTIONS);
      expect(incremental.config, step).toEqual(cold.config);
      expect(incremental.results, step).toEqual(cold.results);
      const [byNumber, byName] = upstreams(incremental.config);
      expect(
        upstreams(incremental.config).map(u => u.name),
        step,
      ).toEqual(["web.shop.80.svc", "web.shop.http.svc"]);
      expect(byNumber?.targets, step).toBe(byName?.targets);
      const sets = [...memo.backends.values()];
      expect(sets, step).toHaveLength(2);
      expect(sets[0]?.backends[0], step).toBe(sets[1]?.backends[0]);
    }
    const [upstream] = upstreams(memoised(snapshots.take()).config);
    expect(upstream?.targets?.map(t => t.target)).toEqual(["10.0.0.3:8080"]);
  });
});
