import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Secret } from "../../../src/model/k8s.ts";
import { Store, type StoreChange } from "../../../src/store/store.ts";
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

function newStore(opts: { watchNamespaces?: string[] } = {}) {
  const store = new Store({
    ingressClass: "kong",
    parse: testParse,
    logger: pino({ level: "silent" }),
    ...opts,
  });
  const changes: StoreChange[] = [];
  const needed: string[] = [];
  store.onChange(c => changes.push(c));
  store.onSecretNeeded(n => needed.push(`${n.namespace}/${n.name}`));
  return { store, changes, needed };
}

const secretNames = (store: Store) => store.objects("Secret").map(s => s.metadata.name);

describe("Store: Ingress relevance", () => {
  it.each([
    { className: "kong", relevant: true },
    { className: "nginx", relevant: false },
  ])("an Ingress of class $className is relevant: $relevant", ({ className, relevant }) => {
    const { store, changes } = newStore();
    expect(store.upsert("Ingress", ingress("web", { className }))).toBe(relevant);
    expect(changes).toHaveLength(relevant ? 1 : 0);
    // Held either way: the snapshot shows foreign Ingresses as ignored.
    expect(store.get("Ingress", "shop", "web")).toBeDefined();
  });

  it("an Ingress moving to a foreign class is relevant, because it was ours", () => {
    const { store } = newStore();
    store.upsert("Ingress", ingress("web", { className: "kong" }));
    expect(store.upsert("Ingress", ingress("web", { className: "nginx" }))).toBe(true);
    expect(store.upsert("Ingress", ingress("web", { className: "other" }))).toBe(false);
  });

  it("resolves a delete against the cached copy, needing only the name (incident e)", () => {
    const { store, changes } = newStore();
    store.upsert("Ingress", ingress("web", { className: "kong" }));
    store.upsert("Ingress", ingress("foreign", { className: "nginx" }));
    expect(store.remove("Ingress", { namespace: "shop", name: "web" })).toBe(true);
    expect(store.remove("Ingress", { namespace: "shop", name: "foreign" })).toBe(false);
    expect(store.remove("Ingress", { namespace: "shop", name: "never-seen" })).toBe(false);
    expect(changes.at(-1)).toEqual({
      kind: "Ingress",
      namespace: "shop",
      name: "web",
      type: "remove",
    });
  });

  it("a classless Ingress becomes ours when our IngressClass becomes the default", () => {
    const { store, needed } = newStore();
    store.upsert("Secret", secret("tls"));
    expect(store.upsert("Ingress", ingress("web", { tlsSecrets: ["tls"] }))).toBe(false);
    expect(store.upsert("IngressClass", ingressClass("kong", { isDefault: true }))).toBe(true);
    expect(needed).toEqual(["shop/tls"]);
    // The class change already reported it; the same Ingress delivered again (a resync) is no change.
    expect(store.upsert("Ingress", ingress("web", { tlsSecrets: ["tls"] }))).toBe(false);
    const edited = ingress("web", { tlsSecrets: ["tls"], services: ["other"] });
    expect(store.upsert("Ingress", edited)).toBe(true);
  });

  it("deleting our IngressClass keeps the Ingresses that name it and drops the classless ones", () => {
    const { store } = newStore();
    store.upsert("IngressClass", ingressClass("kong", { isDefault: true }));
    store.upsert("Ingress", ingress("named", { className: "kong" }));
    store.upsert("Ingress", ingress("classless"));
    expect(store.remove("IngressClass", { namespace: "", name: "kong" })).toBe(true);
    // Still ours: an edit to it matters. No longer ours: an edit to it does not.
    expect(store.upsert("Ingress", ingress("named", { className: "kong", services: ["b"] }))).toBe(
      true,
    );
    expect(store.upsert("Ingress", ingress("classless", { services: ["b"] }))).toBe(false);
  });

  it("a foreign IngressClass is not relevant", () => {
    const { store } = newStore();
    expect(store.upsert("IngressClass", ingressClass("nginx"))).toBe(false);
    expect(store.upsert("IngressClass", ingressClass("kong"))).toBe(true);
    expect(store.remove("IngressClass", { namespace: "", name: "kong" })).toBe(true);
  });

  it("ignores an upsert of the version it already holds (a relist)", () => {
    const { store } = newStore();
    const raw = ingress("web", { className: "kong" });
    expect(store.upsert("Ingress", raw)).toBe(true);
    const version = store.version;
    expect(store.upsert("Ingress", raw)).toBe(false);
    expect(store.version).toBe(version);
    // Same name, new uid: recreated while we were not watching.
    expect(store.upsert("Ingress", { ...raw, metadata: { ...raw.metadata, uid: "new" } })).toBe(
      true,
    );
  });
});

