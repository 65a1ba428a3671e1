import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { INGRESS, SERVICE, type WatchedKind } from "../../../src/kube/kinds.ts";
import { trimObject } from "../../../src/kube/trim.ts";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { ObservedStatusIndex, StatusObservingSink } from "../../../src/status/observed.ts";
import { Store } from "../../../src/store/store.ts";

function ingress(name: string, resourceVersion: string, ip?: string): unknown {
  return trimObject(INGRESS, {
    metadata: { name, namespace: "shop", uid: `u-${name}`, resourceVersion, generation: 2 },
    spec: {
      ingressClassName: "kong",
      defaultBackend: { service: { name: "web", port: { number: 80 } } },
    },
    status: { loadBalancer: ip === undefined ? {} : { ingress: [{ ip }] } },
  });
}

function setup() {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  const index = new ObservedStatusIndex();
  const kinds = new Set<WatchedKind>(["Ingress"]);
  const sink = new StatusObservingSink({ inner: store, index, kinds });
  const changed: string[] = [];
  index.onChange(key => changed.push(key));
  return { store, index, sink, changed };
}

describe("StatusObservingSink", () => {
  it("records an Ingress's status and hands the store the object without it", () => {
    const { store, index, sink, changed } = setup();
    sink.upsert("Ingress", ingress("web", "7", "10.0.0.1"));
    expect(index.get("Ingress/shop/web")).toEqual({
      apiVersion: "networking.k8s.io/v1",
      uid: "u-web",
      resourceVersion: "7",
      generation: 2,
      status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } },
    });
    expect(changed).toEqual(["Ingress/shop/web"]);
    const [held] = store.objects("Ingress");
    expect(held?.metadata.name).toBe("web");
    expect(held).not.toHaveProperty("status");
  });

  it("reports each new version once; a relist's repeat of the same version is not a change", () => {
    const { sink, changed, index } = setup();
    sink.upsert("Ingress", ingress("web", "7"));
    sink.upsert("Ingress", ingress("web", "7"));
    sink.upsert("Ingress", ingress("web", "8", "10.0.0.2"));
    expect(changed).toEqual(["Ingress/shop/web", "Ingress/shop/web"]);
    expect(index.get("Ingress/shop/web")?.resourceVersion).toBe("8");
  });

  it("clears the entry on delete, in the index and in the store", () => {
    const { store, index, sink, changed } = setup();
    sink.upsert("Ingress", ingress("web", "7"));
    sink.remove("Ingress", { namespace: "shop", name: "web" });
    expect(index.get("Ingress/shop/web")).toBeUndefined();
    expect(index.size).toBe(0);
    expect(store.objects("Ingress")).toEqual([]);
    expect(changed).toEqual(["Ingress/shop/web", "Ingress/shop/web"]);
    sink.remove("Ingress", { namespace: "shop", name: "web" });
    expect(changed).toHaveLength(2);
  });

  it("passes other kinds through untouched, status included", () => {
    const { store, index, sink } = setup();
    const service = trimObject(SERVICE, {
      metadata: { name: "proxy", namespace: "shop", uid: "u-s", resourceVersion: "3" },
      spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: "203.0.113.1" }] } },
    });
    sink.upsert("Service", service);
    expect(index.size).toBe(0);
    expect(store.objects("Service")[0]).toMatchObject({
      status: { loadBalancer: { ingress: [{ ip: "203.0.113.1" }] } },
    });
    expect(sink.names("Service", undefined)).toEqual([{ namespace: "shop", name: "proxy" }]);
  });

  it("ignores an object without a name", () => {
    const { index, sink } = setup();
    sink.upsert("Ingress", { metadata: {}, status: {} });
    expect(index.size).toBe(0);
  });
});
