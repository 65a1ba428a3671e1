/**
 * Property: a translator fed random HTTPRoute edits through a real Store and Snapshotter gives, after
 * every step, exactly what a cold translation of the same snapshot gives (results, config bytes through
 * the shared encoder, tenancy, Gateway API statuses), whether it patched the last translation
 * (translator/patch-httproutes.ts) or translated in full.
 *
 * Edits of an attached route's matches and filters (one route or two) must be patched under the
 * traditional router. Edits that relate the route to other objects or change what it claims (backends,
 * hostnames, parentRefs, annotations), routes that are not plain (a plugins annotation, a host another
 * namespace owns, attached nowhere), an HTTPRoute added or removed, an edit beside an Ingress edit or
 * beside a new answer from Kong's listeners, and every edit under the expressions router must take the
 * full path. Ingress edits patched by patch.ts come between, so either patch starts from the other's.
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
import { seededRandom } from "../../support/seeded-random.ts";
import { translateLikeCold } from "../../support/translation-checks.ts";

const certs = join(import.meta.dirname, "..", "..", "fixtures", "certs");
const b64 = (file: string): string => readFileSync(join(certs, file)).toString("base64");

const NS = "shop";
const G = "gateway.networking.k8s.io";

let rv = 1;

function meta(name: string, namespace = NS, extra: object = {}) {
  return {
    name,
    namespace,
    uid: `uid-${namespace}-${name}`,
    resourceVersion: String(rv++),
    creationTimestamp: "2024-01-02T00:00:00Z",
    ...extra,
  };
}

function service(name: string, namespace = NS): unknown {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(name, namespace),
    spec: { ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] },
  };
}

function slice(name: string, at: number, namespace = NS): unknown {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: meta(`${name}-a`, namespace, { labels: { "kubernetes.io/service-name": name } }),
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: [{ addresses: [`10.0.${at}.1`], conditions: { ready: true } }],
  };
}

function ingress(name: string, host: string, path: string, namespace = NS, age = {}): unknown {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: meta(name, namespace, age),
    spec: {
      ingressClassName: "kong",
      rules: [
        {
          host,
          http: {
            paths: [
              {
                path,
                pathType: "Prefix",
                backend: { service: { name: "svc-0", port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

/** What a test edit changes of a route: everything else comes from its base shape. */
interface RouteShape {
  readonly hostnames: readonly string[];
  readonly parentRefs: readonly object[];
  readonly annotations: Readonly<Record<string, string>>;
  /** Per rule: its matches, filters and backendRefs. */
  readonly rules: readonly {
    readonly matches: readonly object[];
    readonly filters: readonly object[];
    readonly backendRefs: readonly object[];
  }[];
}

const TO_GATEWAY = [{ name: "kong" }];
const PREFIX = (value: string) => ({ path: { type: "PathPrefix", value } });
const ref = (name: string, weight?: number) => ({
  name,
  port: 80,
  ...(weight === undefined ? {} : { weight }),
});

/**
 * hr-0: one Kong service of two weighted backends (its origin is the route); hr-1: two rules on two
 * services; hr-2: a host an Ingress of its namespace claims too. Not plain: hr-plugins (a plugins
 * annotation), hr-foreign (a host an older Ingress of another namespace owns), hr-detached (a
 * listener that does not exist).
 */
const PATCHABLE = ["hr-0", "hr-1", "hr-2"] as const;
const NOT_PLAIN = ["hr-plugins", "hr-foreign", "hr-detached"] as const;