describe("Store: Services and EndpointSlices", () => {
  it.each([
    { via: "a rule", ing: ingress("web", { className: "kong", services: ["api"] }) },
    {
      via: "the default backend",
      ing: ingress("web", { className: "kong", defaultBackend: "api" }),
    },
  ])("a Service referenced by $via is relevant, others are not", ({ ing }) => {
    const { store } = newStore();
    store.upsert("Ingress", ing);
    expect(store.upsert("Service", service("api"))).toBe(true);
    expect(store.upsert("Service", service("other"))).toBe(false);
    expect(store.upsert("Service", service("api", { namespace: "elsewhere" }))).toBe(false);
    expect(store.remove("Service", { namespace: "shop", name: "api" })).toBe(true);
  });

  it("an EndpointSlice is relevant when its Service is referenced, judged from the cached label", () => {
    const { store } = newStore();
    store.upsert("Ingress", ingress("web", { className: "kong", services: ["api"] }));
    expect(store.upsert("EndpointSlice", slice("api-1", "api"))).toBe(true);
    expect(store.upsert("EndpointSlice", slice("other-1", "other"))).toBe(false);
    expect(store.remove("EndpointSlice", { namespace: "shop", name: "api-1" })).toBe(true);
    expect(store.remove("EndpointSlice", { namespace: "shop", name: "other-1" })).toBe(false);
  });

  it("a Service of a foreign Ingress is not relevant", () => {
    const { store } = newStore();
    store.upsert("Ingress", ingress("web", { className: "nginx", services: ["api"] }));
    expect(store.upsert("Service", service("api"))).toBe(false);
  });
});

