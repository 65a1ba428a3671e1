/**
 * Incident d (KIC #7015): Gateways created while every Kong is down must not end at
 * `UnsupportedProtocol`. With the only Kong's Admin API refusing connections, apply a GatewayClass, a
 * Gateway with HTTP, HTTPS, TLS, TCP and UDP listeners and a route of each kind; wait 30 s; bring Kong
 * back. Within 60 s every listener is Accepted and Programmed and every route attached, and a status
 * watch that ran through the whole test never showed `UnsupportedProtocol`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import type { FaultHandle } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { installGatewayApiCrds } from "../support/kube/crds.ts";
import { kubectlTarget } from "../support/kube/kubectl.ts";
import { waitFor } from "../support/wait.ts";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  ensureNamespaces,
  kubectlJson,
  report,
  runController,
  STATUS_ADDRESS,
  type RunningController,
} from "./harness.ts";

const NS = "incident-d";
const G = "gateway.networking.k8s.io";
const certs = new URL("../fixtures/certs/", import.meta.url);

async function b64(file: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  return (await readFile(new URL(file, certs))).toString("base64");
}

async function manifest(): Promise<string> {
  return `apiVersion: ${G}/v1
kind: GatewayClass
metadata: { name: kong }
spec: { controllerName: konghq.com/kic-gateway-controller }
---
apiVersion: v1
kind: Secret
metadata: { name: shop-tls, namespace: ${NS} }
type: kubernetes.io/tls
data: { tls.crt: ${await b64("shop.crt")}, tls.key: ${await b64("shop.key")} }
---
apiVersion: ${G}/v1
kind: Gateway
metadata: { name: kong, namespace: ${NS} }
spec:
  gatewayClassName: kong
  listeners:
    - { name: http, port: 80, protocol: HTTP }
    - name: https
      port: 443
      protocol: HTTPS
      hostname: shop.example.com
      tls: { certificateRefs: [{ name: shop-tls }] }
    - { name: tls, port: 9443, protocol: TLS, hostname: "*.example.com", tls: { mode: Passthrough } }
    - { name: tcp, port: 9000, protocol: TCP }
    - { name: udp, port: 5353, protocol: UDP }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${NS} }
spec: { ports: [{ name: http, port: 80 }, { name: dns, port: 53, protocol: UDP }] }
---
apiVersion: ${G}/v1
kind: HTTPRoute
metadata: { name: web, namespace: ${NS} }
spec:
  parentRefs: [{ name: kong, sectionName: http }, { name: kong, sectionName: https }]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]
---
apiVersion: ${G}/v1
kind: TLSRoute
metadata: { name: secure, namespace: ${NS} }
spec:
  parentRefs: [{ name: kong, sectionName: tls }]
  hostnames: [a.example.com]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]
---
apiVersion: ${G}/v1
kind: TCPRoute
metadata: { name: db, namespace: ${NS} }
spec:
  parentRefs: [{ name: kong, sectionName: tcp }]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]
---
apiVersion: ${G}/v1
kind: UDPRoute
metadata: { name: dns, namespace: ${NS} }
spec:
  parentRefs: [{ name: kong, sectionName: udp }]
  rules: [{ backendRefs: [{ name: web, port: 53 }] }]
`;
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
}
interface GatewayJson {
  readonly status?: {
    readonly listeners?: readonly {
      name: string;
      attachedRoutes: number;
      conditions?: Condition[];
    }[];
  };
}
interface RouteJson {
  readonly status?: { readonly parents?: readonly { conditions?: Condition[] }[] };
}

const holds = (conditions: readonly Condition[] | undefined, type: string): boolean =>
  (conditions ?? []).some(c => c.type === type && c.status === "True");

let cluster: KubeCluster;
let kong: KongEmulator;
let down: FaultHandle;
let run: RunningController;
const watches: ChildProcess[] = [];
let watched = "";

beforeAll(async () => {
  cluster = await startKubeCluster();
  await installGatewayApiCrds(cluster.kubeconfigPath);
  await ensureNamespaces(cluster, [NS]);
  kong = await startKongEmulator({
    streamListeners: [
      { ip: "0.0.0.0", port: 9000 },
      { ip: "0.0.0.0", port: 9443, ssl: true },
      { ip: "0.0.0.0", port: 5353, udp: true },
    ],
  });
  down = kong.inject({ kind: "down" });
  run = await runController({
    cluster,
    kong,
    args: [`--publish-status-address=${STATUS_ADDRESS}`, "--kong-admin-init-retries=1000"],
  });
  // Every status change of every Gateway and route, as a user's `kubectl get -w` would see it (one
  // watch per kind: kubectl watches one resource type at a time).
  for (const kind of ["gateways", "httproutes", "tlsroutes", "tcproutes", "udproutes"]) {
    const watch = spawn(
      "kubectl",
      [...kubectlTarget(cluster.kubeconfigPath), "get", kind, "-A", "-w", "-o", "json"],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    watch.stdout.on("data", (chunk: Buffer) => {
      watched += chunk.toString("utf8");
    });
    watches.push(watch);
  }
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  for (const watch of watches) watch.kill();
  await run.stop();
  await kong.stop();
  await cluster.stop();
}, 60_000);

describe("incident d: Gateways created while Kong is down", () => {
  it("are Programmed within 60 s of Kong coming back, never UnsupportedProtocol", async () => {
    await apply(cluster, await manifest());
    // Kong stays down for 30 s after the objects exist, as in the incident.
    await new Promise(resolve => setTimeout(resolve, 30_000));
    const gatewayBefore = (await kubectlJson(cluster, [
      "get",
      "gateway",
      "kong",
      "-n",
      NS,
    ])) as GatewayJson;
    for (const l of gatewayBefore.status?.listeners ?? [])
      expect(l.conditions?.some(c => c.reason === "UnsupportedProtocol")).toBe(false);

    down.clear();
    const back = Date.now();
    const programmed = await waitFor(
      "every listener Accepted and Programmed",
      async () => {
        const gw = (await kubectlJson(cluster, [
          "get",
          "gateway",
          "kong",
          "-n",
          NS,
        ])) as GatewayJson;
        const listeners = gw.status?.listeners ?? [];
        return (
          listeners.length === 5 &&
          listeners.every(
            l => holds(l.conditions, "Accepted") && holds(l.conditions, "Programmed"),
          ) &&
          listeners.every(l => l.attachedRoutes >= 1)
        );
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const listenersMs = Date.now() - back;
    const kinds = ["httproute/web", "tlsroute/secure", "tcproute/db", "udproute/dns"];
    await waitFor(
      "every route attached",
      async () => {
        for (const kind of kinds) {
          const route = (await kubectlJson(cluster, ["get", kind, "-n", NS])) as RouteJson;
          const parents = route.status?.parents ?? [];
          if (parents.length === 0 || !parents.every(p => holds(p.conditions, "Accepted")))
            return false;
        }
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const routesMs = Date.now() - back;
    report(
      `incident d: every listener Programmed ${String(listenersMs)} ms after Kong came back (waited ${String(programmed.ms)} ms), every route attached after ${String(routesMs)} ms`,
    );
    expect(routesMs).toBeLessThan(60_000);
    // The watches saw the Gateway's statuses go by (Pending before, Programmed after).
    expect(watched).toContain('"reason": "Pending"');
    expect(watched).toContain('"reason": "Programmed"');
    expect(watched).not.toContain("UnsupportedProtocol");
  }, 180_000);
});
