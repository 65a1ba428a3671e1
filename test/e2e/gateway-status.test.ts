/**
 * Gateway API statuses end to end: `kongress run` (in-process, its own controller name) against a real
 * kube-apiserver with the v1.6 standard CRDs and a Kong emulator, driven with kubectl. A GatewayClass is
 * accepted whatever Kong does; a Gateway and its route are written at once, but reported working
 * (Programmed, the route parent Accepted) only once Kong accepted a config, and then with the
 * published address and the attached route.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { gatewayApiVersion, installGatewayApiCrds } from "../support/kube/crds.ts";
import { waitFor } from "../support/wait.ts";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  ensureNamespaces,
  eventsFor,
  kubectlJson,
  report,
  runController,
  STATUS_ADDRESS,
  type RunningController,
} from "./harness.ts";

const CONTROLLER_NAME = "example.com/kongress-e2e";
const POLL = { timeoutMs: 30_000, intervalMs: 50 };

const MANIFEST = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: kongress }
spec: { controllerName: ${CONTROLLER_NAME} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: kong, namespace: gw-infra }
spec:
  gatewayClassName: kongress
  listeners:
    - { name: http, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: All } } }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: gw-shop }
spec: { ports: [{ port: 80, targetPort: 8080 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: gw-shop }
spec:
  parentRefs: [{ name: kong, namespace: gw-infra }]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]
`;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message?: string;
  observedGeneration?: number;
}
interface Obj {
  status?: {
    conditions?: Condition[];
    listeners?: { name: string; attachedRoutes: number; conditions: Condition[] }[];
    addresses?: { type: string; value: string }[];
    parents?: { controllerName: string; conditions: Condition[] }[];
  };
}

let cluster: KubeCluster;
let kong: KongEmulator | undefined;
let run: RunningController | undefined;

const get = async (args: readonly string[]): Promise<Obj> =>
  (await kubectlJson(cluster, ["get", ...args])) as Obj;
const condition = (o: Obj, type: string) => o.status?.conditions?.find(c => c.type === type);

beforeAll(async () => {
  cluster = await startKubeCluster();
  await installGatewayApiCrds(cluster.kubeconfigPath);
  await ensureNamespaces(cluster, ["gw-infra", "gw-shop"]);
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await run?.stop();
  await kong?.stop();
  await cluster.stop();
}, 60_000);

describe("Gateway API statuses", () => {
  it("the class at once; the Gateway and route pending until Kong accepted a config", async () => {
    kong = await startKongEmulator();
    const down = kong.inject({ kind: "down" });
    run = await runController({
      cluster,
      kong,
      args: [
        `--publish-status-address=${STATUS_ADDRESS}`,
        `--gateway-api-controller-name=${CONTROLLER_NAME}`,
      ],
    });
    await apply(cluster, MANIFEST);
    const accepted = await waitFor(
      "the GatewayClass accepted",
      async () => condition(await get(["gatewayclass", "kongress"]), "Accepted")?.status === "True",
      POLL,
    );
    // The CRDs installed are the v1.6 bundle: the controller read their bundle version.
    expect(condition(await get(["gatewayclass", "kongress"]), "SupportedVersion")).toMatchObject({
      status: "True",
      reason: "SupportedVersion",
      message: `the installed Gateway API CRDs are of bundle version ${gatewayApiVersion}`,
    });
    // The same translation decided the Gateway's and the route's statuses; Kong has taken none.
    const pending = await waitFor(
      "the Gateway accepted, not programmed",
      async () => {
        const o = await get(["gateway", "kong", "-n", "gw-infra"]);
        return condition(o, "Accepted")?.status === "True" && o;
      },
      POLL,
    );
    expect(condition(pending.value, "Programmed")).toMatchObject({
      status: "False",
      reason: "Pending",
    });
    const waiting = await waitFor(
      "the route parent pending",
      async () => {
        const o = await get(["httproute", "web", "-n", "gw-shop"]);
        return o.status?.parents?.find(p => p.controllerName === CONTROLLER_NAME);
      },
      POLL,
    );
    expect(waiting.value.conditions).toMatchObject([
      { type: "Accepted", status: "Unknown", reason: "Pending" },
      { type: "ResolvedRefs", status: "True" },
    ]);

    down.clear();
    const programmed = await waitFor(
      "the Gateway programmed",
      async () => {
        const o = await get(["gateway", "kong", "-n", "gw-infra"]);
        return condition(o, "Programmed")?.status === "True" && o;
      },
      POLL,
    );
    expect(programmed.value.status?.addresses).toEqual([
      { type: "IPAddress", value: STATUS_ADDRESS },
    ]);
    expect(programmed.value.status?.listeners).toMatchObject([{ name: "http", attachedRoutes: 1 }]);
    const attached = await waitFor(
      "the route attached",
      async () => {
        const o = await get(["httproute", "web", "-n", "gw-shop"]);
        const ours = o.status?.parents?.find(p => p.controllerName === CONTROLLER_NAME);
        return ours?.conditions.find(c => c.type === "Accepted")?.status === "True" && ours;
      },
      POLL,
    );
    expect(attached.value.conditions).toMatchObject([
      { type: "Accepted", status: "True", observedGeneration: 1 },
      { type: "ResolvedRefs", status: "True", observedGeneration: 1 },
    ]);
    report(
      `gateway status: class accepted ${String(accepted.ms)} ms after apply with Kong down; ` +
        `Gateway programmed ${String(programmed.ms)} ms and route attached ` +
        `${String(programmed.ms + attached.ms)} ms after Kong came back`,
    );
  });

  it("a route Kong rejects is left out of the fallback and says so; the others stay attached", async () => {
    if (kong === undefined || run === undefined) throw new Error("runs after the first test");
    // Kong refuses every entity tagged with the route named `broken`, as it would an invalid one.
    kong.inject({ kind: "rejectTagged", tag: "k8s-name:broken" });
    await apply(
      cluster,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: broken, namespace: gw-shop }
spec:
  parentRefs: [{ name: kong, namespace: gw-infra }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /broken } }], backendRefs: [{ name: web, port: 80 }] }]
`,
    );
    const refused = await waitFor(
      "the broken route's parent not accepted, in Kong's words",
      async () => {
        const o = await get(["httproute", "broken", "-n", "gw-shop"]);
        const ours = o.status?.parents?.find(p => p.controllerName === CONTROLLER_NAME);
        const accepted = ours?.conditions.find(c => c.type === "Accepted");
        return accepted?.reason === "KongConfigurationApplyFailed" && accepted;
      },
      POLL,
    );
    expect(refused.value).toMatchObject({ status: "False" });
    expect(refused.value.message).toMatch(/^not in the configuration Kong accepted: /);
    const event = await waitFor(
      "a Warning event on the broken route",
      async () =>
        (await eventsFor(cluster, "gw-shop", "broken")).find(
          e => e.type === "Warning" && e.reason === "KongConfigurationApplyFailed",
        ),
      POLL,
    );
    expect(event.value.involvedObject.kind).toBe("HTTPRoute");
    const web = await get(["httproute", "web", "-n", "gw-shop"]);
    expect(
      web.status?.parents
        ?.find(p => p.controllerName === CONTROLLER_NAME)
        ?.conditions.find(c => c.type === "Accepted"),
    ).toMatchObject({ status: "True" });
    report(
      `gateway status: a route Kong rejected shown Accepted=False ${String(refused.ms)} ms after ` +
        `apply, its Warning event ${String(refused.ms + event.ms)} ms`,
    );
  });
});
