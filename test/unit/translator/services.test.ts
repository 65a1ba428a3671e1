/**
 * The core step from route emissions to IR services: grouping by Kong service, backends resolved from
 * Services and EndpointSlices (several per service, weighted, as HTTPRoute backendRefs need), KIC's
 * rule that Services behind one Kong service agree on their annotations, and the memo. Emissions are
 * what a sub-translator hands the core; the objects are parsed from manifests as the store parses them.
 */
import { describe, expect, it } from "vitest";
import type { EndpointSlice, KubeObject, Service } from "../../../src/model/k8s.ts";
import { parseKubeObject } from "../../../src/model/parse.ts";
import type { IrHttpRoute, RouteEmission, ServiceSpec } from "../../../src/translator/ir/types.ts";
import { writeKongConfig } from "../../../src/translator/kong-writer/index.ts";
import { TranslationMemo } from "../../../src/translator/memo.ts";
import { ResultsBuilder } from "../../../src/translator/results.ts";
import { buildServices } from "../../../src/translator/services.ts";
import { CertificateCollector } from "../../../src/translator/tls.ts";

function parsed(raw: unknown): KubeObject {
  const result = parseKubeObject(raw);
  if (result.ok !== true) throw new Error(`test object does not parse: ${JSON.stringify(result)}`);
  return result.object;
}

const owner = parsed({
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "checkout", namespace: "shop", uid: "uid-checkout" },
  spec: { ingressClassName: "kong" },
});

function service(name: string, annotations: Record<string, string> = {}): Service {
  return parsed({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "shop", uid: `uid-${name}`, annotations },
    spec: { ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] },
  }) as Service;
}