describe("Store: Secrets", () => {
  it("keeps an unreferenced Secret only as a stub, out of snapshots", () => {
    const { store } = newStore();
    expect(store.upsert("Secret", secret("tls"))).toBe(false);
    expect(secretNames(store)).toEqual([]);
    expect(store.names("Secret", "shop")).toEqual([{ namespace: "shop", name: "tls" }]);
  });

  it.each([
    { labels: { "konghq.com/ca-cert": "true" }, kept: true },
    { labels: { "konghq.com/credential": "basic-auth" }, kept: true },
    { labels: { "konghq.com/ca-cert": "false" }, kept: false },
  ])("labels $labels keep the data: $kept", ({ labels, kept }) => {
    const { store } = newStore();
    expect(store.upsert("Secret", secret("s", { labels }))).toBe(kept);
    expect(secretNames(store)).toEqual(kept ? ["s"] : []);
  });

  it("keeps a Secret referenced when it arrives, with its data", () => {
    const { store } = newStore();
    store.upsert("Ingress", ingress("web", { className: "kong", tlsSecrets: ["tls"] }));
    expect(store.upsert("Secret", secret("tls"))).toBe(true);
    expect((store.get("Secret", "shop", "tls") as Secret).data).toBeDefined();
    expect(store.secretsToFetch()).toEqual([]);
  });

  it("asks for a stub's data when it becomes referenced, and takes the fetched copy", () => {
    const { store, needed, changes } = newStore();
    const raw = secret("tls");
    store.upsert("Secret", raw);
    store.upsert("Ingress", ingress("web", { className: "kong", tlsSecrets: ["tls"] }));
    expect(needed).toEqual(["shop/tls"]);
    expect(store.secretsToFetch()).toEqual([{ namespace: "shop", name: "tls" }]);
    expect(secretNames(store)).toEqual([]);
    changes.length = 0;
    expect(store.fillSecret(raw)).toBe(true);
    expect(secretNames(store)).toEqual(["tls"]);
    expect(store.secretsToFetch()).toEqual([]);
    expect(changes).toEqual([{ kind: "Secret", namespace: "shop", name: "tls", type: "upsert" }]);
  });

  it("refuses a fetched copy that is not needed, or of another incarnation than announced", () => {
    const { store } = newStore();
    store.upsert("Secret", secretMetadata("tls", { uid: "old" }));
    store.upsert("Ingress", ingress("web", { className: "kong", tlsSecrets: ["tls"] }));
    expect(store.fillSecret(secret("tls", { uid: "new" }))).toBe(false);
    expect(secretNames(store)).toEqual([]);
    expect(store.secretsToFetch()).toEqual([{ namespace: "shop", name: "tls" }]);
    store.upsert("Secret", secretMetadata("other"));
    expect(store.fillSecret(secret("other"))).toBe(false);
    expect(secretNames(store)).toEqual([]);
  });

  it("drops the data again when the last reference goes", () => {
    const { store } = newStore();
    store.upsert("Ingress", ingress("a", { className: "kong", tlsSecrets: ["tls"] }));
    store.upsert("Ingress", ingress("b", { className: "kong", tlsSecrets: ["tls"] }));
    store.upsert("Secret", secret("tls"));
    store.remove("Ingress", { namespace: "shop", name: "a" });
    expect(secretNames(store)).toEqual(["tls"]);
    const version = store.version;
    store.upsert("Ingress", ingress("b", { className: "kong" }));
    expect(secretNames(store)).toEqual([]);
    expect(store.version).toBeGreaterThan(version);
    expect(store.remove("Secret", { namespace: "shop", name: "tls" })).toBe(false);
  });

  it("a referenced Secret's delete is relevant even before its data arrived", () => {
    const { store } = newStore();
    store.upsert("Secret", secret("tls"));
    store.upsert("Ingress", ingress("web", { className: "kong", tlsSecrets: ["tls"] }));
    expect(store.remove("Secret", { namespace: "shop", name: "tls" })).toBe(true);
    expect(store.secretsToFetch()).toEqual([]);
  });
});

