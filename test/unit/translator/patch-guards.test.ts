/**
 * The patch path's refusals one by one: each case changes one Ingress's own routes in a snapshot built
 * by a real Store and Snapshotter while something else makes a patch wrong (a certificate date
 * crossed, another router flavour, a limit its expanded paths break, a host another namespace owns, an
 * owned wildcard). The memoised translator must then give a cold translation's output exactly, and
 * take the full path; the same edit without that circumstance is patched (the case reaches the patch).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import { ASSUME_SUPPORTED } from "../../../src/translator/gateway/listeners.ts";
import type { GatewayApiBundles } from "../../../src/translator/gateway/versions.ts";
import type { WriterFlavor } from "../../../src/translator/kong-writer/index.ts";
import {
  createTranslator,
  TranslationMemo,
  type TranslateOptions,
} from "../../../src/translator/index.ts";
import { translateLikeCold } from "../../support/translation-checks.ts";

const certs = join(import.meta.dirname, "..", "..", "fixtures", "certs");
const b64 = (file: string): string => readFileSync(join(certs, file)).toString("base64");

let rv = 1;

interface Rule {
  readonly host: string;
  readonly paths?: readonly { path: string; pathType?: string }[];
}

interface IngressSpec {
  readonly port?: number;
  readonly name: string;
  readonly namespace?: string;
  readonly day?: number;
  readonly rules: readonly Rule[];
  readonly tls?: string;
  readonly annotations?: Record<string, string>;
}

function putIngress(store: Store, p: IngressSpec): void {
  const namespace = p.namespace ?? "shop";
  store.upsert("Ingress", {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: p.name,
      namespace,
      uid: `uid-${namespace}-${p.name}`,
      resourceVersion: String(rv++),
      creationTimestamp: `2024-01-0${p.day ?? 1}T00:00:00Z`,
      annotations: p.annotations ?? {},
    },
    spec: {
      ingressClassName: "kong",
      ...(p.tls === undefined
        ? {}
        : { tls: [{ hosts: p.rules.map(r => r.host), secretName: p.tls }] }),
      rules: p.rules.map(r => ({
        host: r.host,
        ...(r.paths === undefined
          ? {}
          : {
              http: {
                paths: r.paths.map(x => ({
                  path: x.path,
                  pathType: x.pathType ?? "Prefix",
                  backend: { service: { name: "svc", port: { number: p.port ?? 80 } } },
                })),
              },
            }),
      })),
    },
  });
}

/** The class, and a Service with its EndpointSlice and a TLS Secret in each namespace. */
function cluster(): Store {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  store.onSecretNeeded(() => undefined);
  store.upsert("IngressClass", {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: "kong", uid: "uid-class", resourceVersion: "1" },
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  });
  for (const namespace of ["shop", "blog"]) {
    store.upsert("Service", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "svc", namespace, uid: `uid-svc-${namespace}`, resourceVersion: "1" },
      spec: { ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] },
    });
    store.upsert("EndpointSlice", {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: "svc-1",
        namespace,
        uid: `uid-slice-${namespace}`,
        resourceVersion: "1",
        labels: { "kubernetes.io/service-name": "svc" },
      },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }],
    });
    store.upsert("Secret", tlsSecret(namespace, "tls"));
  }
  return store;
}

function tlsSecret(namespace: string, name: string): unknown {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, resourceVersion: "1" },
    type: "kubernetes.io/tls",
    data: { "tls.crt": b64("shop.crt"), "tls.key": b64("shop.key") },
  };
}

/** Fills every TLS Secret the store waits for, as the controller's fetcher delivers them. */
function deliverSecrets(store: Store): void {
  for (const pending of store.secretsToFetch())
    store.fillSecret(tlsSecret(pending.namespace, pending.name));
}

/** A memoised translator over `store`, stepped by `edit`s, each checked against a cold translation. */
function harness(store: Store, options: TranslateOptions) {
  deliverSecrets(store);
  const snapshots = new Snapshotter(store);
  const memo = new TranslationMemo();
  const memoised = createTranslator(options, memo);
  const first = memoised(snapshots.take());
  return {
    first,
    memo,
    /** Applies `edit`, translates, and says whether the translation was patched. */
    step(edit: () => void): boolean {
      edit();
      deliverSecrets(store);
      return translateLikeCold({ memoised, memo }, snapshots.take(), options).patched;
    },
  };
}

const BASE: TranslateOptions = { ingressClass: "kong", clusterDomain: "" };

