import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Snapshotter, takeSnapshot } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import type { KubeObject } from "../../../src/model/k8s.ts";
import {
  broken,
  ingress,
  ingressClass,
  secret,
  secretMetadata,
  service,
  slice,
  testParse,
} from "./fixtures.ts";

function storeWith(objects: { kind: Parameters<Store["upsert"]>[0]; raw: unknown }[]): Store {
  const store = new Store({
    ingressClass: "kong",
    parse: testParse,
    logger: pino({ level: "silent" }),
  });
  for (const { kind, raw } of objects) store.upsert(kind, raw);
  return store;
}

const fixed = [
  {
    kind: "Service" as const,
    raw: service("b", { namespace: "z", uid: "s1", resourceVersion: "5" }),
  },
  {
    kind: "Service" as const,
    raw: service("a", { namespace: "z", uid: "s2", resourceVersion: "6" }),
  },
  {
    kind: "Service" as const,
    raw: service("c", { namespace: "a", uid: "s3", resourceVersion: "7" }),
  },
  {
    kind: "Ingress" as const,
    raw: ingress("web", {
      className: "kong",
      tlsSecrets: ["tls"],
      uid: "i1",
      resourceVersion: "8",
    }),
  },
  { kind: "Secret" as const, raw: secret("tls", { uid: "x1", resourceVersion: "9" }) },
  { kind: "Secret" as const, raw: secret("unused", { uid: "x2", resourceVersion: "10" }) },
  {
    kind: "IngressClass" as const,
    raw: ingressClass("kong", { uid: "c1", resourceVersion: "11" }),
  },
  { kind: "EndpointSlice" as const, raw: slice("c-1", "c", { uid: "e1", resourceVersion: "12" }) },
];

const names = (list: readonly KubeObject[]) =>
  list.map(o => `${o.metadata.namespace ?? ""}/${o.metadata.name}`);

