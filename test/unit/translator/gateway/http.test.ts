/**
 * HTTPRoute and GRPCRoute translation details the goldens show only by example: the path, method and
 * duration tables, what a redirect takes from the listeners, and how a route translator's conditions
 * replace the evaluation's on exactly the parents they concern. Inputs are parsed manifests in a
 * snapshot, as the store builds them.
 */
import { describe, expect, it } from "vitest";
import { parseKubeObject } from "../../../../src/model/parse.ts";
import { buildSnapshot } from "../../../../src/model/snapshot.ts";
import type { KubeObject } from "../../../../src/model/k8s.ts";
import type { KongRoute } from "../../../../src/kong/types.ts";
import { grpcPaths } from "../../../../src/translator/gateway/grpc.ts";
import { durationMs, pathMatches } from "../../../../src/translator/gateway/http.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../../src/translator/index.ts";

const G = "gateway.networking.k8s.io";

function parsed(raw: unknown): KubeObject {
  const result = parseKubeObject(raw);
  if (result.ok !== true) throw new Error(`fixture does not parse: ${JSON.stringify(result)}`);
  return result.object;
}

const gatewayClass = {
  apiVersion: `${G}/v1`,
  kind: "GatewayClass",
  metadata: { name: "kong" },
  spec: { controllerName: "konghq.com/kic-gateway-controller" },
};

const gateway = (listeners: object[]) => ({
  apiVersion: `${G}/v1`,
  kind: "Gateway",
  metadata: { name: "kong", namespace: "default" },
  spec: { gatewayClassName: "kong", listeners },
});

const httpRoute = (spec: object) => ({
  apiVersion: `${G}/v1`,
  kind: "HTTPRoute",
  metadata: { name: "r", namespace: "default" },
  spec,
});

const web = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: { ports: [{ port: 80 }] },
};

function run(objects: unknown[]) {
  return translate(buildSnapshot(objects.map(parsed)), DEFAULT_TRANSLATE_OPTIONS);
}

function kongRoutes(objects: unknown[]): KongRoute[] {
  return (run(objects).config.services ?? []).flatMap(s => s.routes ?? []);
}

