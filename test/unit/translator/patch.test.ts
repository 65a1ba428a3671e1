/**
 * Property: a translator fed random Ingress-only edits through a real Store and Snapshotter gives, after
 * every step, exactly what a cold translation of the same snapshot gives (results, and config bytes
 * through the shared encoder), whether it patched the last translation or translated in full. Edits
 * that relate the Ingress to other objects (a host moved onto another Ingress's or an HTTPRoute's, a
 * path another one claims, TLS, a default backend, its class, a budget, another backend Service,
 * plugins) must take the full path; edits of an Ingress's own routes in a cluster without such
 * relations must be patched, also beside Gateway API objects: HTTPRoutes on an Ingress's host (one of
 * its namespace; one of another, refused; an older one of another, which the Ingress is refused) and
 * on their own, on a Gateway whose HTTPS listeners bind their certificate to routes' hosts and to an
 * Ingress's TLS host, which the Ingress binds first.
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
import { seededRandom } from "../../support/seeded-random.ts";
import { translateLikeCold } from "../../support/translation-checks.ts";

const certs = join(import.meta.dirname, "..", "..", "fixtures", "certs");
const b64 = (file: string): string => readFileSync(join(certs, file)).toString("base64");

const APPS = 8;
const NAMESPACE = (app: number): string => (app % 2 === 0 ? "shop" : "blog");
/** Apps 0 and 2 share a host (same namespace), on different paths: a path edit can collide. */
const HOST = (app: number): string => (app === 2 ? "app-0.example.com" : `app-${app}.example.com`);
const HAS_TLS = (app: number): boolean => app % 4 === 1 || app === 0 || app === 2;
/** App 2 binds app 0's host to app 0's Secret: the older app 0 binds it, app 2 is related to it. */
const TLS_SECRET = (app: number): string => (app === 2 ? "tls-0" : `tls-${app}`);
/**
 * Related to another object by its base shape already: its edits may take either path. Beside the
 * Gateway API objects, app 6 is refused its host by an older HTTPRoute of another namespace.
 */
const relatedAtBase = (gatewayApi: boolean): ReadonlySet<number> =>
  new Set(gatewayApi ? [2, 6] : [2]);

/** Keeps ordinary Ingresses (two paths) within budget, and one with six paths over it. */
const OPTIONS: TranslateOptions = {
  ingressClass: "kong",
  clusterDomain: "",
  objectBudgets: { hostPaths: 5 },
};

type Shape = {
  host: string;
  paths: { path: string; pathType: string; service: string }[];
  tls: boolean;
  className: string;
  defaultBackend: boolean;
  annotations: Record<string, string>;
};

/** Apps 4 and 6 route to one Service, so one Kong service holds both Ingresses' routes. */
const SERVICE = (app: number): string => (app === 6 ? "svc-4" : `svc-${app}`);

function baseShape(app: number): Shape {
  return {
    host: HOST(app),
    paths: [
      { path: app === 2 ? "/two" : "/", pathType: "Prefix", service: SERVICE(app) },
      { path: `/exact-${app}`, pathType: "Exact", service: SERVICE(app) },
    ],
    tls: HAS_TLS(app),
    className: "kong",
    defaultBackend: false,
    annotations: { "konghq.com/strip-path": "true" },
  };
}

let rv = 1;

function ingress(app: number, shape: Shape): unknown {
  const namespace = NAMESPACE(app);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: `app-${app}`,
      namespace,
      uid: `uid-ing-${app}`,
      resourceVersion: String(rv++),
      creationTimestamp: `2024-01-0${1 + (app % 3)}T00:00:00Z`,
      annotations: shape.annotations,
    },
    spec: {
      ingressClassName: shape.className,
      ...(shape.defaultBackend
        ? { defaultBackend: { service: { name: `svc-${app}`, port: { number: 80 } } } }
        : {}),
      ...(shape.tls ? { tls: [{ hosts: [shape.host], secretName: TLS_SECRET(app) }] } : {}),
      rules: [
        {
          host: shape.host,
          http: {
            paths: shape.paths.map(p => ({
              path: p.path,
              pathType: p.pathType,
              backend: { service: { name: p.service, port: { number: 80 } } },
            })),
          },
        },
      ],
    },
  };
}

const G = "gateway.networking.k8s.io";

