/**
 * Gateway route translation is memoised as Ingress translation is: an HTTPRoute or GRPCRoute whose
 * object and inputs (its backends' Services, its parent Gateways, the grants that let it reach them)
 * did not change is not rebuilt. Snapshots come from a real Store and Snapshotter, as in the
 * controller, so unchanged objects keep their identity; every memoised result is compared with a cold
 * translation of the same snapshot.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { encodeConfig } from "../../../../src/kong/admin-client.ts";
import { parseSupportedObject } from "../../../../src/model/parse.ts";
import { Snapshotter } from "../../../../src/store/snapshot.ts";
import { Store } from "../../../../src/store/store.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  translate,
  TranslationMemo,
} from "../../../../src/translator/index.ts";

const G = "gateway.networking.k8s.io";
let rv = 1;
const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  uid: `uid-${namespace ?? ""}-${name}`,
  resourceVersion: String(rv++),
  generation: 1,
});

const gatewayClass = () => ({
  apiVersion: `${G}/v1`,
  kind: "GatewayClass",
  metadata: meta("kong"),
  spec: { controllerName: "konghq.com/kic-gateway-controller" },
});
const gateway = (hostname?: string) => ({
  apiVersion: `${G}/v1`,
  kind: "Gateway",
  metadata: meta("kong", "infra"),
  spec: {
    gatewayClassName: "kong",
    listeners: [
      {
        name: "http",
        port: 80,
        protocol: "HTTP",
        allowedRoutes: { namespaces: { from: "All" } },
        ...(hostname === undefined ? {} : { hostname }),
      },
    ],
  },
});
const service = (name: string, namespace: string, targetPort = 8080) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: meta(name, namespace),
  spec: { ports: [{ port: 80, targetPort }] },
});
const httpRoute = (name: string, backend: { name: string; namespace?: string }, path = "/") => ({
  apiVersion: `${G}/v1`,
  kind: "HTTPRoute",
  metadata: meta(name, "shop"),
  spec: {
    parentRefs: [{ name: "kong", namespace: "infra" }],
    rules: [
      {
        matches: [{ path: { type: "PathPrefix", value: path } }],
        backendRefs: [{ ...backend, port: 80 }],
      },
    ],
  },
});
const grpcRoute = (name: string) => ({
  apiVersion: `${G}/v1`,
  kind: "GRPCRoute",
  metadata: meta(name, "shop"),
  spec: {
    parentRefs: [{ name: "kong", namespace: "infra" }],
    rules: [{ backendRefs: [{ name: "grpc", port: 80 }] }],
  },
});
const grant = () => ({
  apiVersion: `${G}/v1beta1`,
  kind: "ReferenceGrant",
  metadata: meta("shop-to-store", "store"),
  spec: {
    from: [{ group: G, kind: "HTTPRoute", namespace: "shop" }],
    to: [{ group: "", kind: "Service" }],
  },
});

function setUp() {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  const snapshots = new Snapshotter(store);
  const memo = new TranslationMemo();
  const translator = createTranslator(DEFAULT_TRANSLATE_OPTIONS, memo);
  /** Translates the store's snapshot; returns how many routes were rebuilt for it. */
  const cycle = (): number => {
    const before = memo.gatewayRoutes.builds;
    const snapshot = snapshots.take();
    const memoised = translator(snapshot);
    const cold = translate(snapshot, DEFAULT_TRANSLATE_OPTIONS);
    expect(memoised.results).toEqual(cold.results);
    expect(memoised.gatewayApi).toEqual(cold.gatewayApi);
    expect(encodeConfig(memoised.config)).toEqual(encodeConfig(cold.config));
    return memo.gatewayRoutes.builds - before;
  };
  return { store, cycle };
}

describe("memoised Gateway route translation", () => {
  it("rebuilds only the routes whose object or inputs changed", () => {
    const { store, cycle } = setUp();
    store.upsert("GatewayClass", gatewayClass());
    store.upsert("Gateway", gateway());
    store.upsert("Service", service("web", "shop"));
    store.upsert("Service", service("api", "shop"));
    store.upsert("Service", service("grpc", "shop"));
    store.upsert("Service", service("store", "store"));
    store.upsert("HTTPRoute", httpRoute("web", { name: "web" }));
    store.upsert("HTTPRoute", httpRoute("api", { name: "api" }, "/api"));
    store.upsert("HTTPRoute", httpRoute("cart", { name: "store", namespace: "store" }, "/cart"));
    store.upsert("GRPCRoute", grpcRoute("rpc"));
    expect(cycle()).toBe(4);

    // Nothing changed: nothing is rebuilt.
    expect(cycle()).toBe(0);

    // One route's own object.
    store.upsert("HTTPRoute", httpRoute("api", { name: "api" }, "/v2"));
    expect(cycle()).toBe(1);

    // One route's backend Service.
    store.upsert("Service", service("web", "shop", 9090));
    expect(cycle()).toBe(1);

    // A backend's endpoints: they are resolved after the routes (per Kong upstream), which stay.
    store.upsert("EndpointSlice", {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { ...meta("web-1", "shop"), labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }],
      ports: [{ port: 9090 }],
    });
    expect(cycle()).toBe(0);

    // A Service nobody reads.
    store.upsert("Service", service("unused", "shop"));
    expect(cycle()).toBe(0);

    // A grant that lets the cross-namespace route reach its backend, then its removal.
    store.upsert("ReferenceGrant", grant());
    expect(cycle()).toBe(1);
    store.remove("ReferenceGrant", { namespace: "store", name: "shop-to-store" });
    expect(cycle()).toBe(1);

    // The parent Gateway: every route attached to it.
    store.upsert("Gateway", gateway("*.example.com"));
    expect(cycle()).toBe(4);
    expect(cycle()).toBe(0);
  });
});
