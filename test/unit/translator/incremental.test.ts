/**
 * Property: a memoising translator fed the store's snapshots after every change of a random sequence gives
 * exactly what a cold translation of the same snapshot gives (config bytes and results), and the shared
 * encoder's bytes equal a fresh encoding. The changes come through a real Store and Snapshotter, as in
 * the controller, so unchanged objects keep their identity and the memo is really exercised.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { WatchedKind } from "../../../src/kube/kinds.ts";
import { ConfigEncoder, encodeConfig } from "../../../src/kong/admin-client.ts";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  translate,
} from "../../../src/translator/index.ts";
import { seededRandom } from "../../support/seeded-random.ts";

const certs = join(import.meta.dirname, "..", "..", "fixtures", "certs");
const b64 = (file: string): string => readFileSync(join(certs, file)).toString("base64");
const GOOD_TLS = { "tls.crt": b64("shop.crt"), "tls.key": b64("shop.key") };
const OTHER_TLS = { "tls.crt": b64("api.crt"), "tls.key": b64("api.key") };
const BAD_TLS = { "tls.crt": Buffer.from("not a certificate").toString("base64"), "tls.key": "" };

type Change =
  | { kind: WatchedKind; raw: unknown }
  | { kind: WatchedKind; remove: { namespace: string; name: string } };

function generator(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const namespaces = ["a", "b"];
  const names = ["web", "api", "shop", "admin"];
  let rv = 1;
  const meta = (name: string, namespace?: string, extra: object = {}) => ({
    name,
    ...(namespace === undefined ? {} : { namespace }),
    uid: `uid-${namespace ?? ""}-${name}`,
    resourceVersion: String(rv++),
    creationTimestamp: `2024-01-0${1 + Math.floor(random() * 3)}T00:00:00Z`,
    ...extra,
  });
  const service = (namespace: string, name: string) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(name, namespace, {
      // Annotations the translator takes fast paths past when absent: plugins, an upstream policy.
      annotations: pick([
        {},
        {},
        {},
        { "konghq.com/read-timeout": pick(["1000", "x"]) },
        { "konghq.com/plugins": "auth" },
        { "konghq.com/upstream-policy": "sticky" },
      ]),
    }),
    spec: {
      ...(random() < 0.1 ? { type: "ExternalName", externalName: "example.com" } : {}),
      ports:
        random() < 0.7
          ? [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }]
          : [
              { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
              { name: "grpc", port: 9000, protocol: "TCP", targetPort: 9000 },
            ],
    },
  });
  const slice = (namespace: string, service: string, index: number) => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: meta(`${service}-${index}`, namespace, {
      labels: { "kubernetes.io/service-name": service },
    }),
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: [1, 2, 3].slice(0, 1 + Math.floor(random() * 3)).map(e => ({
      addresses: [`10.0.${index}.${e}`],
      conditions: { ready: random() < 0.8 },
    })),
  });
  const path = () => ({
    path: pick(["/", "/api", "/shop", "/a.b", "/api/v1"]),
    pathType: pick(["Prefix", "Exact", "ImplementationSpecific"]),
    backend: {
      service: {
        name: pick(names),
        port: random() < 0.7 ? { number: pick([80, 9000, 81]) } : { name: pick(["http", "x"]) },
      },
    },
  });
  const ingress = (namespace: string, name: string) => {
    const host = pick(["shop.example.com", "api.example.com", "*.example.com", ""]);
    const annotations: Record<string, string> = {};
    if (random() < 0.2) annotations["konghq.com/strip-path"] = pick(["true", "nope"]);
    if (random() < 0.1) annotations["konghq.com/methods"] = "GET,POST";
    if (random() < 0.05) annotations["konghq.com/plugins"] = "auth";
    return {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: meta(name, namespace, { annotations }),
      spec: {
        ...(random() < 0.9 ? { ingressClassName: pick(["kong", "kong", "other"]) } : {}),
        ...(random() < 0.1 ? { defaultBackend: path().backend } : {}),
        ...(random() < 0.3 && host !== ""
          ? { tls: [{ hosts: [host], secretName: pick(["tls", "tls-2", "missing"]) }] }
          : {}),
        rules: [
          {
            ...(host === "" ? {} : { host }),
            http: { paths: [path(), path()].slice(0, 1 + Math.floor(random() * 2)) },
          },
        ],
      },
    };
  };
  const secret = (namespace: string, name: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(name, namespace),
    type: "kubernetes.io/tls",
    data: pick([GOOD_TLS, GOOD_TLS, OTHER_TLS, BAD_TLS]),
  });
  const ingressClass = () => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: meta("kong", undefined, {
      annotations: random() < 0.5 ? { "ingressclass.kubernetes.io/is-default-class": "true" } : {},
    }),
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  });

  return (): Change => {
    const namespace = pick(namespaces);
    const roll = random();
    const remove = random() < 0.2;
    if (roll < 0.35) {
      const name = pick(["one", "two", "three", "four", "five"]);
      return remove
        ? { kind: "Ingress", remove: { namespace, name } }
        : { kind: "Ingress", raw: ingress(namespace, name) };
    }
    if (roll < 0.55) {
      const name = pick(names);
      return remove
        ? { kind: "Service", remove: { namespace, name } }
        : { kind: "Service", raw: service(namespace, name) };
    }
    if (roll < 0.75) {
      const svc = pick(names);
      const index = Math.floor(random() * 2);
      return remove
        ? { kind: "EndpointSlice", remove: { namespace, name: `${svc}-${index}` } }
        : { kind: "EndpointSlice", raw: slice(namespace, svc, index) };
    }
    if (roll < 0.92) {
      const name = pick(["tls", "tls-2"]);
      return remove
        ? { kind: "Secret", remove: { namespace, name } }
        : { kind: "Secret", raw: secret(namespace, name) };
    }
    return remove
      ? { kind: "IngressClass", remove: { namespace: "", name: "kong" } }
      : { kind: "IngressClass", raw: ingressClass() };
  };
}

function newStore(): Store {
  return new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
}

describe("incremental translation", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    "equals a cold translation after every change (seed %i)",
    seed => {
      const random = seededRandom(seed);
      const next = generator(random);
      const store = newStore();
      // Referenced Secrets arrive with their data, as the fetcher would deliver them.
      store.onSecretNeeded(() => undefined);
      const snapshots = new Snapshotter(store);
      const memoised = createTranslator(DEFAULT_TRANSLATE_OPTIONS);
      const encoder = new ConfigEncoder();
      const secrets = new Map<string, unknown>();
      for (let step = 0; step < 150; step++) {
        const change = next();
        if ("raw" in change) {
          store.upsert(change.kind, change.raw);
          if (change.kind === "Secret") {
            const m = (change.raw as { metadata: { namespace: string; name: string } }).metadata;
            secrets.set(`${m.namespace}/${m.name}`, change.raw);
          }
        } else {
          store.remove(change.kind, change.remove);
        }
        for (const pending of store.secretsToFetch()) {
          const raw = secrets.get(`${pending.namespace}/${pending.name}`);
          if (raw !== undefined) store.fillSecret(raw);
        }
        const snapshot = snapshots.take();
        const incremental = memoised(snapshot);
        const cold = translate(snapshot, DEFAULT_TRANSLATE_OPTIONS);
        expect(incremental.results, `step ${step}`).toEqual(cold.results);
        const coldBytes = encodeConfig(cold.config);
        expect(encoder.encode(incremental.config), `step ${step}`).toEqual(coldBytes);
      }
    },
  );

  it("hands out the same Kong entities for what a change did not touch", () => {
    const store = newStore();
    const snapshots = new Snapshotter(store);
    const memoised = createTranslator(DEFAULT_TRANSLATE_OPTIONS);
    const app = (name: string, path: string) => {
      store.upsert("Service", {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: "shop", uid: `uid-svc-${name}`, resourceVersion: "1" },
        spec: { ports: [{ name: "http", port: 80, protocol: "TCP" }] },
      });
      store.upsert("Ingress", {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name, namespace: "shop", uid: `uid-ing-${name}`, resourceVersion: path },
        spec: {
          ingressClassName: "kong",
          rules: [
            {
              host: `${name}.example.com`,
              http: {
                paths: [
                  {
                    path,
                    pathType: "Prefix",
                    backend: { service: { name, port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      });
    };
    app("web", "/");
    app("api", "/");
    const before = memoised(snapshots.take()).config;
    app("api", "/v2");
    const after = memoised(snapshots.take()).config;
    const byName = (config: typeof before, name: string) =>
      config.services?.find(s => s.name === name);
    expect(byName(after, "shop.web.80")).toBe(byName(before, "shop.web.80"));
    expect(byName(after, "shop.api.80")).not.toBe(byName(before, "shop.api.80"));
    expect(after.upstreams).toEqual(before.upstreams);
    for (const [i, upstream] of (after.upstreams ?? []).entries()) {
      expect(upstream).toBe(before.upstreams?.[i]);
    }
  });
});