describe("Gateway API durations", () => {
  it.each([
    ["10s", 10000],
    ["1h30m", 5400000],
    ["1m500ms", 60500],
    ["500ms", 500],
    // No timeout in the spec; Kong's largest.
    ["0s", 2147483646],
    ["99999h", 2147483646],
  ])("%s is %d ms", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each(["10", "1d", "", "1.5s", "1s1s1s1s1s"])("%j is not a duration", text => {
    expect(durationMs(text)).toBeUndefined();
  });
});

describe("HTTPRoute path matches", () => {
  it.each([
    [{ type: "Exact", value: "/a.b" }, false, [{ kind: "exact", value: "/a.b" }]],
    [
      { type: "PathPrefix", value: "/foo/" },
      false,
      [
        { kind: "exact", value: "/foo" },
        { kind: "prefix", value: "/foo/" },
      ],
    ],
    [
      undefined,
      false,
      [
        { kind: "exact", value: "/" },
        { kind: "prefix", value: "/" },
      ],
    ],
    [
      { type: "RegularExpression", value: "/v[0-9]+" },
      false,
      [{ kind: "regex", value: "/v[0-9]+" }],
    ],
    [
      { type: "PathPrefix", value: "/a.b" },
      true,
      [
        { kind: "regex", value: "/a\\.b$" },
        { kind: "regex", value: "/a\\.b(/.*)" },
      ],
    ],
    [{ type: "PathPrefix", value: "/" }, true, [{ kind: "regex", value: "/?(/.*)" }]],
  ])("%j (prefix rewrite: %s)", (path, rewrites, expected) => {
    expect(pathMatches(path, rewrites)).toEqual(expected);
  });

  it("refuses a prefix rewrite on a match that is not a prefix, and unknown types", () => {
    expect(pathMatches({ type: "Exact", value: "/a" }, true)).toMatch(/needs a PathPrefix/);
    expect(pathMatches({ type: "Glob", value: "/a" }, false)).toMatch(/not supported/);
    expect(pathMatches({ type: "Exact", value: "a" }, false)).toMatch(/must start with \//);
  });
});

describe("GRPCRoute method matches", () => {
  it.each([
    [undefined, []],
    [{ service: "pkg.Svc", method: "Get" }, [{ kind: "exact", value: "/pkg.Svc/Get" }]],
    [{ service: "pkg.Svc" }, [{ kind: "regex", value: "/pkg\\.Svc/[^/]+$" }]],
    [{ method: "Get" }, [{ kind: "regex", value: "/[^/]+/Get$" }]],
    [
      { type: "RegularExpression", service: "pkg\\.v[0-9]" },
      [{ kind: "regex", value: "/(?:pkg\\.v[0-9])/(?:[^/]+)$" }],
    ],
  ])("%j", (method, expected) => {
    expect(grpcPaths(method)).toEqual(expected);
  });
});

describe("HTTPRoute redirects", () => {
  const redirecting = (listener: object, requestRedirect: object) => [
    gatewayClass,
    gateway([listener]),
    httpRoute({
      parentRefs: [{ name: "kong" }],
      hostnames: ["shop.example.com"],
      rules: [{ filters: [{ type: "RequestRedirect", requestRedirect }] }],
    }),
  ];

  it("takes the scheme and port of the one listener when the filter names no scheme", () => {
    const [route] = kongRoutes(
      redirecting({ name: "alt", port: 8443, protocol: "HTTPS", tls: { certificateRefs: [] } }, {}),
    );
    expect(route?.plugins?.[0]?.config).toMatchObject({
      location: "https://shop.example.com:8443",
      keep_incoming_path: true,
      status_code: 302,
    });
  });

  it("leaves out the scheme's well-known port", () => {
    const [route] = kongRoutes(
      redirecting({ name: "http", port: 8080, protocol: "HTTP" }, { scheme: "https", port: 443 }),
    );
    expect(route?.plugins?.[0]?.config).toMatchObject({ location: "https://shop.example.com" });
  });
});

describe("route conditions from translation", () => {
  it("replace the evaluation's only on the parents the route attached to", () => {
    const result = run([
      gatewayClass,
      gateway([{ name: "http", port: 80, protocol: "HTTP" }]),
      web,
      httpRoute({
        parentRefs: [{ name: "kong" }, { name: "kong", sectionName: "nope" }],
        rules: [
          {
            matches: [{ queryParams: [{ name: "q", value: "1" }] }],
            backendRefs: [{ name: "web", port: 80 }],
          },
        ],
      }),
    ]);
    const [status] = result.gatewayApi.routes;
    expect(
      status?.parents.map(p => p.conditions.map(c => `${c.type}=${c.status}/${c.reason}`)),
    ).toEqual([
      ["Accepted=False/UnsupportedValue", "ResolvedRefs=True/ResolvedRefs"],
      ["Accepted=False/NoMatchingParent", "ResolvedRefs=True/ResolvedRefs"],
    ]);
    expect(result.config.services ?? []).toEqual([]);
  });

  it("add PartiallyInvalid after the evaluation's while some rule is routed", () => {
    const result = run([
      gatewayClass,
      gateway([{ name: "http", port: 80, protocol: "HTTP" }]),
      web,
      httpRoute({
        parentRefs: [{ name: "kong" }],
        rules: [
          { backendRefs: [{ name: "web", port: 80 }] },
          { matches: [{ path: { type: "RegularExpression", value: "/(" } }] },
        ],
      }),
    ]);
    const conditions = result.gatewayApi.routes[0]?.parents[0]?.conditions ?? [];
    expect(conditions.map(c => c.type)).toEqual(["Accepted", "ResolvedRefs", "PartiallyInvalid"]);
    expect(conditions[2]?.message).toMatch(/^Dropped Rule 1: path ~\/\(: /);
    expect(conditions[0]?.status).toBe("True");
  });
});
