import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { KubeApiError, KubeUnreachableError } from "../../../src/kube/errors.ts";
import { SecretFetcher } from "../../../src/store/secret-fetcher.ts";
import { Store } from "../../../src/store/store.ts";
import { FakeKubeApi, ManualClock, ScriptedGate, settle, type ListCall } from "../kube/fakes.ts";
import { ingress, secret, secretMetadata, testParse } from "./fixtures.ts";

const logger = pino({ level: "silent" });
const fetchers: SecretFetcher[] = [];

function setup(opts: { parallelism?: number; gate?: ScriptedGate } = {}) {
  const store = new Store({ ingressClass: "kong", parse: testParse, logger });
  const api = new FakeKubeApi();
  const clock = new ManualClock();
  const fetcher = new SecretFetcher({
    api,
    store,
    clock,
    random: () => 0,
    logger,
    backoff: { initialMs: 100, maxMs: 1000, jitter: 0 },
    ...opts,
  });
  fetchers.push(fetcher);
  return { store, api, clock, fetcher };
}

afterEach(async () => {
  await Promise.all(fetchers.splice(0).map(f => f.stop()));
});

const secretNames = (store: Store) =>
  store
    .objects("Secret")
    .map(s => s.metadata.name)
    .sort();
const nameOfPath = (call: ListCall) => call.path.split("/").at(-1) ?? "";
const ours = (tlsSecrets: string[]) => ingress("web", { className: "kong", tlsSecrets });

/** GETs the test answers one by one: each call waits until `answer(name)`. */
function heldAnswers(api: FakeKubeApi, objects: Map<string, unknown>) {
  const waiting = new Map<string, () => void>();
  api.onList = async call => {
    const name = nameOfPath(call);
    await new Promise<void>(resolve => waiting.set(name, resolve));
    return objects.get(name);
  };
  return {
    inFlight: () => [...waiting.keys()].sort(),
    answer: async (name: string) => {
      const release = waiting.get(name);
      waiting.delete(name);
      release?.();
      await settle();
    },
  };
}

