/**
 * Kubernetes objects for tests that drive the sender, the snapshot the controller would hand it (built
 * by the real Store and Snapshotter, `invalid` list included), the real translator, and a polling wait
 * for tests that run on real time.
 */
import { pino } from "pino";
import type { Ingress, IngressClass, KubeObject, Service } from "../../../src/model/k8s.ts";
import { encodeConfig } from "../../../src/kong/admin-client.ts";
import { isKindName, type KindName } from "../../../src/model/kinds.ts";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { Snapshotter, type StoreSnapshot } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import {
  DEFAULT_TRANSLATE_OPTIONS,
  translate as translateSnapshot,
} from "../../../src/translator/index.ts";
import type { Snapshot, TranslationResult } from "../../../src/translator/types.ts";
import { waitFor as poll } from "../../support/wait.ts";

let uid = 0;
const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  uid: `00000000-0000-4000-8000-${String(++uid).padStart(12, "0")}`,
  resourceVersion: "1",
  creationTimestamp: `2024-01-01T00:00:${String(uid % 60).padStart(2, "0")}Z`,
});

export function kongClass(): IngressClass {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: meta("kong"),
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  };
}

export function svc(namespace: string, name: string): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(name, namespace),
    spec: { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
  };
}

/** An Ingress of class kong: host `<name>.example.com`, one Prefix path per backend Service. */
export function ing(namespace: string, name: string, backends: readonly string[]): Ingress {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: meta(name, namespace),
    spec: {
      ingressClassName: "kong",
      rules: [
        {
          host: `${name}.example.com`,
          http: {
            paths: backends.map(backend => ({
              path: `/${backend}`,
              pathType: "Prefix",
              backend: { service: { name: backend, port: { number: 80 } } },
            })),
          },
        },
      ],
    },
  };
}

/**
 * The snapshot the controller takes of a cluster holding `objects` (plus the `kong` IngressClass):
 * every object goes through the Store as a watch delivers it, so anything the Store cannot parse ends
 * up in the snapshot's `invalid` list, as it does in production.
 */
export function clusterSnapshot(objects: readonly unknown[]): StoreSnapshot {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  const all = [kongClass(), ...objects];
  // Secrets last: a Secret arriving after the Ingress that reads it is kept with its data.
  const ordered = [
    ...all.filter(o => kindOf(o) !== "Secret"),
    ...all.filter(o => kindOf(o) === "Secret"),
  ];
  for (const raw of ordered) store.upsert(kindOf(raw), raw);
  return new Snapshotter(store).take();
}

function kindOf(raw: unknown): KindName {
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== "string" || !isKindName(kind)) throw new Error(`not a kind: ${String(kind)}`);
  return kind;
}

/** The real translator with default options. */
export function translate(snapshot: Snapshot): TranslationResult {
  return translateSnapshot(snapshot, DEFAULT_TRANSLATE_OPTIONS);
}

/** Hands the sender a translation of `objects`; returns the hash Kong reports once it runs it. */
export function pushObjects(
  sender: { update(input: { snapshot: Snapshot; result: TranslationResult }): void },
  objects: readonly KubeObject[],
): string {
  const snapshot = clusterSnapshot(objects);
  const result = translate(snapshot);
  sender.update({ snapshot, result });
  return encodeConfig(result.config).hash;
}

/** test/support/wait.ts's poll, with the positional timeout these tests pass. */
export async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  await poll(what, check, { timeoutMs, intervalMs: 20 });
}
