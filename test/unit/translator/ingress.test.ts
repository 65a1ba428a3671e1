/**
 * The Ingress sub-translator (ingress.ts), one Ingress at a time: which routes a rule set gives, on
 * which Kong service, and what is reported. Inputs go through the Store and its snapshot, as in the
 * controller; the golden cases cover the same rules through the whole translation.
 */
import { describe, expect, it } from "vitest";
import type { Service } from "../../../src/model/k8s.ts";
import { parseRouteAnnotations } from "../../../src/translator/annotations.ts";
import {
  translateDefaultBackend,
  translateIngressRules,
  type IngressEmission,
} from "../../../src/translator/ingress.ts";
import {
  DEFAULT_CLASS_SETTINGS,
  type ClassSettings,
} from "../../../src/translator/ingress-class-parameters.ts";
import { kongPath } from "../../../src/translator/kong-writer/index.ts";
import { ResultsBuilder } from "../../../src/translator/results.ts";
import { ingress, ingressClass, rule, service, storeSnapshot, type Raw } from "./store-snapshot.ts";

function run(
  probe: Raw,
  opts: { settings?: ClassSettings; extra?: Raw[]; defaultBackend?: boolean } = {},
) {
  const snapshot = storeSnapshot([
    ingressClass(),
    service("web"),
    service("api", {
      ports: [
        { name: "grpc", port: 9000 },
        { name: "http", port: 80 },
      ],
    }),
    ...(opts.extra ?? []),
    probe,
  ]);
  const target = snapshot.ingresses.find(i => i.metadata.name === probe.metadata["name"]);
  if (target === undefined) throw new Error("the probe Ingress is not in the snapshot");
  const services = new Map<string, Service>(
    snapshot.services.map(s => [`${s.metadata.namespace ?? ""}/${s.metadata.name}`, s]),
  );
  const results = new ResultsBuilder();
  // As ingresses.ts does: the annotations are read once, their problems reported with the routes'.
  const parsed = parseRouteAnnotations(target.metadata.annotations);
  const ctx = {
    ingress: target,
    overrides: parsed.value,
    classSettings: opts.settings ?? DEFAULT_CLASS_SETTINGS,
    services: {
      get(namespace: string, name: string) {
        const found = services.get(`${namespace}/${name}`);
        return found === undefined
          ? { reason: "ServiceNotFound", missing: `Service ${namespace}/${name} not found` }
          : { service: found };
      },
    },
    results,
  };
  const emitted: readonly IngressEmission[] = opts.defaultBackend
    ? [translateDefaultBackend(ctx)].filter(r => r !== undefined)
    : translateIngressRules(ctx);
  const problems = [
    ...parsed.problems.map(p => p.reason),
    ...results.build().flatMap(r => r.problems.map(p => p.reason)),
  ];
  return { routes: emitted.map(view), problems };
}

function view(e: IngressEmission) {
  const backend = e.service.backends[0];
  const common = {
    name: e.route.name,
    service: e.service.name,
    port: backend?.port.port,
    ...(backend?.portMissing === true ? { portMissing: true } : {}),
    ...(backend?.serviceUpstream === true ? { serviceUpstream: true } : {}),
  };
  if (e.route.kind === "stream") {
    return { ...common, protocols: e.route.protocols, snis: e.route.snis };
  }
  const m = e.route.match;
  return {
    ...common,
    hosts: m.hosts,
    paths: m.paths.map(kongPath),
    ...(m.protocols === undefined ? {} : { protocols: m.protocols }),
    ...(e.route.filters.length === 0 ? {} : { filters: e.route.filters.map(f => f.kind) }),
  };
}

const host = "shop.example.com";