describe("Store: Secrets watched as metadata only", () => {
  const ours = (tlsSecrets: string[]) => ingress("web", { className: "kong", tlsSecrets });
  const tlsKey = { namespace: "shop", name: "tls" };

  it("never holds data for an unreferenced Secret, nor asks for it", () => {
    const { store, changes, needed } = newStore();
    const version = store.version;
    expect(store.upsert("Secret", secretMetadata("release.v1"))).toBe(false);
    expect(store.upsert("Secret", secretMetadata("release.v1"))).toBe(false);
    expect(store.names("Secret", "shop")).toEqual([{ namespace: "shop", name: "release.v1" }]);
    expect([secretNames(store), changes, needed]).toEqual([[], [], []]);
    expect([store.version, store.awaitingData()]).toEqual([version, false]);
  });

  it("takes a referenced Secret's metadata for a need, not for a Secret without data", () => {
    const { store, changes, needed } = newStore();
    store.upsert("Ingress", ours(["tls"]));
    changes.length = 0;
    expect(store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }))).toBe(false);
    expect(secretNames(store)).toEqual([]);
    expect(needed).toEqual(["shop/tls"]);
    expect(store.awaitingData()).toBe(true);
    expect(store.fillSecret(secret("tls", { resourceVersion: "5" }))).toBe(true);
    expect((store.get("Secret", "shop", "tls") as Secret).data).toBeDefined();
    expect([store.awaitingData(), store.needsSecretData(tlsKey)]).toEqual([false, false]);
    expect(changes).toEqual([{ kind: "Secret", ...tlsKey, type: "upsert" }]);
  });

  it("keeps the data it holds while a new version announced by the watch is fetched", () => {
    const { store, changes, needed } = newStore();
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    store.fillSecret(secret("tls", { resourceVersion: "5" }));
    changes.length = 0;
    needed.length = 0;
    const version = store.version;
    expect(store.upsert("Secret", secretMetadata("tls", { resourceVersion: "6" }))).toBe(false);
    expect(needed).toEqual(["shop/tls"]);
    expect(store.get("Secret", "shop", "tls")?.metadata.resourceVersion).toBe("5");
    expect([store.awaitingData(), store.version]).toEqual([false, version]);
    const renewed = { ...secret("tls", { resourceVersion: "6" }), data: { "tls.crt": "bmV3" } };
    expect(store.fillSecret(renewed)).toBe(true);
    expect((store.get("Secret", "shop", "tls") as Secret).data).toEqual({ "tls.crt": "bmV3" });
    expect(store.needsSecretData(tlsKey)).toBe(false);
    expect(changes).toEqual([{ kind: "Secret", ...tlsKey, type: "upsert" }]);
  });

  it("asks for nothing when the watch announces the version held", () => {
    const { store, needed } = newStore();
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    store.fillSecret(secret("tls", { resourceVersion: "5" }));
    needed.length = 0;
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    expect([needed, store.secretsToFetch()]).toEqual([[], []]);
  });

  it("holds a fetched version newer than the watch announced, until the watch catches up", () => {
    const { store } = newStore();
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    expect(store.fillSecret(secret("tls", { resourceVersion: "7" }))).toBe(true);
    expect(store.get("Secret", "shop", "tls")?.metadata.resourceVersion).toBe("7");
    expect([store.awaitingData(), store.needsSecretData(tlsKey)]).toEqual([false, true]);
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "7" }));
    expect(store.needsSecretData(tlsKey)).toBe(false);
  });

  it("needs a labelled Secret's data, and drops it when the label goes", () => {
    const { store, needed } = newStore();
    const labels = { "konghq.com/ca-cert": "true" };
    store.upsert("Secret", secretMetadata("ca", { labels, resourceVersion: "5" }));
    expect(needed).toEqual(["shop/ca"]);
    store.fillSecret(secret("ca", { labels, resourceVersion: "5" }));
    expect(secretNames(store)).toEqual(["ca"]);
    expect(store.upsert("Secret", secretMetadata("ca", { resourceVersion: "6" }))).toBe(true);
    expect(secretNames(store)).toEqual([]);
    expect(store.secretsToFetch()).toEqual([]);
  });

  it("stops holding snapshots back for a Secret whose fetching keeps failing, also after a relist", () => {
    const { store, changes } = newStore();
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    changes.length = 0;
    store.secretUnavailable(tlsKey);
    expect(store.awaitingData()).toBe(false);
    expect(changes).toEqual([{ kind: "Secret", ...tlsKey, type: "upsert" }]);
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    expect([store.awaitingData(), store.needsSecretData(tlsKey)]).toEqual([false, true]);
  });

  it("reports the end of a wait as a change, also when nothing else changed", () => {
    const { store, changes } = newStore();
    const labels = { "konghq.com/ca-cert": "true" };
    store.upsert("Secret", secretMetadata("ca", { labels, resourceVersion: "5" }));
    expect(store.awaitingData()).toBe(true);
    expect(store.upsert("Secret", secretMetadata("ca", { resourceVersion: "6" }))).toBe(true);
    expect(store.awaitingData()).toBe(false);
    expect(changes).toEqual([{ kind: "Secret", namespace: "shop", name: "ca", type: "upsert" }]);
  });

  it("ends the wait when the last reference goes before the data arrived", () => {
    const { store } = newStore();
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls"));
    expect(store.awaitingData()).toBe(true);
    expect(store.upsert("Ingress", ours([]))).toBe(true);
    expect([store.awaitingData(), store.secretsToFetch()]).toEqual([false, []]);
  });
});

