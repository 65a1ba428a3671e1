/**
 * KIC's expressions-router priorities (kic-kong-resources.md §5.3–5.5), through the translator: what
 * matters to Kong is the relative order, checked here against KIC's rules and worked example, and the
 * bit fields the priorities decompose into.
 */
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { KongRoute } from "../../../src/kong/types.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../src/translator/index.ts";
import { loadSnapshot } from "../../support/golden.ts";

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{port: 80}]}`;

const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: kong}
spec: {controllerName: konghq.com/kic-gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: kong, namespace: default}
spec:
  gatewayClassName: kong
  listeners: [{name: http, port: 80, protocol: HTTP}]`;

/** The expression routes of some manifests, by name. */
function routes(...manifests: string[]): Map<string, KongRoute> {
  const docs = parseAllDocuments([SERVICE, ...manifests].join("\n---\n")).map(
    d => d.toJS() as unknown,
  );
  const { config } = translate(loadSnapshot(docs), {
    ...DEFAULT_TRANSLATE_OPTIONS,
    routerFlavor: () => "expressions",
  });
  const all = (config.services ?? []).flatMap(s => s.routes ?? []);
  return new Map(all.map(r => [r.name, r]));
}

function priorityOf(map: Map<string, KongRoute>, name: string): number {
  const priority = map.get(name)?.priority;
  if (priority === undefined) throw new Error(`no route ${name} in ${[...map.keys()].join(", ")}`);
  return priority;
}

function ingress(
  name: string,
  o: { host?: string; path: string; pathType: string; annotations?: string },
) {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  annotations: {${o.annotations ?? ""}}
spec:
  ingressClassName: kong
  rules:
  - ${o.host === undefined ? "" : `host: "${o.host}"\n    `}http:
      paths:
      - {path: "${o.path}", pathType: ${o.pathType}, backend: {service: {name: web, port: {number: 80}}}}`;
}

/** Splits a priority into the Ingress fields of §5.3. */
function ingressFields(p: number) {
  const big = BigInt(p);
  const bits = (from: bigint, width: bigint) => Number((big >> from) & ((1n << width) - 1n));
  return {
    kind: bits(44n, 2n),
    matchKinds: bits(41n, 3n),
    headers: bits(33n, 8n),
    preciseHost: bits(32n, 1n),
    regex: bits(16n, 1n),
    pathLength: bits(0n, 16n),
  };
}

describe("Ingress priorities (KIC's ingress_atc.go)", () => {
  it("KIC's worked example: same expression, same priority", () => {
    const got = routes(
      ingress("a", {
        host: "konghq.com",
        path: "/api/",
        pathType: "ImplementationSpecific",
        annotations: `konghq.com/methods: GET, konghq.com/headers.foo: bar`,
      }),
    ).get("default.a.web.konghq.com.80");
    expect(got?.expression).toBe(
      '(http.host == "konghq.com") && (http.path ^= "/api/") && (http.headers.foo == "bar") && (http.method == "GET")',
    );
    expect(got?.priority).toBe(61585536057349);
    expect(ingressFields(61585536057349)).toEqual({
      kind: 3,
      matchKinds: 4,
      headers: 1,
      preciseHost: 1,
      regex: 0,
      pathLength: 5,
    });
  });

  it.each<[string, Parameters<typeof ingress>[1], Parameters<typeof ingress>[1]]>([
    [
      "a precise host over a wildcard",
      { host: "a.example.com", path: "/", pathType: "Prefix" },
      { host: "*.example.com", path: "/", pathType: "Prefix" },
    ],
    [
      "a host over none",
      { host: "*.example.com", path: "/", pathType: "Prefix" },
      { path: "/", pathType: "Prefix" },
    ],
    [
      "a longer path over a shorter one",
      { host: "a.example.com", path: "/api/v1", pathType: "Prefix" },
      { host: "a.example.com", path: "/api", pathType: "Prefix" },
    ],
    [
      "Exact over ImplementationSpecific of one length",
      { host: "a.example.com", path: "/api", pathType: "Exact" },
      { host: "a.example.com", path: "/api", pathType: "ImplementationSpecific" },
    ],
    [
      "a regex over a plain prefix of one length",
      { host: "a.example.com", path: "/~/a.c", pathType: "ImplementationSpecific" },
      { host: "a.example.com", path: "/abc", pathType: "ImplementationSpecific" },
    ],
    [
      "more match kinds over a longer path",
      {
        host: "a.example.com",
        path: "/",
        pathType: "Prefix",
        annotations: "konghq.com/methods: GET",
      },
      { host: "a.example.com", path: "/a/very/long/path", pathType: "Prefix" },
    ],
    [
      "a header match over none",
      { path: "/", pathType: "Prefix", annotations: "konghq.com/headers.x-a: b" },
      { host: "a.example.com", path: "/", pathType: "Prefix" },
    ],
  ])("%s", (_name, higher, lower) => {
    const got = routes(ingress("hi", higher), ingress("lo", lower));
    const name = (n: string, o: Parameters<typeof ingress>[1]) =>
      `default.${n}.web.${(o.host ?? "").replace("*", "_")}.80`;
    expect(priorityOf(got, name("hi", higher))).toBeGreaterThan(priorityOf(got, name("lo", lower)));
  });

  it("the default backend is last (priority 0)", () => {
    const got = routes(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: fallback, namespace: default}
spec:
  ingressClassName: kong
  defaultBackend: {service: {name: web, port: {number: 80}}}`);
    expect(got.get("default.fallback")).toMatchObject({
      expression: 'http.path ^= "/"',
      priority: 0,
    });
  });
});

