/**
 * The Gateway API conformance suite's status-level tests (tests.ts) against kongress: a real
 * kube-apiserver with kube-controller-manager, kube-scheduler and kwok (so the suite's backend
 * Deployments get Ready Pods and EndpointSlices), the Gateway API CRDs, a Kong Admin API emulator
 * with HTTP, HTTPS, TCP, TLS and UDP listeners, and the controller with a published address. The Go
 * driver (conformance_test.go) runs the suite; its verdicts are printed as a table and kept, with the
 * raw `go test -json` stream, in $KONGRESS_CONFORMANCE_REPORT_DIR (default: <tmpdir>/kongress-conformance).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  runController,
  type RunningController,
} from "../e2e/harness.ts";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import {
  conformanceBuild,
  startControlPlane,
  type ControlPlane,
} from "../support/kube/control-plane.ts";
import { installGatewayApiCrds } from "../support/kube/crds.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { runCommand } from "../support/kube/run.ts";
import { waitFor } from "../support/wait.ts";
import { DRIVER_TEST, formatTable, parseEvents, verdicts, type Verdict } from "./report.ts";
import { CONFORMANCE_TESTS } from "./tests.ts";

const GATEWAY_CLASS = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: kong }
spec: { controllerName: konghq.com/kic-gateway-controller }
`;

/**
 * The suite's waits, in seconds, cut from its defaults (60-300 s): kongress writes a status within
 * about a second of a change, so a failing test should not hold CI for minutes. Pods need the
 * scheduler and kwok, hence more time for namespaces to be ready.
 */
const TIMEOUTS: Readonly<Record<string, number>> = {
  GWCMustBeAccepted: 60,
  NamespacesMustBeReady: 120,
  GatewayMustHaveAddress: 30,
  GatewayMustHaveCondition: 30,
  GatewayStatusMustHaveListeners: 30,
  GatewayListenersMustHaveConditions: 30,
  HTTPRouteMustHaveCondition: 30,
  HTTPRouteMustNotHaveParents: 30,
  TCPRouteMustHaveCondition: 30,
  UDPRouteMustHaveCondition: 30,
  TLSRouteMustHaveCondition: 30,
  RouteMustHaveParents: 30,
  LatestObservedGenerationSet: 30,
  DefaultTestTimeout: 30,
};
const DRIVER_TIMEOUT_MS = 20 * 60_000;

const reportDir =
  process.env["KONGRESS_CONFORMANCE_REPORT_DIR"] ?? join(tmpdir(), "kongress-conformance");

let cluster: KubeCluster;
let controlPlane: ControlPlane | undefined;
let kong: KongEmulator | undefined;
let run: RunningController | undefined;
let driver: string;

beforeAll(async () => {
  ({ driver } = await conformanceBuild());
  cluster = await startKubeCluster();
  controlPlane = await startControlPlane(cluster);
  await installGatewayApiCrds(cluster.kubeconfigPath);
  // One Kong listen per Gateway listener protocol; with --publish-status-address (the harness's
  // default) a listener is programmable when Kong listens for its protocol on some port.
  kong = await startKongEmulator({
    proxyListeners: [{ port: 8000 }, { port: 8443, ssl: true, http2: true }],
    streamListeners: [{ port: 9000 }, { port: 9443, ssl: true }, { port: 9999, udp: true }],
  });
  run = await runController({ cluster, kong });
  await apply(cluster, GATEWAY_CLASS);
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  // Whatever beforeAll got to start, if it failed half-way.
  await run?.stop();
  await kong?.stop();
  await controlPlane?.stop();
  await cluster.stop();
}, 60_000);

