import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Service } from "../../../src/model/k8s.ts";
import { refKey } from "../../../src/model/object-ref.ts";
import {
  GatewayApiStatusPublisher,
  type GatewayApiStatusPublisherOptions,
} from "../../../src/status/gateway-publisher.ts";
import { WAITING_FOR_KONG } from "../../../src/status/gateway-held.ts";
import { statusKey, type DesiredStatus } from "../../../src/status/mutator.ts";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  TranslationMemo,
  translate as translateSnapshot,
} from "../../../src/translator/index.ts";
import {
  cluster,
  G,
  gatewayClassManifest,
  gatewayManifest,
  httpRouteManifest,
  OURS,
  serviceManifest,
  translatedStatuses,
} from "./gateway-api-fixtures.ts";

function setup(opts: Partial<GatewayApiStatusPublisherOptions> = {}) {
  /** What the writer was last told, by key; released keys are removed. */
  const desired = new Map<string, DesiredStatus>();
  const released: string[] = [];
  /** How many desired statuses were handed to the writer, repeats included. */
  const handed = { count: 0 };
  const publisher = new GatewayApiStatusPublisher({
    statuses: {
      desire: d => {
        handed.count++;
        desired.set(statusKey(d), d);
      },
      release: key => {
        released.push(key);
        desired.delete(key);
      },
    },
    logger: pino({ level: "silent" }),
    updateStatus: true,
    controllerName: OURS,
    statusAddresses: ["192.0.2.10", "kong.example.com"],
    ...opts,
  });
  return { desired, released, publisher, handed };
}

const publishService: Service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "kong-proxy", namespace: "kong" },
  spec: { type: "ClusterIP", clusterIP: "10.0.0.7", clusterIPs: ["10.0.0.7"] },
};