function httpRoute(p: {
  namespace: string;
  name: string;
  host: string;
  app: number;
  created: string;
}) {
  return {
    apiVersion: `${G}/v1`,
    kind: "HTTPRoute",
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: `uid-route-${p.name}`,
      resourceVersion: "1",
      generation: 1,
      creationTimestamp: p.created,
    },
    spec: {
      parentRefs: [{ group: G, kind: "Gateway", namespace: "infra", name: "kong" }],
      hostnames: [p.host],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: `/route-${p.name}` } }],
          backendRefs: [{ name: SERVICE(p.app), port: 80 }],
        },
      ],
    },
  };
}

/** The host of an HTTPRoute alone. */
const ROUTE_HOST = "routes.example.com";

/** Newer than every Ingress (2024-01-01 to -03), and older. */
const NEWER = "2024-01-05T00:00:00Z";
const OLDER = "2023-12-01T00:00:00Z";

/**
 * Our GatewayClass, a Gateway with an HTTP listener and two HTTPS ones (one without hostname, whose
 * certificate is bound to its routes' hosts; one on app 5's host, which app 5's TLS binds first), and
 * HTTPRoutes: on app 4's host in its namespace (both serve it), on app 0's host from another namespace
 * (newer: refused, app 0 owns the host), on app 6's host from another namespace (older: app 6 is
 * refused it), and on a host of its own.
 */
function loadGatewayApi(store: Store): void {
  store.upsert("GatewayClass", {
    apiVersion: `${G}/v1`,
    kind: "GatewayClass",
    metadata: { name: "kong", uid: "uid-gwc", resourceVersion: "1", generation: 1 },
    spec: { controllerName: "konghq.com/kic-gateway-controller" },
  });
  const allowed = { namespaces: { from: "All" } };
  store.upsert("Gateway", {
    apiVersion: `${G}/v1`,
    kind: "Gateway",
    metadata: {
      name: "kong",
      namespace: "infra",
      uid: "uid-gw",
      resourceVersion: "1",
      generation: 1,
    },
    spec: {
      gatewayClassName: "kong",
      listeners: [
        { name: "http", port: 80, protocol: "HTTP", allowedRoutes: allowed },
        {
          name: "https",
          port: 443,
          protocol: "HTTPS",
          allowedRoutes: allowed,
          tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "tls-gw" }] },
        },
        {
          name: "https-named",
          port: 443,
          protocol: "HTTPS",
          hostname: HOST(5),
          allowedRoutes: allowed,
          tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "tls-gw" }] },
        },
      ],
    },
  });
  const routes = [
    { namespace: "shop", name: "beside", host: HOST(4), app: 4, created: NEWER },
    { namespace: "blog", name: "foreign", host: HOST(0), app: 1, created: NEWER },
    { namespace: "blog", name: "elder", host: HOST(6), app: 1, created: OLDER },
    { namespace: "blog", name: "alone", host: ROUTE_HOST, app: 3, created: NEWER },
  ];
  for (const route of routes) store.upsert("HTTPRoute", httpRoute(route));
}

function loadCluster(store: Store, gatewayApi = false): void {
  if (gatewayApi) loadGatewayApi(store);
  store.upsert("IngressClass", {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: "kong", uid: "uid-class", resourceVersion: "1" },
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  });
  for (let app = 0; app < APPS; app++) {
    const namespace = NAMESPACE(app);
    store.upsert("Service", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `svc-${app}`, namespace, uid: `uid-svc-${app}`, resourceVersion: "1" },
      spec: { ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] },
    });
    store.upsert("EndpointSlice", {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `svc-${app}-1`,
        namespace,
        uid: `uid-slice-${app}`,
        resourceVersion: "1",
        labels: { "kubernetes.io/service-name": `svc-${app}` },
      },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: [{ addresses: [`10.0.0.${app + 1}`], conditions: { ready: true } }],
    });
    store.upsert("Ingress", ingress(app, baseShape(app)));
  }
  announceSecrets(store, gatewayApi);
  deliverSecrets(store);
}

/** The TLS Secrets referenced ones are fetched from, as the controller's fetcher delivers them. */
function secretOf(namespace: string, name: string): unknown {
  if (namespace === "infra" && name === "tls-gw") return tlsSecret(namespace, name, "api");
  const app = Number(name.replace("tls-", ""));
  if (!name.startsWith("tls-") || !HAS_TLS(app) || NAMESPACE(app) !== namespace) return undefined;
  return tlsSecret(namespace, name, "shop");
}

