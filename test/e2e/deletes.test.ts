/**
 * Deletes reach Kong (incident e), with the controller's watch intact and with it cut while the delete
 * happens, and an API server outage that Kong does not notice (its config stays). The controller reaches
 * the API server through a TCP proxy the tests cut; kubectl talks to the API server directly.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { waitFor } from "../support/wait.ts";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  ensureNamespaces,
  kongNames,
  report,
  runController,
  type ConfigNames,
  type RunningController,
} from "./harness.ts";
import { itDeletesReachKong, type DeleteCase } from "./delete-cases.ts";

const NS = "deletes";
const certs = new URL("../fixtures/certs/", import.meta.url);
const b64 = (file: string): string => readFileSync(new URL(file, certs)).toString("base64");

/**
 * An Ingress without a class: ours only while IngressClass `kong` exists and is the default. It must be
 * created before that IngressClass exists, or the API server's DefaultIngressClass admission plugin
 * would write `spec.ingressClassName: kong` into it.
 */
const CLASSLESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: classless, namespace: ${NS} }
spec:
  rules:
    - host: classless.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: other, port: { number: 80 } } } }
`;

/**
 * Every kind the controller watches, each deletable on its own: a TLS Ingress, the classless one, their
 * Services and an EndpointSlice.
 */
const MANIFEST = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: kong
  annotations: { ingressclass.kubernetes.io/is-default-class: "true" }
spec: { controller: ingress-controllers.konghq.com/kong }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${NS} }
spec: { ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: other, namespace: ${NS} }
spec: { ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: ${NS}
  labels: { kubernetes.io/service-name: web }
addressType: IPv4
ports: [{ name: http, port: 8080, protocol: TCP }]
endpoints:
  - addresses: ["10.1.0.1"]
    conditions: { ready: true }
  - addresses: ["10.1.0.2"]
    conditions: { ready: true }
---
apiVersion: v1
kind: Secret
metadata: { name: shop-tls, namespace: ${NS} }
type: kubernetes.io/tls
data:
  tls.crt: ${b64("shop.crt")}
  tls.key: ${b64("shop.key")}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop, namespace: ${NS} }
spec:
  ingressClassName: kong
  tls: [{ hosts: [shop.example.com], secretName: shop-tls }]
  rules:
    - host: shop.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
---
${CLASSLESS}`;

const has = (list: readonly string[], part: string): boolean => list.some(n => n.includes(part));

const CASES: Readonly<Record<string, DeleteCase>> = {
  "Ingress → its routes": {
    target: ["ingress", "shop", "-n", NS],
    present: n => has(n.routes, "shop"),
  },
  "Service → its Kong service": {
    target: ["service", "web", "-n", NS],
    present: n => has(n.services, "web"),
  },
  "EndpointSlice → its targets": {
    target: ["endpointslice", "web-1", "-n", NS],
    present: n => n.targets.length > 0,
  },
  "Secret → its certificate": {
    target: ["secret", "shop-tls", "-n", NS],
    present: n => n.certificates.length > 0,
  },
  "IngressClass kong → the Ingresses it made ours": {
    target: ["ingressclass", "kong"],
    present: n => has(n.routes, "classless"),
  },
};

let cluster: KubeCluster;
let proxy: TcpProxy;
let kong: KongEmulator;
let run: RunningController;

function complete(names: ConfigNames): boolean {
  return Object.values(CASES).every(c => c.present(names));
}

/** Re-creates whatever an earlier case deleted and waits until Kong holds all of it again. */
async function restoreAll(): Promise<void> {
  await apply(cluster, MANIFEST);
  await waitFor("Kong to hold every object's entities", () => complete(kongNames(kong)), {
    timeoutMs: 15_000,
  });
}

beforeAll(async () => {
  cluster = await startKubeCluster();
  const port = Number(new URL(cluster.server).port);
  proxy = await startTcpProxy({ host: "127.0.0.1", port });
  await ensureNamespaces(cluster, [NS]);
  await apply(cluster, CLASSLESS);
  kong = await startKongEmulator();
  run = await runController({
    cluster,
    kong,
    apiserverHost: `https://127.0.0.1:${String(proxy.port)}`,
  });
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await run.stop();
  await kong.stop();
  await proxy.close();
  await cluster.stop();
}, 60_000);

describe("incident e: a delete reaches Kong", () => {
  itDeletesReachKong({
    label: "incident e",
    cases: CASES,
    cluster: () => cluster,
    kong: () => kong,
    proxy: () => proxy,
    restoreAll,
  });
});

describe("API server outage", () => {
  it("the controller keeps running, Kong keeps its config, and a change after recovery reaches Kong", async () => {
    await restoreAll();
    const hash = kong.configHash();
    const posts = kong.accepted().length;

    const stopping = Date.now();
    await cluster.stopApiServer();
    const stopped = Date.now();
    await new Promise(resolve => setTimeout(resolve, 5000));
    expect((await run.get("/healthz")).status).toBe(200);
    expect((await run.get("/readyz")).status).toBe(200);
    expect(kong.configHash()).toBe(hash);
    expect(kong.accepted()).toHaveLength(posts);

    await cluster.startApiServer();
    const back = Date.now();
    report(
      `API server outage: shutdown took ${String(stopped - stopping)} ms, then down for ${String(back - stopped)} ms; Kong kept config ${hash}`,
    );
    await apply(
      cluster,
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: after-outage, namespace: ${NS} }
spec:
  ingressClassName: kong
  rules:
    - host: after.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`,
    );
    const applied = Date.now();
    await waitFor("the Ingress created after the outage to reach Kong", () =>
      has(kongNames(kong).routes, "after-outage"),
    );
    report(
      `API server outage: a change made after recovery reached Kong ${String(Date.now() - applied)} ms after kubectl apply (${String(Date.now() - back)} ms after the API server was back)`,
    );
    expect((await run.get("/healthz")).status).toBe(200);
  });
});
