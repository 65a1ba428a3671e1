import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { KubeApiError, KubeUnreachableError } from "../../../src/kube/errors.ts";
import { SecretFetcher } from "../../../src/store/secret-fetcher.ts";
import { Store } from "../../../src/store/store.ts";
import { FakeKubeApi, ManualClock, settle } from "../kube/fakes.ts";
import { ingress, secret, testParse } from "./fixtures.ts";

const logger = pino({ level: "silent" });
const fetchers: SecretFetcher[] = [];

function setup() {
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
  });
  fetchers.push(fetcher);
  return { store, api, clock, fetcher };
}

afterEach(async () => {
  await Promise.all(fetchers.splice(0).map(f => f.stop()));
});

const secretNames = (store: Store) => store.objects("Secret").map(s => s.metadata.name);

describe("SecretFetcher", () => {
  it("GETs a stub's data when it becomes referenced", async () => {
    const { store, api, fetcher } = setup();
    const raw = secret("tls");
    store.upsert("Secret", raw);
    api.onList = () => ({ ...raw, metadata: { ...raw.metadata, managedFields: [{}] } });
    fetcher.start();
    store.upsert("Ingress", ingress("web", { className: "kong", tlsSecrets: ["tls"] }));
    await settle();
    expect(api.lists.map(c => c.path)).toEqual(["/api/v1/namespaces/shop/secrets/tls"]);
    expect(secretNames(store)).toEqual(["tls"]);
    expect(store.pendingSecrets()).toEqual([]);
    expect(fetcher.fetched).toBe(1);
  });

  it("picks up Secrets that were already pending when it started", async () => {
    const { store, api, fetcher } = setup();
    const raw = secret("tls");
    store.upsert("Secret", raw);
    store.upsert("Ingress", ingress("web", { className: "kong", tlsSecrets: ["tls"] }));
    api.onList = () => raw;
    fetcher.start();
    await settle();
    expect(secretNames(store)).toEqual(["tls"]);
  });

  it("retries with backoff after a failure", async () => {
    const { store, api, clock, fetcher } = setup();
    const raw = secret("tls");
    store.upsert("Secret", raw);
    let failures = 2;
    api.onList = () => {
      if (failures-- > 0) throw new KubeUnreachableError("down");
      return raw;
    };
    fetcher.start();
    store.upsert("Ingress", ingress("web", { className: "kong", tlsSecrets: ["tls"] }));
    await settle();
    expect(secretNames(store)).toEqual([]);
    await clock.advance(100);
    await clock.advance(200);
    expect(secretNames(store)).toEqual(["tls"]);
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it("gives up on a Secret that is gone (404) or no longer needed", async () => {
    const { store, api, fetcher } = setup();
    store.upsert("Secret", secret("gone"));
    store.upsert("Secret", secret("dropped"));
    api.onList = () => {
      throw new KubeApiError(404, { reason: "NotFound", message: "not found" });
    };
    fetcher.start();
    store.upsert("Ingress", ingress("web", { className: "kong", tlsSecrets: ["gone", "dropped"] }));
    store.upsert("Ingress", ingress("web", { className: "kong", tlsSecrets: ["gone"] }));
    await settle();
    expect(api.lists.map(c => c.path)).toEqual(["/api/v1/namespaces/shop/secrets/gone"]);
    expect(store.pendingSecrets()).toEqual([{ namespace: "shop", name: "gone" }]);
  });

  it("stops while waiting for work or backing off", async () => {
    const { store, api, clock, fetcher } = setup();
    store.upsert("Secret", secret("tls"));
    api.onList = () => {
      throw new KubeUnreachableError("down");
    };
    fetcher.start();
    store.upsert("Ingress", ingress("web", { className: "kong", tlsSecrets: ["tls"] }));
    await settle();
    expect(clock.pending).toBe(1);
    await fetcher.stop();
    expect(clock.pending).toBe(0);
  });
});