function baseShape(name: string): RouteShape {
  const one = (backendRefs: readonly object[]) => ({
    matches: [PREFIX("/")],
    filters: [],
    backendRefs,
  });
  const shape: RouteShape = {
    hostnames: [`${name}.example.com`],
    parentRefs: TO_GATEWAY,
    annotations: {},
    rules: [one([ref("svc-0")])],
  };
  switch (name) {
    case "hr-0":
      return { ...shape, rules: [one([ref("svc-2", 3), ref("svc-3", 1)])] };
    case "hr-1":
      return { ...shape, rules: [one([ref("svc-0")]), one([ref("svc-1")])] };
    case "hr-2":
      return { ...shape, hostnames: ["shared.example.com"] };
    case "hr-plugins":
      return { ...shape, annotations: { "konghq.com/plugins": "missing" } };
    case "hr-foreign":
      return { ...shape, hostnames: ["owned.example.com"] };
    case "hr-detached":
      return { ...shape, parentRefs: [{ name: "kong", sectionName: "nowhere" }] };
    default:
      return shape;
  }
}

/** Each route's generation, moved on by every write, as the API server does for a spec change. */
const generations = new Map<string, number>();

function httpRoute(name: string, shape: RouteShape): unknown {
  const generation = (generations.get(name) ?? 0) + 1;
  generations.set(name, generation);
  return {
    apiVersion: `${G}/v1`,
    kind: "HTTPRoute",
    metadata: meta(name, NS, { annotations: shape.annotations, generation }),
    spec: { parentRefs: shape.parentRefs, hostnames: shape.hostnames, rules: shape.rules },
  };
}

function loadCluster(store: Store): void {
  store.upsert("IngressClass", {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: "kong", uid: "uid-class", resourceVersion: "1" },
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  });
  for (const [at, name] of ["svc-0", "svc-1", "svc-2", "svc-3"].entries()) {
    store.upsert("Service", service(name));
    store.upsert("EndpointSlice", slice(name, at));
  }
  store.upsert("Service", service("svc-0", "other"));
  store.upsert("EndpointSlice", slice("svc-0", 9, "other"));
  store.upsert("Ingress", ingress("ing-0", "ing-0.example.com", "/"));
  store.upsert("Ingress", ingress("ing-shared", "shared.example.com", "/ingress"));
  // Older than every route: it owns its host, which hr-foreign's namespace may then not use.
  const older = { creationTimestamp: "2024-01-01T00:00:00Z" };
  store.upsert("Ingress", ingress("ing-owner", "owned.example.com", "/", "other", older));
  store.upsert("GatewayClass", {
    apiVersion: `${G}/v1`,
    kind: "GatewayClass",
    metadata: { name: "kong", uid: "uid-gwc", resourceVersion: "1" },
    spec: { controllerName: "konghq.com/kic-gateway-controller" },
  });
  store.upsert("Gateway", {
    apiVersion: `${G}/v1`,
    kind: "Gateway",
    metadata: meta("kong"),
    spec: {
      gatewayClassName: "kong",
      listeners: [
        { name: "http", port: 80, protocol: "HTTP" },
        // Without a hostname: its certificate serves the attached routes' hostnames.
        {
          name: "https",
          port: 443,
          protocol: "HTTPS",
          tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "tls-gw" }] },
        },
      ],
    },
  });
  // Announced as the metadata-only watch does; the store then asks for its data.
  store.upsert("Secret", {
    apiVersion: "meta.k8s.io/v1",
    kind: "PartialObjectMetadata",
    metadata: { name: "tls-gw", namespace: NS, uid: "uid-tls-gw", resourceVersion: "1" },
  });
  for (const pending of store.secretsToFetch())
    store.fillSecret({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: pending.name,
        namespace: pending.namespace,
        uid: "uid-tls-gw",
        resourceVersion: "1",
      },
      type: "kubernetes.io/tls",
      data: { "tls.crt": b64("shop.crt"), "tls.key": b64("shop.key") },
    });
}

/** Edits of a route's own Kong routes: patched while the route is plain. */
const OWN_EDITS = ["matches", "filters", "twoRoutes"] as const;
/**
 * A match Kong's traditional router cannot take (query parameters) beside one it can: the rule keeps
 * its Kong service and the route says `PartiallyInvalid`; patched or not, as the patch finds.
 */
