/** The store's handling of Kong's own kinds: which changes matter, and which Secrets they make it fetch. */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { Store } from "../../../src/store/store.ts";
import { ingress, ingressClass, secretMetadata, service } from "./fixtures.ts";

const GROUP = "configuration.konghq.com";

function newStore() {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  const needed: string[] = [];
  store.onSecretNeeded(n => needed.push(`${n.namespace}/${n.name}`));
  return { store, needed };
}

let rv = 1;
const meta = (name: string, extra: object = {}, namespace: string | null = "shop") => ({
  name,
  ...(namespace === null ? {} : { namespace }),
  uid: `uid-${namespace ?? ""}-${name}`,
  resourceVersion: String(rv++),
  ...extra,
});

const kongPlugin = (name: string, fields: object = {}) => ({
  apiVersion: `${GROUP}/v1`,
  kind: "KongPlugin",
  metadata: meta(name),
  plugin: "key-auth",
  ...fields,
});

const clusterPlugin = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: `${GROUP}/v1`,
  kind: "KongClusterPlugin",
  metadata: meta(name, { labels }, null),
  plugin: "cors",
});

const consumer = (name: string, annotations: Record<string, string>, credentials: string[]) => ({
  apiVersion: `${GROUP}/v1`,
  kind: "KongConsumer",
  metadata: meta(name, { annotations }),
  username: name,
  credentials,
});

const policy = (name: string) => ({
  apiVersion: `${GROUP}/v1beta1`,
  kind: "KongUpstreamPolicy",
  metadata: meta(name),
  spec: { algorithm: "least-connections" },
});

describe("Store: Kong kinds", () => {
  it("a KongPlugin matters once an Ingress of ours names it, and not before", () => {
    const { store } = newStore();
    expect(store.upsert("KongPlugin", kongPlugin("auth"))).toBe(false);
    const annotated = ingress("web", {
      className: "kong",
      services: ["web"],
      annotations: { "konghq.com/plugins": "auth, other" },
    });
    expect(store.upsert("Ingress", annotated)).toBe(true);
    expect(store.upsert("KongPlugin", kongPlugin("auth", { config: { key_names: ["k"] } }))).toBe(
      true,
    );
    expect(store.remove("KongPlugin", { namespace: "shop", name: "auth" })).toBe(true);
  });

  it("a plugin named by a foreign Ingress does not matter", () => {
    const { store } = newStore();
    store.upsert(
      "Ingress",
      ingress("web", { className: "other", annotations: { "konghq.com/plugins": "auth" } }),
    );
    expect(store.upsert("KongPlugin", kongPlugin("auth"))).toBe(false);
  });

  it("a Service's plugins and upstream policy matter", () => {
    const { store } = newStore();
    store.upsert(
      "Service",
      service("web", {
        annotations: {
          "konghq.com/plugins": "shared",
          "konghq.com/upstream-policy": "lc",
        },
      }),
    );
    expect(store.upsert("KongClusterPlugin", clusterPlugin("shared"))).toBe(true);
    expect(store.upsert("KongUpstreamPolicy", policy("lc"))).toBe(true);
    expect(store.upsert("KongUpstreamPolicy", policy("unused"))).toBe(false);
  });

  it("a KongClusterPlugin matters when labelled global, and when the label goes", () => {
    const { store } = newStore();
    expect(store.upsert("KongClusterPlugin", clusterPlugin("cors"))).toBe(false);
    expect(store.upsert("KongClusterPlugin", clusterPlugin("cors", { global: "true" }))).toBe(true);
    expect(store.upsert("KongClusterPlugin", clusterPlugin("cors"))).toBe(true);
  });

  it("a KongConsumer of our class matters and has its credential Secrets fetched", () => {
    const { store, needed } = newStore();
    store.upsert("Secret", secretMetadata("alice-key"));
    const ours = consumer("alice", { "kubernetes.io/ingress.class": "kong" }, ["alice-key"]);
    expect(store.upsert("KongConsumer", ours)).toBe(true);
    expect(needed).toEqual(["shop/alice-key"]);
    const foreign = consumer("bob", { "kubernetes.io/ingress.class": "nginx" }, []);
    expect(store.upsert("KongConsumer", foreign)).toBe(false);
  });

  it("a classless KongConsumer is ours once our IngressClass is the default", () => {
    const { store } = newStore();
    expect(store.upsert("KongConsumer", consumer("carol", {}, []))).toBe(false);
    store.upsert("IngressClass", ingressClass("kong", { isDefault: true }));
    expect(store.upsert("KongConsumer", consumer("carol", {}, ["c"]))).toBe(true);
  });

  it("a plugin's configFrom Secret is fetched", () => {
    const { store, needed } = newStore();
    store.upsert("Secret", secretMetadata("rl-config"));
    store.upsert(
      "KongPlugin",
      kongPlugin("rl", { configFrom: { secretKeyRef: { name: "rl-config", key: "config" } } }),
    );
    expect(needed).toEqual(["shop/rl-config"]);
  });
});