describe("SecretFetcher", () => {
  it("GETs a Secret's data when it becomes referenced", async () => {
    const { store, api, fetcher } = setup();
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    const raw = secret("tls", { resourceVersion: "5" });
    api.onList = () => ({ ...raw, metadata: { ...raw.metadata, managedFields: [{}] } });
    fetcher.start();
    store.upsert("Ingress", ours(["tls"]));
    await settle();
    expect(api.lists.map(c => c.path)).toEqual(["/api/v1/namespaces/shop/secrets/tls"]);
    expect(secretNames(store)).toEqual(["tls"]);
    expect(store.secretsToFetch()).toEqual([]);
    expect(fetcher.fetched).toBe(1);
  });

  it("picks up Secrets that were already needed when it started", async () => {
    const { store, api, fetcher } = setup();
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    store.upsert("Ingress", ours(["tls"]));
    api.onList = () => secret("tls", { resourceVersion: "5" });
    fetcher.start();
    await settle();
    expect(secretNames(store)).toEqual(["tls"]);
  });

  it("fetches again when the watch announces a new version of a Secret it holds", async () => {
    const { store, api, fetcher } = setup();
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    let current: object = secret("tls", { resourceVersion: "5" });
    api.onList = () => current;
    fetcher.start();
    await settle();
    current = { ...secret("tls", { resourceVersion: "6" }), data: { "tls.crt": "bmV3" } };
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "6" }));
    await settle();
    expect(api.lists).toHaveLength(2);
    expect(store.get("Secret", "shop", "tls")).toMatchObject({ data: { "tls.crt": "bmV3" } });
  });

  it("runs several GETs at once, never more than its parallelism", async () => {
    const { store, api, fetcher } = setup({ parallelism: 3 });
    const names = ["a", "b", "c", "d", "e"];
    const objects = new Map(names.map(n => [n, secret(n, { resourceVersion: "5" })]));
    const held = heldAnswers(api, objects);
    for (const n of names) store.upsert("Secret", secretMetadata(n, { resourceVersion: "5" }));
    store.upsert("Ingress", ours(names));
    fetcher.start();
    await settle();
    expect(held.inFlight()).toEqual(["a", "b", "c"]);
    await held.answer("b");
    expect(held.inFlight()).toEqual(["a", "c", "d"]);
    for (const n of ["a", "c", "d", "e"]) await held.answer(n);
    expect(secretNames(store)).toEqual(names);
  });

  it("never fetches one Secret twice at once: a version announced meanwhile is fetched after", async () => {
    const { store, api, fetcher } = setup();
    const objects = new Map([["tls", secret("tls", { resourceVersion: "5" })]]);
    const held = heldAnswers(api, objects);
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    fetcher.start();
    await settle();
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "6" }));
    await settle();
    expect(api.lists).toHaveLength(1);
    // The answer was read before the update: the newer version is fetched next.
    await held.answer("tls");
    expect(api.lists).toHaveLength(2);
    expect(store.get("Secret", "shop", "tls")?.metadata.resourceVersion).toBe("5");
    objects.set("tls", secret("tls", { resourceVersion: "6" }));
    await held.answer("tls");
    expect(store.get("Secret", "shop", "tls")?.metadata.resourceVersion).toBe("6");
    expect(store.secretsToFetch()).toEqual([]);
  });

  it("retries each Secret with its own backoff, without holding up the others", async () => {
    const { store, api, clock, fetcher } = setup({ parallelism: 1 });
    let failures = 2;
    api.onList = call => {
      const name = nameOfPath(call);
      if (name === "flaky" && failures-- > 0) throw new KubeUnreachableError("down");
      return secret(name, { resourceVersion: "5" });
    };
    for (const n of ["flaky", "fine"])
      store.upsert("Secret", secretMetadata(n, { resourceVersion: "5" }));
    fetcher.start();
    store.upsert("Ingress", ours(["flaky", "fine"]));
    await settle();
    expect(secretNames(store)).toEqual(["fine"]);
    await clock.advance(100);
    await clock.advance(200);
    expect(secretNames(store)).toEqual(["fine", "flaky"]);
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it("stops holding snapshots back for a Secret that keeps failing, and keeps trying", async () => {
    const { store, api, clock, fetcher } = setup();
    let forbidden = true;
    api.onList = () => {
      if (forbidden) throw new KubeApiError(403, { reason: "Forbidden", message: "no" });
      return secret("tls", { resourceVersion: "5" });
    };
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    fetcher.start();
    let settled = false;
    void fetcher.waitSettled(new AbortController().signal).then(() => (settled = true));
    await clock.advance(100);
    expect([store.awaitingData(), settled]).toEqual([true, false]);
    await clock.advance(200);
    expect([store.awaitingData(), settled]).toEqual([false, true]);
    forbidden = false;
    await clock.advance(400);
    expect(secretNames(store)).toEqual(["tls"]);
  });

  it("keeps snapshots waiting while the API server is out of reach: only answers count toward giving up", async () => {
    const { store, api, clock, fetcher } = setup();
    let failure: Error = new KubeUnreachableError("connect ECONNREFUSED");
    api.onList = () => {
      throw failure;
    };
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    fetcher.start();
    await settle();
    for (const delay of [100, 200, 400, 800, 1000, 1000]) await clock.advance(delay);
    expect(api.lists).toHaveLength(7);
    expect(store.awaitingData()).toBe(true);
    failure = new KubeApiError(403, { reason: "Forbidden", message: "no" });
    await clock.advance(1000);
    await clock.advance(1000);
    expect(store.awaitingData()).toBe(true);
    await clock.advance(1000);
    expect(store.awaitingData()).toBe(false);
  });

  it("retries at once when the gate says the API server is back, its backoff started afresh", async () => {
    const gate = new ScriptedGate();
    const { store, api, fetcher } = setup({ gate });
    let down = true;
    api.onList = () => {
      if (down) throw new KubeUnreachableError("connect ECONNREFUSED");
      return secret("tls", { resourceVersion: "5" });
    };
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    fetcher.start();
    await settle();
    gate.end("elapsed");
    await settle();
    gate.end("elapsed");
    await settle();
    expect(gate.waits).toEqual([100, 200, 400]);
    gate.end("recovered");
    await settle();
    expect(gate.waits).toEqual([100, 200, 400, 100]);
    down = false;
    gate.end("recovered");
    await settle();
    expect(secretNames(store)).toEqual(["tls"]);
    expect(gate.successes).toBe(1);
  });

  it("settles once the data every snapshot waits for has arrived", async () => {
    const { store, api, fetcher } = setup();
    const held = heldAnswers(api, new Map([["tls", secret("tls", { resourceVersion: "5" })]]));
    store.upsert("Ingress", ours(["tls"]));
    store.upsert("Secret", secretMetadata("tls", { resourceVersion: "5" }));
    fetcher.start();
    let settled = false;
    void fetcher.waitSettled(new AbortController().signal).then(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    await held.answer("tls");
    expect(settled).toBe(true);
  });

  it("drops a Secret that is gone (404) or no longer needed", async () => {
    const { store, api, fetcher } = setup();
    store.upsert("Secret", secretMetadata("gone"));
    store.upsert("Secret", secretMetadata("dropped"));
    api.onList = () => {
      throw new KubeApiError(404, { reason: "NotFound", message: "not found" });
    };
    fetcher.start();
    store.upsert("Ingress", ours(["gone", "dropped"]));
    store.upsert("Ingress", ours(["gone"]));
    await settle();
    expect(api.lists.map(c => c.path)).toEqual(["/api/v1/namespaces/shop/secrets/gone"]);
    // The watch's delete ends the need.
    expect(store.secretsToFetch()).toEqual([{ namespace: "shop", name: "gone" }]);
    store.remove("Secret", { namespace: "shop", name: "gone" });
    expect(store.secretsToFetch()).toEqual([]);
  });

  it("stops while waiting for work or backing off", async () => {
    const { store, api, clock, fetcher } = setup();
    store.upsert("Secret", secretMetadata("tls"));
    api.onList = () => {
      throw new KubeUnreachableError("down");
    };
    fetcher.start();
    store.upsert("Ingress", ours(["tls"]));
    await settle();
    expect(clock.pending).toBe(1);
    await fetcher.stop();
    expect(clock.pending).toBe(0);
  });
});