describe("patched translation refuses", () => {
  it("a step past a certificate's date while an unrelated Ingress's path changes", () => {
    const store = cluster();
    const put = (path: string) => {
      putIngress(store, {
        name: "a",
        rules: [{ host: "a.example.com", paths: [{ path }] }],
        tls: "tls",
      });
    };
    put("/");
    putIngress(store, {
      name: "b",
      rules: [{ host: "b.example.com", paths: [{ path: "/" }] }],
      tls: "tls",
    });
    // Shortly before the fixture certificate's warning date, which `revisitAt` then names.
    let clock = Date.parse("2126-10-10T00:00:00Z");
    const h = harness(store, { ...BASE, now: () => clock });
    const revisitAt = h.first.revisitAt;
    expect(revisitAt).toBeGreaterThan(clock);
    clock += 60_000;
    expect(
      h.step(() => {
        put("/one");
      }),
    ).toBe(true);
    clock = (revisitAt ?? 0) + 1;
    expect(
      h.step(() => {
        put("/two");
      }),
    ).toBe(false);
  });

  it("a step with another router flavour", () => {
    const store = cluster();
    const put = (path: string) => {
      putIngress(store, { name: "a", rules: [{ host: "a.example.com", paths: [{ path }] }] });
    };
    put("/");
    putIngress(store, { name: "b", rules: [{ host: "b.example.com", paths: [{ path: "/" }] }] });
    let flavor: WriterFlavor = "traditional_compatible";
    const h = harness(store, { ...BASE, routerFlavor: () => flavor });
    expect(
      h.step(() => {
        put("/one");
      }),
    ).toBe(true);
    flavor = "expressions";
    expect(
      h.step(() => {
        put("/two");
      }),
    ).toBe(false);
  });

  it("a step with other recorded host claims", () => {
    const store = cluster();
    const put = (path: string) => {
      putIngress(store, { name: "a", rules: [{ host: "a.example.com", paths: [{ path }] }] });
    };
    put("/");
    // Both namespaces claim x: the older claim decides, and the record says which is older.
    const x = { host: "x.example.com", paths: [{ path: "/" }] };
    putIngress(store, { name: "x", day: 1, rules: [x] });
    putIngress(store, { name: "x", namespace: "blog", day: 2, rules: [x] });
    let recorded = [
      { host: "x.example.com", namespace: "shop", since: "2024-01-01T00:00:00Z" },
      { host: "x.example.com", namespace: "blog", since: "2024-01-02T00:00:00Z" },
    ];
    const h = harness(store, { ...BASE, hostClaims: () => recorded });
    expect(
      h.step(() => {
        put("/one");
      }),
    ).toBe(true);
    recorded = [
      { host: "x.example.com", namespace: "shop", since: "2024-01-03T00:00:00Z" },
      { host: "x.example.com", namespace: "blog", since: "2024-01-02T00:00:00Z" },
    ];
    expect(
      h.step(() => {
        put("/two");
      }),
    ).toBe(false);
  });

  it("a route the expressions router takes with a loss", () => {
    const store = cluster();
    const put = (annotations: Record<string, string>) => {
      putIngress(store, {
        name: "a",
        rules: [
          {
            host: "a.example.com",
            paths: [{ path: "/~/v[0-9]+", pathType: "ImplementationSpecific" }],
          },
        ],
        annotations,
      });
    };
    put({});
    const h = harness(store, { ...BASE, routerFlavor: () => "expressions" });
    expect(
      h.step(() => {
        put({ "konghq.com/strip-path": "true" });
      }),
    ).toBe(true);
    expect(
      h.step(() => {
        put({ "konghq.com/regex-priority": "10" });
      }),
    ).toBe(false);
  });

  it("Prefix paths whose expanded paths break the hosts × paths budget", () => {
    const store = cluster();
    const put = (paths: readonly string[]) => {
      putIngress(store, {
        name: "a",
        rules: [{ host: "a.example.com", paths: paths.map(path => ({ path })) }],
      });
    };
    put(["/a", "/b"]);
    // Three Prefix paths pass the spec's count (3 ≤ 5) and expand to six route paths.
    const h = harness(store, { ...BASE, objectBudgets: { hostPaths: 5 } });
    expect(
      h.step(() => {
        put(["/a", "/c"]);
      }),
    ).toBe(true);
    expect(
      h.step(() => {
        put(["/a", "/b", "/c"]);
      }),
    ).toBe(false);
  });

  it("a rule host another namespace owns, once the rule gets paths", () => {
    const store = cluster();
    putIngress(store, {
      name: "owner",
      day: 1,
      rules: [{ host: "owned.example.com", paths: [{ path: "/" }] }],
    });
    const put = (paths: Rule["paths"]) => {
      putIngress(store, {
        name: "a",
        namespace: "blog",
        day: 2,
        rules: [
          { host: "a.example.com", paths: [{ path: "/" }] },
          paths === undefined
            ? { host: "owned.example.com" }
            : { host: "owned.example.com", paths },
        ],
      });
    };
    put(undefined);
    const h = harness(store, BASE);
    // Its claims are the same; its new route is on a host it may not route.
    expect(
      h.step(() => {
        put([{ path: "/mine" }]);
      }),
    ).toBe(false);
  });

  it("any edit while a namespace owns a wildcard host", () => {
    const store = cluster();
    putIngress(store, {
      name: "wild",
      day: 1,
      rules: [{ host: "*.example.com", paths: [{ path: "/" }] }],
    });
    const put = (path: string) => {
      putIngress(store, {
        name: "a",
        namespace: "blog",
        day: 2,
        rules: [{ host: "a.example.com", paths: [{ path }] }],
      });
    };
    put("/");
    const h = harness(store, BASE);
    expect(
      h.step(() => {
        put("/one");
      }),
    ).toBe(false);
  });
});