const MAY_EDITS = ["partlyUnroutable"] as const;
/** Edits that relate the route to other objects or change what it claims, and other changes. */
const OTHER_EDITS = [
  "backends",
  "hostnames",
  "parentRefs",
  "annotations",
  "notPlain",
  "add",
  "remove",
  "withIngress",
  "withListeners",
  "ingressOnly",
] as const;
type Edit = (typeof OWN_EDITS)[number] | (typeof MAY_EDITS)[number] | (typeof OTHER_EDITS)[number];

/** A match that Kong's traditional router takes as written. */
function randomMatch(random: () => number, step: number): object {
  switch (Math.floor(random() * 4)) {
    case 0:
      return PREFIX(`/p${step}`);
    case 1:
      return { path: { type: "Exact", value: `/exact/${step}` } };
    case 2:
      return { ...PREFIX(`/h${step}`), headers: [{ name: "x-env", value: `v${step}` }] };
    default:
      return { ...PREFIX(`/m${step}`), method: "POST" };
  }
}

function randomFilter(random: () => number, step: number): readonly object[] {
  if (random() < 0.3) return [];
  return [
    {
      type: "RequestHeaderModifier",
      requestHeaderModifier: { set: [{ name: "x-step", value: String(step) }] },
    },
  ];
}

const PENDING: ListenerSupportOf = () => ({
  state: "pending",
  message: "Kong has not answered yet",
});

function newStore(): Store {
  return new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
}

