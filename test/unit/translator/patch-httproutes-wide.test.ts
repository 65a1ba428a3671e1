/**
 * Property, over a wide cluster: HTTPRoute patches (translator/patch-httproutes.ts) equal a cold
 * translation wherever the patch is taken, among the shapes where it leans on "the route's Kong
 * services held its routes alone" and on asking ownership again. Two Gateways (one in another
 * namespace, taking routes by namespace selector), hostname-less HTTPS listeners whose certificates
 * serve route hostnames, a hostnamed listener; routes with parents on both Gateways or on two
 * listeners, routes in other namespaces than their Gateway, a backendRef across namespaces allowed by
 * a ReferenceGrant, a Service without the port named, an ExternalName Service, rules sharing one Kong
 * service, a backend-less rule, a host shared with an Ingress (one binding TLS on it), a host an older
 * Ingress of another namespace owns (alone, and beside a host of the route's own), a GRPCRoute on an
 * HTTPRoute's host, route annotations, and a KongPlugin on a backend Service. Edits of matches (all
 * kinds, some Kong's traditional router refuses) and filters (header modifiers, redirects, rewrites,
 * mirrors) come between Ingress, EndpointSlice, backendRef and GRPCRoute edits and listener answers,
 * under each option that limits what is routed.
 */
import { describe, expect, it } from "vitest";
import type { Store } from "../../../src/store/store.ts";
import type { TranslateOptions } from "../../../src/translator/index.ts";
import {
  ASSUME_SUPPORTED,
  type ListenerSupportOf,
} from "../../../src/translator/gateway/listeners.ts";
import {
  GATEWAY_GROUP as G,
  HttpRoutes,
  ingress,
  loadClasses,
  loadTlsSecrets,
  meta,
  newStore,
  PENDING,
  PREFIX,
  ROUTABLE_MATCHES,
  service,
  slice,
  translatorOver,
  type RouteShape,
} from "../../support/patch-cluster.ts";
import { seededRandom } from "../../support/seeded-random.ts";

const ingressAt = (name: string, host: string, path: string, more = {}) =>
  ingress({ name, namespace: "shop" }, { host, path }, more);

type Rule = RouteShape["rules"][number];

interface Shape extends RouteShape {
  readonly namespace: string;
}

const ref = (name: string, extra: object = {}) => ({ name, port: 80, ...extra });
const rule = (
  backendRefs: readonly object[],
  matches: readonly object[] = [PREFIX("/")],
): Rule => ({
  matches,
  filters: [],
  backendRefs,
});
const KONG = { name: "kong" };
const KONG2 = { name: "kong2", namespace: "other" };