function slice(serviceName: string, addresses: string[]): EndpointSlice {
  return parsed({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${serviceName}-1`,
      namespace: "shop",
      labels: { "kubernetes.io/service-name": serviceName },
    },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: addresses.map(a => ({ addresses: [a], conditions: { ready: true } })),
  }) as EndpointSlice;
}

const route = (name: string, extra: Partial<IrHttpRoute> = {}): IrHttpRoute => ({
  kind: "http",
  name,
  origin: { object: owner },
  match: { hosts: ["shop.example.com"], paths: [{ kind: "prefix", value: "/" }] },
  settings: {},
  filters: [],
  ...extra,
});

function spec(backends: { svc: Service; weight: number }[], extra: Partial<ServiceSpec> = {}) {
  return {
    name: "httproute.shop.checkout.0",
    upstreamName: "httproute.shop.checkout.0",
    origin: { object: owner },
    backends: backends.map(b => ({
      service: b.svc,
      port: b.svc.spec.ports?.[0] ?? { port: 80 },
      weight: b.weight,
    })),
    ...extra,
  };
}

function run(input: {
  emissions: RouteEmission[];
  slices: EndpointSlice[];
  memo?: TranslationMemo;
}) {
  const results = new ResultsBuilder();
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const s of input.slices) {
    const key = `shop/${s.metadata.labels?.["kubernetes.io/service-name"] ?? ""}`;
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), s]);
  }
  const services = buildServices({
    emissions: input.emissions,
    slicesByService,
    clusterDomain: "",
    results,
    memo: input.memo ?? new TranslationMemo(),
    secrets: new Map(),
    configMaps: new Map(),
    certificates: new CertificateCollector(new Map(), results),
  });
  return { services, results: results.build() };
}

const problemsOf = (results: ReturnType<typeof run>["results"], name: string) =>
  results.find(r => r.ref.name === name)?.problems.map(p => p.reason) ?? [];

describe("core: IR services from route emissions", () => {
  const cart = service("cart");
  const cartV2 = service("cart-v2");
  const slices = [slice("cart", ["10.0.0.1", "10.0.0.2"]), slice("cart-v2", ["10.0.1.1"])];

  it("backs one Kong service with several weighted Services, tagged with the route", () => {
    const s = spec([
      { svc: cart, weight: 90 },
      { svc: cartV2, weight: 10 },
    ]);
    const { services, results } = run({
      emissions: [
        { route: route("httproute.shop.checkout.0.0"), service: s },
        { route: route("httproute.shop.checkout.0.1"), service: s },
      ],
      slices,
    });
    expect(services).toHaveLength(1);
    const [ir] = services;
    expect(ir?.origin.object).toBe(owner);
    expect(ir?.routes.map(r => r.name)).toEqual([
      "httproute.shop.checkout.0.0",
      "httproute.shop.checkout.0.1",
    ]);
    expect(ir?.backends.map(b => [b.service.metadata.name, b.weight, b.endpoints.length])).toEqual([
      ["cart", 90, 2],
      ["cart-v2", 10, 1],
    ]);
    const config = writeKongConfig({ services, certificates: [] });
    expect(config.upstreams?.[0]?.targets?.map(t => [t.target, t.weight])).toEqual([
      ["10.0.0.1:8080", 45],
      ["10.0.0.2:8080", 45],
      ["10.0.1.1:8080", 10],
    ]);
    expect(config.services?.[0]?.tags).toContain("k8s-kind:Ingress");
    // Both Services and their slices were read, and are translated.
    for (const name of ["cart", "cart-v2", "cart-1", "cart-v2-1"]) {
      expect(results.find(r => r.ref.name === name)?.outcome, name).toBe("translated");
    }
    expect(results.find(r => r.ref.name === "cart-1")?.dependsOn.map(d => d.name)).toEqual([
      "cart",
    ]);
  });

  it("leaves out a Kong service whose Services' annotations differ, and says so on each", () => {
    const slow = service("cart-v2", { "konghq.com/read-timeout": "90000" });
    const { services, results } = run({
      emissions: [
        {
          route: route("httproute.shop.checkout.0.0"),
          service: spec([
            { svc: cart, weight: 1 },
            { svc: slow, weight: 1 },
          ]),
        },
      ],
      slices,
    });
    expect(services).toEqual([]);
    expect(problemsOf(results, "cart")).toEqual(["InconsistentServiceAnnotations"]);
    expect(problemsOf(results, "cart-v2")).toEqual(["InconsistentServiceAnnotations"]);
    expect(problemsOf(results, "checkout")).toEqual(["InconsistentBackends"]);
  });

  it("lets the route kind's settings win over the Services' annotations", () => {
    const annotated = service("cart", {
      "konghq.com/read-timeout": "5000",
      "konghq.com/retries": "2",
    });
    const { services } = run({
      emissions: [
        {
          route: route("r"),
          service: spec([{ svc: annotated, weight: 1 }], { settings: { readTimeout: 30000 } }),
        },
      ],
      slices,
    });
    expect(services[0]?.settings).toEqual({ readTimeout: 30000, retries: 2 });
  });

  it("tags a Kong service of one backend with that Service and its konghq.com/tags", () => {
    const tagged = service("cart", { "konghq.com/tags": "team-a" });
    const { services } = run({
      emissions: [{ route: route("r"), service: spec([{ svc: tagged, weight: 1 }]) }],
      slices,
    });
    expect(services[0]?.origin).toEqual({ object: tagged, tags: ["team-a"] });
  });

  it("leaves out a route Kong cannot express, with a problem on its object", () => {
    const s = spec([{ svc: cart, weight: 1 }]);
    const withQuery = route("q", {
      match: {
        hosts: ["shop.example.com"],
        paths: [{ kind: "prefix", value: "/" }],
        queryParams: [{ name: "beta", kind: "exact", value: "1" }],
      },
    });
    const { services, results } = run({
      emissions: [
        { route: withQuery, service: s },
        { route: route("plain"), service: s },
      ],
      slices,
    });
    expect(services[0]?.routes.map(r => r.name)).toEqual(["plain"]);
    const problems = results.find(r => r.ref.name === "checkout")?.problems ?? [];
    expect(problems.map(p => p.reason)).toEqual(["RouteNotExpressible"]);
    expect(problems[0]?.message).toContain("route q is left out: query parameter");
  });

  it("reuses a service's resolved backends while their Services and EndpointSlices are the same", () => {
    const memo = new TranslationMemo();
    const s = spec([
      { svc: cart, weight: 50 },
      { svc: cartV2, weight: 50 },
    ]);
    const emissions = [{ route: route("r"), service: s }];
    const first = run({ emissions, slices, memo }).services[0];
    const again = run({ emissions, slices: [...slices], memo }).services[0];
    expect(again?.backends).toBe(first?.backends);
    const moved = [slices[0] as EndpointSlice, slice("cart-v2", ["10.0.1.9"])];
    const after = run({ emissions, slices: moved, memo }).services[0];
    expect(after?.backends).not.toBe(first?.backends);
    expect(after?.backends[0]).toBe(first?.backends[0]);
    expect(after?.backends[1]?.endpoints.map(e => e.address)).toEqual(["10.0.1.9:8080"]);
  });
});
