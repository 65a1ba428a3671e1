/**
 * The synthetic cluster both benchmarks use: per app a Service (one named port), an EndpointSlice with
 * three ready endpoints, an Ingress with a Prefix and an Exact path on its own host, and for every tenth
 * app a TLS Secret (the same test certificate). Apps are spread over {@link NAMESPACE_COUNT} namespaces.
 * The objects are manifests as a user writes them (no uid, no resourceVersion); the offline benchmark adds
 * those itself.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Gateway, GatewayClass, HTTPRoute } from "../../src/model/gateway-api.ts";
import type {
  EndpointSlice,
  Ingress,
  IngressClass,
  KubeObject,
  Secret,
  Service,
} from "../../src/model/k8s.ts";

export const NAMESPACE_COUNT = 50;
export const INGRESS_CLASS = "kong";

/** The path the benchmark's edits replace (the Exact one), so every edit changes Kong's config. */
const EDITABLE_PATH = "/api/v1";

/** Marks an edited path: `/bench-seq-<n>`, found again in Kong's config as `bench-seq-<n>`. */
export const MARKER_PREFIX = "bench-seq-";

const certDir = join(import.meta.dirname, "..", "fixtures", "certs");
const b64 = (file: string): string =>
  Buffer.from(readFileSync(join(certDir, file))).toString("base64");
let tlsData: Readonly<Record<string, string>> | undefined;

export function namespaceOf(app: number): string {
  return `ns-${app % NAMESPACE_COUNT}`;
}

export function appName(app: number): string {
  return `app-${app}`;
}

/** Objects in a cluster of `apps` apps, IngressClass included (namespaces not counted). */
export function objectCount(apps: number): number {
  return apps * 3 + Math.ceil(apps / 10) + 1;
}

export function ingressClass(): IngressClass {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: INGRESS_CLASS },
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  };
}

/** The app's Ingress; with a `marker`, its Exact path becomes `/bench-seq-<marker>`. */
export function appIngress(app: number, marker?: number): Ingress {
  const name = appName(app);
  const tls = app % 10 === 0 ? [{ hosts: [`${name}.example.com`], secretName: `${name}-tls` }] : [];
  const exactPath = marker === undefined ? EDITABLE_PATH : `/${MARKER_PREFIX}${marker}`;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name,
      namespace: namespaceOf(app),
      annotations: { "konghq.com/strip-path": "true" },
    },
    spec: {
      ingressClassName: INGRESS_CLASS,
      tls,
      rules: [
        {
          host: `${name}.example.com`,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name, port: { number: 80 } } },
              },
              {
                path: exactPath,
                pathType: "Exact",
                backend: { service: { name, port: { name: "http" } } },
              },
            ],
          },
        },
      ],
    },
  };
}

/**
 * Where a marked pod lives (`appSlice`): outside the apps' own 10.0.0.0/8 addresses, one address per
 * marker below 62,500, found again in Kong's targets by {@link sliceMarkersIn}.
 */
function markedPod(marker: number): string {
  return `172.16.${Math.floor(marker / 250) % 250}.${(marker % 250) + 1}`;
}

/** Every marker of a marked pod's target (`172.16.x.y:<port>`) in a posted config. */
export function sliceMarkersIn(text: string): number[] {
  const found: number[] = [];
  for (const match of text.matchAll(/"172\.16\.(\d+)\.(\d+):\d+"/g))
    found.push(Number(match[1]) * 250 + Number(match[2]) - 1);
  return found;
}

/**
 * The app's EndpointSlice: three ready endpoints. With a `marker`, the first endpoint is another pod
 * (see {@link markedPod}), as when a pod is replaced: the change a large cluster sees most.
 */
export function appSlice(app: number, marker?: number): EndpointSlice {
  const name = appName(app);
  const pod = (e: number): string =>
    marker !== undefined && e === 1
      ? markedPod(marker)
      : `10.${app % 250}.${Math.floor(app / 250) % 250}.${e}`;
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${name}-x`,
      namespace: namespaceOf(app),
      labels: { "kubernetes.io/service-name": name },
    },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: [1, 2, 3].map(e => ({ addresses: [pod(e)], conditions: { ready: true } })),
  };
}

/** The app's Service: one named port. */
function appService(app: number): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: appName(app), namespace: namespaceOf(app) },
    spec: { ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
  };
}

/** Service, EndpointSlice, Ingress and (every tenth app) TLS Secret of one app. */
export function appObjects(app: number): KubeObject[] {
  const name = appName(app);
  const namespace = namespaceOf(app);
  const objects: KubeObject[] = [appService(app), appSlice(app), appIngress(app)];
  if (app % 10 === 0) {
    tlsData ??= { "tls.crt": b64("shop.crt"), "tls.key": b64("shop.key") };
    const secret: Secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${name}-tls`, namespace },
      type: "kubernetes.io/tls",
      data: tlsData,
    };
    objects.push(secret);
  }
  return objects;
}

/** The whole cluster: the IngressClass, then every app's objects. */
export function syntheticCluster(apps: number): KubeObject[] {
  const objects: KubeObject[] = [ingressClass()];
  for (let app = 0; app < apps; app++) objects.push(...appObjects(app));
  return objects;
}

/** Where the HTTPRoute variant's Gateway lives; every app's route attaches to it. */
export const GATEWAY = { namespace: "gateway", name: "kong" } as const;

