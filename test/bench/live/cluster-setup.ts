/**
 * Fills the test cluster: the synthetic apps (synthetic-cluster.ts) and, optionally, background Secrets
 * shaped like Helm release Secrets that nothing references. Everything goes in by parallel server-side
 * apply.
 */
import { randomBytes } from "node:crypto";
import type { KubeObject } from "../../../src/model/k8s.ts";
import { installGatewayApiCrds } from "../../support/kube/crds.ts";
import {
  appObjects,
  GATEWAY,
  ingressClass,
  mixedGatewayApiObjects,
  NAMESPACE_COUNT,
  namespaceOf,
  objectCount,
  objectCountRoutedBy,
} from "../synthetic-cluster.ts";
import { nowMs } from "./controller-process.ts";
import { inParallel, type KubeHttp } from "./kube-http.ts";

export interface Created {
  readonly objects: number;
  readonly seconds: number;
}

function namespace(name: string): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

/**
 * Creates the namespaces, the IngressClass and `apps` apps; resolves what it created and how fast. With
 * `gatewayApi`, the cluster is the mixed one: the Gateway API CRDs are installed first (from the
 * kubeconfig at that path), and the GatewayClass, the Gateway and the HTTPRoutes applied after the apps.
 */
export async function createApps(
  kube: KubeHttp,
  apps: number,
  concurrency: number,
  gatewayApi?: { readonly kubeconfigPath: string },
): Promise<Created> {
  const started = nowMs();
  if (gatewayApi !== undefined) await installGatewayApiCrds(gatewayApi.kubeconfigPath);
  const namespaces = Array.from({ length: NAMESPACE_COUNT }, (_, i) => namespace(namespaceOf(i)));
  await inParallel(namespaces, concurrency, o => kube.apply(o));
  await kube.apply(ingressClass());
  // Backends before the Ingresses that use them, as a user's manifests would usually be ordered.
  const objects = Array.from({ length: apps }, (_, app) => appObjects(app)).flat();
  const ordered = [
    ...objects.filter(o => o.kind !== "Ingress"),
    ...objects.filter(o => o.kind === "Ingress"),
  ];
  await inParallel(ordered, concurrency, o => kube.apply(o));
  if (gatewayApi === undefined)
    return { objects: objectCount(apps), seconds: (nowMs() - started) / 1000 };
  await kube.apply(namespace(GATEWAY.namespace));
  await inParallel(mixedGatewayApiObjects(apps), concurrency, o => kube.apply(o));
  return { objects: objectCountRoutedBy("mixed", apps), seconds: (nowMs() - started) / 1000 };
}

/**
 * `count` Opaque Secrets of `kib` KiB each, labelled as Helm labels its release Secrets (owner=helm),
 * spread over the app namespaces and referenced by nothing.
 */
export async function createNoiseSecrets(
  kube: KubeHttp,
  opts: { readonly count: number; readonly kib: number; readonly concurrency: number },
): Promise<Created> {
  const started = nowMs();
  const indexes = Array.from({ length: opts.count }, (_, i) => i);
  // Base64 grows data by 4/3: this many random bytes make a value of `kib` KiB.
  const rawBytes = Math.floor((opts.kib * 1024 * 3) / 4);
  await inParallel(indexes, opts.concurrency, async i => {
    const release = `release-${i}`;
    await kube.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: `sh.helm.release.v1.${release}.v1`,
        namespace: namespaceOf(i),
        labels: { owner: "helm", name: release, status: "deployed", version: "1" },
      },
      type: "Opaque",
      data: { release: randomBytes(rawBytes).toString("base64") },
    } as KubeObject);
  });
  return { objects: opts.count, seconds: (nowMs() - started) / 1000 };
}