describe("GatewayApiStatusPublisher", () => {
  it("shows every translation at once: GatewayClasses as decided, Gateways and routes pending Kong", () => {
    const { desired, publisher } = setup();
    publisher.onTranslated(cluster());
    expect([...desired.keys()].sort()).toEqual([
      "Gateway/infra/kong",
      "GatewayClass/kong",
      "HTTPRoute/shop/web",
    ]);
    const waiting = { status: "False", reason: "Pending", message: WAITING_FOR_KONG };
    expect(desired.get("Gateway/infra/kong")).toMatchObject({
      conditions: [
        { type: "Accepted", status: "True", reason: "Accepted" },
        { type: "Programmed", ...waiting },
      ],
      listeners: [
        {
          name: "http",
          conditions: expect.arrayContaining([
            expect.objectContaining({ type: "Programmed", ...waiting }),
            expect.objectContaining({ type: "Accepted", status: "True" }),
          ]) as unknown,
        },
      ],
    });
    expect(desired.get("HTTPRoute/shop/web")).toMatchObject({
      parents: [
        {
          conditions: [
            { type: "Accepted", status: "Unknown", reason: "Pending", message: WAITING_FOR_KONG },
            { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs" },
          ],
        },
      ],
    });

    publisher.onConfigApplied(cluster());
    expect(desired.get("Gateway/infra/kong")).toMatchObject({
      conditions: [{ type: "Accepted" }, { type: "Programmed", status: "True" }],
    });
    expect(desired.get("HTTPRoute/shop/web")).toMatchObject({
      parents: [{ conditions: [{ type: "Accepted", status: "True" }, { type: "ResolvedRefs" }] }],
    });
  });

  it("keeps what a route's translation refused, pending only what waits for Kong", () => {
    const { desired, publisher } = setup();
    const elsewhere = httpRouteManifest({
      parents: [{ group: G, kind: "Gateway", namespace: "infra", name: "kong", sectionName: "x" }],
    });
    publisher.onTranslated(cluster({ route: elsewhere }));
    expect(desired.get("HTTPRoute/shop/web")).toMatchObject({
      parents: [
        {
          conditions: [
            { type: "Accepted", status: "False", reason: "NoMatchingParent" },
            { type: "ResolvedRefs", status: "True" },
          ],
        },
      ],
    });
  });

  it("shows a route Kong rejected as not accepted, in Kong's words, while the rest is applied", () => {
    const { desired, publisher } = setup();
    publisher.onTranslated(cluster());
    // Kong took a fallback without the route: its translation has the route attached nowhere.
    const fallback = translatedStatuses([gatewayClassManifest(), gatewayManifest()]);
    publisher.onConfigApplied(fallback);
    publisher.onAppliedReport({
      configured: new Map(),
      excluded: [
        {
          ref: {
            group: G,
            version: "v1",
            kind: "HTTPRoute",
            namespace: "shop",
            name: "web",
          },
          reason: "KongConfigurationApplyFailed",
          message: "route: invalid path",
        },
      ],
    });
    expect(desired.get("HTTPRoute/shop/web")).toMatchObject({
      parents: [
        {
          conditions: [
            {
              type: "Accepted",
              status: "False",
              reason: "KongConfigurationApplyFailed",
              message: "not in the configuration Kong accepted: route: invalid path",
            },
            { type: "ResolvedRefs", status: "True" },
          ],
        },
      ],
    });
    expect(desired.get("Gateway/infra/kong")).toMatchObject({
      conditions: [{ type: "Accepted" }, { type: "Programmed", status: "True" }],
    });
  });

  it("shows a Gateway Kong rejected as not programmed, in Kong's words", () => {
    const { desired, publisher } = setup();
    publisher.onTranslated(cluster());
    publisher.onAppliedReport({
      configured: new Map(),
      excluded: [
        {
          ref: { group: G, version: "v1", kind: "Gateway", namespace: "infra", name: "kong" },
          reason: "KongConfigurationApplyFailed",
          message: "certificate: invalid key",
        },
      ],
    });
    expect(desired.get("Gateway/infra/kong")).toMatchObject({
      conditions: [
        { type: "Accepted", status: "True" },
        {
          type: "Programmed",
          status: "False",
          reason: "KongConfigurationApplyFailed",
          message: "not in the configuration Kong accepted: certificate: invalid key",
        },
      ],
    });
  });

  it("after a restart, shows the newest translation of what Kong already runs, without a Pending flap", () => {
    const { desired, publisher } = setup();
    publisher.onTranslated(cluster());
    // Kong's running config, read back, holds the route: no confirmed push of ours yet.
    publisher.onAppliedReport({
      configured: new Map(
        [
          { group: G, version: "v1", kind: "HTTPRoute", namespace: "shop", name: "web" },
          { group: G, version: "v1", kind: "Gateway", namespace: "infra", name: "kong" },
        ].map(ref => [refKey(ref), ref]),
      ),
      excluded: [],
    });
    expect(desired.get("HTTPRoute/shop/web")).toMatchObject({
      parents: [{ conditions: [{ type: "Accepted", status: "True" }, { type: "ResolvedRefs" }] }],
    });
    expect(desired.get("Gateway/infra/kong")).toMatchObject({
      conditions: [{ type: "Accepted" }, { type: "Programmed", status: "True" }],
    });
  });

  it("hands nothing again for a report that changes no Gateway or route, or the same statuses again", () => {
    const { desired, publisher, handed } = setup();
    const route = { group: G, version: "v1", kind: "HTTPRoute", namespace: "shop", name: "web" };
    const gateway = { group: G, version: "v1", kind: "Gateway", namespace: "infra", name: "kong" };
    const slice = {
      group: "discovery.k8s.io",
      version: "v1",
      kind: "EndpointSlice",
      namespace: "shop",
      name: "web-x",
    };
    const held = (...refs: (typeof route)[]) => new Map(refs.map(ref => [refKey(ref), ref]));
    const statuses = cluster();
    publisher.onTranslated(statuses);
    publisher.onConfigApplied(statuses);
    publisher.onAppliedReport({ configured: held(route, gateway), excluded: [], serial: 1 });
    const before = handed.count;
    expect(before).toBeGreaterThan(0);
    // A slice's upstream changed: Kong holds every Gateway and route as in report 1.
    const second = { configured: held(route, gateway, slice), excluded: [] };
    publisher.onAppliedReport({
      ...second,
      serial: 2,
      changes: { since: 1, keys: new Set([refKey(slice)]) },
    });
    publisher.onTranslated(statuses);
    expect(handed.count).toBe(before);
    // What the writer holds is what a publisher handed everything would give it.
    const full = setup();
    full.publisher.onTranslated(statuses);
    full.publisher.onConfigApplied(statuses);
    full.publisher.onAppliedReport(second);
    expect(desired).toEqual(full.desired);
    // Other statuses in between: the same ones again are handed again.
    publisher.onTranslated(translatedStatuses([gatewayClassManifest(), gatewayManifest()]));
    const between = handed.count;
    publisher.onTranslated(statuses);
    expect(handed.count).toBeGreaterThan(between);
    const again = handed.count;
    // Changes since a report this publisher did not handle last say nothing: all is handed again.
    publisher.onAppliedReport({
      configured: held(route, gateway, slice),
      excluded: [],
      serial: 4,
      changes: { since: 3, keys: new Set([refKey(slice)]) },
    });
    expect(handed.count).toBeGreaterThan(again);
    // Kong rejects the route: the changes name it, and its status says so.
    publisher.onAppliedReport({
      configured: held(gateway, slice),
      excluded: [
        { ...{ ref: route }, reason: "KongConfigurationApplyFailed", message: "bad path" },
      ],
      serial: 5,
      changes: { since: 4, keys: new Set([refKey(route)]) },
    });
    expect(desired.get("HTTPRoute/shop/web")).toMatchObject({
      parents: [
        {
          conditions: [
            expect.objectContaining({ type: "Accepted", status: "False" }),
            expect.objectContaining({ type: "ResolvedRefs" }),
          ],
        },
      ],
    });
  });

  it("hands an unchanged route's desired status on as the same object after a translation that changed another", () => {
    const store = new Store({
      ingressClass: "kong",
      parse: parseSupportedObject,
      logger: pino({ level: "silent" }),
    });
    const api = (generation: number, path: string) => {
      const manifest = httpRouteManifest({ generation });
      return {
        ...manifest,
        metadata: {
          ...manifest.metadata,
          name: "api",
          uid: "uid-api",
          resourceVersion: `2${generation}`,
        },
        spec: {
          ...manifest.spec,
          rules: [
            {
              matches: [{ path: { type: "PathPrefix", value: path } }],
              backendRefs: [{ name: "web", port: 80 }],
            },
          ],
        },
      };
    };
    for (const raw of [
      gatewayClassManifest(),
      gatewayManifest(),
      httpRouteManifest(),
      api(1, "/v1"),
      serviceManifest(),
    ])
      store.upsert(raw.kind as "HTTPRoute", raw);
    const snapshots = new Snapshotter(store);
    const translator = createTranslator(DEFAULT_TRANSLATE_OPTIONS, new TranslationMemo());
    const { desired, publisher } = setup();
    const first = translator(snapshots.take()).gatewayApi;
    publisher.onTranslated(first);
    publisher.onConfigApplied(first);
    const web = desired.get("HTTPRoute/shop/web");
    const apiBefore = desired.get("HTTPRoute/shop/api");
    expect(web).toBeDefined();
    store.upsert("HTTPRoute", api(2, "/v2"));
    const snapshot = snapshots.take();
    const second = translator(snapshot).gatewayApi;
    // Translation keeps the unchanged statuses' objects, and its statuses equal a cold translation's.
    expect(second).toEqual(translateSnapshot(snapshot, DEFAULT_TRANSLATE_OPTIONS).gatewayApi);
    expect(second.routes.find(r => r.name === "web")).toBe(
      first.routes.find(r => r.name === "web"),
    );
    expect(second.gateways[0]).toBe(first.gateways[0]);
    publisher.onTranslated(second);
    publisher.onConfigApplied(second);
    // The writer tells the unchanged one by identity; the edited one is new, at its new generation.
    expect(desired.get("HTTPRoute/shop/web")).toBe(web);
    const apiAfter = desired.get("HTTPRoute/shop/api");
    expect(apiAfter).not.toBe(apiBefore);
    expect(apiAfter).toMatchObject({ generation: 2 });
    // What the writer holds is what a publisher handed only the second translation would give it.
    const fresh = setup();
    fresh.publisher.onTranslated(second);
    fresh.publisher.onConfigApplied(second);
    expect(desired).toEqual(fresh.desired);
  });

  it("gives each condition the generation translation saw, and routes our controller name", () => {
    const { desired, publisher } = setup();
    publisher.onTranslated(cluster());
    publisher.onConfigApplied(cluster());
    const route = desired.get("HTTPRoute/shop/web");
    expect(route).toMatchObject({ kind: "HTTPRoute", generation: 3, controllerName: OURS });
    const gateway = desired.get("Gateway/infra/kong");
    expect(gateway).toMatchObject({
      generation: 2,
      conditions: [
        { type: "Accepted", observedGeneration: 2 },
        { type: "Programmed", observedGeneration: 2 },
      ],
    });
    expect(desired.get("GatewayClass/kong")).toMatchObject({
      conditions: [{ type: "Accepted", status: "True", observedGeneration: 1 }],
    });
  });

  it("publishes --publish-status-address on Gateways, typed", () => {
    const { desired, publisher } = setup();
    publisher.onConfigApplied(cluster());
    expect(desired.get("Gateway/infra/kong")).toMatchObject({
      addresses: [
        { type: "IPAddress", value: "192.0.2.10" },
        { type: "Hostname", value: "kong.example.com" },
      ],
    });
  });

  it("leaves Gateway addresses alone until the publish Service has some, then publishes them", () => {
    const { desired, publisher } = setup({
      statusAddresses: [],
      publishService: { namespace: "kong", name: "kong-proxy" },
    });
    publisher.onConfigApplied(cluster());
    expect(desired.get("Gateway/infra/kong")).not.toHaveProperty("addresses");
    publisher.onPublishServiceChanged(publishService);
    expect(desired.get("Gateway/infra/kong")).toMatchObject({
      addresses: [{ type: "IPAddress", value: "10.0.0.7" }],
    });
  });

  it("releases what the accepted config no longer decides, and keeps GatewayClasses apart from it", () => {
    const { desired, released, publisher } = setup();
    publisher.onTranslated(cluster());
    publisher.onConfigApplied(cluster());
    // Kong now runs a config of a cluster without the Gateway: the route's parents are none of ours.
    const without = translatedStatuses([
      gatewayClassManifest(),
      httpRouteManifest(),
      serviceManifest(),
    ]);
    publisher.onTranslated(without);
    expect(released).toEqual(["Gateway/infra/kong"]);
    // Kong still runs the route on the Gateway until it accepts the new config.
    expect(desired.get("HTTPRoute/shop/web")).toMatchObject({
      parents: [{ conditions: [{ type: "Accepted", status: "True" }, { type: "ResolvedRefs" }] }],
    });
    publisher.onConfigApplied(without);
    expect(desired.get("HTTPRoute/shop/web")).toMatchObject({ parents: [] });
    expect(desired.has("GatewayClass/kong")).toBe(true);
  });

  it("hands routes of every kind, and nothing else", () => {
    const { desired, publisher } = setup();
    const tcp = {
      ...httpRouteManifest(),
      apiVersion: `${G}/v1alpha2`,
      kind: "TCPRoute",
      metadata: { ...httpRouteManifest().metadata, name: "db" },
    };
    const listeners = [{ name: "db", port: 5432, protocol: "TCP" }];
    publisher.onConfigApplied(
      translatedStatuses([
        gatewayClassManifest(),
        gatewayManifest({ listeners }),
        tcp,
        serviceManifest(),
      ]),
    );
    expect(desired.get("TCPRoute/shop/db")).toMatchObject({ kind: "TCPRoute", parents: [{}] });
  });

  it("writes nothing with --update-status=false", () => {
    const { desired, publisher } = setup({ updateStatus: false });
    publisher.onTranslated(cluster());
    publisher.onConfigApplied(cluster());
    expect(desired.size).toBe(0);
  });
});