function shapes(): Map<string, Shape> {
  const route = (
    namespace: string,
    host: string,
    parentRefs: readonly object[],
    rules: readonly Rule[],
    annotations: Readonly<Record<string, string>> = {},
  ): Shape => ({ namespace, hostnames: [host], parentRefs, annotations, rules });
  const shop = { name: "kong", namespace: "shop" };
  return new Map<string, Shape>([
    [
      "shop/hr-multi",
      route("shop", "a.example.com", [KONG, KONG2], [rule([ref("svc-0")])], {
        "konghq.com/regex-priority": "5",
        "konghq.com/methods": "GET",
        "konghq.com/headers.x-a": "1",
      }),
    ],
    ["other/hr-foreign-ns", route("other", "b.example.com", [shop], [rule([ref("svc-x")])])],
    [
      "shop/hr-crossref",
      {
        ...route(
          "shop",
          "c.example.com",
          [KONG],
          [rule([ref("svc-x", { namespace: "other" }), ref("svc-noport")])],
        ),
        hostnames: ["C.Example.com", "c2.example.com"],
        annotations: { "konghq.com/preserve-host": "false" },
      },
    ],
    [
      "shop/hr-noport",
      route("shop", "n.example.com", [KONG], [rule([ref("svc-noport")])], {
        "konghq.com/path-handling": "v1",
      }),
    ],
    [
      "shop/hr-ext",
      route("shop", "e.example.com", [KONG], [rule([ref("ext")]), rule([ref("svc-1")])]),
    ],
    [
      "shop/hr-shared",
      route(
        "shop",
        "s.example.com",
        [KONG],
        [rule([ref("svc-0")]), rule([ref("svc-0")]), rule([ref("svc-1")])],
        { "konghq.com/strip-path": "true", "konghq.com/tags": "a,b" },
      ),
    ],
    [
      "shop/hr-redirect",
      route(
        "shop",
        "redir.example.com",
        [{ name: "kong", sectionName: "http" }],
        [rule([]), rule([ref("svc-2")])],
      ),
    ],
    ["team/hr-team", route("team", "t.example.com", [KONG2], [rule([ref("svc-t")])])],
    ["shop/hr-ingress-host", route("shop", "shared.example.com", [KONG], [rule([ref("svc-0")])])],
    ["other/hr-owned-host", route("other", "owned.example.com", [shop], [rule([ref("svc-x")])])],
    // One of its hosts is another namespace's: its Kong routes carry the other host alone.
    [
      "other/hr-half-owned",
      {
        ...route("other", "half.example.com", [shop], [rule([ref("svc-x")])]),
        hostnames: ["half.example.com", "owned.example.com"],
      },
    ],
    [
      "shop/hr-api",
      route(
        "shop",
        "api.example.com",
        [
          { name: "kong", sectionName: "api" },
          { name: "kong", sectionName: "https" },
        ],
        [rule([ref("svc-3", { weight: 2 }), ref("svc-2")])],
        { "konghq.com/snis": "api.example.com", "konghq.com/protocols": "https" },
      ),
    ],
    [
      "shop/hr-two-paths",
      route(
        "shop",
        "big.example.com",
        [KONG],
        [rule([ref("svc-1")], [PREFIX("/1"), PREFIX("/2")])],
      ),
    ],
  ]);
}

function grpcRoute(service: string): unknown {
  return {
    apiVersion: `${G}/v1`,
    kind: "GRPCRoute",
    metadata: meta("gr-0", "shop"),
    spec: {
      parentRefs: [KONG],
      hostnames: ["a.example.com"],
      rules: [{ matches: [{ method: { service } }], backendRefs: [ref("svc-0")] }],
    },
  };
}

function loadServices(store: Store): void {
  store.upsert("KongPlugin", {
    apiVersion: "configuration.konghq.com/v1",
    kind: "KongPlugin",
    metadata: meta("rt", "shop"),
    plugin: "request-transformer",
    config: { add: { headers: ["x-p:1"] } },
  });
  for (const [i, name] of ["svc-0", "svc-1", "svc-2", "svc-3"].entries()) {
    const plugins = name === "svc-1" ? { annotations: { "konghq.com/plugins": "rt" } } : {};
    store.upsert("Service", service(name, "shop", 80, plugins));
    store.upsert("EndpointSlice", slice(name, "shop", `10.0.${i}.1`));
  }
  store.upsert("Service", service("svc-noport", "shop", 81));
  store.upsert("EndpointSlice", slice("svc-noport", "shop", "10.0.8.1"));
  store.upsert("Service", {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta("ext", "shop"),
    spec: {
      type: "ExternalName",
      externalName: "api.example.net",
      ports: [{ name: "http", port: 80, protocol: "TCP" }],
    },
  });
  for (const [name, namespace, ip] of [
    ["svc-x", "other", "10.1.0.1"],
    ["svc-0", "other", "10.1.1.1"],
    ["svc-t", "team", "10.2.0.1"],
  ] as const) {
    store.upsert("Service", service(name, namespace));
    store.upsert("EndpointSlice", slice(name, namespace, ip));
  }
}

