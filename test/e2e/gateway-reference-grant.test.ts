/**
 * A ReferenceGrant added and removed, end to end: `kongress run` against a real kube-apiserver with the
 * v1.6 standard CRDs and a Kong emulator, driven with kubectl. An HTTPRoute in one namespace sends to a
 * Service in another: without a grant its parent says `ResolvedRefs=False/RefNotPermitted` and Kong
 * gets no target for it; once the grant is applied, `ResolvedRefs=True` and the target is in Kong;
 * once it is deleted, both go back. The measured times are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { installGatewayApiCrds } from "../support/kube/crds.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { waitFor } from "../support/wait.ts";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  ensureNamespaces,
  kongNames,
  kubectlJson,
  report,
  runController,
  STATUS_ADDRESS,
  type RunningController,
} from "./harness.ts";

const CONTROLLER_NAME = "example.com/kongress-e2e-grants";
const POLL = { timeoutMs: 30_000, intervalMs: 25 };
const TARGET = "httproute.rg-app.web.0=10.0.5.1:8080";

const MANIFEST = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: kongress-grants }
spec: { controllerName: ${CONTROLLER_NAME} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: kong, namespace: rg-infra }
spec:
  gatewayClassName: kongress-grants
  listeners:
    - { name: http, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: All } } }
---
apiVersion: v1
kind: Service
metadata: { name: store, namespace: rg-backend }
spec: { ports: [{ port: 80, targetPort: 8080 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: store-1
  namespace: rg-backend
  labels: { kubernetes.io/service-name: store }
addressType: IPv4
endpoints: [{ addresses: ["10.0.5.1"], conditions: { ready: true } }]
ports: [{ port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: rg-app }
spec:
  parentRefs: [{ name: kong, namespace: rg-infra }]
  rules: [{ backendRefs: [{ name: store, namespace: rg-backend, port: 80 }] }]
`;

const GRANT = `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: app-to-store, namespace: rg-backend }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: rg-app }]
  to: [{ group: "", kind: Service, name: store }]
`;

interface Condition {
  type: string;
  status: string;
  reason: string;
}
interface Route {
  status?: { parents?: { controllerName: string; conditions: Condition[] }[] };
}

let cluster: KubeCluster;
let kong: KongEmulator | undefined;
let run: RunningController | undefined;

async function resolvedRefs(): Promise<Condition | undefined> {
  const route = (await kubectlJson(cluster, ["get", "httproute", "web", "-n", "rg-app"])) as Route;
  return route.status?.parents
    ?.find(p => p.controllerName === CONTROLLER_NAME)
    ?.conditions.find(c => c.type === "ResolvedRefs");
}

/** Waits until the route's ResolvedRefs has `status`/`reason` and Kong's targets agree. */
async function waitForGrant(what: string, permitted: boolean) {
  const want = permitted
    ? { status: "True", reason: "ResolvedRefs" }
    : { status: "False", reason: "RefNotPermitted" };
  const status = await waitFor(
    `${what}: ResolvedRefs=${want.status}/${want.reason}`,
    async () => {
      const c = await resolvedRefs();
      return c?.status === want.status && c.reason === want.reason && c;
    },
    POLL,
  );
  const config = await waitFor(
    `${what}: Kong's targets`,
    () => kong !== undefined && kongNames(kong).targets.includes(TARGET) === permitted,
    POLL,
  );
  return { statusMs: status.ms, configMs: status.ms + config.ms };
}

beforeAll(async () => {
  cluster = await startKubeCluster();
  await installGatewayApiCrds(cluster.kubeconfigPath);
  await ensureNamespaces(cluster, ["rg-infra", "rg-app", "rg-backend"]);
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await run?.stop();
  await kong?.stop();
  await cluster.stop();
}, 60_000);

describe("ReferenceGrant end to end", () => {
  it("a cross-namespace backendRef is refused without a grant, resolved with it, refused again after its delete", async () => {
    kong = await startKongEmulator();
    run = await runController({
      cluster,
      kong,
      args: [
        `--publish-status-address=${STATUS_ADDRESS}`,
        `--gateway-api-controller-name=${CONTROLLER_NAME}`,
      ],
    });
    await apply(cluster, MANIFEST);
    const refused = await waitForGrant("without a grant", false);
    // The route is still accepted: only the backend it may not use is left out (a 500 answers).
    const route = (await kubectlJson(cluster, [
      "get",
      "httproute",
      "web",
      "-n",
      "rg-app",
    ])) as Route;
    expect(
      route.status?.parents
        ?.find(p => p.controllerName === CONTROLLER_NAME)
        ?.conditions.find(c => c.type === "Accepted"),
    ).toMatchObject({ status: "True" });
    expect(kongNames(kong).routes).toContain("httproute.rg-app.web.0.0");

    await apply(cluster, GRANT);
    const granted = await waitForGrant("grant applied", true);

    await kubectlOk(cluster, ["delete", "referencegrant", "app-to-store", "-n", "rg-backend"]);
    const revoked = await waitForGrant("grant deleted", false);

    report(
      `reference grant: refused ${String(refused.statusMs)} ms after apply; ` +
        `grant applied → ResolvedRefs=True ${String(granted.statusMs)} ms, target in Kong ` +
        `${String(granted.configMs)} ms; grant deleted → RefNotPermitted ` +
        `${String(revoked.statusMs)} ms, target gone from Kong ${String(revoked.configMs)} ms`,
    );
  });
});
