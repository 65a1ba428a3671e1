/**
 * Incident e for Gateway API: deleting a route of any kind, the Gateway, the GatewayClass or the
 * ReferenceGrant a cross-namespace backend needs removes what depended on it from Kong within 1 s,
 * also when the delete happens while the controller's watch is cut (resolved against its own cache).
 * The controller reaches the API server through a TCP proxy the tests cut; kubectl talks to it
 * directly.
 */
import { afterAll, beforeAll, describe } from "vitest";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { installGatewayApiCrds } from "../support/kube/crds.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { waitFor } from "../support/wait.ts";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  ensureNamespaces,
  kongNames,
  runController,
  type ConfigNames,
  type RunningController,
} from "./harness.ts";
import { itDeletesReachKong, type DeleteCase } from "./delete-cases.ts";

const NS = "gw-deletes";
const OTHER = "gw-backends";
const G = "gateway.networking.k8s.io";

const MANIFEST = `apiVersion: ${G}/v1
kind: GatewayClass
metadata: { name: kong }
spec: { controllerName: konghq.com/kic-gateway-controller }
---
apiVersion: ${G}/v1
kind: Gateway
metadata: { name: kong, namespace: ${NS} }
spec:
  gatewayClassName: kong
  listeners:
    - { name: tcp, port: 9000, protocol: TCP }
    - { name: tcp-x, port: 9001, protocol: TCP }
    - { name: udp, port: 5353, protocol: UDP }
    - { name: tls, port: 8443, protocol: TLS, hostname: "*.example.com", tls: { mode: Passthrough } }
---
apiVersion: ${G}/v1
kind: TCPRoute
metadata: { name: db, namespace: ${NS} }
spec:
  parentRefs: [{ name: kong, sectionName: tcp }]
  rules: [{ backendRefs: [{ name: db, port: 5432 }] }]
---
apiVersion: ${G}/v1
kind: TCPRoute
metadata: { name: cross, namespace: ${NS} }
spec:
  parentRefs: [{ name: kong, sectionName: tcp-x }]
  rules: [{ backendRefs: [{ name: remote, namespace: ${OTHER}, port: 5432 }] }]
---
apiVersion: ${G}/v1
kind: UDPRoute
metadata: { name: dns, namespace: ${NS} }
spec:
  parentRefs: [{ name: kong, sectionName: udp }]
  rules: [{ backendRefs: [{ name: dns, port: 53 }] }]
---
apiVersion: ${G}/v1
kind: TLSRoute
metadata: { name: secure, namespace: ${NS} }
spec:
  parentRefs: [{ name: kong, sectionName: tls }]
  hostnames: [a.example.com]
  rules: [{ backendRefs: [{ name: db, port: 5432 }] }]
---
apiVersion: ${G}/v1beta1
kind: ReferenceGrant
metadata: { name: routes-to-remote, namespace: ${OTHER} }
spec:
  from: [{ group: ${G}, kind: TCPRoute, namespace: ${NS} }]
  to: [{ group: "", kind: Service }]
---
apiVersion: v1
kind: Service
metadata: { name: db, namespace: ${NS} }
spec: { ports: [{ port: 5432 }] }
---
apiVersion: v1
kind: Service
metadata: { name: dns, namespace: ${NS} }
spec: { ports: [{ port: 53, protocol: UDP }] }
---
apiVersion: v1
kind: Service
metadata: { name: remote, namespace: ${OTHER} }
spec: { ports: [{ port: 5432 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: remote-1
  namespace: ${OTHER}
  labels: { kubernetes.io/service-name: remote }
addressType: IPv4
ports: [{ port: 5432, protocol: TCP }]
endpoints:
  - addresses: ["10.2.0.1"]
    conditions: { ready: true }
`;

const has = (list: readonly string[], part: string): boolean => list.some(n => n.includes(part));
const anyGatewayRoute = (n: ConfigNames): boolean =>
  has(n.routes, "tcproute.") || has(n.routes, "udproute.") || has(n.routes, "tlsroute.");

const CASES: Readonly<Record<string, DeleteCase>> = {
  "TCPRoute → its stream route": {
    target: ["tcproute", "db", "-n", NS],
    present: n => has(n.routes, `tcproute.${NS}.db.`),
  },
  "UDPRoute → its stream route": {
    target: ["udproute", "dns", "-n", NS],
    present: n => has(n.routes, `udproute.${NS}.dns.`),
  },
  "TLSRoute → its stream route": {
    target: ["tlsroute", "secure", "-n", NS],
    present: n => has(n.routes, `tlsroute.${NS}.secure.`),
  },
  "ReferenceGrant → the cross-namespace backend's targets": {
    target: ["referencegrant", "routes-to-remote", "-n", OTHER],
    present: n => n.targets.some(t => t.includes("10.2.0.1")),
  },
  "Gateway → every route attached to it": {
    target: ["gateway", "kong", "-n", NS],
    present: anyGatewayRoute,
  },
  "GatewayClass → every route of its Gateways": {
    target: ["gatewayclass", "kong"],
    present: anyGatewayRoute,
  },
};

let cluster: KubeCluster;
let proxy: TcpProxy;
let kong: KongEmulator;
let run: RunningController;

function complete(names: ConfigNames): boolean {
  return Object.values(CASES).every(c => c.present(names));
}

async function restoreAll(): Promise<void> {
  await apply(cluster, MANIFEST);
  await waitFor(
    "Kong to hold every Gateway API object's entities",
    () => complete(kongNames(kong)),
    {
      timeoutMs: 15_000,
    },
  );
}

beforeAll(async () => {
  cluster = await startKubeCluster();
  await installGatewayApiCrds(cluster.kubeconfigPath);
  const port = Number(new URL(cluster.server).port);
  proxy = await startTcpProxy({ host: "127.0.0.1", port });
  await ensureNamespaces(cluster, [NS, OTHER]);
  // Kong must listen for streams, or the TCP, UDP and TLS listeners are (rightly) UnsupportedProtocol.
  kong = await startKongEmulator({
    streamListeners: [
      { ip: "0.0.0.0", port: 9000 },
      { ip: "0.0.0.0", port: 9001 },
      { ip: "0.0.0.0", port: 5353, udp: true },
      { ip: "0.0.0.0", port: 8443, ssl: true },
    ],
  });
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

describe("incident e for Gateway API: a delete reaches Kong", () => {
  itDeletesReachKong({
    label: "incident e (Gateway API)",
    cases: CASES,
    cluster: () => cluster,
    kong: () => kong,
    proxy: () => proxy,
    restoreAll,
  });
});
