/**
 * Snapshots built the way the controller builds them: raw objects upserted into a Store (Secrets
 * announced as metadata first, then filled with their data as the fetcher does), then snapshotted.
 */
import { pino } from "pino";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import type { KindName } from "../../../src/model/kinds.ts";
import type { Snapshot } from "../../../src/model/snapshot.ts";
import { takeSnapshot } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import { readDocuments } from "../../support/golden.ts";

export type Raw = Record<string, unknown> & { kind: string; metadata: Record<string, unknown> };

export function storeSnapshot(objects: readonly Raw[]): Snapshot {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  store.onSecretNeeded(() => undefined);
  const byKey = new Map<string, Raw>();
  for (const raw of objects) {
    const ns = typeof raw.metadata["namespace"] === "string" ? raw.metadata["namespace"] : "";
    byKey.set(`${ns}/${String(raw.metadata["name"])}`, raw);
    store.upsert(raw.kind as KindName, raw);
  }
  for (const pending of store.secretsToFetch()) {
    const raw = byKey.get(`${pending.namespace}/${pending.name}`);
    if (raw !== undefined) store.fillSecret(raw);
  }
  return takeSnapshot(store);
}

let uid = 0;
const meta = (name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  uid: `00000000-0000-4000-8000-${String(++uid).padStart(12, "0")}`,
  resourceVersion: "1",
  creationTimestamp: "2024-01-01T00:00:00Z",
  ...extra,
});

export const ingressClass = (): Raw => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "IngressClass",
  metadata: meta("kong"),
  spec: { controller: "ingress-controllers.konghq.com/kong" },
});

export const service = (
  name: string,
  spec: Record<string, unknown> = { ports: [{ name: "http", port: 80, targetPort: 8080 }] },
  annotations: Record<string, string> = {},
): Raw => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: meta(name, "shop", { annotations }),
  spec,
});

export const slice = (
  service: string,
  endpoints: { address: string; ready?: boolean; terminating?: boolean }[],
  port: { name?: string; port: number; protocol?: string } = { name: "http", port: 8080 },
): Raw => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: meta(`${service}-${++uid}`, "shop", {
    labels: { "kubernetes.io/service-name": service },
  }),
  addressType: "IPv4",
  ports: [{ protocol: "TCP", ...port }],
  endpoints: endpoints.map(e => ({
    addresses: [e.address],
    conditions: {
      ...(e.ready === undefined ? {} : { ready: e.ready }),
      ...(e.terminating === undefined ? {} : { terminating: e.terminating }),
    },
  })),
});

export const ingress = (
  name: string,
  spec: Record<string, unknown>,
  annotations: Record<string, string> = {},
  creationTimestamp = "2024-01-01T00:00:00Z",
): Raw => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: meta(name, "shop", { annotations, creationTimestamp }),
  spec: { ingressClassName: "kong", ...spec },
});

/** One rule of one path to `web:80` unless said otherwise. */
export const rule = (
  host: string | undefined,
  paths: { path?: string; pathType?: string; service?: string; port?: number | string }[],
) => ({
  ...(host === undefined ? {} : { host }),
  http: {
    paths: paths.map(p => ({
      ...(p.path === undefined ? {} : { path: p.path }),
      pathType: p.pathType ?? "Prefix",
      backend: {
        service: {
          name: p.service ?? "web",
          port: typeof p.port === "string" ? { name: p.port } : { number: p.port ?? 80 },
        },
      },
    })),
  },
});

/** A Secret of one of the golden cases (its PEM data), renamed into namespace shop. */
export function goldenSecret(caseName: string, secretName: string, rename: string): Raw {
  return goldenObject(caseName, { kind: "Secret", name: secretName }, rename);
}

/** An object of a golden case's in.yaml, renamed into namespace `shop` with its labels kept. */
export function goldenObject(
  caseName: string,
  wanted: { kind: string; name: string },
  rename: string,
): Raw {
  const docs = readDocuments(
    new URL(`../../golden/${caseName}/in.yaml`, import.meta.url).pathname,
  ) as Raw[];
  const found = docs.find(d => d.kind === wanted.kind && d.metadata["name"] === wanted.name);
  if (found === undefined)
    throw new Error(`no ${wanted.kind} ${wanted.name} in golden ${caseName}`);
  const labels = found.metadata["labels"];
  return { ...found, metadata: meta(rename, "shop", labels === undefined ? {} : { labels }) };
}