function loadGateways(store: Store): void {
  const all = { namespaces: { from: "All" } };
  const tls = (name: string) => ({
    mode: "Terminate",
    certificateRefs: [{ kind: "Secret", name }],
  });
  store.upsert("Gateway", {
    apiVersion: `${G}/v1`,
    kind: "Gateway",
    metadata: meta("kong", "shop"),
    spec: {
      gatewayClassName: "kong",
      listeners: [
        { name: "http", port: 80, protocol: "HTTP", allowedRoutes: all },
        { name: "https", port: 443, protocol: "HTTPS", allowedRoutes: all, tls: tls("tls-gw") },
        { name: "api", port: 8080, protocol: "HTTP", hostname: "api.example.com" },
      ],
    },
  });
  const team = { namespaces: { from: "Selector", selector: { matchLabels: { team: "yes" } } } };
  store.upsert("Gateway", {
    apiVersion: `${G}/v1`,
    kind: "Gateway",
    metadata: meta("kong2", "other", { creationTimestamp: "2024-01-03T00:00:00Z" }),
    spec: {
      gatewayClassName: "kong",
      listeners: [
        { name: "http", port: 80, protocol: "HTTP", allowedRoutes: team },
        { name: "https", port: 443, protocol: "HTTPS", allowedRoutes: all, tls: tls("tls-gw2") },
      ],
    },
  });
  store.upsert("ReferenceGrant", {
    apiVersion: `${G}/v1beta1`,
    kind: "ReferenceGrant",
    metadata: meta("allow-shop", "other"),
    spec: {
      from: [{ group: G, kind: "HTTPRoute", namespace: "shop" }],
      to: [{ group: "", kind: "Service" }],
    },
  });
  store.upsert("GRPCRoute", grpcRoute("s"));
}

function loadCluster(store: Store): void {
  loadClasses(store);
  for (const name of ["shop", "other", "team"])
    store.upsert("Namespace", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name,
        uid: `uid-ns-${name}`,
        resourceVersion: "1",
        labels: name === "team" ? { team: "yes" } : {},
      },
    });
  loadServices(store);
  store.upsert("Ingress", ingressAt("ing-0", "ing-0.example.com", "/"));
  store.upsert("Ingress", ingressAt("ing-shared", "shared.example.com", "/ingress"));
  const older = { creationTimestamp: "2024-01-01T00:00:00Z" };
  store.upsert("Ingress", ingressAt("ing-owner", "owned.example.com", "/", { extra: older }));
  store.upsert("Ingress", ingressAt("ing-tls", "s.example.com", "/tls", { tls: true }));
  loadGateways(store);
  loadTlsSecrets(store, [
    ["tls-gw", "shop"],
    ["tls-gw2", "other"],
  ]);
}

const MATCHES: readonly ((step: number) => object)[] = [
  ...ROUTABLE_MATCHES,
  step => ({ path: { type: "RegularExpression", value: `/re/[0-9]+/${step}` } }),
  // Not on the traditional router: the rule is dropped.
  step => ({ ...PREFIX(`/q${step}`), queryParams: [{ name: "v", value: "1" }] }),
  () => PREFIX("/"),
];

function randomMatch(random: () => number, step: number): object {
  return (MATCHES[Math.floor(random() * MATCHES.length)] as (step: number) => object)(step);
}

const FILTERS: readonly ((step: number) => object)[] = [
  step => ({
    type: "RequestHeaderModifier",
    requestHeaderModifier: { set: [{ name: "x-step", value: String(step) }] },
  }),
  step => ({
    type: "ResponseHeaderModifier",
    responseHeaderModifier: { add: [{ name: "x-r", value: String(step) }] },
  }),
  () => ({ type: "RequestRedirect", requestRedirect: { statusCode: 301 } }),
  step => ({
    type: "RequestRedirect",
    requestRedirect: { scheme: "https", hostname: `r${step}.example.com` },
  }),
  () => ({
    type: "URLRewrite",
    urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" } },
  }),
  () => ({
    type: "URLRewrite",
    urlRewrite: {
      hostname: "up.example.com",
      path: { type: "ReplaceFullPath", replaceFullPath: "/x" },
    },
  }),
  () => ({ type: "RequestMirror", requestMirror: { backendRef: ref("svc-0") } }),
];

function randomFilters(random: () => number, step: number): object[] {
  return Array.from({ length: Math.floor(random() * 3) }, () =>
    (FILTERS[Math.floor(random() * FILTERS.length)] as (step: number) => object)(step),
  );
}