/** A TLS Secret holding one of the test certificates (`shop` or `api`) and its key. */
function tlsSecret(namespace: string, name: string, pair: string): unknown {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, resourceVersion: "1" },
    type: "kubernetes.io/tls",
    data: { "tls.crt": b64(`${pair}.crt`), "tls.key": b64(`${pair}.key`) },
  };
}

/** The TLS Secrets as the metadata-only watch announces them: the store asks for the data of those used. */
function announceSecrets(store: Store, gatewayApi: boolean): void {
  const names = Array.from({ length: APPS }, (_, app) => app)
    .filter(HAS_TLS)
    .map(app => ({ namespace: NAMESPACE(app), name: `tls-${app}` }));
  if (gatewayApi) names.push({ namespace: "infra", name: "tls-gw" });
  for (const { namespace, name } of names)
    store.upsert("Secret", {
      apiVersion: "meta.k8s.io/v1",
      kind: "PartialObjectMetadata",
      metadata: { name, namespace, uid: `uid-${namespace}-${name}`, resourceVersion: "1" },
    });
}

/** Fills every Secret the store waits for, or tells it the Secret is not there. */
function deliverSecrets(store: Store): void {
  for (const pending of store.secretsToFetch()) {
    const raw = secretOf(pending.namespace, pending.name);
    if (raw === undefined) store.secretUnavailable(pending);
    else store.fillSecret(raw);
  }
}

/** Edits an Ingress's own routes only: must be patched while no Ingress is related to another. */
const OWN_EDITS = ["path", "pathType", "stripPath", "restore"] as const;
/** Edits that relate the Ingress to other objects, or change what it claims: must not be patched. */
const RELATING_EDITS = [
  "hostOntoOther",
  "hostOntoRoute",
  "conflictingPath",
  "tls",
  "defaultBackend",
  "class",
  "budget",
  "backendSwitch",
  "plugins",
] as const;
type Edit = (typeof OWN_EDITS)[number] | (typeof RELATING_EDITS)[number];

function editedShape(edit: Edit, app: number, shape: Shape, random: () => number): Shape {
  const others = Array.from({ length: APPS }, (_, i) => i).filter(i => HOST(i) !== HOST(app));
  const other = others[Math.floor(random() * others.length)] as number;
  const [first, second] = shape.paths as [Shape["paths"][0], Shape["paths"][0]];
  switch (edit) {
    case "path":
      return { ...shape, paths: [first, { ...second, path: `/m${Math.floor(random() * 1e6)}` }] };
    case "pathType":
      return {
        ...shape,
        paths: [first, { ...second, pathType: second.pathType === "Exact" ? "Prefix" : "Exact" }],
      };
    case "stripPath":
      return {
        ...shape,
        annotations: {
          "konghq.com/strip-path":
            shape.annotations["konghq.com/strip-path"] === "true" ? "false" : "true",
        },
      };
    case "restore":
      return baseShape(app);
    case "hostOntoOther":
      return { ...shape, host: HOST(other) };
    case "hostOntoRoute":
      // An HTTPRoute's own host, beside the Gateway API objects (a new host without them).
      return { ...shape, host: ROUTE_HOST };
    case "conflictingPath":
      // App 2's host is app 0's: the same path there is a conflict (or a share) between them.
      return app === 0 || app === 2
        ? {
            ...shape,
            paths: [first, { ...second, path: app === 0 ? "/two" : "/", pathType: "Prefix" }],
          }
        : { ...shape, host: HOST(other), paths: [{ ...first, path: "/" }, second] };
    case "tls":
      return { ...shape, tls: !shape.tls };
    case "defaultBackend":
      return { ...shape, defaultBackend: !shape.defaultBackend };
    case "class":
      return { ...shape, className: shape.className === "kong" ? "other" : "kong" };
    case "budget":
      return {
        ...shape,
        paths:
          shape.paths.length > 2
            ? [first, second]
            : [1, 2, 3, 4, 5, 6].map(i => ({ ...second, path: `/many-${i}` })),
      };
    case "backendSwitch": {
      // Another Service of its namespace (another namespace's is not found: no Kong service).
      const neighbours = others.filter(
        i => NAMESPACE(i) === NAMESPACE(app) && SERVICE(i) !== shape.paths[1]?.service,
      );
      const to = neighbours[Math.floor(random() * neighbours.length)] as number;
      return { ...shape, paths: [first, { ...second, service: `svc-${to}` }] };
    }
    case "plugins":
      return { ...shape, annotations: { ...shape.annotations, "konghq.com/plugins": "auth" } };
  }
}

