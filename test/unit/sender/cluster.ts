/**
 * Kubernetes objects for tests that run the real translator (sender integration tests), and a polling
 * wait for tests that run on real time.
 */
import type { Ingress, IngressClass, KubeObject, Service } from "../../../src/model/k8s.ts";
import { encodeConfig } from "../../../src/kong/admin-client.ts";
import { buildSnapshot } from "../../../src/model/snapshot.ts";
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

export function clusterSnapshot(objects: readonly KubeObject[]): Snapshot {
  return buildSnapshot([kongClass(), ...objects]);
}

/** The real translator with default options. */
export function translate(snapshot: Snapshot): TranslationResult {
  return translateSnapshot(snapshot, DEFAULT_TRANSLATE_OPTIONS);
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
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
