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
import { describe, expect, it } from "vitest";
import type { Store } from "../../../src/store/store.ts";
import type { TranslateOptions } from "../../../src/translator/index.ts";
import {
  ASSUME_SUPPORTED,
  type ListenerSupportOf,
} from "../../../src/translator/gateway/listeners.ts";
import {
  GATEWAY_GROUP,
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

const NS = "shop";

const TO_GATEWAY = [{ name: "kong" }];
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

const ingressAt = (name: string, host: string, path: string, namespace = NS, extra = {}) =>
  ingress({ name, namespace }, { host, path }, { extra });

function loadCluster(store: Store): void {
  loadClasses(store);
  for (const [at, name] of ["svc-0", "svc-1", "svc-2", "svc-3"].entries()) {
    store.upsert("Service", service(name, NS));
    store.upsert("EndpointSlice", slice(name, NS, `10.0.${at}.1`));
  }
  store.upsert("Service", service("svc-0", "other"));
  store.upsert("EndpointSlice", slice("svc-0", "other", "10.0.9.1"));
  store.upsert("Ingress", ingressAt("ing-0", "ing-0.example.com", "/"));
  store.upsert("Ingress", ingressAt("ing-shared", "shared.example.com", "/ingress"));
  // Older than every route: it owns its host, which hr-foreign's namespace may then not use.
  const older = { creationTimestamp: "2024-01-01T00:00:00Z" };
  store.upsert("Ingress", ingressAt("ing-owner", "owned.example.com", "/", "other", older));
  store.upsert("Gateway", {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: "Gateway",
    metadata: meta("kong", NS),
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
  loadTlsSecrets(store, [["tls-gw", NS]]);
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
  const make = ROUTABLE_MATCHES[Math.floor(random() * ROUTABLE_MATCHES.length)];
  return (make as (step: number) => object)(step);
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
    loadCluster(store);
    const httpRoutes = new HttpRoutes();
    const httpRoute = (name: string, shape: RouteShape): unknown =>
      httpRoutes.object(name, NS, shape);
    const shapes = new Map<string, RouteShape>();
    for (const name of [...PATCHABLE, ...NOT_PLAIN]) shapes.set(name, baseShape(name));
    for (const [name, shape] of shapes) store.upsert("HTTPRoute", httpRoute(name, shape));
    const translator = translatorOver(store, options);
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
          store.upsert("Ingress", ingressAt("ing-0", "ing-0.example.com", `/i${step}`));
          break;
        case "withListeners":
          ownEdit(route, "matches");
          listeners = listeners === ASSUME_SUPPORTED ? PENDING : ASSUME_SUPPORTED;
          break;
        case "ingressOnly":
          store.upsert("Ingress", ingressAt("ing-0", "ing-0.example.com", `/i${step}`));
          break;
      }
      const { patched } = translator.step(`step ${step} (${edit}: ${edited.join(", ")})`);
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