describe("Gateway API conformance", () => {
  it("has Pods without a kubelet: a Deployment's Pods become Ready on the kwok node and its Service gets their EndpointSlice", async () => {
    const ns = "conformance-pods";
    await apply(
      cluster,
      `apiVersion: v1
kind: Namespace
metadata: { name: ${ns} }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: echo, namespace: ${ns} }
spec:
  replicas: 2
  selector: { matchLabels: { app: echo } }
  template:
    metadata: { labels: { app: echo } }
    spec: { containers: [{ name: echo, image: echo, ports: [{ containerPort: 3000 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: ${ns} }
spec: { selector: { app: echo }, ports: [{ port: 80, targetPort: 3000 }] }
`,
    );
    await kubectlOk(cluster, ["rollout", "status", "deployment/echo", "-n", ns, "--timeout=60s"], {
      timeoutMs: 90_000,
    });
    const nodes = await kubectlOk(cluster, [
      "get",
      "pods",
      "-n",
      ns,
      "-o",
      "jsonpath={.items[*].spec.nodeName}",
    ]);
    const node = controlPlane?.nodeName;
    expect(nodes.split(" ")).toEqual([node, node]);
    let ready: string[] = [];
    await waitFor("the echo Service's EndpointSlice to list both Pods as ready", async () => {
      ready = await readyEndpoints(ns, "echo");
      return ready.length === 2;
    });
    expect(ready.every(ip => ip.startsWith("10.244."))).toBe(true);
  });

  it(
    "runs the suite's status-level tests: every one gets a verdict, and those that passed still pass",
    async () => {
      const tests = Object.keys(CONFORMANCE_TESTS);
      const rows = await runSuite(tests);
      process.stderr.write(
        `\nGateway API conformance (${String(rows.length)} status-level tests; report in ${reportDir}):\n${formatTable(rows)}\n\n`,
      );
      expect(rows.map(r => r.test)).toEqual(tests);
      const regressed = rows.filter(
        r => CONFORMANCE_TESTS[r.test]?.passes === true && r.result !== "pass",
      );
      expect(regressed).toEqual([]);
    },
    DRIVER_TIMEOUT_MS + 60_000,
  );
});

/** Runs the driver for `tests`, keeps its stream and the verdicts in `reportDir`, returns them. */
async function runSuite(tests: readonly string[]): Promise<Verdict[]> {
  await mkdir(reportDir, { recursive: true });
  const overrides = Object.entries(TIMEOUTS)
    .map(([name, seconds]) => `${name}:${String(seconds)}`)
    .join(";");
  const result = await runCommand(
    "go",
    [
      "tool",
      "test2json",
      "-t",
      driver,
      "-test.v=test2json",
      `-test.run=^${DRIVER_TEST}$`,
      `-test.timeout=${String(DRIVER_TIMEOUT_MS / 1000)}s`,
      `--tests=${tests.join(",")}`,
      "--gateway-class=kong",
      // The cluster is thrown away afterwards; keeping them also lets a failure be inspected.
      "--cleanup-base-resources=false",
      `--timeout-config-overrides=${overrides}`,
    ],
    {
      cwd: reportDir,
      env: {
        ...process.env,
        KUBECONFIG: cluster.kubeconfigPath,
        GOTOOLCHAIN: "local",
        GOFLAGS: "",
      },
      timeoutMs: DRIVER_TIMEOUT_MS + 30_000,
    },
  );
  await writeFile(join(reportDir, "go-test.json"), result.stdout);
  const rows = verdicts(parseEvents(result.stdout), tests);
  await writeFile(join(reportDir, "report.json"), `${JSON.stringify(rows, null, 2)}\n`);
  await writeFile(join(reportDir, "report.txt"), `${formatTable(rows, Infinity)}\n`);
  if (result.stderr.trim() !== "")
    process.stderr.write(`conformance driver stderr:\n${result.stderr}`);
  return rows;
}

async function readyEndpoints(namespace: string, service: string): Promise<string[]> {
  const out = await kubectlOk(cluster, [
    "get",
    "endpointslices",
    "-n",
    namespace,
    "-l",
    `kubernetes.io/service-name=${service}`,
    "-o",
    'jsonpath={range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{" "}{end}',
  ]);
  return out.split(" ").filter(ip => ip !== "");
}
