import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { kindAt } from "../../../src/kube/kinds.ts";
import { trimObject } from "../../../src/kube/trim.ts";
import type { EndpointSlice, KubeObject, Service } from "../../../src/model/k8s.ts";
import { definitionOf, isKindName } from "../../../src/model/kinds.ts";
import { parseKubeObject, parseSupportedObject } from "../../../src/model/parse.ts";
import { Store } from "../../../src/store/store.ts";
import { readDocuments } from "../../support/golden.ts";

const goldenRoot = join(import.meta.dirname, "..", "..", "golden");

function newStore(): Store {
  return new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
}

/** A document as the watch hands it to the store: parsed from the API server's JSON, then trimmed. */
function asWatched(doc: unknown): { kind: string; raw: unknown } {
  const raw: unknown = JSON.parse(JSON.stringify(doc));
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== "string" || !isKindName(kind)) return { kind: String(kind), raw };
  return { kind, raw: trimObject(kindAt(definitionOf(kind)), raw) };
}

const objectKey = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;

describe("Store: compact objects", () => {
  it("holds every golden input object exactly as the parser returns it", () => {
    let compared = 0;
    for (const dir of readdirSync(goldenRoot, { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      const store = newStore();
      const expected = new Map<string, KubeObject>();
      for (const doc of readDocuments(join(goldenRoot, dir.name, "in.yaml"))) {
        const { kind, raw } = asWatched(doc);
        if (!isKindName(kind)) continue;
        store.upsert(kind, raw);
        const parsed = parseKubeObject(raw);
        if (parsed.ok === true) expected.set(objectKey(parsed.object), parsed.object);
      }
      for (const kind of new Set([...expected.values()].map(o => o.kind))) {
        if (!isKindName(kind)) continue;
        for (const stored of store.objects(kind)) {
          expect(stored, `${dir.name}: ${objectKey(stored)}`).toStrictEqual(
            expected.get(objectKey(stored)),
          );
          expect(Object.isFrozen(stored)).toBe(true);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it("shares equal endpoint conditions and port lists between objects, frozen", () => {
    const store = newStore();
    const slice = (name: string, ip: string) => ({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name, namespace: "shop", labels: { "kubernetes.io/service-name": name } },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    });
    store.upsert("EndpointSlice", slice("a", "10.0.0.1"));
    store.upsert("EndpointSlice", slice("b", "10.0.0.2"));
    const [a, b] = ["a", "b"].map(n => store.get("EndpointSlice", "shop", n) as EndpointSlice);
    expect(a?.ports).toBe(b?.ports);
    expect(a?.endpoints?.[0]?.conditions).toBe(b?.endpoints?.[0]?.conditions);
    expect(Object.isFrozen(a?.endpoints?.[0]?.conditions)).toBe(true);
    expect(a?.endpoints?.[0]?.addresses).toStrictEqual(["10.0.0.1"]);
    expect(b?.endpoints?.[0]?.addresses).toStrictEqual(["10.0.0.2"]);
  });

  it("keeps port lists that differ apart", () => {
    const store = newStore();
    const service = (name: string, port: number) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: "shop" },
      spec: { ports: [{ name: "http", port, protocol: "TCP" }] },
    });
    store.upsert("Service", service("a", 80));
    store.upsert("Service", service("b", 8080));
    store.upsert("Service", service("c", 80));
    const ports = ["a", "b", "c"].map(n => (store.get("Service", "shop", n) as Service).spec.ports);
    expect(ports.map(p => p?.[0]?.port)).toStrictEqual([80, 8080, 80]);
    expect(ports[0]).toBe(ports[2]);
    expect(ports[0]).not.toBe(ports[1]);
  });

  it("reads every value right after its tables started over", () => {
    const store = newStore();
    const count = 5000;
    for (let i = 0; i < count; i++)
      store.upsert("Service", {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `s${i}`, namespace: "shop", labels: { release: `release-number-${i}` } },
        spec: { ports: [{ name: "http", port: 1000 + i }] },
      });
    for (let i = 0; i < count; i += 499) {
      const service = store.get("Service", "shop", `s${i}`) as Service;
      expect(service.metadata.labels).toStrictEqual({ release: `release-number-${i}` });
      expect(service.spec.ports).toStrictEqual([{ name: "http", port: 1000 + i }]);
    }
  });

  it("keeps a long port list as it is, equal but not shared", () => {
    const store = newStore();
    const ports = Array.from({ length: 60 }, (_, i) => ({ name: `port-${i}`, port: 8000 + i }));
    for (const name of ["wide-a", "wide-b"])
      store.upsert("Service", {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: "shop" },
        spec: { ports },
      });
    const [a, b] = ["wide-a", "wide-b"].map(n => store.get("Service", "shop", n) as Service);
    expect(a?.spec.ports).toStrictEqual(ports);
    expect(b?.spec.ports).toStrictEqual(ports);
    expect(a?.spec.ports).not.toBe(b?.spec.ports);
  });

  it("still turns bad input into an error on its object", () => {
    const store = newStore();
    store.upsert("Service", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "bad", namespace: "shop", uid: "u1" },
      spec: { ports: [{ name: "http", port: "eighty" }] },
    });
    expect(store.get("Service", "shop", "bad")).toBeUndefined();
    expect(store.invalidObjects().map(i => i.ref.name)).toStrictEqual(["bad"]);
  });
});