function newStore(): Store {
  return new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
}

/**
 * Whether an edit that changed the Ingress relates it to another object. Only the path conflict between
 * apps 0 and 2 depends on the other: it is one while the other still claims that host and path.
 */
function relates(edit: Edit, app: number, shapes: readonly Shape[]): boolean {
  if (!(RELATING_EDITS as readonly string[]).includes(edit)) return false;
  if (edit !== "conflictingPath" || (app !== 0 && app !== 2)) return true;
  const mine = shapes[app] as Shape;
  const other = shapes[app === 0 ? 2 : 0] as Shape;
  return (
    other.host === mine.host &&
    other.className === "kong" &&
    other.paths.length <= 2 &&
    other.annotations["konghq.com/plugins"] === undefined &&
    // The other may have left that path (a budget edit undone keeps its `/many-*` paths).
    other.paths.some(o => mine.paths.some(m => m.path === o.path && m.pathType === o.pathType))
  );
}

/** Apart from its own paths' names, types and strip-path: related to no other object than at start. */
function ownEditsOnly(shape: Shape, app: number): boolean {
  const base = baseShape(app);
  return (
    shape.host === base.host &&
    shape.tls === base.tls &&
    shape.className === base.className &&
    !shape.defaultBackend &&
    shape.paths.length === base.paths.length &&
    shape.paths.every((p, i) => p.service === base.paths[i]?.service) &&
    // The first paths of apps 0 and 2, which share a host: a second path there is a conflict.
    !["/", "/two"].includes(shape.paths[1]?.path ?? "") &&
    shape.annotations["konghq.com/plugins"] === undefined
  );
}

