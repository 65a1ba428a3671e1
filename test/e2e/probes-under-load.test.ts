/**
 * The probes while a huge translation runs: a spawned controller is probed the way the kubelet probes
 * it (each answer within 1 s) from its start in a cluster holding 50,000 paths (250,000 hosts × paths
 * with their aliases) until a config carrying all of them reaches Kong. Translation holds the
 * controller's event loop for about a second at this size on the development machine (longer on a
 * slower one); the probe port answers from its own thread (test/unit/telemetry/probe-thread.test.ts
 * holds the main thread for longer), so no probe fails and the pod is never restarted for it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { waitFor } from "../support/wait.ts";
import { apply, CLUSTER_START_TIMEOUT_MS, kongClassAndWebService, report } from "./harness.ts";
import { spawnController, type SpawnedController } from "./spawned.ts";

const INGRESSES = 25;
/**
 * With the host and its aliases, at the default budget of 20,000 hosts × Kong paths per object (a
 * Prefix path is two Kong paths): nothing is refused, and every claim is checked.
 */
const PATHS_PER_INGRESS = 2000;
const ALIASES = ["a1", "a2", "a3", "a4"];
/** The kubelet's default `timeoutSeconds: 1`: a later answer is a failed probe. */
const PROBE_TIMEOUT_MS = 1000;
/** Kong's body limit raised as a cluster of this size needs (`nginx_admin_client_max_body_size`). */
const BODY_LIMIT = 64 * 1024 * 1024;

let cluster: KubeCluster;
let kong: KongEmulator;
let controller: SpawnedController | undefined;

beforeAll(async () => {
  cluster = await startKubeCluster();
  kong = await startKongEmulator({ maxBodyBytes: BODY_LIMIT });
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await controller?.stop();
  await kong.stop();
  await cluster.stop();
});

function manifest(): string {
  const docs = [kongClassAndWebService("default")];
  for (let i = 0; i < INGRESSES; i++) {
    const paths = Array.from(
      { length: PATHS_PER_INGRESS },
      (_, p) =>
        `          - { path: /p${String(p)}, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }`,
    ).join("\n");
    docs.push(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: big-${String(i)}
  namespace: default
  annotations: { konghq.com/host-aliases: "${ALIASES.map(a => `${a}-${String(i)}.example.com`).join(",")}" }
spec:
  ingressClassName: kong
  rules:
    - host: big-${String(i)}.example.com
      http:
        paths:
${paths}
`);
  }
  return docs.join("---\n");
}

/** Kong paths over every route (one Ingress rule's paths share a route; a Prefix path is two). */
function pathCount(body: string): number {
  try {
    const config = JSON.parse(body) as { services?: { routes?: { paths?: unknown[] }[] }[] };
    const routes = (config.services ?? []).flatMap(s => s.routes ?? []);
    return routes.reduce((n, r) => n + (r.paths?.length ?? 0), 0);
  } catch {
    return 0;
  }
}

/** Whether a POST /config carrying every path has reached Kong (read from where the last look ended). */
function pushedEverything(kong: KongEmulator, from: { index: number }): boolean {
  const requests = kong.requests();
  for (; from.index < requests.length; from.index++) {
    const r = requests[from.index];
    if (r?.method !== "POST" || !r.path.startsWith("/config")) continue;
    if (pathCount(r.body) >= INGRESSES * PATHS_PER_INGRESS) return true;
  }
  return false;
}

/** One kubelet-style probe: 200 within the timeout, or a failure. */
async function probe(port: SpawnedController): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  try {
    const res = await port.get("/healthz", { timeoutMs: PROBE_TIMEOUT_MS });
    return { ok: res.status === 200, ms: performance.now() - started };
  } catch {
    return { ok: false, ms: performance.now() - started };
  }
}

describe("probes while 50,000 paths are translated", () => {
  it("answer 200 within the kubelet's timeout, every one", async () => {
    const applied = Date.now();
    await apply(cluster, manifest());
    const running = await spawnController({
      cluster,
      kong,
      args: [`--max-config-bytes=${String(BODY_LIMIT)}`, "--log-level=warn"],
    });
    controller = running;
    const probing = new AbortController();
    const answers: { ok: boolean; ms: number }[] = [];
    const prober = (async () => {
      while (!probing.signal.aborted) answers.push(await probe(running));
    })();
    const seen = { index: 0 };
    const held = await waitFor("a push carrying every path", () => pushedEverything(kong, seen), {
      timeoutMs: 240_000,
      intervalMs: 500,
    });
    probing.abort();
    await prober;
    let inARow = 0;
    let worstRun = 0;
    for (const a of answers) {
      inARow = a.ok ? 0 : inARow + 1;
      worstRun = Math.max(worstRun, inARow);
    }
    const slowest = Math.max(...answers.map(a => a.ms));
    report(
      `probes under load: ${String(INGRESSES * PATHS_PER_INGRESS)} paths pushed ${String(held.ms)} ms after the controller's /healthz first answered (${String(Date.now() - applied)} ms since kubectl apply began); ${String(answers.length)} probes, ${String(answers.filter(a => !a.ok).length)} failed, at most ${String(worstRun)} in a row, slowest ${slowest.toFixed(0)} ms`,
    );
    // The kubelet restarts after 3 failures in a row; the issue asks for none at all.
    expect(answers.filter(a => !a.ok)).toEqual([]);
    expect(running.running()).toBe(true);
  }, 300_000);
});
