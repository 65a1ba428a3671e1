/**
 * Property: a translator fed random EndpointSlice edits through a real Store and Snapshotter gives, after
 * every step, exactly what a cold translation of the same snapshot gives (results, config bytes through
 * the shared encoder, Gateway API statuses), whether it patched the last translation's upstreams
 * (translator/patch-endpoints.ts) or translated in full. Slices edited in place (endpoints, readiness,
 * ports) must be patched; a slice added, removed or moved to another Service, an edit beside another
 * kind's or beside a new answer from Kong's listeners or the Gateway API bundles, and a slice of a
 * Service some route names an unlisted port of must take the full path. Ingress edits patched by
 * patch.ts come between, so either patch starts from the other's.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ConfigEncoder } from "../../../src/kong/admin-client.ts";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import {
  createTranslator,
  TranslationMemo,
  type TranslateOptions,
} from "../../../src/translator/index.ts";
import {
  ASSUME_SUPPORTED,
  type ListenerSupportOf,
} from "../../../src/translator/gateway/listeners.ts";
import type { GatewayApiBundles } from "../../../src/translator/gateway/versions.ts";
import { seededRandom } from "../../support/seeded-random.ts";
import { translateLikeCold } from "../../support/translation-checks.ts";

const certs = join(import.meta.dirname, "..", "..", "fixtures", "certs");
const b64 = (file: string): string => readFileSync(join(certs, file)).toString("base64");

const NAMESPACE = "shop";
/**
 * svc-0: two Kong services of one port (by number and by name) and an HTTPRoute's; svc-1: two ports;
 * svc-2 and svc-3: one Kong service of two weighted backends; svc-2 is also named on a port it does not
 * list (a route KIC keeps without targets), which the patch leaves to the full path; svc-up: reached
 * through its DNS name, its slices read by nobody.
 */
const SERVICES = ["svc-0", "svc-1", "svc-2", "svc-3", "svc-up"] as const;
const UNLISTED_PORT_SERVICE = "svc-2";

let rv = 1;

function meta(name: string, extra: object = {}) {
  return {
    name,
    namespace: NAMESPACE,
    uid: `uid-${name}`,
    resourceVersion: String(rv++),
    creationTimestamp: "2024-01-01T00:00:00Z",
    ...extra,
  };
}

function service(name: string): unknown {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(
      name,
      name === "svc-up"
        ? { annotations: { "ingress.kubernetes.io/service-upstream": "true" } }
        : {},
    ),
    spec: {
      ports: [
        { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
        ...(name === "svc-1"
          ? [{ name: "admin", port: 81, protocol: "TCP", targetPort: 9090 }]
          : []),
      ],
    },
  };
}

function ingress(name: string, paths: { path: string; service: string; port: object }[]): unknown {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: meta(name),
    spec: {
      ingressClassName: "kong",
      rules: [
        {
          host: `${name}.example.com`,
          http: {
            paths: paths.map(p => ({
              path: p.path,
              pathType: "Prefix",
              backend: { service: { name: p.service, port: p.port } },
            })),
          },
        },
      ],
    },
  };
}

function httpRoute(name: string, backendRefs: object[]): unknown {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: meta(name),
    spec: {
      parentRefs: [{ name: "kong" }],
      hostnames: [`${name}.example.com`],
      rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs }],
    },
  };
}

interface SliceShape {
  /** The `kubernetes.io/service-name` label; undefined: none. */
  readonly service: string | undefined;
  readonly ports: readonly { readonly name: string; readonly port: number }[];
  readonly endpoints: readonly {
    readonly ip: string;
    readonly ready: boolean;
    readonly terminating: boolean;
  }[];
}

function slice(name: string, shape: SliceShape): unknown {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: meta(
      name,
      shape.service === undefined
        ? {}
        : { labels: { "kubernetes.io/service-name": shape.service } },
    ),
    addressType: "IPv4",
    ports: shape.ports.map(p => ({ ...p, protocol: "TCP" })),
    endpoints: shape.endpoints.map(e => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, terminating: e.terminating },
    })),
  };
}

/** The cluster; with `gateway`, its HTTPRoutes too (then patch.ts leaves every Ingress edit to the full path). */
function loadCluster(store: Store, gateway = true): void {
  store.upsert("IngressClass", {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: "kong", uid: "uid-class", resourceVersion: "1" },
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  });
  for (const name of SERVICES) store.upsert("Service", service(name));
  store.upsert("Ingress", ingress1("/"));
  store.upsert(
    "Ingress",
    ingress("ing-0", [
      { path: "/", service: "svc-0", port: { number: 80 } },
      { path: "/by-name", service: "svc-0", port: { name: "http" } },
    ]),
  );
  store.upsert(
    "Ingress",
    ingress("ing-2", [
      { path: "/", service: "svc-up", port: { number: 80 } },
      { path: "/unlisted", service: UNLISTED_PORT_SERVICE, port: { number: 8080 } },
    ]),
  );
  if (gateway) loadGatewayApi(store);
}

