/**
 * Gateway API objects for the status tests: manifests as users apply them, the statuses the real
 * translator decides for a cluster holding them (snapshot built by the real Store), and observed
 * statuses as the watch delivers them (trimmed, indexed by the ObservedStatusIndex).
 */
import { kindAt } from "../../../src/kube/kinds.ts";
import { trimObject } from "../../../src/kube/trim.ts";
import { KINDS, type KindName } from "../../../src/model/kinds.ts";
import type { ObservedStatus } from "../../../src/status/observed.ts";
import { ObservedStatusIndex } from "../../../src/status/observed.ts";
import type { GatewayApiStatuses } from "../../../src/translator/types.ts";
import { clusterSnapshot, translate } from "../sender/cluster.ts";

export const G = "gateway.networking.k8s.io";
export const OURS = "konghq.com/kic-gateway-controller";
export const OTHER = "example.com/other-controller";

export const T0 = "2026-01-01T00:00:00Z";
export const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
export const NOW_TEXT = "2026-06-01T12:00:00Z";

export function gatewayClassManifest(generation = 1) {
  return {
    apiVersion: `${G}/v1`,
    kind: "GatewayClass",
    metadata: { name: "kong", uid: "uid-class", resourceVersion: "10", generation },
    spec: { controllerName: OURS },
  };
}

export function gatewayManifest(opts: { generation?: number; listeners?: readonly object[] } = {}) {
  return {
    apiVersion: `${G}/v1`,
    kind: "Gateway",
    metadata: {
      name: "kong",
      namespace: "infra",
      uid: "uid-gateway",
      resourceVersion: "11",
      generation: opts.generation ?? 2,
    },
    spec: {
      gatewayClassName: "kong",
      listeners: opts.listeners ?? [
        {
          name: "http",
          port: 80,
          protocol: "HTTP",
          allowedRoutes: { namespaces: { from: "All" } },
        },
      ],
    },
  };
}

export function httpRouteManifest(
  opts: { generation?: number; parents?: readonly object[]; backend?: string } = {},
) {
  return {
    apiVersion: `${G}/v1`,
    kind: "HTTPRoute",
    metadata: {
      name: "web",
      namespace: "shop",
      uid: "uid-route",
      resourceVersion: "12",
      generation: opts.generation ?? 3,
    },
    spec: {
      parentRefs: opts.parents ?? [{ group: G, kind: "Gateway", namespace: "infra", name: "kong" }],
      rules: [{ backendRefs: [{ name: opts.backend ?? "web", port: 80 }] }],
    },
  };
}

export function serviceManifest(name = "web") {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "shop", uid: `uid-svc-${name}`, resourceVersion: "13" },
    spec: { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
  };
}

/** The statuses the real translator decides for a cluster holding `objects`. */
export function translatedStatuses(objects: readonly unknown[]): GatewayApiStatuses {
  return translate(clusterSnapshot(objects)).gatewayApi;
}

/** The whole default cluster: our class, one Gateway, one HTTPRoute attached to it, its Service. */
export function cluster(
  opts: { gateway?: object; route?: object; class?: object } = {},
): GatewayApiStatuses {
  return translatedStatuses([
    opts.class ?? gatewayClassManifest(),
    opts.gateway ?? gatewayManifest(),
    opts.route ?? httpRouteManifest(),
    serviceManifest(),
  ]);
}

/**
 * What the watch shows of `manifest` carrying `status` (absent when undefined), at `version`, as the
 * status writer's index holds it.
 */
export function observedOf(
  manifest: { kind: string; metadata: object },
  status: unknown,
  version?: string,
): ObservedStatus {
  const kind = manifest.kind as KindName;
  const def = KINDS[kind];
  const index = new ObservedStatusIndex();
  index.record(
    kind,
    trimObject(kindAt(def, version), {
      ...manifest,
      ...(status === undefined ? {} : { status }),
    }),
  );
  const meta = manifest.metadata as { name: string; namespace?: string };
  const key =
    meta.namespace === undefined
      ? `${kind}/${meta.name}`
      : `${kind}/${meta.namespace}/${meta.name}`;
  const seen = index.get(key);
  if (seen === undefined) throw new Error(`${key} not indexed`);
  return seen;
}

/** Rows of (what the cluster shows, its status, whether that satisfies us) as named test cases. */
export function satisfiedCases(rows: readonly (readonly [string, unknown, boolean])[]) {
  return rows.map(([name, status, satisfied]) => ({ name, status, satisfied }));
}