describe("HTTPRoute changes patched into the last translation", () => {
  it.each([
    [1, "traditional_compatible"],
    [2, "traditional_compatible"],
    [3, "traditional"],
    [4, "expressions"],
  ] as const)("equal a cold translation after every step (seed %i, %s)", (seed, flavor) => {
    const random = seededRandom(seed);
    let listeners: ListenerSupportOf = ASSUME_SUPPORTED;
    const options: TranslateOptions = {
      ingressClass: "kong",
      clusterDomain: "cluster.local",
      routerFlavor: () => flavor,
      listenerSupport: () => listeners,
    };
    const store = newStore();
    store.onSecretNeeded(() => undefined);
    loadCluster(store);
    const shapes = new Map<string, RouteShape>();
    for (const name of [...PATCHABLE, ...NOT_PLAIN]) shapes.set(name, baseShape(name));
    for (const [name, shape] of shapes) store.upsert("HTTPRoute", httpRoute(name, shape));
    const snapshots = new Snapshotter(store);
    const memo = new TranslationMemo();
    const memoised = createTranslator(options, memo);
    const encoder = new ConfigEncoder();
    encoder.encode(memoised(snapshots.take()).config);
    const counts = { mustPatch: 0, mustNotPatch: 0, partlyPatched: 0 };
    let added = 0;
    /** Routes holding a match Kong's router refuses: their Kong service lacks a route they emit. */
    const refusing = new Set<string>();
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    for (let step = 0; step < 120; step++) {
      const draw = random();
      const edit: Edit =
        draw < 0.5 ? pick(OWN_EDITS) : draw < 0.6 ? pick(MAY_EDITS) : pick(OTHER_EDITS);
      const edited: string[] = [];
      const refusedBefore = new Set(refusing);
      const adding = { route: false };
      const update = (name: string, change: (s: RouteShape) => RouteShape): void => {
        // A route removed by an earlier step comes back: an addition, not an edit.
        if (!shapes.has(name)) {
          adding.route = true;
          refusing.delete(name);
        }
        const shape = change(shapes.get(name) ?? baseShape(name));
        shapes.set(name, shape);
        store.upsert("HTTPRoute", httpRoute(name, shape));
        edited.push(name);
      };
      const ownEdit = (name: string, which: "matches" | "filters"): void => {
        // Rule 0 is always rewritten: the refused match is gone.
        refusing.delete(name);
        update(name, s => ({
          ...s,
          rules: s.rules.map((rule, i) =>
            i !== 0 && random() < 0.5
              ? rule
              : which === "matches"
                ? { ...rule, matches: [randomMatch(random, step), PREFIX(`/keep${i}`)] }
                : {
                    ...rule,
                    filters: randomFilter(random, step),
                    matches: [randomMatch(random, step)],
                  },
          ),
        }));
      };
      const route = pick(PATCHABLE);
      switch (edit) {
        case "matches":
        case "filters":
          ownEdit(route, edit);
          break;
        case "twoRoutes": {
          ownEdit("hr-0", "matches");
          ownEdit(pick(["hr-1", "hr-2"]), "filters");
          break;
        }
        case "partlyUnroutable":
          update(route, s => ({
            ...s,
            rules: s.rules.map((r, i) =>
              i === 0
                ? {
                    ...r,
                    matches: [
                      { ...PREFIX(`/q${step}`), queryParams: [{ name: "v", value: String(step) }] },
                      PREFIX(`/ok${step}`),
                    ],
                  }
                : r,
            ),
          }));
          refusing.add(route);
          break;
        case "backends":
          update(route, s => ({
            ...s,
            rules: s.rules.map((r, i) =>
              i === 0 ? { ...r, backendRefs: [ref("svc-1", step + 1)] } : r,
            ),
          }));
          break;
        case "hostnames":
          update(route, s => ({ ...s, hostnames: [...s.hostnames, `extra-${step}.example.com`] }));
          break;
        case "parentRefs":
          update(route, s => ({
            ...s,
            parentRefs:
              s.parentRefs.length === 1 ? [{ name: "kong", sectionName: "http" }] : TO_GATEWAY,
          }));
          break;
        case "annotations":
          update(route, s => ({
            ...s,
            annotations: { ...s.annotations, "konghq.com/strip-path": String(step % 2 === 0) },
          }));
          break;
        case "notPlain":
          ownEdit(pick(NOT_PLAIN), "matches");
          break;
        case "add":
          update(`hr-added-${added++}`, s => s);
          break;
        case "remove": {
          const name = pick([...shapes.keys()]);
          shapes.delete(name);
          refusing.delete(name);
          store.remove("HTTPRoute", { namespace: NS, name });
          edited.push(name);
          break;
        }
        case "withIngress":
          ownEdit(route, "matches");
          store.upsert("Ingress", ingress("ing-0", "ing-0.example.com", `/i${step}`));
          break;
        case "withListeners":
          ownEdit(route, "matches");
          listeners = listeners === ASSUME_SUPPORTED ? PENDING : ASSUME_SUPPORTED;
          break;
        case "ingressOnly":
          store.upsert("Ingress", ingress("ing-0", "ing-0.example.com", `/i${step}`));
          break;
      }
      const { patched } = translateLikeCold({ memoised, memo }, snapshots.take(), options, {
        encoder,
        label: `step ${step} (${edit}: ${edited.join(", ")})`,
      });
      // patch.ts decides an Ingress edit alone; patch.test.ts holds it to its own rules.
      if (edit === "ingressOnly") continue;
      if (edit === "partlyUnroutable") {
        if (patched) counts.partlyPatched++;
        continue;
      }
      // The last translation left out a route of a refusing one: not the Kong service it emitted.
      const plain = edited.every(
        name => (PATCHABLE as readonly string[]).includes(name) && !refusedBefore.has(name),
      );
      const own = (OWN_EDITS as readonly string[]).includes(edit);
      if (own && plain && !adding.route && flavor !== "expressions") {
        counts.mustPatch++;
        expect(patched, `step ${step}: ${edit} of ${edited.join(", ")} must be patched`).toBe(true);
      } else {
        counts.mustNotPatch++;
        expect(
          patched,
          `step ${step}: ${edit} of ${edited.join(", ")} must take the full path`,
        ).toBe(false);
      }
    }
    // Both paths are taken often: a patch never taken, or never refused, would prove nothing.
    if (flavor !== "expressions") expect(counts.mustPatch).toBeGreaterThan(30);
    expect(counts.mustNotPatch).toBeGreaterThan(30);
  });
});