/** ing-1: svc-1's two ports, by number and by name, its first path `first`. */
function ingress1(first: string): unknown {
  return ingress("ing-1", [
    { path: first, service: "svc-1", port: { number: 80 } },
    { path: "/admin", service: "svc-1", port: { name: "admin" } },
  ]);
}

function loadGatewayApi(store: Store): void {
  store.upsert("GatewayClass", {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name: "kong", uid: "uid-gwc", resourceVersion: "1" },
    spec: { controllerName: "konghq.com/kic-gateway-controller" },
  });
  store.upsert("Gateway", {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: meta("kong"),
    spec: { gatewayClassName: "kong", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
  });
  store.upsert(
    "HTTPRoute",
    httpRoute("hr-0", [
      { name: "svc-2", port: 80, weight: 3 },
      { name: "svc-3", port: 80, weight: 1 },
    ]),
  );
  store.upsert("HTTPRoute", httpRoute("hr-1", [{ name: "svc-0", port: 80 }]));
}

/** Two slices per Service, one of a Service that does not exist, and one without the label. */
function baseSlices(): Map<string, SliceShape> {
  const slices = new Map<string, SliceShape>();
  const ports = (service: string) => [
    { name: "http", port: 8080 },
    ...(service === "svc-1" ? [{ name: "admin", port: 9090 }] : []),
  ];
  for (const [s, name] of [...SERVICES, "svc-gone"].entries())
    for (const part of ["a", "b"])
      slices.set(`${name}-${part}`, {
        service: name,
        ports: ports(name),
        endpoints: [1, 2].map(e => ({
          ip: `10.${s}.${part === "a" ? 0 : 1}.${e}`,
          ready: true,
          terminating: false,
        })),
      });
  slices.set("unlabelled", { service: undefined, ports: ports(""), endpoints: [] });
  return slices;
}

/** An edit in place: what a pod starting, stopping, turning (un)ready or renaming its port does. */
function editedInPlace(shape: SliceShape, random: () => number): SliceShape {
  const pick = Math.floor(random() * 5);
  const endpoints = [...shape.endpoints];
  const at = Math.floor(random() * Math.max(1, endpoints.length));
  const current = endpoints[at];
  switch (pick) {
    case 0:
      endpoints.push({
        ip: `10.99.${Math.floor(random() * 250)}.${1 + Math.floor(random() * 250)}`,
        ready: true,
        terminating: false,
      });
      return { ...shape, endpoints };
    case 1:
      if (current !== undefined) endpoints.splice(at, 1);
      return { ...shape, endpoints };
    case 2:
      if (current !== undefined)
        endpoints[at] = { ...current, ready: !current.ready, terminating: current.ready };
      return { ...shape, endpoints };
    case 3:
      // Renamed: the Service's port no longer finds it (or finds it again).
      return {
        ...shape,
        ports: shape.ports.map((p, i) =>
          i === 0 ? { ...p, name: p.name === "http" ? "web" : "http" } : p,
        ),
      };
    default:
      // Same address twice in one slice, and on another slice of the Service (merged).
      return {
        ...shape,
        endpoints: [
          ...endpoints,
          ...endpoints.slice(0, 1),
          { ip: "10.0.0.1", ready: true, terminating: false },
        ],
      };
  }
}

type Step =
  | "inPlace"
  | "twoInPlace"
  | "relabel"
  | "add"
  | "remove"
  | "withIngress"
  | "withListeners"
  | "withBundles"
  | "ingressOnly";
const STEPS: readonly Step[] = [
  "inPlace",
  "inPlace",
  "inPlace",
  "twoInPlace",
  "relabel",
  "add",
  "remove",
  "withIngress",
  "withListeners",
  "withBundles",
  "ingressOnly",
];

/** Kong's listens not known yet: every listener Pending (what the controller says before `GET /`). */
const PENDING: ListenerSupportOf = () => ({
  state: "pending",
  message: "Kong has not answered yet",
});

const G = "gateway.networking.k8s.io";
const BUNDLES: readonly GatewayApiBundles[] = [
  { state: "unknown", message: "the CRDs have not been read yet" },
  { state: "known", versions: new Map([[`gateways.${G}`, "v1.6.1"]]) },
];