describe("patched translation", () => {
  it.each([
    [1, "traditional_compatible", false],
    [2, "traditional_compatible", false],
    [3, "expressions", false],
    [4, "traditional_compatible", false],
    [5, "expressions", false],
    [6, "traditional_compatible", false],
    [7, "traditional_compatible", true],
    [8, "expressions", true],
    [9, "traditional_compatible", true],
    [10, "expressions", true],
  ] as const)(
    "equals a cold translation after every Ingress edit (seed %i, %s, Gateway API objects: %s)",
    (seed, flavor, gatewayApi) => {
      const random = seededRandom(seed);
      const options: TranslateOptions = { ...OPTIONS, routerFlavor: () => flavor };
      const store = newStore();
      store.onSecretNeeded(() => undefined);
      loadCluster(store, gatewayApi);
      const snapshots = new Snapshotter(store);
      const memo = new TranslationMemo();
      const memoised = createTranslator(options, memo);
      const encoder = new ConfigEncoder();
      const shapes = Array.from({ length: APPS }, (_, app) => baseShape(app));
      const first = memoised(snapshots.take());
      if (gatewayApi) {
        // The relations are there: the HTTPRoutes attached, the foreign one refused on app 0's host,
        // the listener's certificate bound to the routes' hosts no Ingress bound first.
        const outcome = (name: string) =>
          first.results.find(r => r.ref.kind === "HTTPRoute" && r.ref.name === name)?.outcome;
        expect(["beside", "foreign", "elder", "alone"].map(name => [name, outcome(name)])).toEqual([
          ["beside", "translated"],
          ["foreign", "excluded"],
          ["elder", "translated"],
          ["alone", "translated"],
        ]);
        const ingress6 = first.results.find(
          r => r.ref.kind === "Ingress" && r.ref.name === "app-6",
        );
        expect(ingress6?.problems.map(p => p.reason)).toContain("HostOwnedByOtherNamespace");
        // The listeners' certificate yields to the Ingresses' on their TLS hosts, and says so.
        const gateway = first.results.find(r => r.ref.kind === "Gateway");
        expect(gateway?.problems.map(p => p.message)).toEqual([
          expect.stringContaining(`"${HOST(0)}" already uses Secret shop/tls-0`),
          expect.stringContaining(`"${HOST(5)}" already uses Secret blog/tls-5`),
        ]);
        const snis = first.config.certificates?.flatMap(c => c.snis?.map(sni => sni.name) ?? []);
        expect(snis).toEqual(expect.arrayContaining([ROUTE_HOST, HOST(4)]));
      }
      let patchedSteps = 0;
      let ownSteps = 0;
      let previous = snapshots.take();
      const steps = 200;
      for (let step = 0; step < steps; step++) {
        const ownBefore = shapes.every(ownEditsOnly);
        // Now and then two edits land in one snapshot.
        const batch = random() < 0.15 ? 2 : 1;
        const relating: string[] = [];
        const edited = new Set<number>();
        for (let i = 0; i < batch; i++) {
          // Related Ingresses are mostly set right again soon, so the cluster often has none.
          const related = shapes.findIndex((shape, i) => !ownEditsOnly(shape, i));
          const repair = related !== -1 && random() < 0.6;
          const list: readonly Edit[] = random() < 0.65 ? OWN_EDITS : RELATING_EDITS;
          const edit = repair ? "restore" : (list[Math.floor(random() * list.length)] as Edit);
          const app = repair ? related : Math.floor(random() * APPS);
          // One edit per Ingress and snapshot: a second would hide what the first one did.
          if (edited.has(app)) continue;
          edited.add(app);
          const before = shapes[app] as Shape;
          const after = editedShape(edit, app, before, random);
          shapes[app] = after;
          store.upsert("Ingress", ingress(app, after));
          // A relating edit that changed nothing (a plugin annotation already there) relates nothing new.
          const changed = JSON.stringify(after) !== JSON.stringify(before);
          if (changed && relates(edit, app, shapes)) relating.push(`${edit} on app-${app}`);
        }
        deliverSecrets(store);
        const ownAfter = shapes.every(ownEditsOnly);
        const snapshot = snapshots.take();
        const { patched } = translateLikeCold({ memoised, memo }, snapshot, options, {
          encoder,
          label: `step ${step}`,
        });
        if (patched) patchedSteps++;
        if (relating.length > 0)
          expect(patched, `step ${step}: ${relating.join(", ")} must take the full path`).toBe(
            false,
          );
        else if (
          ownBefore &&
          ownAfter &&
          snapshot !== previous &&
          ![...edited].some(app => relatedAtBase(gatewayApi).has(app))
        ) {
          ownSteps++;
          expect(patched, `step ${step}: own edits must be patched`).toBe(true);
        }
        previous = snapshot;
      }
      // The seeds reach both paths often: a patch path never taken would prove nothing.
      expect(ownSteps).toBeGreaterThan(steps / 10);
      expect(patchedSteps).toBeGreaterThan(steps / 10);
      expect(patchedSteps).toBeLessThan(steps);
    },
  );

  it("leaves to the full path a claim on a key a newer Ingress's refused path would have held", () => {
    const store = newStore();
    const snapshots = new Snapshotter(store);
    const memo = new TranslationMemo();
    const memoised = createTranslator(OPTIONS, memo);
    const put = (p: { name: string; day: number; host: string; path: string; alias?: string }) =>
      store.upsert("Ingress", {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: {
          name: p.name,
          namespace: "shop",
          uid: `uid-${p.name}`,
          resourceVersion: String(rv++),
          creationTimestamp: `2024-01-0${p.day}T00:00:00Z`,
          annotations: p.alias === undefined ? {} : { "konghq.com/host-aliases": p.alias },
        },
        spec: {
          ingressClassName: "kong",
          rules: [
            {
              host: p.host,
              http: {
                paths: [
                  {
                    path: p.path,
                    pathType: "Prefix",
                    backend: { service: { name: "svc-0", port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      });
    loadCluster(store);
    put({ name: "holder", day: 1, host: "a.example.com", path: "/x" });
    put({ name: "middle", day: 2, host: "b.example.com", path: "/y" });
    // Its path /x on b (free) and on its alias a (the holder's): served by the holder's identical route.
    put({ name: "newest", day: 3, host: "b.example.com", path: "/x", alias: "a.example.com" });
    memoised(snapshots.take());
    const step = (path: string) => {
      put({ name: "middle", day: 2, host: "b.example.com", path });
      const { patched, cold } = translateLikeCold({ memoised, memo }, snapshots.take(), OPTIONS);
      return { patched, cold };
    };
    // Its own path elsewhere: patched.
    expect(step("/z").patched).toBe(true);
    // On b's /x, the newest Ingress's first key: its identical path is now served by this one's route.
    const taken = step("/x");
    expect(taken.patched).toBe(false);
    const newest = taken.cold.results.find(r => r.ref.name === "newest");
    expect(newest?.dependsOn.map(d => d.name)).toContain("middle");
  });
});