describe("Store: invalid objects", () => {
  it("reports an object that fails parsing, keeps it out of snapshots, and clears it when fixed", () => {
    const { store } = newStore();
    const raw = ingress("web", { className: "kong" });
    expect(store.upsert("Ingress", broken(raw))).toBe(true);
    expect(store.objects("Ingress")).toEqual([]);
    expect(store.invalidObjects()).toEqual([
      {
        ref: {
          group: "networking.k8s.io",
          version: "v1",
          kind: "Ingress",
          namespace: "shop",
          name: "web",
          uid: "uid-shop-web",
        },
        reason: "spec: broken on purpose",
      },
    ]);
    expect(
      store.upsert("Ingress", { ...raw, metadata: { ...raw.metadata, resourceVersion: "999" } }),
    ).toBe(true);
    expect(store.invalidObjects()).toEqual([]);
    expect(store.objects("Ingress")).toHaveLength(1);
  });

  it("reports an unsupported kind with its reason, and its delete is relevant", () => {
    const { store } = newStore();
    store.upsert("Service", { ...service("odd"), kind: "Widget" });
    expect(store.invalidObjects()[0]?.reason).toMatch(/unsupported kind Widget/);
    expect(store.remove("Service", { namespace: "shop", name: "odd" })).toBe(true);
    expect(store.invalidObjects()).toEqual([]);
  });

  it("ignores an object without a name", () => {
    const { store } = newStore();
    expect(store.upsert("Service", { metadata: {} })).toBe(false);
    expect(store.names("Service", undefined)).toEqual([]);
  });
});

describe("Store: scope and listeners", () => {
  it("ignores objects outside --watch-namespace, but not cluster-scoped ones", () => {
    const { store } = newStore({ watchNamespaces: ["shop"] });
    store.upsert("Service", service("a", { namespace: "shop" }));
    store.upsert("Service", service("b", { namespace: "other" }));
    store.upsert("IngressClass", ingressClass("kong"));
    expect(store.names("Service", undefined)).toEqual([{ namespace: "shop", name: "a" }]);
    expect(store.names("IngressClass", undefined)).toEqual([{ namespace: "", name: "kong" }]);
  });

  it("lists names per namespace, invalid and stub entries included", () => {
    const { store } = newStore();
    store.upsert("Secret", secret("stub", { namespace: "a" }));
    store.upsert("Secret", broken(secret("bad", { namespace: "a" })));
    store.upsert("Secret", secret("other", { namespace: "b" }));
    expect(
      store
        .names("Secret", "a")
        .map(n => n.name)
        .sort(),
    ).toEqual(["bad", "stub"]);
    expect(store.names("Secret", undefined)).toHaveLength(3);
  });

  it("keeps going when a listener throws, and stops notifying after unsubscribe", () => {
    const { store } = newStore();
    const seen: string[] = [];
    store.onChange(() => {
      throw new Error("listener bug");
    });
    const off = store.onChange(c => seen.push(c.name));
    expect(store.upsert("Ingress", ingress("a", { className: "kong" }))).toBe(true);
    off();
    store.upsert("Ingress", ingress("b", { className: "kong" }));
    expect(seen).toEqual(["a"]);
  });

  it("freezes what it holds", () => {
    const { store } = newStore();
    store.upsert("Service", service("a"));
    expect(Object.isFrozen(store.get("Service", "shop", "a")?.metadata)).toBe(true);
  });
});
