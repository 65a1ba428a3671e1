/**
 * What the end-to-end suites share: a controller started in-process with `startController` from the same
 * settings `kongress run` parses, pointed at a real kube-apiserver and a Kong emulator; kubectl driving
 * the cluster as a user does; and readers for what Kong holds and what the cluster shows.
 */
import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import { loadConfig } from "../../src/config/load.ts";
import { startController, type Controller } from "../../src/runtime/controller.ts";
import { systemClock } from "../../src/util/clock.ts";
import type { KongEmulator } from "../support/kong-emulator/index.ts";
import type { KubeCluster } from "../support/kube/cluster.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";

// The first run on a fresh machine includes the cold build of kube-apiserver and etcd.
export const CLUSTER_START_TIMEOUT_MS = 30 * 60_000;

/** An address from TEST-NET-1 (RFC 5737): published on Ingresses, never contacted. */
export const STATUS_ADDRESS = "192.0.2.10";

/** Figures the suites measure, printed as they are taken (the closing notes quote them). */
export function report(line: string): void {
  process.stderr.write(`e2e: ${line}\n`);
}

/** `KONGRESS_E2E_LOG=debug` shows the controller's own log on stderr, and the suites' own debug lines. */
function testLogger(): Logger {
  const level = process.env["KONGRESS_E2E_LOG"] ?? "silent";
  return pino({ level }, pino.destination(2));
}

/**
 * The IngressClass `kong` (ours) and a Service `web` (port 80 to 8080) in `namespace`: the base most
 * suites' manifests start from; more documents follow it after a `---` line.
 */
export function kongClassAndWebService(namespace: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: kong }
spec: { controller: ingress-controllers.konghq.com/kong }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${namespace} }
spec: { ports: [{ port: 80, protocol: TCP, targetPort: 8080 }] }
`;
}

export interface RunningController {
  readonly controller: Controller;
  /** GET on the controller's probe/metrics server. */
  get(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export interface RunOptions {
  readonly cluster: KubeCluster;
  readonly kong: KongEmulator;
  /** More `kongress run` flags; they win over the defaults below. */
  readonly args?: readonly string[];
  /** Reach the API server here instead (a cuttable TCP proxy). */
  readonly apiserverHost?: string;
  /** Records V8 memory saver switches (runtime/idle-memory.ts); by default they are not made. */
  readonly memorySaver?: (on: boolean) => void;
}

/**
 * Starts a controller with test-friendly settings: loopback telemetry on free ports, pushes without
 * pacing, status published from {@link STATUS_ADDRESS}, short watch and push backoffs.
 */
export async function runController(opts: RunOptions): Promise<RunningController> {
  const argv = [
    `--kubeconfig=${opts.cluster.kubeconfigPath}`,
    `--kong-admin-url=${opts.kong.url}`,
    "--health-probe-bind-address=127.0.0.1:0",
    "--metrics-bind-address=127.0.0.1:0",
    "--proxy-sync-seconds=0",
    ...(opts.apiserverHost === undefined ? [] : [`--apiserver-host=${opts.apiserverHost}`]),
    ...(opts.args ?? [`--publish-status-address=${STATUS_ADDRESS}`]),
  ];
  const config = loadConfig({ argv, env: {} });
  const controller = await startController({
    config,
    env: { POD_NAME: "kongress-e2e", POD_NAMESPACE: "default" },
    logger: testLogger(),
    registry: new Registry(),
    clock: systemClock,
    tuning: {
      watchBackoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.2 },
      senderBackoff: { initialMs: 100, maxMs: 1000 },
      kongPollIntervalMs: 1000,
      statusBaseDelayMs: 100,
      kubeRequestTimeoutMs: 5000,
      // V8's flag is process-wide: a test's quiet controller must not slow the worker's other tests.
      memorySaver: opts.memorySaver ?? (() => undefined),
    },
  });
  const base = `http://127.0.0.1:${String(controller.ports.health)}`;
  return {
    controller,
    get: async path => {
      const res = await fetch(`${base}${path}`);
      return { status: res.status, body: await res.text() };
    },
    stop: () => controller.stop(),
  };
}

