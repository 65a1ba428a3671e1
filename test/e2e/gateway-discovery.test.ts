/**
 * Gateway discovery end to end (`--kong-admin-svc`): a real kube-apiserver, several Kong emulators
 * behind a headless Service without selector whose EndpointSlices the test writes itself (there is no
 * kubelet nor EndpointSlice controller here). The API server refuses loopback addresses in slices, so
 * each emulator is named by a forward on this machine's own IPv4 address. Controllers run as users run
 * them (`bin/kongress.js run`), ten times faster than real time (`--time-scale=10`: Kong polled every
 * second instead of 10). Prints the times it measures.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { forwardFromHost, type HostForward } from "../support/host-forward.ts";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { waitFor } from "../support/wait.ts";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  cleanCluster,
  ensureNamespaces,
  kongClassAndWebService,
  kongNames,
  report,
} from "./harness.ts";
import { counterTotal, spawnController, type SpawnedController } from "./spawned.ts";

const NAMESPACES = ["kong", "shop"];

let cluster: KubeCluster;
const emulators: KongEmulator[] = [];
const forwards: HostForward[] = [];
const replicas: SpawnedController[] = [];

beforeAll(async () => {
  cluster = await startKubeCluster();
  await ensureNamespaces(cluster, NAMESPACES);
}, CLUSTER_START_TIMEOUT_MS);

afterEach(async () => {
  for (const r of replicas.splice(0)) await r.stop();
  for (const f of forwards.splice(0)) await f.close();
  for (const e of emulators.splice(0)) await e.stop();
  await cleanCluster(cluster, NAMESPACES);
});

afterAll(async () => {
  await cluster.stop();
}, 60_000);

interface Discovering {
  readonly proc: SpawnedController;
  get(path: string): Promise<{ status: number; body: string }>;
  /** The value of one series of /metrics, undefined when the series does not exist. */
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
}

/** A controller that discovers its Kongs behind kong/kong-admin. */
async function startDiscovering(more: readonly string[] = []): Promise<Discovering> {
  const proc = await spawnController({
    cluster,
    args: [
      "--kong-admin-svc=kong/kong-admin",
      "--proxy-sync-seconds=0",
      "--time-scale=10",
      ...more,
    ],
  });
  replicas.push(proc);
  return {
    proc,
    get: path => proc.get(path),
    metric: async (name, labels = {}) => {
      const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      for (const line of (await proc.metrics()).split("\n")) {
        const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (match?.[1] !== name) continue;
        const have = (match[2] ?? "").split(",");
        if (wanted.every(w => have.includes(w))) return Number(match[3]);
      }
      return undefined;
    },
  };
}

/** A Kong emulator and the address the slices name it by. */
interface Kong {
  readonly emulator: KongEmulator;
  readonly address: string;
  readonly port: number;
  /** What the controller calls it (metrics' `dataplane`, /readyz). */
  readonly url: string;
}

async function startKongs(n: number): Promise<Kong[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const emulator = await startKongEmulator();
      emulators.push(emulator);
      const forward = await forwardFromHost(Number(new URL(emulator.url).port));
      forwards.push(forward);
      const url = `http://${forward.host}:${String(forward.port)}`;
      return { emulator, address: forward.host, port: forward.port, url };
    }),
  );
}

/** The admin Service: headless and without selector, so only the slices below name its Kongs. */
const ADMIN_SERVICE = `apiVersion: v1
kind: Service
metadata: { name: kong-admin, namespace: kong }
spec:
  clusterIP: None
  ports: [{ name: admin-tls, port: 8444, protocol: TCP, appProtocol: http }]
`;

/**
 * One EndpointSlice per emulator (a slice's ports apply to all its endpoints, and the emulators share
 * one address): the Pod `kong-<i>` on the emulator's port, named admin-tls, plain HTTP by appProtocol.
 */
