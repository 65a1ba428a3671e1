/** The store's handling of Gateway API kinds: what is relevant, and what they make it fetch. */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { Store } from "../../../src/store/store.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { secretMetadata, service } from "./fixtures.ts";

const GROUP = "gateway.networking.k8s.io";
const OURS = "konghq.com/kic-gateway-controller";

function newStore() {
  const store = new Store({
    ingressClass: "kong",
    gatewayControllerName: OURS,
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  const needed: string[] = [];
  store.onSecretNeeded(n => needed.push(`${n.namespace}/${n.name}`));
  return { store, needed };
}

const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  uid: `uid-${namespace ?? ""}-${name}`,
  resourceVersion: "1",
});

const gatewayClass = (name: string, controllerName: string) => ({
  apiVersion: `${GROUP}/v1`,
  kind: "GatewayClass",
  metadata: meta(name),
  spec: { controllerName },
});

const gateway = (certificateRefs: object[]) => ({
  apiVersion: `${GROUP}/v1`,
  kind: "Gateway",
  metadata: meta("kong", "infra"),
  spec: {
    gatewayClassName: "kong",
    listeners: [
      { name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs } },
      { name: "http", port: 80, protocol: "HTTP" },
    ],
  },
});

const httpRoute = (backendRefs: object[]) => ({
  apiVersion: `${GROUP}/v1`,
  kind: "HTTPRoute",
  metadata: meta("web", "shop"),
  spec: { parentRefs: [{ name: "kong", namespace: "infra" }], rules: [{ backendRefs }] },
});

describe("Store: Gateway API kinds", () => {
  it.each([
    { controllerName: OURS, relevant: true },
    { controllerName: "example.com/other", relevant: false },
  ])("a GatewayClass of $controllerName is relevant: $relevant", ({ controllerName, relevant }) => {
    const { store } = newStore();
    expect(store.upsert("GatewayClass", gatewayClass("kong", controllerName))).toBe(relevant);
    expect(store.objects("GatewayClass")).toHaveLength(1);
  });

  it("a GatewayClass leaving us is relevant, because it was ours", () => {
    const { store } = newStore();
    store.upsert("GatewayClass", gatewayClass("kong", OURS));
    expect(store.upsert("GatewayClass", gatewayClass("kong", "example.com/other"))).toBe(true);
  });

  it("fetches the certificates a Gateway's listeners name, in their own namespace when given", () => {
    const { store, needed } = newStore();
    store.upsert("Secret", secretMetadata("tls", { namespace: "infra" }));
    store.upsert("Secret", secretMetadata("shared", { namespace: "certs" }));
    store.upsert(
      "Gateway",
      gateway([{ name: "tls" }, { name: "shared", namespace: "certs", kind: "Secret", group: "" }]),
    );
    expect(needed.sort()).toEqual(["certs/shared", "infra/tls"]);
  });

  it("makes the Services a route sends to relevant, and only those", () => {
    const { store } = newStore();
    store.upsert(
      "HTTPRoute",
      httpRoute([
        { name: "web", port: 80 },
        { name: "api", namespace: "other", port: 80 },
      ]),
    );
    expect(store.upsert("Service", service("web", { namespace: "shop" }))).toBe(true);
    expect(store.upsert("Service", service("api", { namespace: "other" }))).toBe(true);
    expect(store.upsert("Service", service("unrelated", { namespace: "shop" }))).toBe(false);
  });

  it("resolves a route's delete against the cached copy (incident e)", () => {
    const { store } = newStore();
    store.upsert("HTTPRoute", httpRoute([{ name: "web", port: 80 }]));
    expect(store.remove("HTTPRoute", { namespace: "shop", name: "web" })).toBe(true);
    // The Service it read no longer matters.
    expect(store.upsert("Service", service("web", { namespace: "shop" }))).toBe(false);
  });

  it("lists every Gateway API kind in the snapshot, and an invalid one among the invalid", () => {
    const { store } = newStore();
    store.upsert("GatewayClass", gatewayClass("kong", OURS));
    store.upsert("Gateway", gateway([]));
    store.upsert("HTTPRoute", httpRoute([{ name: "web", port: 80 }]));
    store.upsert("TCPRoute", {
      apiVersion: `${GROUP}/v1`,
      kind: "TCPRoute",
      metadata: meta("db", "shop"),
      spec: { rules: [{ backendRefs: [{ name: "db" }] }] },
    });
    store.upsert("UDPRoute", {
      apiVersion: `${GROUP}/v1`,
      kind: "UDPRoute",
      metadata: meta("dns", "shop"),
      spec: { rules: [{ backendRefs: [{ port: 53 }] }] },
    });
    const snapshot = new Snapshotter(store).take();
    expect(snapshot.gatewayClasses.map(o => o.metadata.name)).toEqual(["kong"]);
    expect(snapshot.gateways.map(o => o.metadata.name)).toEqual(["kong"]);
    expect(snapshot.httpRoutes.map(o => o.metadata.name)).toEqual(["web"]);
    expect(snapshot.tcpRoutes.map(o => o.metadata.name)).toEqual(["db"]);
    expect(snapshot.udpRoutes).toEqual([]);
    expect(snapshot.invalid).toEqual([
      {
        ref: {
          group: GROUP,
          version: "v1",
          kind: "UDPRoute",
          namespace: "shop",
          name: "dns",
          uid: "uid-shop-dns",
        },
        reason: "spec.rules[0].backendRefs[0].name: required",
      },
    ]);
  });
});
