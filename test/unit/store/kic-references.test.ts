/**
 * What KIC's Service annotations and IngressClassParameters make the store keep and count as change:
 * Secrets a Service names for TLS to its pods are kept with their data (fetched like Ingress TLS
 * Secrets), ConfigMaps it names for CA certificates count as change, and IngressClassParameters
 * matter only when our IngressClass names them.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { Store } from "../../../src/store/store.ts";

const newStore = () =>
  new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });

const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  uid: `uid-${namespace ?? ""}-${name}`,
  resourceVersion: "1",
});

const service = (annotations: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { ...meta("web", "shop"), annotations },
  spec: { ports: [{ port: 443 }] },
});

const secretMeta = (name: string) => ({
  apiVersion: "v1",
  kind: "PartialObjectMetadata",
  metadata: meta(name, "shop"),
});

const ingressClass = (parameters?: Record<string, string>) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "IngressClass",
  metadata: meta("kong"),
  spec: {
    controller: "ingress-controllers.konghq.com/kong",
    ...(parameters === undefined ? {} : { parameters }),
  },
});

const params = (name: string) => ({
  apiVersion: "configuration.konghq.com/v1alpha1",
  kind: "IngressClassParameters",
  metadata: meta(name, "kong"),
  spec: { serviceUpstream: true },
});

describe("Secrets a Service names", () => {
  it.each([
    [{ "konghq.com/client-cert": "client" }, ["shop/client"]],
    [{ "konghq.com/ca-certificates-secrets": "ca-1, ca-2" }, ["shop/ca-1", "shop/ca-2"]],
    [{ "konghq.com/protocol": "https" }, []],
  ])("%j: their data is fetched", (annotations, wanted) => {
    const store = newStore();
    store.onSecretNeeded(() => undefined);
    for (const name of ["client", "ca-1", "ca-2", "unrelated"])
      store.upsert("Secret", secretMeta(name));
    store.upsert("Service", service(annotations));
    const toFetch = store.secretsToFetch().map(n => `${n.namespace}/${n.name}`);
    expect(toFetch.sort()).toEqual(wanted);
  });

  it("lets go of them when the annotation goes", () => {
    const store = newStore();
    store.onSecretNeeded(() => undefined);
    store.upsert("Secret", secretMeta("client"));
    store.upsert("Service", service({ "konghq.com/client-cert": "client" }));
    store.upsert("Service", {
      ...service({}),
      metadata: { ...meta("web", "shop"), resourceVersion: "2" },
    });
    expect(store.secretsToFetch()).toEqual([]);
  });
});

const configMap = (name: string, resourceVersion = "1", cert = "PEM") => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { ...meta(name, "shop"), resourceVersion, labels: { "konghq.com/configmap": "true" } },
  data: { id: "c95972f4-946a-4a94-b12c-19cf56e6b285", cert },
});

describe("ConfigMaps a Service names", () => {
  it.each([
    ["named", { "konghq.com/ca-certificates-configmaps": "other, ca" }, true],
    ["named by another annotation", { "konghq.com/ca-certificates-secrets": "ca" }, false],
    ["not named", {}, false],
  ])("%s: a change is relevant: %s", (_, annotations, relevant) => {
    const store = newStore();
    store.upsert("Service", service(annotations));
    expect(store.upsert("ConfigMap", configMap("ca"))).toBe(relevant);
    expect(store.upsert("ConfigMap", configMap("ca", "2", "PEM 2"))).toBe(relevant);
    expect(store.remove("ConfigMap", { namespace: "shop", name: "ca" })).toBe(relevant);
  });

  it("keeps every ConfigMap the watch delivers, named or not, for snapshots", () => {
    const store = newStore();
    store.upsert("ConfigMap", configMap("ca"));
    expect(store.objects("ConfigMap").map(o => o.metadata.name)).toEqual(["ca"]);
  });

  it("stops counting a ConfigMap once no Service names it", () => {
    const store = newStore();
    store.upsert("Service", service({ "konghq.com/ca-certificates-configmaps": "ca" }));
    store.upsert("Service", {
      ...service({}),
      metadata: { ...meta("web", "shop"), resourceVersion: "2" },
    });
    expect(store.upsert("ConfigMap", configMap("ca"))).toBe(false);
  });
});

describe("IngressClassParameters", () => {
  const named = {
    apiGroup: "configuration.konghq.com",
    kind: "IngressClassParameters",
    name: "p",
    namespace: "kong",
    scope: "Namespace",
  };
  it.each([
    ["named by our IngressClass", ingressClass(named), "p", true],
    ["another name", ingressClass(named), "q", false],
    ["our IngressClass names none", ingressClass(), "p", false],
  ])("%s: relevant %s", (_, cls, name, relevant) => {
    const store = newStore();
    store.upsert("IngressClass", cls);
    expect(store.upsert("IngressClassParameters", params(name))).toBe(relevant);
    expect(store.objects("IngressClassParameters")).toHaveLength(1);
  });
});
