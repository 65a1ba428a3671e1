/**
 * What makes Deployments, Pods and EndpointSlices real on the test cluster without a kubelet:
 * kube-controller-manager (Deployments → ReplicaSets → Pods, EndpointSlices, garbage collection,
 * namespace deletion), kube-scheduler (Pods → a Node) and kwok, which plays that Node: it keeps a fake
 * Node Ready and turns every Pod scheduled to it Running and Ready with an IP from its own range, as a
 * kubelet would report. No container runs and nothing listens on those IPs.
 *
 * The Kubernetes binaries are of the apiserver's own release (test/kube/bins/build-control-plane.sh);
 * kwok comes from its Go module (test/conformance/build.sh), with its stock "fast" Stages.
 */
import { readFile, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../free-port.ts";
import { stderrLog, type LogFn } from "./binaries.ts";
import { launch, stopProc, waitReady, type KubeCluster, type Proc } from "./cluster.ts";
import { kubectl, kubectlOk } from "./kubectl.ts";
import { runCommand } from "./run.ts";

export interface ControlPlaneBinaries {
  readonly controllerManager: string;
  readonly scheduler: string;
  readonly kwok: string;
  /** kwok's `kustomize/stage` directory in the Go module cache. */
  readonly kwokStages: string;
}

export interface ControlPlane {
  /** The fake Node every Pod is scheduled to. */
  readonly nodeName: string;
  /** Stops kwok, kube-scheduler and kube-controller-manager. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface StartControlPlaneOptions {
  readonly log?: LogFn;
  readonly readyTimeoutMs?: number;
  readonly binaries?: ControlPlaneBinaries;
}

const repoTest = fileURLToPath(new URL("../../", import.meta.url));
const NODE_NAME = "kwok-node-0";
const NOT_READY_TAINT = "node.kubernetes.io/not-ready:NoSchedule";
// Pod IPs kwok hands out; apart from the Service range (10.96.0.0/16) and never contacted.
const POD_CIDR = "10.244.0.1/16";

/**
 * Only what Pods and EndpointSlices need: a Deployment makes ReplicaSets and they make Pods; the
 * garbage collector and the namespace controller make deletes cascade and namespaces go away.
 */
const CONTROLLERS = ["deployment", "replicaset", "endpointslice", "garbagecollector", "namespace"];

/**
 * kwok's stock Stages that a kubelet's reports stand in for: the Node becomes Ready, a scheduled
 * Pod becomes Running and Ready, a Pod being deleted is removed (no kubelet confirms graceful
 * deletion), a Job's Pod completes.
 */
const KWOK_STAGES = [
  "node/fast/node-initialize.yaml",
  "pod/fast/pod-ready.yaml",
  "pod/fast/pod-complete.yaml",
  "pod/fast/pod-delete.yaml",
];

/** What test/conformance/build.sh built: kwok, its stock Stages and the conformance driver. */
export interface ConformanceBuild {
  readonly kwok: string;
  /** kwok's `kustomize/stage` directory in the Go module cache. */
  readonly kwokStages: string;
  /** The Go test binary that runs the Gateway API conformance suite. */
  readonly driver: string;
}

// build.sh checks its cache with `go` runs that take seconds; the conformance suite asks for the build
// itself and again through resolveControlPlaneBinaries, so one process runs the script once. A failed
// run is forgotten so that a later caller sees the failure afresh rather than a stale rejection.
let conformanceBuildOnce: Promise<ConformanceBuild> | undefined;

/** Builds (once, then cached) or finds kwok and the conformance driver; runs build.sh once per process. */
export function conformanceBuild(log: LogFn = stderrLog): Promise<ConformanceBuild> {
  conformanceBuildOnce ??= runConformanceBuild(log).catch((err: unknown) => {
    conformanceBuildOnce = undefined;
    throw err;
  });
  return conformanceBuildOnce;
}

async function runConformanceBuild(log: LogFn): Promise<ConformanceBuild> {
  const script = join(repoTest, "conformance/build.sh");
  const printed = keyValues(await buildScript(script, log));
  const [kwok, kwokStages, driver] = ["kwok", "kwok_stages", "driver"].map(k => printed.get(k));
  if (kwok === undefined || kwokStages === undefined || driver === undefined) {
    throw new Error(`${script} did not print kwok=, kwok_stages= and driver=`);
  }
  return { kwok, kwokStages, driver };
}

/** Builds (once, then cached by version) or finds the binaries; see the two build scripts. */
export async function resolveControlPlaneBinaries(
  log: LogFn = stderrLog,
): Promise<ControlPlaneBinaries> {
  const kube = await buildScript(join(repoTest, "kube/bins/build-control-plane.sh"), log);
  const { kwok, kwokStages } = await conformanceBuild(log);
  return {
    controllerManager: join(kube, "kube-controller-manager"),
    scheduler: join(kube, "kube-scheduler"),
    kwok,
    kwokStages,
  };
}

/**
 * Starts kube-controller-manager, kube-scheduler and kwok against `cluster` with a fake Node, and
 * waits until both Kubernetes components report healthy and kwok has made the Node Ready.
 */
export async function startControlPlane(
  cluster: KubeCluster,
  opts: StartControlPlaneOptions = {},
): Promise<ControlPlane> {
  const log = opts.log ?? stderrLog;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const bins = opts.binaries ?? (await resolveControlPlaneBinaries(log));
  const procs: Proc[] = [];
  const stopAll = async (): Promise<void> => {
    // kwok first: it would otherwise report on Pods the controllers are tearing down.
    for (const proc of [...procs].reverse()) await stopProc(proc);
  };
  try {
    await kubectlOk(cluster, ["apply", "-f", "-"], { stdin: nodeManifest(NODE_NAME) });
    const kubeconfig = cluster.kubeconfigPath;
    const common = (name: string, port: number): string[] => [
      `--kubeconfig=${kubeconfig}`,
      // No --authentication/authorization-kubeconfig: only /healthz is asked for, which is always allowed.
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${join(cluster.dir, `${name}-certs`)}`,
    ];

    const kcmPort = await freePort();
    const kcm = await launch(
      "kube-controller-manager",
      bins.controllerManager,
      [...common("kube-controller-manager", kcmPort), `--controllers=${CONTROLLERS.join(",")}`],
      cluster.dir,
    );
    procs.push(kcm);
    const schedulerPort = await freePort();
    const scheduler = await launch(
      "kube-scheduler",
      bins.scheduler,
      common("kube-scheduler", schedulerPort),
      cluster.dir,
    );
    procs.push(scheduler);

    const kwokConfig = join(cluster.dir, "kwok-stages.yaml");
    const stages = await Promise.all(
      KWOK_STAGES.map(file => readFile(join(bins.kwokStages, file), "utf8")),
    );
    await writeFile(kwokConfig, stages.join("\n---\n"));
    const kwok = await launch(
      "kwok",
      bins.kwok,
      [
        `--kubeconfig=${kubeconfig}`,
        `--config=${kwokConfig}`,
        `--manage-single-node=${NODE_NAME}`,
        `--cidr=${POD_CIDR}`,
      ],
      cluster.dir,
    );
    procs.push(kwok);

    await waitReady(kcm, readyTimeoutMs, () => healthz(kcmPort));
    await waitReady(scheduler, readyTimeoutMs, () => healthz(schedulerPort));
    await waitReady(kwok, readyTimeoutMs, () => nodeReady(cluster, NODE_NAME));
    // The apiserver taints every new Node not-ready; the node lifecycle controller lifts the taint once
    // the Node reports Ready. That controller also evicts Pods from Nodes whose heartbeats lag, which a
    // loaded CI machine must not trigger, so it stays off and the taint is lifted here, as it would.
    await kubectlOk(cluster, ["taint", "node", NODE_NAME, `${NOT_READY_TAINT}-`]);
    log(`kube: kube-controller-manager, kube-scheduler and kwok (node ${NODE_NAME}) ready`);
  } catch (err) {
    await stopAll();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    nodeName: NODE_NAME,
    stop: () => (stopping ??= stopAll()),
  };
}

function nodeManifest(name: string): string {
  return `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  annotations: { kwok.x-k8s.io/node: fake }
  labels:
    kubernetes.io/hostname: ${name}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
`;
}

async function buildScript(script: string, log: LogFn): Promise<string> {
  const result = await runCommand("bash", [script], { onStderrLine: log });
  const out = result.stdout.trim();
  if (result.code !== 0 || out === "") {
    throw new Error(`${script} exited ${result.code}\n${result.stderr.trim()}`);
  }
  return out;
}

function keyValues(text: string): Map<string, string> {
  const pairs = text.split("\n").map(line => {
    const at = line.indexOf("=");
    return [line.slice(0, at), line.slice(at + 1)] as const;
  });
  return new Map(pairs.filter(([key]) => key !== ""));
}

async function nodeReady(cluster: KubeCluster, name: string): Promise<string | undefined> {
  const result = await kubectl(cluster, [
    "get",
    "node",
    name,
    "-o",
    'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
  ]);
  if (result.code !== 0) return result.stderr.trim();
  return result.stdout.trim() === "True" ? undefined : `node Ready is "${result.stdout.trim()}"`;
}

/** GET /healthz on a component's self-signed secure port: undefined when it answers `ok`. */
function healthz(port: number): Promise<string | undefined> {
  return new Promise(resolve => {
    const req = request(
      { host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 3_000 },
      res => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          resolve(res.statusCode === 200 ? undefined : `/healthz ${res.statusCode}: ${body}`);
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", err => {
      resolve(err.message);
    });
    req.end();
  });
}