describe("patched translation takes", () => {
  it("an edit of an Ingress whose backend port the Service does not list", () => {
    const store = cluster();
    const put = (path: string) => {
      putIngress(store, {
        name: "a",
        port: 81,
        rules: [{ host: "a.example.com", paths: [{ path }] }],
      });
    };
    put("/");
    const h = harness(store, BASE);
    expect(h.first.results.find(r => r.ref.name === "a")?.problems.length).toBe(1);
    expect(
      h.step(() => {
        put("/one");
      }),
    ).toBe(true);
  });
});

describe("a memoised translation", () => {
  it("asks each option once, whether it patches or declines and translates in full", () => {
    const store = cluster();
    const put = (path: string): void => {
      putIngress(store, { name: "a", rules: [{ host: "a.example.com", paths: [{ path }] }] });
    };
    put("/");
    const asked = { flavor: 0, plugins: 0, claims: 0, now: 0, listeners: 0, bundles: 0 };
    const bundles: GatewayApiBundles = { state: "unknown", message: "not read" };
    const h = harness(store, {
      ...BASE,
      routerFlavor: () => (asked.flavor++, "traditional_compatible"),
      kongPlugins: () => (asked.plugins++, ["key-auth"]),
      hostClaims: () => (asked.claims++, []),
      now: () => (asked.now++, Date.parse("2026-01-01T00:00:00Z")),
      listenerSupport: () => (asked.listeners++, ASSUME_SUPPORTED),
      gatewayApiBundles: () => (asked.bundles++, bundles),
    });
    const once = { flavor: 1, plugins: 1, claims: 1, now: 1, listeners: 1, bundles: 1 };
    expect(asked).toEqual(once);
    const counted = (edit: () => void): boolean => {
      const before = { ...asked };
      const patched = h.step(edit);
      // Once by the memoised translator, once by the cold translation it is compared with.
      expect(asked).toEqual({
        flavor: before.flavor + 2,
        plugins: before.plugins + 2,
        claims: before.claims + 2,
        now: before.now + 2,
        listeners: before.listeners + 2,
        bundles: before.bundles + 2,
      });
      return patched;
    };
    expect(
      counted(() => {
        put("/one");
      }),
    ).toBe(true);
    // A second host is a new claim: declined, translated in full.
    expect(
      counted(() => {
        putIngress(store, {
          name: "a",
          rules: [
            { host: "a.example.com", paths: [{ path: "/" }] },
            { host: "b.example.com", paths: [{ path: "/" }] },
          ],
        });
      }),
    ).toBe(false);
  });
});

describe("a translation that throws", () => {
  it("leaves no base to patch from, so the next one translates in full", () => {
    const store = cluster();
    const put = (path: string): void => {
      putIngress(store, { name: "a", rules: [{ host: "a.example.com", paths: [{ path }] }] });
    };
    put("/");
    let failing = false;
    // Read by the full path once the Ingress stages have moved the memo on (backend resolution).
    const h = harness(store, {
      ...BASE,
      get clusterDomain(): string {
        if (failing) throw new Error("cluster domain unknown");
        return "";
      },
    });
    expect(h.memo.patchBase).toBeDefined();
    failing = true;
    // A second host: declined by the patch, the full path throws part-way.
    putIngress(store, {
      name: "a",
      rules: [
        { host: "a.example.com", paths: [{ path: "/" }] },
        { host: "b.example.com", paths: [{ path: "/" }] },
      ],
    });
    expect(() => h.step(() => undefined)).toThrow("cluster domain unknown");
    expect(h.memo.patchBase).toBeUndefined();
    failing = false;
    expect(
      h.step(() => {
        put("/one");
      }),
    ).toBe(false);
    expect(
      h.step(() => {
        put("/two");
      }),
    ).toBe(true);
  });
});
