/**
 * The objects the HTTPRoute patch's property tests build their clusters from, in the shape the API
 * server serves them, and the store they go through (the real Store, as the controller runs it).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { parseSupportedObject } from "../../src/model/parse.ts";
import { ConfigEncoder } from "../../src/kong/admin-client.ts";
import { Snapshotter } from "../../src/store/snapshot.ts";
import { Store } from "../../src/store/store.ts";
import type { ListenerSupportOf } from "../../src/translator/gateway/listeners.ts";
import { translateLikeCold, type ComparedTranslation } from "./translation-checks.ts";
import {
  createTranslator,
  TranslationMemo,
  type TranslateOptions,
} from "../../src/translator/index.ts";

const CERTS = join(import.meta.dirname, "..", "fixtures", "certs");
const b64 = (file: string): string => readFileSync(join(CERTS, file)).toString("base64");

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** Kong's listens not known yet: every listener Pending (what the controller says before `GET /`). */
export const PENDING: ListenerSupportOf = () => ({
  state: "pending",
  message: "Kong has not answered yet",
});

let resourceVersion = 1;

/** Metadata with a fresh resourceVersion each time: every write is a new version, as served. */
export function meta(name: string, namespace: string, extra: object = {}) {
  return {
    name,
    namespace,
    uid: `uid-${namespace}-${name}`,
    resourceVersion: String(resourceVersion++),
    creationTimestamp: "2024-01-02T00:00:00Z",
    ...extra,
  };
}

export function newStore(): Store {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  store.onSecretNeeded(() => undefined);
  return store;
}

export function service(name: string, namespace: string, port = 80, extra: object = {}): unknown {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(name, namespace, extra),
    spec: { ports: [{ name: "http", port, protocol: "TCP", targetPort: 8080 }] },
  };
}

/** The Service's one slice, one ready endpoint at `ip`. */
export function slice(name: string, namespace: string, ip: string): unknown {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: meta(`${name}-a`, namespace, { labels: { "kubernetes.io/service-name": name } }),
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
  };
}

/** An Ingress of class `kong` routing `host` and `path` to svc-0; with `tls`, binding Secret tls-gw. */
export function ingress(
  at: { readonly name: string; readonly namespace: string },
  route: { readonly host: string; readonly path: string },
  more: { readonly extra?: object; readonly tls?: boolean } = {},
): unknown {
  const { host, path } = route;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: meta(at.name, at.namespace, more.extra),
    spec: {
      ingressClassName: "kong",
      ...(more.tls === true ? { tls: [{ hosts: [host], secretName: "tls-gw" }] } : {}),
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

/** The IngressClass `kong` and the GatewayClass `kong`, both ours. */
export function loadClasses(store: Store): void {
  store.upsert("IngressClass", {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: "kong", uid: "uid-class", resourceVersion: "1" },
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  });
  store.upsert("GatewayClass", {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: "GatewayClass",
    metadata: { name: "kong", uid: "uid-gwc", resourceVersion: "1" },
    spec: { controllerName: "konghq.com/kic-gateway-controller" },
  });
}

/**
 * TLS Secrets holding the `shop` test certificate, announced as the metadata-only watch does and
 * filled when the store asks for their data.
 */
export function loadTlsSecrets(
  store: Store,
  secrets: readonly (readonly [string, string])[],
): void {
  for (const [name, namespace] of secrets)
    store.upsert("Secret", {
      apiVersion: "meta.k8s.io/v1",
      kind: "PartialObjectMetadata",
      metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: "1" },
    });
  for (const pending of store.secretsToFetch())
    store.fillSecret({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: pending.name,
        namespace: pending.namespace,
        uid: `uid-${pending.name}`,
        resourceVersion: "1",
      },
      type: "kubernetes.io/tls",
      data: { "tls.crt": b64("shop.crt"), "tls.key": b64("shop.key") },
    });
}

/** What a test changes of an HTTPRoute. */
export interface RouteShape {
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

/**
 * HTTPRoutes as served, each write moving the route's generation on (as the API server does for a
 * spec change), so its status's observedGeneration changes with it.
 */
export class HttpRoutes {
  readonly #generations = new Map<string, number>();

  object(name: string, namespace: string, shape: RouteShape): unknown {
    const key = `${namespace}/${name}`;
    const generation = (this.#generations.get(key) ?? 0) + 1;
    this.#generations.set(key, generation);
    return {
      apiVersion: `${GATEWAY_GROUP}/v1`,
      kind: "HTTPRoute",
      metadata: meta(name, namespace, { annotations: shape.annotations, generation }),
      spec: { parentRefs: shape.parentRefs, hostnames: shape.hostnames, rules: shape.rules },
    };
  }
}

export const PREFIX = (value: string) => ({ path: { type: "PathPrefix", value } });

/** HTTPRoute matches Kong's traditional router takes as written, each new for its step. */
export const ROUTABLE_MATCHES: readonly ((step: number) => object)[] = [
  step => PREFIX(`/p${step}`),
  step => ({ path: { type: "Exact", value: `/exact/${step}` } }),
  step => ({ ...PREFIX(`/h${step}`), headers: [{ name: "x-env", value: `v${step}` }] }),
  step => ({ ...PREFIX(`/m${step}`), method: "POST" }),
];

/**
 * The controller's chain over `store`: snapshots, the memoising translator and the long-lived encoder,
 * the first translation done. `step` translates the store's next snapshot and checks it equals a
 * cold translation (`translateLikeCold`).
 */
export function translatorOver(
  store: Store,
  options: TranslateOptions,
): { step: (label: string) => ComparedTranslation } {
  const snapshots = new Snapshotter(store);
  const memo = new TranslationMemo();
  const memoised = createTranslator(options, memo);
  const encoder = new ConfigEncoder();
  encoder.encode(memoised(snapshots.take()).config);
  return {
    step: label =>
      translateLikeCold({ memoised, memo }, snapshots.take(), options, { encoder, label }),
  };
}