/** The Gateway API variant's GatewayClass and Gateway: one HTTP listener taking routes from any namespace. */
export function gatewayObjects(): KubeObject[] {
  const gatewayClass: GatewayClass = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name: GATEWAY.name },
    spec: { controllerName: "konghq.com/kic-gateway-controller" },
  };
  const gateway: Gateway = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: GATEWAY.name, namespace: GATEWAY.namespace },
    spec: {
      gatewayClassName: GATEWAY.name,
      listeners: [
        {
          name: "http",
          port: 80,
          protocol: "HTTP",
          allowedRoutes: { namespaces: { from: "All" } },
        },
      ],
    },
  };
  return [gatewayClass, gateway];
}

/**
 * The app's HTTPRoute, the Ingress's counterpart: its host, a PathPrefix `/` and an Exact path to the
 * app's Service on port 80; with a `marker`, the Exact path becomes `/bench-seq-<marker>`.
 */
export function appHttpRoute(app: number, marker?: number): HTTPRoute {
  const name = appName(app);
  const exactPath = marker === undefined ? EDITABLE_PATH : `/${MARKER_PREFIX}${marker}`;
  const backendRefs = [{ name, port: 80 }];
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace: namespaceOf(app) },
    spec: {
      parentRefs: [{ name: GATEWAY.name, namespace: GATEWAY.namespace }],
      hostnames: [`${name}.example.com`],
      rules: [
        { matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs },
        { matches: [{ path: { type: "Exact", value: exactPath } }], backendRefs },
      ],
    },
  };
}

/**
 * The cluster with HTTPRoutes in place of Ingresses and without TLS Secrets: the GatewayClass and
 * Gateway, then every app's Service, EndpointSlice and HTTPRoute.
 */
export function syntheticRouteCluster(apps: number): KubeObject[] {
  const objects: KubeObject[] = gatewayObjects();
  for (let app = 0; app < apps; app++)
    objects.push(appService(app), appSlice(app), appHttpRoute(app));
  return objects;
}

/**
 * The Ingress cluster midway to Gateway API: the GatewayClass and Gateway beside it, and every fiftieth
 * app routed by an HTTPRoute as well, on a host of its own (`<app>.gw.example.com`). Fiftieth, not more:
 * at 3,333 apps the config then stays under the default `--max-config-bytes` (10.1 of 10.5 MB; every
 * tenth app's made it 10.6 and the sender left objects out to fit).
 */
export function syntheticMixedCluster(apps: number): KubeObject[] {
  return [...syntheticCluster(apps), ...mixedGatewayApiObjects(apps)];
}

/** The apps of the mixed cluster that an HTTPRoute routes as well: every `MIXED_ROUTE_EVERY`th. */
export const MIXED_ROUTE_EVERY = 50;

/** What the mixed cluster adds to the Ingress cluster: the GatewayClass, the Gateway and the HTTPRoutes. */
export function mixedGatewayApiObjects(apps: number): KubeObject[] {
  const objects = gatewayObjects();
  for (let app = 0; app < apps; app += MIXED_ROUTE_EVERY) objects.push(mixedRoute(app));
  return objects;
}

/**
 * The HTTPRoute of app `app` (a multiple of `MIXED_ROUTE_EVERY`) in the mixed cluster: the app's
 * HTTPRoute on `<app>.gw.example.com`; with a `marker`, its Exact path becomes `/bench-seq-<marker>`.
 */
export function mixedRoute(app: number, marker?: number): HTTPRoute {
  const route = appHttpRoute(app, marker);
  return { ...route, spec: { ...route.spec, hostnames: [`${appName(app)}.gw.example.com`] } };
}

/**
 * What routes the apps: the Ingress cluster, its HTTPRoute counterpart, or the Ingress cluster with
 * a Gateway and some HTTPRoutes beside (`mixed`, whose edits change Ingresses).
 */
export type RouteKind = "Ingress" | "HTTPRoute" | "mixed";

export const ROUTE_KINDS: readonly RouteKind[] = ["Ingress", "HTTPRoute", "mixed"];

/** The cluster of `apps` apps routed by `kind`. */
export function clusterRoutedBy(kind: RouteKind, apps: number): KubeObject[] {
  if (kind === "mixed") return syntheticMixedCluster(apps);
  return kind === "Ingress" ? syntheticCluster(apps) : syntheticRouteCluster(apps);
}

/** The kind of object an edit of the cluster routed by `kind` changes. */
export function editedKind(kind: RouteKind): "Ingress" | "HTTPRoute" {
  return kind === "HTTPRoute" ? "HTTPRoute" : "Ingress";
}

/**
 * The app's route that edits of the cluster routed by `kind` change (`editedKind`); with a `marker`,
 * its Exact path becomes `/bench-seq-<marker>`.
 */
export function appRoute(kind: RouteKind, app: number, marker?: number): Ingress | HTTPRoute {
  return editedKind(kind) === "Ingress" ? appIngress(app, marker) : appHttpRoute(app, marker);
}

/** Objects in the cluster of `apps` apps routed by `kind` (namespaces not counted). */
export function objectCountRoutedBy(kind: RouteKind, apps: number): number {
  if (kind === "mixed") return objectCount(apps) + 2 + Math.ceil(apps / MIXED_ROUTE_EVERY);
  return kind === "Ingress" ? objectCount(apps) : apps * 3 + 2;
}
