/**
 * `kongress run` end to end, in-process: a real kube-apiserver driven with kubectl, the controller
 * started with `startController`, and a Kong emulator. Covers the examples, Ingress status from an
 * address and from a publish Service, readiness in an empty cluster (incident a), a broken Ingress
 * across a restart (incident c) and input that makes no sense.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.ts";
import { freePort } from "../support/free-port.ts";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { installGatewayApiCrds } from "../support/kube/crds.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { kubectl, kubectlOk } from "../support/kube/kubectl.ts";
import { waitFor } from "../support/wait.ts";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  cleanCluster,
  ensureNamespaces,
  eventsFor,
  ingressAddresses,
  kongClassAndWebService,
  kongNames,
  kubectlJson,
  namesIn,
  report,
  runController,
  STATUS_ADDRESS,
  withoutIdsAndTags,
  type RunningController,
} from "./harness.ts";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/kongress.js", import.meta.url));
const NAMESPACES = ["shop", "platform", "kong", "quiet", "bad-input", "restart", "idle"];

let cluster: KubeCluster;
let kong: KongEmulator | undefined;
const running: RunningController[] = [];

async function start(args?: readonly string[]): Promise<RunningController> {
  kong ??= await startKongEmulator();
  const run = await runController({ cluster, kong, ...(args === undefined ? {} : { args }) });
  running.push(run);
  return run;
}

async function stopAll(): Promise<void> {
  for (const run of running.splice(0)) await run.stop();
}

async function translateExamples(): Promise<unknown> {
  let out = "";
  const code = await runCli({
    argv: ["translate", "-f", EXAMPLES],
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => true },
    cwd: process.cwd(),
  });
  expect(code).toBe(0);
  return JSON.parse(out) as unknown;
}

async function allIngresses(): Promise<{ namespace: string; name: string }[]> {
  const list = (await kubectlJson(cluster, ["get", "ingresses", "-A"])) as {
    items: { metadata: { namespace: string; name: string } }[];
  };
  return list.items.map(i => i.metadata);
}

function sameAddresses(actual: readonly object[], expected: readonly object[]): boolean {
  return JSON.stringify(actual) === JSON.stringify(expected);
}

async function readyWithin(run: RunningController, timeoutMs: number): Promise<number> {
  const { ms } = await waitFor(
    "/readyz 200",
    async () => (await run.get("/readyz")).status === 200,
    { timeoutMs, intervalMs: 10 },
  );
  return ms;
}

beforeAll(async () => {
  cluster = await startKubeCluster();
  // examples/ holds Gateway API objects too; README has users install the CRDs first.
  await installGatewayApiCrds(cluster.kubeconfigPath);
  await ensureNamespaces(cluster, NAMESPACES);
}, CLUSTER_START_TIMEOUT_MS);

afterEach(async () => {
  await stopAll();
  await kong?.stop();
  kong = undefined;
  await cleanCluster(cluster, NAMESPACES);
});

afterAll(async () => {
  await cluster.stop();
}, 60_000);

describe("kubectl apply -f examples/", () => {
  it("Kong gets what `kongress translate -f examples/` prints, and every Ingress the status address", async () => {
    const dumpPort = await freePort();
    const run = await start([
      `--publish-status-address=${STATUS_ADDRESS}`,
      "--dump-config",
      `--diagnostic-server-port=${String(dumpPort)}`,
    ]);
    const expected = await translateExamples();
    const applied = Date.now();
    await kubectlOk(cluster, ["apply", "-f", EXAMPLES]);
    const emulator = kong!;

    const converged = await waitFor(
      "Kong to hold the examples' services, routes, targets and certificates",
      () => JSON.stringify(kongNames(emulator)) === JSON.stringify(namesIn(expected)),
      { timeoutMs: 10_000 },
    );
    report(
      `examples: Kong holds the translated config ${String(Date.now() - applied)} ms after kubectl apply`,
    );
    expect(converged.value).toBe(true);
    expect(withoutIdsAndTags(emulator.currentConfig())).toEqual(withoutIdsAndTags(expected));

    const ingresses = await allIngresses();
    expect(ingresses.length).toBeGreaterThan(0);
    for (const { namespace, name } of ingresses) {
      await waitFor(`${namespace}/${name} to get ${STATUS_ADDRESS}`, async () =>
        sameAddresses(await ingressAddresses(cluster, namespace, name), [{ ip: STATUS_ADDRESS }]),
      );
    }
    report(
      `examples: ${String(ingresses.length)} Ingresses have status.loadBalancer ${String(Date.now() - applied)} ms after kubectl apply`,
    );
    expect((await run.get("/readyz")).status).toBe(200);

    // The dump shows what Kong runs, with the TLS key redacted (no --dump-sensitive-config).
    const dump = await httpGet(`http://127.0.0.1:${String(dumpPort)}/debug/config/successful`);
    expect(dump.status).toBe(200);
    const dumped = JSON.parse(dump.body) as { hash: string; config: unknown };
    expect(dumped.hash).toBe(emulator.configHash());
    expect(namesIn(dumped.config)).toEqual(namesIn(expected));
    expect(dump.body).not.toContain("PRIVATE KEY");
    expect(dump.body).toContain("{vault://redacted-value}");
  });

  it("publishes the --publish-service's cluster IP, then its load-balancer address once it has one", async () => {
    await apply(
      cluster,
      `apiVersion: v1
kind: Service
metadata: { name: kong-proxy, namespace: kong }
spec:
  type: LoadBalancer
  ports: [{ name: proxy, port: 80, targetPort: 8000 }]
`,
    );
    const service = (await kubectlJson(cluster, [
      "get",
      "service",
      "kong-proxy",
      "-n",
      "kong",
    ])) as {
      spec: { clusterIP: string };
    };
    await start(["--publish-service=kong/kong-proxy"]);
    await kubectlOk(cluster, ["apply", "-f", EXAMPLES]);

    // A LoadBalancer Service without an address yet: KIC publishes nothing until one is provisioned.
    await waitFor("Kong to hold the examples", () => kongNames(kong!).routes.length > 0);
    expect(await ingressAddresses(cluster, "shop", "shop")).toEqual([]);

    const patched = Date.now();
    await kubectlOk(cluster, [
      "patch",
      "service",
      "kong-proxy",
      "-n",
      "kong",
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"},{"hostname":"proxy.example.net"}]}}}',
    ]);
    const { ms } = await waitFor("shop/shop to get the load balancer's addresses", async () =>
      sameAddresses(await ingressAddresses(cluster, "shop", "shop"), [
        { ip: "203.0.113.7" },
        { hostname: "proxy.example.net" },
      ]),
    );
    report(
      `publish service: Ingress status follows the Service's load balancer in ${String(ms)} ms`,
    );
    expect(Date.now() - patched).toBeLessThan(10_000);

    await kubectlOk(cluster, [
      "patch",
      "service",
      "kong-proxy",
      "-n",
      "kong",
      "--type=merge",
      "-p",
      '{"spec":{"type":"ClusterIP"}}',
    ]);
    await waitFor("shop/shop to get the Service's cluster IP", async () =>
      sameAddresses(await ingressAddresses(cluster, "shop", "shop"), [
        { ip: service.spec.clusterIP },
      ]),
    );
  });
});

describe("incident a: readiness without any relevant object", () => {
  it.each([
    ["an empty watch namespace", false],
    ["a watch namespace holding only an unrelated Secret", true],
  ])("/readyz is 200 within 5 s of start with %s, every time", async (_what, withSecret) => {
    if (withSecret) {
      await kubectlOk(cluster, [
        "create",
        "secret",
        "generic",
        "unrelated",
        "-n",
        "quiet",
        "--from-literal=token=abc",
      ]);
    }
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const run = await start([
        "--watch-namespace=quiet",
        `--publish-status-address=${STATUS_ADDRESS}`,
      ]);
      await readyWithin(run, 5000);
      times.push(Date.now() - started);
      await stopAll();
    }
    report(`incident a (${_what}): ready after ${times.join(", ")} ms`);
    expect(Math.max(...times)).toBeLessThan(5000);
  });

  it("/readyz is 200 within 5 s in a cluster with no Ingress at all, all namespaces watched", async () => {
    const started = Date.now();
    const run = await start();
    await readyWithin(run, 5000);
    report(
      `incident a (all namespaces, no Ingress): ready after ${String(Date.now() - started)} ms`,
    );
    const body = JSON.parse((await run.get("/readyz")).body) as { reasons: string[] };
    expect(body.reasons).toEqual([]);
  });
});

const RESTART_MANIFEST = `${kongClassAndWebService("restart")}${["valid", "broken"]
  .map(
    name => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: restart }
spec:
  ingressClassName: kong
  rules:
    - host: ${name}.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`,
  )
  .join("")}`;

async function applyFailedEvent(name: string): Promise<boolean> {
  const events = await eventsFor(cluster, "restart", name);
  return events.some(e => e.type === "Warning" && e.reason === "KongConfigurationApplyFailed");
}

describe("incident c: a broken Ingress across a controller restart", () => {
  it("the valid Ingress gets its address, the broken one a Warning event and none, within 5 s", async () => {
    kong = await startKongEmulator();
    // Kong refuses every entity of the Ingress named `broken`, as it would an invalid plugin config.
    kong.inject({ kind: "rejectTagged", tag: "k8s-name:broken" });
    await apply(cluster, RESTART_MANIFEST);
    const first = await start();
    await waitFor("the first controller to publish the valid Ingress", async () =>
      sameAddresses(await ingressAddresses(cluster, "restart", "valid"), [{ ip: STATUS_ADDRESS }]),
    );
    await waitFor("the first controller's Warning event on the broken Ingress", () =>
      applyFailedEvent("broken"),
    );
    await first.stop();

    // Undo what the first process achieved, so the restarted one must do it all again; Kong keeps the
    // fallback config the first one pushed, and the restarted one's first push is rejected again.
    await kubectlOk(cluster, [
      ...["patch", "ingress", "valid", "-n", "restart", "--subresource=status", "--type=merge"],
      ...["-p", '{"status":{"loadBalancer":{"ingress":null}}}'],
    ]);
    await kubectlOk(cluster, ["delete", "events", "--all", "-n", "restart"]);
    expect(await ingressAddresses(cluster, "restart", "valid")).toEqual([]);

    const restarted = Date.now();
    await start();
    const addressed = waitFor(
      "the valid Ingress's address after the restart",
      async () =>
        sameAddresses(await ingressAddresses(cluster, "restart", "valid"), [
          { ip: STATUS_ADDRESS },
        ]),
      { timeoutMs: 5000 },
    ).then(() => Date.now() - restarted);
    const warned = waitFor(
      "a Warning event on the broken Ingress after the restart",
      () => applyFailedEvent("broken"),
      { timeoutMs: 5000 },
    ).then(() => Date.now() - restarted);
    const [addressMs, eventMs] = await Promise.all([addressed, warned]);
    report(
      `incident c: after the restart, valid Ingress addressed at ${String(addressMs)} ms, broken one's Warning event at ${String(eventMs)} ms`,
    );
    expect(Math.max(addressMs, eventMs)).toBeLessThan(5000);
    expect(await ingressAddresses(cluster, "restart", "broken")).toEqual([]);
    const warning = (await eventsFor(cluster, "restart", "broken")).find(
      e => e.reason === "KongConfigurationApplyFailed",
    );
    expect(warning?.message).toContain("route");
    expect(kongNames(kong).routes.some(r => r.includes("valid"))).toBe(true);
    expect(kongNames(kong).routes.some(r => r.includes("broken"))).toBe(false);
  });
});

describe("bad input never stops the loop", () => {
  const NS = "bad-input";
  const ingress = (name: string, service: string, annotations: Record<string, string> = {}) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: ${NS}
  annotations: ${JSON.stringify(annotations)}
spec:
  ingressClassName: kong
  rules:
    - host: ${name}.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: ${service}, port: { number: 80 } } } }
`;

  it("a dangling backend, invalid annotation values and a 250 KB annotation are reported, and a later change still reaches Kong", async () => {
    const run = await start();
    await apply(
      cluster,
      `${kongClassAndWebService(NS)}---
apiVersion: v1
kind: Service
metadata:
  name: odd
  namespace: ${NS}
  annotations: { konghq.com/read-timeout: "soon", konghq.com/protocol: "gopher" }
spec: { ports: [{ port: 80, targetPort: 8080 }] }
${ingress("dangling", "nowhere")}${ingress("bad-annotations", "web", {
        "konghq.com/protocols": "gopher",
        "konghq.com/strip-path": "maybe",
        "konghq.com/https-redirect-status-code": "999",
        "konghq.com/methods": "GET,FLY",
      })}${ingress("odd-service", "odd")}${ingress("fine", "web")}`,
    );

    // The API server caps the annotations of one object at 256 KiB in total, so a 2 MB value never
    // reaches a controller; the largest that does is just under that cap. `kubectl create` (not
    // apply) so that no last-applied copy doubles it.
    const tooLarge = await kubectl(cluster, ["create", "-f", "-"], {
      stdin: ingress("huge", "web", { "example.com/blob": "x".repeat(2 * 1024 * 1024) }),
    });
    expect(tooLarge.code).not.toBe(0);
    report(
      `bad input: a 2 MB annotation is refused by the API server: ${tooLarge.stderr.trim().slice(0, 160)}`,
    );
    await kubectlOk(cluster, ["create", "-f", "-"], {
      stdin: ingress("huge", "web", { "example.com/blob": "x".repeat(250 * 1000) }),
    });

    await waitFor("the Ingresses that still make sense to reach Kong", () => {
      const routes = kongNames(kong!).routes;
      return ["fine", "huge"].every(n => routes.some(r => r.includes(n)));
    });
    await waitFor("a Warning event on the dangling Ingress", async () =>
      (await eventsFor(cluster, NS, "dangling")).some(
        e => e.reason === "KongConfigurationTranslationFailed" && e.message.includes("nowhere"),
      ),
    );
    await waitFor("a Warning event on the Ingress with invalid annotations", async () =>
      (await eventsFor(cluster, NS, "bad-annotations")).some(
        e => e.reason === "KongConfigurationTranslationFailed",
      ),
    );

    const changed = Date.now();
    await apply(cluster, ingress("after", "web"));
    const { ms } = await waitFor("the Ingress applied afterwards to reach Kong", () =>
      kongNames(kong!).routes.some(r => r.includes("after")),
    );
    report(
      `bad input: a valid Ingress applied after the bad ones reached Kong in ${String(ms)} ms`,
    );
    expect(Date.now() - changed).toBeLessThan(10_000);
    expect((await run.get("/healthz")).status).toBe(200);
    expect((await run.get("/readyz")).status).toBe(200);
  });
});

interface Child {
  readonly exited: Promise<number | null>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  kill(signal: NodeJS.Signals): void;
}

function kongress(args: readonly string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
  const exited = new Promise<number | null>(resolve => child.on("close", resolve));
  return {
    exited,
    stdout: () => out,
    stderr: () => err,
    kill: signal => child.kill(signal),
  };
}

async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

describe("memory is given back while the controller is quiet", () => {
  const ingress = (name: string): string => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: idle }
spec:
  ingressClassName: kong
  rules:
    - host: ${name}.idle.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`;
  const inKong = (name: string): boolean =>
    kongNames(kong!).routes.some(r => r.startsWith(`idle.${name}.`));

  it("V8's memory saver is on after --idle-memory-release without a rebuild, and off for the next change, which reaches Kong", async () => {
    kong ??= await startKongEmulator();
    const switches: boolean[] = [];
    const run = await runController({
      cluster,
      kong,
      args: [`--publish-status-address=${STATUS_ADDRESS}`, "--idle-memory-release=1s"],
      memorySaver: on => switches.push(on),
    });
    running.push(run);
    await apply(cluster, `${kongClassAndWebService("idle")}${ingress("first")}`);
    await waitFor("the first Ingress in Kong", () => inKong("first"));
    await waitFor("the memory saver on, once quiet", () => switches.at(-1) === true);
    await apply(cluster, ingress("second"));
    await waitFor("the second Ingress in Kong", () => inKong("second"));
    // Off when the rebuild began, and on again only after another quiet second.
    expect(switches.slice(0, 2)).toEqual([true, false]);
  });
});

describe("bin/kongress.js run, as a process", () => {
  it("exits 2 and names every bad setting, from flags and from CONTROLLER_* variables", async () => {
    const child = kongress(["run", "--sync-holdoff=soon", "--log-level=loud", "--no-such-flag=1"], {
      CONTROLLER_KONG_ADMIN_URL: "ftp://kong:8001",
    });
    expect(await child.exited).toBe(2);
    for (const setting of [
      "--sync-holdoff",
      "--log-level",
      "--no-such-flag",
      "CONTROLLER_KONG_ADMIN_URL",
      "--update-status",
    ]) {
      expect(child.stderr()).toContain(setting);
    }
  });

  it("serves /healthz, /readyz and /metrics, logs one line per push, and exits 0 on SIGTERM", async () => {
    kong = await startKongEmulator();
    await kubectlOk(cluster, ["apply", "-f", EXAMPLES]);
    const [health, metrics] = [await freePort(), await freePort()];
    const started = Date.now();
    const child = kongress(
      [
        "run",
        `--kubeconfig=${cluster.kubeconfigPath}`,
        `--health-probe-bind-address=127.0.0.1:${String(health)}`,
        `--metrics-bind-address=127.0.0.1:${String(metrics)}`,
        "--log-format=json",
      ],
      {
        CONTROLLER_KONG_ADMIN_URL: kong.url,
        CONTROLLER_PUBLISH_STATUS_ADDRESS: STATUS_ADDRESS,
        CONTROLLER_PROXY_SYNC_SECONDS: "0",
        POD_NAMESPACE: "default",
      },
    );
    try {
      await waitFor(
        "/healthz 200",
        async () => (await httpGet(`http://127.0.0.1:${String(health)}/healthz`)).status === 200,
        { timeoutMs: 15_000, intervalMs: 50 },
      );
      const ready = await waitFor(
        "/readyz 200",
        async () => (await httpGet(`http://127.0.0.1:${String(health)}/readyz`)).status === 200,
        { timeoutMs: 15_000, intervalMs: 50 },
      );
      report(
        `bin run: ready ${String(Date.now() - started)} ms after spawn (${String(ready.ms)} ms after /healthz)`,
      );
      const scraped = await httpGet(`http://127.0.0.1:${String(metrics)}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.body).toMatch(
        /ingress_controller_configuration_push_count\{[^}]*success="true"/,
      );
      expect(scraped.body).toContain("kongress_watch_synced");
      expect(scraped.body).toMatch(/^process_resident_memory_bytes\{?[^\n]* \d+/m);
      expect(scraped.body).toContain("nodejs_eventloop_lag_seconds");
      expect((await httpGet(`http://127.0.0.1:${String(metrics)}/healthz`)).status).toBe(404);
      await waitFor("shop/shop to get its address", async () =>
        sameAddresses(await ingressAddresses(cluster, "shop", "shop"), [{ ip: STATUS_ADDRESS }]),
      );
    } finally {
      const signalled = Date.now();
      child.kill("SIGTERM");
      const code = await child.exited;
      report(`bin run: exited ${String(code)} ${String(Date.now() - signalled)} ms after SIGTERM`);
      expect(code).toBe(0);
    }
    const pushes = child
      .stdout()
      .split("\n")
      .filter(line => line.includes('"Pushed config to Kong"'))
      .map(line => JSON.parse(line) as Record<string, unknown>);
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes[0]).toMatchObject({ component: "push", dataplane: kong.url, outcome: "applied" });
    expect(Object.keys(pushes[0] ?? {})).toEqual(
      expect.arrayContaining(["configHash", "sizeBytes", "durationMs", "fallback"]),
    );
  });
});
