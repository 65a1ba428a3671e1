/**
 * What KIC's Service annotations and IngressClassParameters make the store keep and count as change:
 * Secrets a Service names for TLS to its pods are kept with their data (fetched like Ingress TLS
 * Secrets), and IngressClassParameters matter only when our IngressClass names them.
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