function sliceOf(i: number, kong: Kong): string {
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kong-admin-${String(i)}
  namespace: kong
  labels: { kubernetes.io/service-name: kong-admin }
addressType: IPv4
endpoints:
  - addresses: ["${kong.address}"]
    conditions: { ready: true, serving: true, terminating: false }
    targetRef: { kind: Pod, namespace: kong, name: kong-${String(i)} }
ports: [{ name: admin-tls, port: ${String(kong.port)}, protocol: TCP, appProtocol: http }]
`;
}

/** A workload of class kong: one Service, one Ingress with a path per entry of `paths`. */
function workload(paths: readonly string[]): string {
  return `${kongClassAndWebService("shop")}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web, namespace: shop }
spec:
  ingressClassName: kong
  rules:
    - host: shop.example.com
      http:
        paths:
${paths.map(p => `          - { path: /${p}, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }`).join("\n")}
`;
}

const routesOf = (kong: Kong): string => kongNames(kong.emulator).routes.join(",");

/** The route paths Kong runs, e.g. `/one/`, `/two/` (the workload's Ingress paths). */
function pathsOf(kong: Kong): number {
  const config = kong.emulator.currentConfig() as {
    services?: { routes?: { paths?: string[] }[] }[];
  } | null;
  const paths = (config?.services ?? []).flatMap(s => (s.routes ?? []).flatMap(r => r.paths ?? []));
  // Each Prefix path is a plain prefix and its exact regex (KIC's translation): count the prefixes.
  return paths.filter(p => !p.startsWith("~")).length;
}
const holds = (kong: Kong, hash: string): boolean => kong.emulator.configHash() === hash;

async function elapsed(what: string, probe: () => boolean | Promise<boolean>): Promise<number> {
  const { ms } = await waitFor(what, probe, { timeoutMs: 15_000, intervalMs: 5 });
  return ms;
}

/**
 * Runs a kubectl `action` and waits for `probe`; says how long after kubectl started and after it
 * returned the probe held (the effect may come before kubectl's own process has exited).
 */
async function afterKubectl(
  action: () => Promise<unknown>,
  probe: () => boolean | Promise<boolean>,
): Promise<string> {
  const started = Date.now();
  await action();
  const returned = Date.now();
  await elapsed("the effect of kubectl", probe);
  const done = Date.now();
  return `${String(done - started)} ms after kubectl started, ${String(done - returned)} ms after it returned`;
}

function spread(values: readonly number[]): string {
  const sorted = [...values].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  return `min/median/max ${String(sorted[0])}/${String(median)}/${String(sorted.at(-1))}`;
}

describe("gateway discovery: Kongs behind a Service", () => {
  it("scales 1 → 3, re-pushes one that restarts empty, drops one that goes, survives the Service's deletion", async () => {
    const [a, b, c] = (await startKongs(3)) as [Kong, Kong, Kong];
    await apply(cluster, [ADMIN_SERVICE, sliceOf(1, a), workload(["one"])].join("---\n"));
    const run = await startDiscovering();
    await elapsed("Kong a to hold the config", () => routesOf(a) !== "");
    await elapsed("/readyz 200", async () => (await run.get("/readyz")).status === 200);
    const config = a.emulator.configHash();
    expect(await run.metric("kongress_gateway_discovery_kongs")).toBe(1);

    // Scale 1 → 3: the new Kongs get the config at once.
    const scaled = await afterKubectl(
      () => apply(cluster, [sliceOf(2, b), sliceOf(3, c)].join("---\n")),
      () => holds(b, config) && holds(c, config),
    );
    report(`discovery: scaled 1 → 3, both new Kongs hold the config ${scaled}`);
    expect(await run.metric("kongress_gateway_discovery_kongs")).toBe(3);
    for (const kong of [a, b, c]) {
      expect(
        await run.metric("kongress_dataplane_phase", { dataplane: kong.url, phase: "synced" }),
      ).toBe(1);
    }

    // Kong b restarts empty on the same address, five times: re-pushed each time.
    const restarts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await b.emulator.restart({ downtimeMs: 200 });
      restarts.push(await elapsed("Kong b to hold the config again", () => holds(b, config)));
    }
    report(
      `discovery: a Kong that restarted empty holds the config again ${spread(restarts)} ms after it listens again (poll interval 1 s here, 10 s by default)`,
    );

    // Kong c goes away: dropped, and the others keep getting changes.
    const dropped = await afterKubectl(
      () => kubectlOk(cluster, ["delete", "endpointslice", "kong-admin-3", "-n", "kong"]),
      async () => (await run.metric("kongress_gateway_discovery_kongs")) === 2,
    );
    report(`discovery: a removed Kong is dropped ${dropped}`);
    expect(
      await run.metric("kongress_dataplane_phase", { dataplane: c.url, phase: "synced" }),
    ).toBeUndefined();
    const cRequests = c.emulator.requests().length;
    await apply(cluster, workload(["one", "two"]));
    await elapsed("Kongs a and b to hold the new route", () => [a, b].every(k => pathsOf(k) === 2));
    expect(pathsOf(c)).toBe(1);
    expect(
      c.emulator
        .requests()
        .slice(cRequests)
        .map(r => `${r.method} ${r.path}`),
    ).toEqual([]);

    // The Service is deleted: said in a log line and a metric, again with backoff; nothing crashes.
    const errorsOf = () =>
      run.metric("kongress_gateway_discovery_errors_total", { reason: "ServiceNotFound" });
    const reported = await afterKubectl(
      () => kubectlOk(cluster, ["delete", "service", "kong-admin", "-n", "kong"]),
      async () => ((await errorsOf()) ?? 0) >= 1,
    );
    report(`discovery: a deleted Service is reported (log line, metric) ${reported}`);
    expect(await run.metric("kongress_gateway_discovery_kongs")).toBe(0);
    expect(run.proc.logs().find(l => l["reason"] === "ServiceNotFound")).toMatchObject({
      level: "error",
      msg: "Kong discovery found no Kong Admin API; nothing is pushed",
      detail: "Service kong/kong-admin does not exist",
    });
    // Requeued: said again while it lasts (backoff capped at 1 s here).
    await elapsed("the discovery error reported again", async () => ((await errorsOf()) ?? 0) >= 3);
    expect((await run.get("/healthz")).status).toBe(200);
    // Nobody to push to: a change is translated but reaches no Kong until the Service is back.
    const translations = async () =>
      (await run.metric("ingress_controller_translation_count", { success: "true" })) ?? 0;
    const before = await translations();
    await apply(cluster, workload(["one", "two", "three"]));
    await elapsed("the change translated", async () => (await translations()) > before);
    expect([a, b].map(pathsOf)).toEqual([2, 2]);
    const recovered = await afterKubectl(
      () => apply(cluster, ADMIN_SERVICE),
      () => [a, b].every(k => pathsOf(k) === 3),
    );
    report(
      `discovery: the Service re-created, its Kongs hold the change made meanwhile ${recovered}`,
    );
    expect(await run.metric("kongress_gateway_discovery_kongs")).toBe(2);
  }, 120_000);

  it("is ready once one Kong holds the config while another is down, and says which is failing until then", async () => {
    const [up, down] = (await startKongs(2)) as [Kong, Kong];
    const upFault = up.emulator.inject({ kind: "down" });
    down.emulator.inject({ kind: "down" });
    await apply(
      cluster,
      [ADMIN_SERVICE, sliceOf(1, up), sliceOf(2, down), workload(["one"])].join("---\n"),
    );
    const run = await startDiscovering();
    const unready = await waitFor(
      "/readyz to name both Kongs as failing",
      async () => {
        const r = await run.get("/readyz");
        return (
          r.status === 503 &&
          [up, down].every(k => r.body.includes(`Kong ${k.url} failing: ERR_KONG_UNREACHABLE`)) &&
          r.body
        );
      },
      { timeoutMs: 15_000 },
    );
    expect(unready.value).toContain("no config has reached Kong yet");

    upFault.clear();
    const ready = await elapsed(
      "/readyz 200",
      async () => (await run.get("/readyz")).status === 200,
    );
    report(
      `discovery: ready ${String(ready)} ms after one of two Kongs came up (the other still down)`,
    );
    expect(routesOf(up)).not.toBe("");
    expect(
      await run.metric("kongress_dataplane_phase", { dataplane: down.url, phase: "failing" }),
    ).toBe(1);
    expect(
      await run.metric("kongress_dataplane_phase", { dataplane: up.url, phase: "synced" }),
    ).toBe(1);
    // Still ready while it stays down, across more changes.
    await apply(cluster, workload(["one", "two"]));
    await elapsed("the change in the Kong that is up", () => pathsOf(up) === 2);
    expect((await run.get("/readyz")).status).toBe(200);
  }, 120_000);

  it("leaves pushing to the leader when replicas share their Kongs; a follower is ready, and takes over at once", async () => {
    const kongs = await startKongs(2);
    const faults = kongs.map(k => k.emulator.inject({ kind: "down" }));
    await apply(
      cluster,
      [ADMIN_SERVICE, ...kongs.map((k, i) => sliceOf(i + 1, k)), workload(["one"])].join("---\n"),
    );
    // Two replicas; election timings are the defaults, ten times faster (lease 1.5 s, retry 0.2 s).
    const leads = async (r: Discovering) => (await r.metric("leader_election_master_status")) === 1;
    const first = await startDiscovering();
    await elapsed("replica a to lead", () => leads(first));
    const second = await startDiscovering();
    // While no Kong answers, the leader waits for a config in Kong; the follower does not (incident a).
    const ready = await elapsed("the follower's /readyz 200 while every Kong is down", async () => {
      return (await second.get("/readyz")).status === 200;
    });
    report(
      `discovery + election: the follower is ready ${String(ready)} ms after /healthz, every Kong down`,
    );
    expect((await first.get("/readyz")).status).toBe(503);
    for (const fault of faults) fault.clear();
    await elapsed("every Kong to hold the config", () => kongs.every(k => pathsOf(k) === 1));
    await elapsed(
      "the leader's /readyz 200",
      async () => (await first.get("/readyz")).status === 200,
    );
    expect(await leads(second)).toBe(false);

    // Changes reach every Kong through the leader only.
    await apply(cluster, workload(["one", "two"]));
    await elapsed("every Kong to hold the change", () => kongs.every(k => pathsOf(k) === 2));
    const pushes = "ingress_controller_configuration_push_count";
    expect(counterTotal(await first.proc.metrics(), pushes)).toBeGreaterThan(0);
    expect(counterTotal(await second.proc.metrics(), pushes)).toBe(0);
    expect((await second.get("/readyz")).status).toBe(200);

    // The leader stops (SIGTERM, releasing its Lease): the follower leads and pushes the next change.
    const stopped = Date.now();
    expect(await first.proc.stop()).toBe(0);
    await elapsed("replica b to lead", () => leads(second));
    const tookOver = Date.now() - stopped;
    const change = await afterKubectl(
      () => apply(cluster, workload(["one", "two", "three"])),
      () => kongs.every(k => pathsOf(k) === 3),
    );
    report(
      `discovery + election: the follower leads ${String(tookOver)} ms after SIGTERM to the leader; a change reaches every Kong ${change}`,
    );
    // Kong holds the config before the push's answer is back and counted: wait for the count.
    await elapsed(
      "replica b's pushes counted",
      async () => counterTotal(await second.proc.metrics(), pushes) > 0,
    );
  }, 120_000);
});
