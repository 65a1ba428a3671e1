/**
 * The IR → Kong writer, feature by feature. The Ingress sub-translator's IR is covered end to end by the
 * goldens; these tables cover what only the Gateway API sub-translators will emit (weights, filters,
 * stream routes), so the IR is written by hand here, with origins parsed from manifests as the store
 * parses them. Every written config must also be one Kong accepts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { KongConfig, KongRoute } from "../../../src/kong/types.ts";
import {
  DEFAULT_KONG_VALIDATION_OPTIONS,
  validateDeclarativeConfig,
} from "../../../src/kong/validate/index.ts";
import type { KubeObject, Service } from "../../../src/model/k8s.ts";
import { parseKubeObject } from "../../../src/model/parse.ts";
import type {
  HttpFilter,
  HttpMatch,
  IrBackend,
  IrConfig,
  IrHttpRoute,
  IrRoute,
  IrService,
  IrStreamRoute,
} from "../../../src/translator/ir/types.ts";
import {
  inexpressible,
  KongWriterMemo,
  STUB_UPSTREAM_NAME,
  weightedTargets,
  writeKongConfig,
} from "../../../src/translator/kong-writer/index.ts";

function parsed(raw: unknown): KubeObject {
  const result = parseKubeObject(raw);
  if (result.ok !== true) throw new Error(`test object does not parse: ${JSON.stringify(result)}`);
  return result.object;
}

const route = parsed({
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "web", namespace: "shop", uid: "uid-web" },
  spec: { ingressClassName: "kong" },
});
const service = (name: string): Service =>
  parsed({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "shop", uid: `uid-${name}` },
    spec: { ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] },
  }) as Service;
const slice = (name: string): KubeObject =>
  parsed({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    endpoints: [],
  });
const certs = join(import.meta.dirname, "..", "..", "fixtures", "certs");
const secret = (name: string): KubeObject =>
  parsed({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "shop", uid: `uid-${name}` },
    type: "kubernetes.io/tls",
  });

const routeTags = [
  "k8s-name:web",
  "k8s-namespace:shop",
  "k8s-kind:Ingress",
  "k8s-uid:uid-web",
  "k8s-group:networking.k8s.io",
  "k8s-version:v1",
];

const web = service("web");
const api = service("api");
const webSlice = slice("web-1");
const apiSlice = slice("api-1");

function httpRoute(match: Partial<HttpMatch>, extra: Partial<IrHttpRoute> = {}): IrHttpRoute {
  return {
    kind: "http",
    name: "shop.web.0.0",
    origin: { object: route },
    match: { hosts: [], paths: [{ kind: "prefix", value: "/" }], ...match },
    settings: {},
    filters: [],
    ...extra,
  };
}

function backend(svc: Service, endpoints: string[], weight?: number): IrBackend {
  const origin = { object: svc === web ? webSlice : apiSlice };
  return {
    service: svc,
    port: svc.spec.ports?.[0] ?? { port: 80 },
    ...(weight === undefined ? {} : { weight }),
    endpoints: endpoints.map(address => ({ address, origin })),
  };
}

function irService(routes: IrRoute[], extra: Partial<IrService> = {}): IrService {
  return {
    name: "shop.web.80",
    origin: { object: web },
    upstreamName: "web.shop.80.svc",
    port: 80,
    settings: {},
    backends: [backend(web, ["10.0.0.1:8080"])],
    routes,
    ...extra,
  };
}

function write(ir: IrConfig): KongConfig {
  const config = writeKongConfig(ir);
  const validation = validateDeclarativeConfig(config, DEFAULT_KONG_VALIDATION_OPTIONS);
  expect(validation.ok ? [] : validation.error.flattened_errors).toEqual([]);
  return config;
}

function writtenRoute(r: IrRoute, extra: Partial<IrService> = {}): KongRoute {
  const config = write({ services: [irService([r], extra)], certificates: [] });
  const written = config.services?.[0]?.routes?.[0];
  if (written === undefined) throw new Error("no route written");
  return written;
}

describe("Kong writer: HTTP routes", () => {
  it("writes KIC's defaults and the origin's tags", () => {
    expect(writtenRoute(httpRoute({ hosts: ["shop.example.com"] }))).toEqual({
      name: "shop.web.0.0",
      hosts: ["shop.example.com"],
      paths: ["/"],
      strip_path: false,
      preserve_host: true,
      regex_priority: 0,
      https_redirect_status_code: 426,
      path_handling: "v0",
      request_buffering: true,
      response_buffering: true,
      tags: routeTags,
    });
  });

  it.each<[string, Partial<HttpMatch>, Record<string, unknown>]>([
    [
      "path kinds as Kong spells them, in the given order",
      {
        paths: [
          { kind: "exact", value: "/v1.2" },
          { kind: "prefix", value: "/v1.2/" },
          { kind: "regex", value: "/users/[0-9]+" },
        ],
      },
      { paths: ["~/v1\\.2$", "/v1.2/", "~/users/[0-9]+"] },
    ],
    [
      "exact and regex header matches",
      {
        headers: [
          { name: "x-tenant", kind: "exact", values: ["blue", "green"] },
          { name: "x-version", kind: "regex", values: ["v[12]"] },
        ],
      },
      { headers: { "x-tenant": ["blue", "green"], "x-version": ["~*v[12]"] } },
    ],
    ["methods", { methods: ["GET", "POST"] }, { methods: ["GET", "POST"] }],
    [
      "SNIs with an https protocol",
      { protocols: ["https"], snis: ["shop.example.com"] },
      { protocols: ["https"], snis: ["shop.example.com"] },
    ],
  ])("%s", (_name, match, expected) => {
    const written = writtenRoute(httpRoute(match));
    for (const [key, value] of Object.entries(expected)) {
      expect(written[key as keyof KongRoute], key).toEqual(value);
    }
  });

  it("writes no empty criteria", () => {
    const written = writtenRoute(httpRoute({ hosts: [], methods: [], headers: [], snis: [] }));
    for (const key of ["hosts", "methods", "headers", "snis"]) {
      expect(written).not.toHaveProperty(key);
    }
  });

  it("leaves strip_path off gRPC routes, where Kong refuses it", () => {
    const written = writtenRoute(
      httpRoute(
        { protocols: ["grpc", "grpcs"], paths: [{ kind: "regex", value: "/shop.Cart/.+" }] },
        { settings: { stripPath: true } },
      ),
      { settings: { protocol: "grpc" } },
    );
    expect(written).not.toHaveProperty("strip_path");
    expect(written.protocols).toEqual(["grpc", "grpcs"]);
  });

  it("writes the route settings a translation chose", () => {
    const written = writtenRoute(
      httpRoute(
        {},
        {
          settings: {
            stripPath: true,
            preserveHost: false,
            regexPriority: 10,
            httpsRedirectStatusCode: 308,
            pathHandling: "v1",
            requestBuffering: false,
            responseBuffering: false,
          },
        },
      ),
    );
    expect(written).toMatchObject({
      strip_path: true,
      preserve_host: false,
      regex_priority: 10,
      https_redirect_status_code: 308,
      path_handling: "v1",
      request_buffering: false,
      response_buffering: false,
    });
  });

  it("adds the origin's extra tags after the k8s-* ones, once each", () => {
    const r = httpRoute(
      {},
      {
        origin: {
          object: route,
          tags: ["k8s-named-route-rule:checkout", "team-a", "k8s-kind:Ingress", "team-a"],
        },
      },
    );
    expect(writtenRoute(r).tags).toEqual([...routeTags, "k8s-named-route-rule:checkout", "team-a"]);
  });
});

describe("Kong writer: filters", () => {
  const plugins = (filters: HttpFilter[], paths = httpRoute({}).match.paths) =>
    writtenRoute(httpRoute({ paths }, { filters })).plugins;

  it.each<[string, HttpFilter[], unknown]>([
    [
      "request header changes: set replaces and adds, add appends, remove removes",
      [
        {
          kind: "requestHeaders",
          changes: {
            set: [{ name: "X-Env", value: "prod" }],
            add: [{ name: "X-Trace", value: "on" }],
            remove: ["X-Debug"],
          },
        },
      ],
      [
        {
          name: "request-transformer",
          config: {
            add: { headers: ["X-Env:prod"] },
            append: { headers: ["X-Trace:on"] },
            remove: { headers: ["X-Debug"] },
            replace: { headers: ["X-Env:prod"] },
          },
        },
      ],
    ],
    [
      "request headers and a URL rewrite merge into one request-transformer",
      [
        {
          kind: "requestHeaders",
          changes: { set: [], add: [{ name: "X-A", value: "1" }], remove: [] },
        },
        { kind: "urlRewrite", hostname: "backend.internal", path: { kind: "full", value: "/v2" } },
      ],
      [
        {
          name: "request-transformer",
          config: {
            add: { headers: ["host:backend.internal"] },
            append: { headers: ["X-A:1"] },
            replace: { headers: ["host:backend.internal"], uri: "/v2" },
          },
        },
      ],
    ],
    [
      "response header changes",
      [
        {
          kind: "responseHeaders",
          changes: {
            set: [{ name: "Cache-Control", value: "no-store" }],
            add: [],
            remove: ["Server"],
          },
        },
      ],
      [
        {
          name: "response-transformer",
          config: {
            add: { headers: ["Cache-Control:no-store"] },
            remove: { headers: ["Server"] },
            replace: { headers: ["Cache-Control:no-store"] },
          },
        },
      ],
    ],
    [
      "a redirect keeping the request's path",
      [{ kind: "redirect", statusCode: 301, scheme: "https", hostname: "shop.example.com" }],
      [
        {
          name: "redirect",
          config: {
            status_code: 301,
            location: "https://shop.example.com",
            keep_incoming_path: true,
          },
        },
      ],
    ],
    [
      "a redirect to a full path and port",
      [
        {
          kind: "redirect",
          statusCode: 302,
          hostname: "old.example.com",
          port: 8080,
          path: { kind: "full", value: "/moved" },
        },
      ],
      [
        {
          name: "redirect",
          config: {
            status_code: 302,
            location: "http://old.example.com:8080/moved",
            keep_incoming_path: false,
          },
        },
      ],
    ],
    [
      "a fixed answer, and several plugins sorted by name",
      [
        { kind: "respond", statusCode: 500, message: "no backend" },
        {
          kind: "responseHeaders",
          changes: { set: [], add: [{ name: "X-Why", value: "none" }], remove: [] },
        },
      ],
      [
        { name: "request-termination", config: { status_code: 500, message: "no backend" } },
        { name: "response-transformer", config: { append: { headers: ["X-Why:none"] } } },
      ],
    ],
  ])("%s", (_name, filters, expected) => {
    const written = plugins(filters);
    expect(written).toEqual((expected as object[]).map(p => ({ ...p, tags: routeTags })));
  });

  it.each([
    ["/v2", '/v2$(uri_captures[1] or "")'],
    ["/v2/", '/v2$(uri_captures[1] or "")'],
    ["/", '$(uri_captures[1] or "/")'],
  ])("rewrites a prefix to %j from what the route's regex paths capture", (value, uri) => {
    const paths = [
      { kind: "regex", value: "/v1$" },
      { kind: "regex", value: "/v1(/.*)" },
    ] as const;
    const written = plugins([{ kind: "urlRewrite", path: { kind: "prefix", value } }], [...paths]);
    expect(written).toEqual([
      { name: "request-transformer", config: { replace: { uri } }, tags: routeTags },
    ]);
  });
});

describe("Kong writer: what Kong's router cannot express", () => {
  it.each<[string, IrHttpRoute, string]>([
    [
      "query parameters",
      httpRoute({ queryParams: [{ name: "v", kind: "exact", value: "2" }] }),
      "query parameter",
    ],
    ["methods on gRPC", httpRoute({ protocols: ["grpc"], methods: ["POST"] }), "gRPC"],
    [
      "a regex header with several values",
      httpRoute({ headers: [{ name: "x-a", kind: "regex", values: ["a.*", "b.*"] }] }),
      "header x-a",
    ],
    ["a route matching nothing", httpRoute({ paths: [] }), "must match on"],
    [
      "two terminal filters",
      httpRoute(
        {},
        {
          filters: [
            { kind: "respond", statusCode: 500, message: "x" },
            { kind: "redirect", statusCode: 301, hostname: "a.example.com" },
          ],
        },
      ),
      "only once",
    ],
    [
      "a redirect without a hostname",
      httpRoute({}, { filters: [{ kind: "redirect", statusCode: 301, scheme: "https" }] }),
      "needs a hostname",
    ],
    [
      "a redirect replacing a prefix",
      httpRoute(
        {},
        {
          filters: [
            {
              kind: "redirect",
              statusCode: 301,
              hostname: "a.example.com",
              path: { kind: "prefix", value: "/x" },
            },
          ],
        },
      ),
      "prefix",
    ],
    [
      "a prefix rewrite on non-regex paths",
      httpRoute({}, { filters: [{ kind: "urlRewrite", path: { kind: "prefix", value: "/x" } }] }),
      "regex paths",
    ],
  ])("%s", (_name, r, fragment) => {
    const found = inexpressible(r);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(fragment);
  });

  it("finds nothing in routes Kong can take", () => {
    expect(inexpressible(httpRoute({ hosts: ["a.example.com"], methods: ["GET"] }))).toEqual([]);
    expect(
      inexpressible(
        httpRoute({}, { filters: [{ kind: "redirect", statusCode: 301, hostname: "a" }] }),
      ),
    ).toEqual([]);
  });
});

describe("Kong writer: stream routes", () => {
  const stream = (r: Partial<IrStreamRoute>): IrStreamRoute => ({
    kind: "stream",
    name: "tcproute.shop.web.0.0",
    origin: { object: route },
    protocols: ["tcp"],
    ...r,
  });

  it.each<[string, Partial<IrStreamRoute>, KongRoute]>([
    [
      "TCP by listener port",
      { destinations: [{ port: 5432 }] },
      {
        name: "tcproute.shop.web.0.0",
        protocols: ["tcp"],
        destinations: [{ port: 5432 }],
        tags: routeTags,
      },
    ],
    [
      "UDP by source and destination",
      { protocols: ["udp"], sources: [{ ip: "10.0.0.0/8" }], destinations: [{ port: 53 }] },
      {
        name: "tcproute.shop.web.0.0",
        protocols: ["udp"],
        sources: [{ ip: "10.0.0.0/8" }],
        destinations: [{ port: 53 }],
        tags: routeTags,
      },
    ],
    [
      "TLS passthrough by SNI",
      { protocols: ["tls_passthrough"], snis: ["db.example.com"] },
      {
        name: "tcproute.shop.web.0.0",
        protocols: ["tls_passthrough"],
        snis: ["db.example.com"],
        tags: routeTags,
      },
    ],
  ])("%s", (_name, r, expected) => {
    expect(writtenRoute(stream(r), { settings: { protocol: "tcp" } })).toEqual(expected);
  });
});

describe("Kong writer: services, upstreams and targets", () => {
  it("writes KIC's service defaults, the upstream and its targets, tagged with the service's origin", () => {
    const config = write({ services: [irService([httpRoute({})])], certificates: [] });
    const serviceTags = [
      "k8s-name:web",
      "k8s-namespace:shop",
      "k8s-kind:Service",
      "k8s-uid:uid-web",
      "k8s-version:v1",
    ];
    expect(config.services?.[0]).toMatchObject({
      name: "shop.web.80",
      protocol: "http",
      host: "web.shop.80.svc",
      port: 80,
      path: "/",
      connect_timeout: 60000,
      read_timeout: 60000,
      write_timeout: 60000,
      retries: 5,
      tags: serviceTags,
    });
    expect(config.upstreams).toEqual([
      {
        name: "web.shop.80.svc",
        algorithm: "round-robin",
        tags: serviceTags,
        targets: [
          {
            target: "10.0.0.1:8080",
            weight: 100,
            tags: [
              "k8s-name:web-1",
              "k8s-namespace:shop",
              "k8s-kind:EndpointSlice",
              "k8s-group:discovery.k8s.io",
              "k8s-version:v1",
            ],
          },
        ],
      },
    ]);
  });

  it("writes the settings a translation chose, and no path for stream protocols", () => {
    const grpc = write({
      services: [
        irService([httpRoute({ protocols: ["grpc"] })], {
          settings: {
            protocol: "grpc",
            connectTimeout: 1000,
            readTimeout: 2000,
            writeTimeout: 3000,
            retries: 1,
            hostHeader: "api.internal",
          },
        }),
      ],
      certificates: [],
    });
    expect(grpc.services?.[0]).toMatchObject({
      protocol: "grpc",
      connect_timeout: 1000,
      read_timeout: 2000,
      write_timeout: 3000,
      retries: 1,
    });
    expect(grpc.services?.[0]).not.toHaveProperty("path");
    expect(grpc.upstreams?.[0]?.host_header).toBe("api.internal");
    const http = write({
      services: [irService([httpRoute({})], { settings: { path: "/api" } })],
      certificates: [],
    });
    expect(http.services?.[0]?.path).toBe("/api");
  });

  it.each<[string, IrBackend[], [string, number][]]>([
    [
      "unweighted: 100 each",
      [backend(web, ["10.0.0.2:80", "10.0.0.1:80"])],
      [
        ["10.0.0.1:80", 100],
        ["10.0.0.2:80", 100],
      ],
    ],
    [
      "a weight split over a backend's endpoints",
      [backend(web, ["10.0.0.1:80", "10.0.0.2:80"], 80), backend(api, ["10.0.1.1:80"], 20)],
      [
        ["10.0.0.1:80", 40],
        ["10.0.0.2:80", 40],
        ["10.0.1.1:80", 20],
      ],
    ],
    [
      "at least 1 each",
      [backend(web, ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"], 1)],
      [
        ["10.0.0.1:80", 1],
        ["10.0.0.2:80", 1],
        ["10.0.0.3:80", 1],
      ],
    ],
    [
      "weight 0 stays 0",
      [backend(web, ["10.0.0.1:80"], 0), backend(api, ["10.0.1.1:80"], 10)],
      [
        ["10.0.0.1:80", 0],
        ["10.0.1.1:80", 10],
      ],
    ],
    [
      "one address through two backends: one target, weights summed",
      [backend(web, ["10.0.0.1:80"], 30), backend(api, ["10.0.0.1:80", "10.0.1.1:80"], 60)],
      [
        ["10.0.0.1:80", 60],
        ["10.0.1.1:80", 30],
      ],
    ],
    ["a backend without endpoints", [backend(web, [], 50)], []],
  ])("%s", (_name, backends, expected) => {
    const targets = weightedTargets(backends);
    expect(targets.map(t => [t.target, t.weight])).toEqual(expected);
    // The first backend to reach an address tags its target.
    if (expected.length > 0) expect(targets[0]?.tags?.[0]).toMatch(/^k8s-name:(web|api)-1$/);
  });

  it("sorts services, upstreams and routes by name, and writes a stub upstream for an empty config", () => {
    const b = irService(
      [httpRoute({}, { name: "z" }), httpRoute({ hosts: ["a.example.com"] }, { name: "a" })],
      {
        name: "shop.b.80",
        upstreamName: "b.shop.80.svc",
      },
    );
    const a = irService([httpRoute({}, { name: "m" })], {
      name: "shop.a.80",
      upstreamName: "a.shop.80.svc",
    });
    const config = write({ services: [b, a], certificates: [] });
    expect(config.services?.map(s => s.name)).toEqual(["shop.a.80", "shop.b.80"]);
    expect(config.services?.[1]?.routes?.map(r => r.name)).toEqual(["a", "z"]);
    expect(config.upstreams?.map(u => u.name)).toEqual(["a.shop.80.svc", "b.shop.80.svc"]);
    expect(write({ services: [], certificates: [] })).toEqual({
      _format_version: "3.0",
      upstreams: [{ name: STUB_UPSTREAM_NAME, algorithm: "round-robin" }],
    });
  });
});

describe("Kong writer: certificates", () => {
  const pem = (file: string): string => readFileSync(join(certs, file), "utf8").trim();
  const shop = secret("shop-tls");
  const copy = secret("shop-tls-copy");

  it("sorts certificates by id and SNIs by name, each tagged with the Secret that claimed it", () => {
    const config = write({
      services: [],
      certificates: [
        {
          id: "5f0c6a36-0b7a-4d0a-9e5e-2d7f7f0f0f02",
          origin: { object: shop },
          cert: pem("shop.crt"),
          key: pem("shop.key"),
          snis: [
            { name: "www.example.com", origin: { object: copy } },
            { name: "shop.example.com", origin: { object: shop } },
          ],
        },
        {
          id: "5f0c6a36-0b7a-4d0a-9e5e-2d7f7f0f0f01",
          origin: { object: copy },
          cert: pem("api.crt"),
          key: pem("api.key"),
          snis: [],
        },
      ],
    });
    expect(config.certificates?.map(c => c.id)).toEqual([
      "5f0c6a36-0b7a-4d0a-9e5e-2d7f7f0f0f01",
      "5f0c6a36-0b7a-4d0a-9e5e-2d7f7f0f0f02",
    ]);
    expect(config.certificates?.[1]?.snis).toEqual([
      { name: "shop.example.com", tags: expect.arrayContaining(["k8s-name:shop-tls"]) as unknown },
      {
        name: "www.example.com",
        tags: expect.arrayContaining(["k8s-name:shop-tls-copy"]) as unknown,
      },
    ]);
    expect(config.certificates?.[1]?.tags?.[0]).toBe("k8s-name:shop-tls");
    expect(config).not.toHaveProperty("upstreams");
  });
});

describe("Kong writer: memo", () => {
  it("hands out the same entities for the same IR parts, and new ones only where a part changed", () => {
    const memo = new KongWriterMemo();
    const r1 = httpRoute({}, { name: "r1" });
    const r2 = httpRoute({ hosts: ["a.example.com"] }, { name: "r2" });
    const backends = [backend(web, ["10.0.0.1:8080"])];
    const first = writeKongConfig(
      { services: [irService([r1], { backends })], certificates: [] },
      memo,
    );
    // A new IR service object with the same parts: the same Kong service and upstream.
    const same = writeKongConfig(
      { services: [irService([r1], { backends })], certificates: [] },
      memo,
    );
    expect(same.services?.[0]).toBe(first.services?.[0]);
    expect(same.upstreams?.[0]).toBe(first.upstreams?.[0]);
    // Another route: a new service entity, the same upstream and the same entity for the old route.
    const more = writeKongConfig(
      { services: [irService([r1, r2], { backends })], certificates: [] },
      memo,
    );
    expect(more.services?.[0]).not.toBe(first.services?.[0]);
    expect(more.services?.[0]?.routes?.[0]).toBe(first.services?.[0]?.routes?.[0]);
    expect(more.upstreams?.[0]).toBe(first.upstreams?.[0]);
    // Other endpoints: a new upstream.
    const moved = writeKongConfig(
      {
        services: [irService([r1, r2], { backends: [backend(web, ["10.0.0.9:8080"])] })],
        certificates: [],
      },
      memo,
    );
    expect(moved.upstreams?.[0]).not.toBe(first.upstreams?.[0]);
    expect(moved.upstreams?.[0]?.targets?.[0]?.target).toBe("10.0.0.9:8080");
  });
});