function newStore(): Store {
  return new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
}

describe("EndpointSlice changes patched into the last translation", () => {
  it.each([
    [1, "traditional_compatible", false, true],
    [2, "expressions", false, true],
    [3, "traditional_compatible", true, true],
    [4, "expressions", true, true],
    [5, "traditional_compatible", false, false],
    [6, "expressions", true, false],
  ] as const)(
    "equal a cold translation after every step (seed %i, %s, drain %s, Gateway API %s)",
    (seed, flavor, drain, gateway) => {
      const random = seededRandom(seed);
      let listeners: ListenerSupportOf = ASSUME_SUPPORTED;
      let bundles = BUNDLES[0] as GatewayApiBundles;
      const options: TranslateOptions = {
        ingressClass: "kong",
        clusterDomain: "cluster.local",
        routerFlavor: () => flavor,
        listenerSupport: () => listeners,
        gatewayApiBundles: () => bundles,
        ...(drain ? { enableDrainSupport: true } : {}),
      };
      const store = newStore();
      loadCluster(store, gateway);
      const shapes = baseSlices();
      for (const [name, shape] of shapes) store.upsert("EndpointSlice", slice(name, shape));
      const snapshots = new Snapshotter(store);
      const memo = new TranslationMemo();
      const memoised = createTranslator(options, memo);
      const encoder = new ConfigEncoder();
      encoder.encode(memoised(snapshots.take()).config);
      const counts = { mustPatch: 0, mustNotPatch: 0, ingressPatched: 0 };
      let added = 0;
      let previous = snapshots.take();
      for (let step = 0; step < 150; step++) {
        const kind = STEPS[Math.floor(random() * STEPS.length)] as Step;
        const names = [...shapes.keys()];
        const pickName = (): string => names[Math.floor(random() * names.length)] as string;
        const edited = new Set<string>();
        const editInPlace = (): void => {
          const name = pickName();
          if (edited.has(name)) return;
          edited.add(name);
          const shape = editedInPlace(shapes.get(name) as SliceShape, random);
          shapes.set(name, shape);
          store.upsert("EndpointSlice", slice(name, shape));
        };
        if (kind === "inPlace") editInPlace();
        else if (kind === "twoInPlace") {
          editInPlace();
          editInPlace();
        } else if (kind === "relabel") {
          const name = pickName();
          const shape = shapes.get(name) as SliceShape;
          const service = SERVICES[Math.floor(random() * SERVICES.length)];
          shapes.set(name, { ...shape, service: shape.service === service ? undefined : service });
          store.upsert("EndpointSlice", slice(name, shapes.get(name) as SliceShape));
        } else if (kind === "add") {
          const name = `added-${added++}`;
          const service = SERVICES[Math.floor(random() * SERVICES.length)] as string;
          shapes.set(name, {
            service,
            ports: [{ name: "http", port: 8080 }],
            endpoints: [{ ip: `10.50.0.${added}`, ready: true, terminating: false }],
          });
          store.upsert("EndpointSlice", slice(name, shapes.get(name) as SliceShape));
        } else if (kind === "remove") {
          const name = pickName();
          shapes.delete(name);
          store.remove("EndpointSlice", { namespace: NAMESPACE, name });
        } else if (kind === "withIngress") {
          editInPlace();
          store.upsert("Ingress", ingress1(`/${step}`));
        } else if (kind === "withListeners") {
          editInPlace();
          listeners = listeners === ASSUME_SUPPORTED ? PENDING : ASSUME_SUPPORTED;
        } else if (kind === "withBundles") {
          editInPlace();
          bundles = (bundles === BUNDLES[0] ? BUNDLES[1] : BUNDLES[0]) as GatewayApiBundles;
        } else store.upsert("Ingress", ingress1(`/${step}`));
        const snapshot = snapshots.take();
        const { patched } = translateLikeCold({ memoised, memo }, snapshot, options, {
          encoder,
          label: `step ${step} (${kind}: ${[...edited].join(", ")})`,
        });
        // An edit that changed nothing a translation reads leaves the snapshot as it was.
        const sliceChanged = snapshot.endpointSlices !== previous.endpointSlices;
        previous = snapshot;
        // patch.ts decides an Ingress edit alone (also one whose slice edit beside changed nothing);
        // patch.test.ts holds it to its own rules.
        if (kind === "ingressOnly" || (kind === "withIngress" && !sliceChanged)) {
          if (patched) counts.ingressPatched++;
          continue;
        }
        const inPlaceOnly = (kind === "inPlace" || kind === "twoInPlace") && sliceChanged;
        const readByUnlistedPort = [...edited].some(
          name => shapes.get(name)?.service === UNLISTED_PORT_SERVICE,
        );
        if (inPlaceOnly && !readByUnlistedPort) {
          counts.mustPatch++;
          expect(patched, `step ${step}: ${[...edited].join(", ")} edited in place`).toBe(true);
        } else {
          // No step but an Ingress edit alone may be patched by patch.ts either.
          counts.mustNotPatch++;
          expect(patched, `step ${step}: ${kind} must take the full path`).toBe(false);
        }
      }
      // The seeds reach both paths often: a patch never taken, or never refused, would prove nothing.
      expect(counts.mustPatch).toBeGreaterThan(30);
      expect(counts.mustNotPatch).toBeGreaterThan(30);
      // Ingress patches come between the slice patches, beside Gateway API objects too.
      expect(counts.ingressPatched).toBeGreaterThan(3);
    },
  );

  it("writes anew only the upstreams of the slice's Service, and keeps every other entity", () => {
    const store = newStore();
    loadCluster(store);
    const shapes = baseSlices();
    for (const [name, shape] of shapes) store.upsert("EndpointSlice", slice(name, shape));
    const snapshots = new Snapshotter(store);
    const memo = new TranslationMemo();
    const options: TranslateOptions = { ingressClass: "kong", clusterDomain: "" };
    const memoised = createTranslator(options, memo);
    const before = memoised(snapshots.take());
    const shape = shapes.get("svc-1-a") as SliceShape;
    store.upsert(
      "EndpointSlice",
      slice("svc-1-a", {
        ...shape,
        endpoints: [...shape.endpoints, { ip: "10.1.0.9", ready: true, terminating: false }],
      }),
    );
    const { incremental: after, patched } = translateLikeCold(
      { memoised, memo },
      snapshots.take(),
      options,
    );
    expect(patched).toBe(true);
    const changed = (after.config.upstreams ?? [])
      .filter((u, i) => u !== before.config.upstreams?.[i])
      .map(u => u.name);
    // ing-1 names svc-1's ports by number and by name: two Kong services, two upstreams, both new.
    expect(changed).toEqual(["svc-1.shop.80.svc", "svc-1.shop.admin.svc"]);
    expect(
      after.config.upstreams?.find(u => u.name === "svc-1.shop.80.svc")?.targets,
    ).toContainEqual(expect.objectContaining({ target: "10.1.0.9:8080" }));
    for (const [i, s] of (after.config.services ?? []).entries())
      expect(s).toBe(before.config.services?.[i]);
    const sliceResult = after.results.find(r => r.ref.name === "svc-1-a");
    expect(sliceResult).toMatchObject({ outcome: "translated" });
    expect(sliceResult?.dependsOn.map(d => d.name)).toEqual(["svc-1"]);
  });

  it("keeps a config without Kong services without an upstreams section", () => {
    // A Gateway's HTTPS listener brings a certificate; no route, so no Kong service and no upstream
    // (and no stub upstream: the certificate is an entity). A slice of a Service nothing routes to.
    const store = newStore();
    loadGatewayApi(store);
    store.upsert("Gateway", {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: meta("kong"),
      spec: {
        gatewayClassName: "kong",
        listeners: [
          {
            name: "https",
            port: 443,
            protocol: "HTTPS",
            tls: { certificateRefs: [{ kind: "Secret", name: "tls" }] },
          },
        ],
      },
    });
    for (const kind of ["HTTPRoute"] as const)
      for (const name of ["hr-0", "hr-1"]) store.remove(kind, { namespace: NAMESPACE, name });
    store.upsert("Secret", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta("tls"),
      type: "kubernetes.io/tls",
      data: { "tls.crt": b64("shop.crt"), "tls.key": b64("shop.key") },
    });
    store.upsert("Service", service("svc-0"));
    const shape = baseSlices().get("svc-0-a") as SliceShape;
    store.upsert("EndpointSlice", slice("svc-0-a", shape));
    const snapshots = new Snapshotter(store);
    const memo = new TranslationMemo();
    const options: TranslateOptions = { ingressClass: "kong", clusterDomain: "" };
    const memoised = createTranslator(options, memo);
    const before = memoised(snapshots.take());
    expect(before.config.certificates).toHaveLength(1);
    expect(before.config.upstreams).toBeUndefined();
    store.upsert("EndpointSlice", slice("svc-0-a", { ...shape, endpoints: [] }));
    const { incremental, patched } = translateLikeCold(
      { memoised, memo },
      snapshots.take(),
      options,
    );
    expect(patched).toBe(true);
    expect(incremental.config).not.toHaveProperty("upstreams");
  });
});
