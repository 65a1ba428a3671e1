/** Raw objects as the API server sends them, and a small parser standing in for the model's. */
import type { KubeObject } from "../../../src/model/k8s.ts";
import type { ParseOutcome } from "../../../src/store/store.ts";

let nextRv = 100;
const rv = (): string => String(nextRv++);

interface Meta {
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

function metadata(name: string, meta: Meta, cluster = false) {
  const namespace = cluster ? undefined : (meta.namespace ?? "shop");
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    uid: meta.uid ?? `uid-${namespace ?? ""}-${name}`,
    resourceVersion: meta.resourceVersion ?? rv(),
    ...(meta.labels === undefined ? {} : { labels: meta.labels }),
    ...(meta.annotations === undefined ? {} : { annotations: meta.annotations }),
  };
}

export function ingressClass(name: string, meta: Meta & { isDefault?: boolean } = {}) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: metadata(
      name,
      {
        ...meta,
        ...(meta.isDefault === true
          ? { annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } }
          : {}),
      },
      true,
    ),
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  };
}

export function ingress(
  name: string,
  opts: Meta & {
    className?: string;
    services?: string[];
    tlsSecrets?: string[];
    defaultBackend?: string;
  } = {},
) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: metadata(name, opts),
    spec: {
      ...(opts.className === undefined ? {} : { ingressClassName: opts.className }),
      ...(opts.defaultBackend === undefined
        ? {}
        : { defaultBackend: { service: { name: opts.defaultBackend, port: { number: 80 } } } }),
      rules: [
        {
          host: "shop.example",
          http: {
            paths: (opts.services ?? []).map(s => ({
              path: "/",
              pathType: "Prefix",
              backend: { service: { name: s, port: { number: 80 } } },
            })),
          },
        },
      ],
      tls: (opts.tlsSecrets ?? []).map(s => ({ hosts: ["shop.example"], secretName: s })),
    },
  };
}

export function service(name: string, meta: Meta = {}) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(name, meta),
    spec: { ports: [{ port: 80 }] },
  };
}

export function slice(name: string, serviceName: string, meta: Meta = {}) {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: metadata(name, {
      ...meta,
      labels: { "kubernetes.io/service-name": serviceName, ...meta.labels },
    }),
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.0.0.1"] }],
    ports: [{ port: 8080 }],
  };
}

export function secret(name: string, meta: Meta = {}) {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata(name, meta),
    type: "kubernetes.io/tls",
    data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5" },
  };
}

/** A Secret as the metadata-only watch sends it (`as=PartialObjectMetadata`): no type, no data. */
export function secretMetadata(name: string, meta: Meta = {}) {
  return {
    apiVersion: "meta.k8s.io/v1",
    kind: "PartialObjectMetadata",
    metadata: metadata(name, meta),
  };
}

/** Marks a raw object so that {@link testParse} rejects it. */
export function broken<T extends object>(raw: T): T {
  return { ...raw, broken: true };
}

/** Accepts any object with a name unless it is marked broken. */
export function testParse(raw: unknown): ParseOutcome {
  const r = raw as { metadata?: { name?: unknown }; broken?: boolean; kind?: string };
  if (typeof r.metadata?.name !== "string") return { ok: false, reason: "metadata.name: required" };
  if (r.broken === true) return { ok: false, reason: "spec: broken on purpose" };
  if (r.kind === "Widget") return { ok: "unsupported", kind: "Widget", apiVersion: "x/v1" };
  return { ok: true, object: structuredClone(raw) as KubeObject };
}