describe("takeSnapshot", () => {
  it("sorts every list by namespace, then name, and leaves out Secret stubs", () => {
    const snap = takeSnapshot(storeWith(fixed));
    expect(names(snap.services)).toEqual(["a/c", "z/a", "z/b"]);
    expect(names(snap.ingresses)).toEqual(["shop/web"]);
    expect(names(snap.secrets)).toEqual(["shop/tls"]);
    expect(names(snap.ingressClasses)).toEqual(["/kong"]);
    expect(names(snap.endpointSlices)).toEqual(["shop/c-1"]);
  });

  it("is deep-frozen", () => {
    const snap = takeSnapshot(storeWith(fixed));
    expect(Object.isFrozen(snap)).toBe(true);
    expect(Object.isFrozen(snap.services)).toBe(true);
    expect(Object.isFrozen(snap.services[0]?.metadata)).toBe(true);
  });

  it("hashes the content, whatever the insertion order", () => {
    const forward = takeSnapshot(storeWith(fixed));
    // Reversed, except that the Ingress still precedes its Secret (else the Secret would wait for a fetch).
    const reordered = [...fixed]
      .reverse()
      .sort((a, b) => Number(a.kind === "Secret") - Number(b.kind === "Secret"));
    const backward = takeSnapshot(storeWith(reordered));
    expect(forward.hash).toBe(backward.hash);
    expect(forward.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes the hash when content changes, and changes it back when the change is undone", () => {
    const store = storeWith(fixed);
    const before = takeSnapshot(store).hash;
    const edited = service("a", { namespace: "z", uid: "s2", resourceVersion: "60" });
    store.upsert("Service", { ...edited, spec: { ...edited.spec, type: "NodePort" } });
    const after = takeSnapshot(store).hash;
    expect(after).not.toBe(before);
    store.upsert("Service", service("a", { namespace: "z", uid: "s2", resourceVersion: "61" }));
    expect(takeSnapshot(store).hash).toBe(before);
  });

  it("keeps the hash and the cached objects when only the resourceVersion or status moves", () => {
    const store = storeWith(fixed);
    const before = takeSnapshot(store);
    const moved = service("a", { namespace: "z", uid: "s2", resourceVersion: "70" });
    expect(store.upsert("Service", { ...moved, status: { loadBalancer: {} } })).toBe(false);
    const after = takeSnapshot(store);
    expect(after.hash).toBe(before.hash);
    expect(after.services).toEqual(before.services);
    expect(after.services[1]?.metadata.resourceVersion).toBe("6");
  });

  it("lists invalid objects sorted, outside the translation input", () => {
    const store = storeWith([
      { kind: "Service", raw: broken(service("b")) },
      { kind: "Ingress", raw: broken(ingress("a")) },
      { kind: "Service", raw: broken(service("a")) },
    ]);
    const snap = takeSnapshot(store);
    expect(snap.services).toEqual([]);
    expect(snap.invalid.map(i => `${i.ref.kind}/${i.ref.name}`)).toEqual([
      "Ingress/a",
      "Service/a",
      "Service/b",
    ]);
  });

  it("hashes an empty store, and a store emptied again, to the same value", () => {
    const store = storeWith(fixed.filter(o => o.kind === "Service"));
    for (const { raw } of fixed.filter(o => o.kind === "Service")) {
      const { namespace, name } = (raw as { metadata: { namespace: string; name: string } })
        .metadata;
      store.remove("Service", { namespace, name });
    }
    expect(takeSnapshot(store).hash).toBe(takeSnapshot(storeWith([])).hash);
  });
});

describe("Snapshotter", () => {
  it("returns the same snapshot until the store changes", () => {
    const store = storeWith(fixed);
    const snapshotter = new Snapshotter(store);
    const first = snapshotter.take();
    expect(snapshotter.take()).toBe(first);
    // An unchanged relist does not invalidate it.
    store.upsert("Service", fixed[0]!.raw);
    expect(snapshotter.take()).toBe(first);
    store.remove("Service", { namespace: "z", name: "b" });
    const second = snapshotter.take();
    expect(second).not.toBe(first);
    expect(names(second.services)).toEqual(["a/c", "z/a"]);
    // Kinds that did not change keep their list.
    expect(second.ingresses).toBe(first.ingresses);
  });

  it("keeps the cached snapshot while only unused Secrets change", () => {
    const store = storeWith(fixed);
    const snapshotter = new Snapshotter(store);
    const first = snapshotter.take();
    store.upsert("Secret", secret("unused", { uid: "x2", resourceVersion: "77" }));
    store.upsert("Secret", secret("helm-release", { resourceVersion: "78" }));
    store.remove("Secret", { namespace: "shop", name: "helm-release" });
    expect(snapshotter.take()).toBe(first);
  });

  it("hands out the last complete snapshot while a referenced Secret's data is on its way", () => {
    const store = storeWith(fixed);
    const snapshotter = new Snapshotter(store);
    const first = snapshotter.take();
    store.upsert("Ingress", ingress("shop", { className: "kong", tlsSecrets: ["shop-tls"] }));
    store.upsert("Secret", secretMetadata("shop-tls", { uid: "x9", resourceVersion: "20" }));
    store.upsert("Service", service("d", { namespace: "a" }));
    expect(snapshotter.take()).toBe(first);
    store.fillSecret(secret("shop-tls", { uid: "x9", resourceVersion: "20" }));
    const complete = snapshotter.take();
    expect(names(complete.ingresses)).toEqual(["shop/shop", "shop/web"]);
    expect(names(complete.secrets)).toEqual(["shop/shop-tls", "shop/tls"]);
    expect(names(complete.services)).toEqual(["a/c", "a/d", "z/a", "z/b"]);
  });

  it("does not change after the store does (a snapshot is a point in time)", () => {
    const store = storeWith(fixed);
    const snap = new Snapshotter(store).take();
    store.remove("Service", { namespace: "a", name: "c" });
    expect(names(snap.services)).toEqual(["a/c", "z/a", "z/b"]);
  });
});