export async function kubectlJson(cluster: KubeCluster, args: readonly string[]): Promise<unknown> {
  return JSON.parse(await kubectlOk(cluster, [...args, "-o", "json"])) as unknown;
}

export async function apply(cluster: KubeCluster, manifest: string): Promise<void> {
  await kubectlOk(cluster, ["apply", "-f", "-"], { stdin: manifest });
}

export async function ensureNamespaces(
  cluster: KubeCluster,
  names: readonly string[],
): Promise<void> {
  await apply(
    cluster,
    names.map(n => `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${n} }\n`).join("---\n"),
  );
}

/**
 * Deletes every object of the watched kinds in `namespaces`, and every IngressClass. Namespaces
 * themselves stay: without kube-controller-manager a deleted namespace would stay Terminating.
 */
export async function cleanCluster(
  cluster: KubeCluster,
  namespaces: readonly string[],
): Promise<void> {
  for (const ns of namespaces) {
    await kubectlOk(cluster, [
      "delete",
      "ingresses,services,endpointslices.discovery.k8s.io,secrets,events",
      "--all",
      "-n",
      ns,
      "--wait=false",
    ]);
  }
  await kubectlOk(cluster, ["delete", "ingressclasses", "--all", "--wait=false"]);
}

interface LoadBalancerEntry {
  readonly ip?: string;
  readonly hostname?: string;
}

/** `status.loadBalancer.ingress` of one Ingress ([] when unset). */
export async function ingressAddresses(
  cluster: KubeCluster,
  namespace: string,
  name: string,
): Promise<LoadBalancerEntry[]> {
  const ingress = (await kubectlJson(cluster, ["get", "ingress", name, "-n", namespace])) as {
    status?: { loadBalancer?: { ingress?: LoadBalancerEntry[] } };
  };
  return ingress.status?.loadBalancer?.ingress ?? [];
}

export interface KubeEvent {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count?: number;
  readonly involvedObject: { readonly kind: string; readonly name: string };
}

/** Events about one object, as `kubectl get events --field-selector involvedObject.name=...` lists them. */
export async function eventsFor(
  cluster: KubeCluster,
  namespace: string,
  name: string,
): Promise<KubeEvent[]> {
  const list = (await kubectlJson(cluster, [
    "get",
    "events",
    "-n",
    namespace,
    "--field-selector",
    `involvedObject.name=${name}`,
  ])) as { items: KubeEvent[] };
  return list.items;
}

interface Tagged {
  readonly name?: string;
  readonly tags?: readonly string[];
}

interface PostedConfig {
  readonly services?: readonly (Tagged & { readonly routes?: readonly Tagged[] })[];
  readonly upstreams?: readonly (Tagged & { readonly targets?: readonly { target: string }[] })[];
  readonly certificates?: readonly (Tagged & { readonly snis?: readonly { name: string }[] })[];
}

/** The names of what a Kong config holds, sorted, for comparisons that ignore ids and tags. */
export interface ConfigNames {
  readonly services: string[];
  readonly routes: string[];
  readonly upstreams: string[];
  readonly targets: string[];
  readonly certificates: string[];
}

export function namesIn(config: unknown): ConfigNames {
  const c = (config ?? {}) as PostedConfig;
  const services = c.services ?? [];
  const upstreams = c.upstreams ?? [];
  return {
    services: services.map(s => s.name ?? "").sort(),
    routes: services.flatMap(s => (s.routes ?? []).map(r => r.name ?? "")).sort(),
    upstreams: upstreams.map(u => u.name ?? "").sort(),
    targets: upstreams
      .flatMap(u => (u.targets ?? []).map(t => `${u.name ?? ""}=${t.target}`))
      .sort(),
    certificates: (c.certificates ?? [])
      .map(cert => (cert.snis ?? []).map(s => s.name).join(","))
      .sort(),
  };
}

/** The names in the config the emulator currently runs. */
export function kongNames(kong: KongEmulator): ConfigNames {
  return namesIn(kong.currentConfig());
}

/** Drops `tags` and `id` everywhere: they carry uids, which differ between the cluster and files. */
export function withoutIdsAndTags(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIdsAndTags);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "tags" && key !== "id")
      .map(([key, child]) => [key, withoutIdsAndTags(child)]),
  );
}