function httpRoute(name: string, created: string, match: string, hostnames = "[a.example.com]") {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: default, creationTimestamp: "${created}"}
spec:
  parentRefs: [{name: kong}]
  hostnames: ${hostnames}
  rules:
  - matches: [${match}]
    backendRefs: [{name: web, port: 80}]`;
}

describe("HTTPRoute priorities (KIC's httproute_atc.go)", () => {
  const T1 = "2024-01-01T00:00:00Z";
  const T2 = "2024-02-01T00:00:00Z";

  it.each<[string, string, string]>([
    [
      "Exact over PathPrefix of one value",
      "{path: {type: Exact, value: /api}}",
      "{path: {type: PathPrefix, value: /api}}",
    ],
    [
      "RegularExpression over PathPrefix of one length",
      "{path: {type: RegularExpression, value: /ap.}}",
      "{path: {type: PathPrefix, value: /api}}",
    ],
    [
      "a longer path over a shorter one",
      "{path: {type: PathPrefix, value: /api/v1}}",
      "{path: {type: PathPrefix, value: /api}}",
    ],
    [
      "a method match over none",
      "{path: {type: PathPrefix, value: /api}, method: GET}",
      "{path: {type: PathPrefix, value: /api}}",
    ],
    [
      "more header matches over fewer",
      "{path: {type: PathPrefix, value: /a}, headers: [{name: x-a, value: b}, {name: x-c, value: d}]}",
      "{path: {type: PathPrefix, value: /a}, headers: [{name: x-a, value: b}]}",
    ],
    [
      "headers over query parameters",
      "{path: {type: PathPrefix, value: /a}, headers: [{name: x-a, value: b}]}",
      "{path: {type: PathPrefix, value: /a}, queryParams: [{name: q, value: b}]}",
    ],
  ])("%s", (_name, higher, lower) => {
    const got = routes(GATEWAY, httpRoute("hi", T1, higher), httpRoute("lo", T1, lower));
    expect(priorityOf(got, "httproute.default.hi.a.example.com.0.0")).toBeGreaterThan(
      priorityOf(got, "httproute.default.lo.a.example.com.0.0"),
    );
  });

  it("a precise hostname over a wildcard, a longer one over a shorter one, any over none", () => {
    const match = "{path: {type: PathPrefix, value: /}}";
    const got = routes(
      GATEWAY,
      httpRoute("hosts", T1, match, '["a.example.com", "*.example.com", "aa.example.com"]'),
      httpRoute("any", T1, match, "[]"),
    );
    const order = [
      "httproute.default.hosts.aa.example.com.0.0",
      "httproute.default.hosts.a.example.com.0.0",
      "httproute.default.hosts._.example.com.0.0",
      "httproute.default.any._.0.0",
    ].map(n => priorityOf(got, n));
    expect(order).toEqual([...order].sort((a, b) => b - a));
    expect(new Set(order).size).toBe(4);
  });

  it("ties go to the older route (4095, then 4094), then namespace/name", () => {
    const match = "{path: {type: PathPrefix, value: /api}}";
    const got = routes(
      GATEWAY,
      httpRoute("b-newer", T2, match),
      httpRoute("c-older", T1, match),
      httpRoute("a-newer", T2, match),
    );
    const older = priorityOf(got, "httproute.default.c-older.a.example.com.0.0");
    expect(older % 4096).toBe(4095);
    expect(priorityOf(got, "httproute.default.a-newer.a.example.com.0.0")).toBe(older - 1);
    expect(priorityOf(got, "httproute.default.b-newer.a.example.com.0.0")).toBe(older - 2);
  });

  it("Ingress routes outrank HTTPRoutes, which outrank GRPCRoutes (the kind bits)", () => {
    const got = routes(
      GATEWAY,
      ingress("ing", { path: "/", pathType: "Prefix" }),
      httpRoute(
        "http",
        T1,
        "{path: {type: Exact, value: /a/very/long/path}}",
        "[a-very-long-host.example.com]",
      ),
    );
    expect(priorityOf(got, "default.ing.web..80")).toBeGreaterThan(
      priorityOf(got, "httproute.default.http.a-very-long-host.example.com.0.0"),
    );
    expect(Math.floor(priorityOf(got, "default.ing.web..80") / 2 ** 44)).toBe(3);
    expect(
      Math.floor(
        priorityOf(got, "httproute.default.http.a-very-long-host.example.com.0.0") / 2 ** 44,
      ),
    ).toBe(2);
  });
});

describe("GRPCRoute priorities (KIC's grpcroute_atc.go)", () => {
  it("service and method over service only, over no method match; kind 1", () => {
    const got = routes(
      GATEWAY,
      `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: default}
spec:
  parentRefs: [{name: kong}]
  hostnames: [grpc.example.com]
  rules:
  - matches:
    - method: {service: pkg.Svc, method: Get}
    - method: {service: pkg.Svc}
    - headers: [{name: x-a, value: b}]
    backendRefs: [{name: web, port: 80}]`,
    );
    const [both, service, headers] = [0, 1, 2].map(i =>
      priorityOf(got, `grpcroute.default.g.grpc.example.com.0.${i}`),
    );
    expect(both).toBeGreaterThan(service!);
    expect(service).toBeGreaterThan(headers!);
    for (const p of [both, service, headers]) expect(Math.floor(p! / 2 ** 44)).toBe(1);
    expect(got.get("grpcroute.default.g.grpc.example.com.0.0")?.expression).toBe(
      '(http.path == "/pkg.Svc/Get") && (http.host == "grpc.example.com")',
    );
  });
});