describe("translateIngressRules", () => {
  it.each([
    {
      name: "a Prefix path: the plain prefix and the exact path, KIC's order and name",
      probe: ingress("probe", { rules: [rule(host, [{ path: "/foo" }])] }),
      routes: [
        {
          name: "shop.probe.web.shop.example.com.80",
          service: "shop.web.80",
          port: 80,
          hosts: [host],
          paths: ["/foo/", "~/foo$"],
        },
      ],
      problems: [],
    },
    {
      name: "an Exact path: an anchored, escaped regex",
      probe: ingress("probe", { rules: [rule(host, [{ path: "/a.b", pathType: "Exact" }])] }),
      routes: [expect.objectContaining({ paths: ["~/a\\.b$"] })],
      problems: [],
    },
    {
      name: "an ImplementationSpecific path with the /~ regex prefix",
      probe: ingress("probe", {
        rules: [rule(host, [{ path: "/~/api/(.*)", pathType: "ImplementationSpecific" }])],
      }),
      routes: [expect.objectContaining({ paths: ["~/api/(.*)"] })],
      problems: [],
    },
    {
      name: "paths to one backend share a route; another backend gets its own",
      probe: ingress("probe", {
        rules: [
          rule(host, [
            { path: "/a" },
            { path: "/b", pathType: "Exact" },
            { service: "api", port: 9000 },
          ]),
        ],
      }),
      routes: [
        expect.objectContaining({
          name: "shop.probe.web.shop.example.com.80",
          paths: ["/a/", "~/a$", "~/b$"],
        }),
        expect.objectContaining({
          name: "shop.probe.api.shop.example.com.9000",
          service: "shop.api.9000",
          port: 9000,
        }),
      ],
      problems: [],
    },
    {
      name: "no host: an empty name segment and no hosts; a wildcard host is spelled _ in the name",
      probe: ingress("probe", {
        rules: [rule(undefined, [{ path: "/" }]), rule("*.example.com", [{ path: "/" }])],
      }),
      routes: [
        expect.objectContaining({ name: "shop.probe.web..80", hosts: [], paths: ["/"] }),
        expect.objectContaining({
          name: "shop.probe.web._.example.com.80",
          hosts: ["*.example.com"],
        }),
      ],
      problems: [],
    },
    {
      name: "a port by name keeps the name in entity names",
      probe: ingress("probe", {
        rules: [rule(host, [{ path: "/", service: "api", port: "grpc" }])],
      }),
      routes: [
        expect.objectContaining({
          name: "shop.probe.api.shop.example.com.grpc",
          service: "shop.api.grpc",
          port: 9000,
        }),
      ],
      problems: [],
    },
    {
      name: "a port the Service does not list: the route stays, without targets, and a warning",
      probe: ingress("probe", {
        rules: [
          rule(host, [
            { path: "/", port: 8443 },
            { path: "/n", port: "nope" },
          ]),
        ],
      }),
      routes: [
        expect.objectContaining({ service: "shop.web.8443", port: 8443, portMissing: true }),
        expect.objectContaining({ service: "shop.web.nope", port: 80, portMissing: true }),
      ],
      problems: ["PortNotFound", "PortNotFound"],
    },
    {
      name: "a missing Service drops its path only",
      probe: ingress("probe", {
        rules: [rule(host, [{ path: "/gone", service: "gone" }, { path: "/" }])],
      }),
      routes: [expect.objectContaining({ paths: ["/"] })],
      problems: ["ServiceNotFound"],
    },
    {
      name: "host-aliases add hosts; an invalid alias alone is dropped and reported",
      probe: ingress(
        "probe",
        { rules: [rule(host, [{ path: "/" }])] },
        { "konghq.com/host-aliases": "alias.example.com, not_a_host!" },
      ),
      routes: [expect.objectContaining({ hosts: [host, "alias.example.com"] })],
      problems: ["InvalidAnnotation"],
    },
    {
      name: "protocols tls: a stream route on SNIs from konghq.com/snis",
      probe: ingress(
        "probe",
        { rules: [rule(host, [{ path: "/" }])] },
        { "konghq.com/protocols": "tls", "konghq.com/snis": "db.example.com" },
      ),
      routes: [expect.objectContaining({ protocols: ["tls"], snis: ["db.example.com"] })],
      problems: [],
    },
    {
      name: "protocols tcp alone: no route an Ingress can express",
      probe: ingress(
        "probe",
        { rules: [rule(host, [{ path: "/" }])] },
        { "konghq.com/protocols": "tcp" },
      ),
      routes: [],
      problems: ["RouteNotExpressible"],
    },
    {
      name: "konghq.com/rewrite: a URL rewrite filter",
      probe: ingress(
        "probe",
        { rules: [rule(host, [{ path: "/~/v1/(.*)", pathType: "ImplementationSpecific" }])] },
        { "konghq.com/rewrite": "/v2/$1" },
      ),
      routes: [expect.objectContaining({ filters: ["urlRewrite"] })],
      problems: [],
    },
  ])("$name", ({ probe, routes, problems }) => {
    const got = run(probe);
    expect(got.routes).toEqual(routes);
    expect(got.problems).toEqual(problems);
  });

  it.each([
    { path: "/api/v[0-9]+", pathType: "ImplementationSpecific", kong: ["~/api/v[0-9]+"] },
    { path: "/static/app.js", pathType: "ImplementationSpecific", kong: ["/static/app.js"] },
    { path: "/a(b)", pathType: "Exact", kong: ["~/a\\(b\\)$"] },
  ])("legacy regex detection: $pathType $path → $kong", ({ path, pathType, kong }) => {
    const settings = { ...DEFAULT_CLASS_SETTINGS, legacyRegexDetection: true };
    const got = run(ingress("probe", { rules: [rule(host, [{ path, pathType }])] }), { settings });
    expect(got.routes).toEqual([expect.objectContaining({ paths: kong })]);
    expect(got.problems).toEqual([]);
  });

  it("serviceUpstream from the class parameters marks every backend", () => {
    const settings = { ...DEFAULT_CLASS_SETTINGS, serviceUpstream: true };
    const got = run(ingress("probe", { rules: [rule(host, [{ path: "/" }])] }), { settings });
    expect(got.routes).toEqual([expect.objectContaining({ serviceUpstream: true })]);
  });
});

describe("translateDefaultBackend", () => {
  it.each([
    {
      name: "KIC's catch-all: <ns>.<ingress>, path /, explicit http and https",
      annotations: {},
      route: { name: "shop.probe", hosts: [], paths: ["/"], protocols: ["http", "https"] },
    },
    {
      name: "konghq.com/protocols replaces the explicit protocols",
      annotations: { "konghq.com/protocols": "https" },
      route: { name: "shop.probe", hosts: [], paths: ["/"], protocols: ["https"] },
    },
  ])("$name", ({ annotations, route }) => {
    const probe = ingress(
      "probe",
      { defaultBackend: { service: { name: "web", port: { number: 80 } } } },
      annotations,
    );
    const got = run(probe, { defaultBackend: true });
    expect(got.routes).toEqual([{ ...route, service: "shop.web.80", port: 80 }]);
    expect(got.problems).toEqual([]);
  });
});