/** Each option that limits what is routed, and the defaults. */
const VARIANTS: readonly (readonly [string, Partial<TranslateOptions>])[] = [
  ["defaults", {}],
  ["route budget", { objectBudgets: { routes: 4 } }],
  ["byte budget", { objectBudgets: { bytes: 1500 } }],
  ["ExternalName targets", { externalNameTargets: ["*.example.org"] }],
  ["ExternalName refused", { externalNameServices: "refuse" }],
  ["no host ownership", { hostOwnership: false }],
  ["host allow-list", { hostNamespaces: [{ namespace: "other", pattern: "b.example.com" }] }],
  ["any-host namespaces", { anyHostNamespaces: ["team"] }],
];

describe("HTTPRoute patches in a wide cluster", () => {
  it.each(
    VARIANTS.flatMap(([name, extra], i) =>
      (["traditional_compatible", "traditional"] as const).map(
        flavor => [name, flavor, extra, i] as const,
      ),
    ),
  )("equal a cold translation after every step (%s, %s)", (_name, flavor, extra, seed) => {
    const random = seededRandom(seed + 1);
    let listeners: ListenerSupportOf = ASSUME_SUPPORTED;
    const options: TranslateOptions = {
      ingressClass: "kong",
      clusterDomain: "cluster.local",
      routerFlavor: () => flavor,
      listenerSupport: () => listeners,
      ...extra,
    };
    const store = newStore();
    loadCluster(store);
    const routes = shapes();
    const httpRoutes = new HttpRoutes();
    const httpRoute = (key: string, shape: Shape): unknown =>
      httpRoutes.object(key.split("/")[1] as string, shape.namespace, shape);
    for (const [key, shape] of routes) store.upsert("HTTPRoute", httpRoute(key, shape));
    const translator = translatorOver(store, options);
    const keys = [...routes.keys()];
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const patchedRoutes = new Set<string>();
    let patched = 0;
    for (let step = 0; step < 150; step++) {
      const edits: string[] = [];
      const update = (change: (r: Rule) => Rule): void => {
        const key = pick(keys);
        const shape = routes.get(key) as Shape;
        const next = { ...shape, rules: shape.rules.map(r => (random() < 0.5 ? r : change(r))) };
        routes.set(key, next);
        store.upsert("HTTPRoute", httpRoute(key, next));
        edits.push(key);
      };
      const editRoute = (): void => {
        update(r => ({
          ...r,
          matches: Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
            randomMatch(random, step),
          ),
          filters: random() < 0.5 ? r.filters : randomFilters(random, step),
        }));
      };
      const draw = random();
      if (draw < 0.6) editRoute();
      else if (draw < 0.7) {
        editRoute();
        editRoute();
      } else if (draw < 0.75) {
        store.upsert("Ingress", ingressAt("ing-0", "ing-0.example.com", `/i${step}`));
        edits.push("ing-0");
      } else if (draw < 0.8) {
        store.upsert("Ingress", ingressAt("ing-shared", "shared.example.com", `/i${step % 3}`));
        edits.push("ing-shared");
      } else if (draw < 0.87) {
        const name = pick(["svc-0", "svc-1", "svc-2", "svc-3"]);
        store.upsert("EndpointSlice", slice(name, "shop", `10.9.${step % 250}.${1 + (step % 7)}`));
        edits.push(`slice ${name}`);
      } else if (draw < 0.9) {
        listeners = listeners === ASSUME_SUPPORTED ? PENDING : ASSUME_SUPPORTED;
        edits.push("listeners");
      } else if (draw < 0.95) {
        const backends = pick(["svc-0", "svc-1", "svc-noport", "ext"]);
        update(r => ({ ...r, backendRefs: [ref(backends)] }));
        edits.push("backendRefs");
      } else {
        store.upsert("GRPCRoute", grpcRoute(`s${step}`));
        edits.push("GRPCRoute");
      }
      const result = translator.step(`step ${step} (${edits.join(", ")})`);
      if (!result.patched) continue;
      patched++;
      for (const key of edits) if (routes.has(key)) patchedRoutes.add(key);
    }
    // The patch is taken often, for many kinds of route: a probe it never reached would prove nothing.
    expect(patched).toBeGreaterThan(20);
    expect(patchedRoutes.size).toBeGreaterThan(5);
  });
});
