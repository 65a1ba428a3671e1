/**
 * `npm run playground` (or `npx kongress playground` from a clone): kongress doing its real job on this
 * machine, with no cluster and no Kong. Starts a real kube-apiserver and etcd (built from the Go
 * modules and cached, as the tests do), the Gateway API CRDs, a Kong Admin API emulator and
 * `bin/kongress.js run`; applies examples/; prints what Kong holds, the Ingress, Gateway and HTTPRoute
 * statuses and a kubeconfig to try your own manifests with, then reports every config Kong gets.
 * Ctrl-C stops everything and removes what it made.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments } from "yaml";
import { freePort } from "../support/free-port.ts";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { resolveKubeBinaries } from "../support/kube/binaries.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { installGatewayApiCrds } from "../support/kube/crds.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { waitFor } from "../support/wait.ts";

const REPO = join(import.meta.dirname, "..", "..");
const EXAMPLES = join(REPO, "examples");
/** The address the playground publishes on Ingress and Gateway status: where "Kong" listens. */
const PUBLISHED_ADDRESS = "127.0.0.1";
/** Printed once everything is up (the playground test waits for it). */
export const READY_LINE = "playground: ready. Ctrl-C stops everything and removes what it made.";

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

interface Running {
  cluster?: KubeCluster;
  kong?: KongEmulator;
  controller?: ChildProcess;
  controllerExited?: Promise<unknown>;
}

/** Runs `work` with a line every 15 s while it lasts, so a cold build never looks hung. */
async function withProgress<T>(what: string, work: Promise<T>): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => {
    say(`playground: ${what}… ${String(Math.round((Date.now() - started) / 1000))} s`);
  }, 15_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

function exampleNamespaces(): string[] {
  const namespaces = new Set<string>();
  for (const file of readdirSync(EXAMPLES)) {
    const text = readFileSync(join(EXAMPLES, file), "utf8");
    const docs = file.endsWith(".json")
      ? ((JSON.parse(text) as { items?: unknown[] }).items ?? [])
      : parseAllDocuments(text).map(d => d.toJS() as unknown);
    for (const doc of docs) {
      const ns = (doc as { metadata?: { namespace?: string } } | null)?.metadata?.namespace;
      if (ns !== undefined) namespaces.add(ns);
    }
  }
  return [...namespaces].sort();
}

async function startController(run: Running, cluster: KubeCluster, kong: KongEmulator) {
  const health = await freePort();
  const log = join(cluster.dir, "kongress.log");
  const fd = openSync(log, "a");
  const child = spawn(
    process.execPath,
    [
      join(REPO, "bin", "kongress.js"),
      "run",
      `--kubeconfig=${cluster.kubeconfigPath}`,
      `--kong-admin-url=${kong.url}`,
      `--health-probe-bind-address=127.0.0.1:${String(health)}`,
      `--metrics-bind-address=127.0.0.1:${String(await freePort())}`,
      `--publish-status-address=${PUBLISHED_ADDRESS}`,
      "--election-namespace=default",
      "--log-format=text",
    ],
    {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "" },
      stdio: ["ignore", fd, fd],
    },
  );
  closeSync(fd);
  run.controller = child;
  run.controllerExited = new Promise(resolve => child.once("exit", resolve));
  return { health, log };
}

interface KongConfig {
  readonly services?: readonly {
    readonly name: string;
    readonly host?: string;
    readonly port?: number;
    readonly routes?: readonly {
      readonly name: string;
      readonly hosts?: readonly string[];
      readonly paths?: readonly string[];
    }[];
  }[];
  readonly certificates?: readonly { readonly snis?: readonly { readonly name: string }[] }[];
}

function routeLines(config: KongConfig | null): string[] {
  return (config?.services ?? []).flatMap(s =>
    (s.routes ?? []).map(
      r =>
        `${r.name}  ${(r.hosts ?? ["*"]).join(",")}${(r.paths ?? ["/"]).join(",")} -> ${s.host ?? "?"}:${String(s.port ?? "")}`,
    ),
  );
}

interface Listed {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly status?: {
    readonly loadBalancer?: { readonly ingress?: readonly { readonly ip?: string }[] };
    readonly conditions?: readonly { readonly type: string; readonly status: string }[];
    readonly parents?: readonly {
      readonly conditions?: readonly { readonly type: string; readonly status: string }[];
    }[];
  };
}

function conditions(list: readonly { type: string; status: string }[] | undefined): string {
  return (list ?? []).map(c => `${c.type}=${c.status}`).join(" ") || "(none yet)";
}

async function statusLines(cluster: KubeCluster): Promise<string[]> {
  const out = await kubectlOk(cluster, [
    "get",
    "ingresses,gateways,httproutes",
    "-A",
    "-o",
    "json",
  ]);
  return (JSON.parse(out) as { items: Listed[] }).items.map(o => {
    const name = `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    if (o.kind === "Ingress") {
      const ips = (o.status?.loadBalancer?.ingress ?? []).map(i => i.ip ?? "").join(",");
      return `${name}: loadBalancer ${ips === "" ? "(none yet)" : ips}`;
    }
    if (o.kind === "HTTPRoute") return `${name}: ${conditions(o.status?.parents?.[0]?.conditions)}`;
    return `${name}: ${conditions(o.status?.conditions)}`;
  });
}

async function summary(cluster: KubeCluster, kong: KongEmulator, log: string): Promise<void> {
  const config = kong.currentConfig() as KongConfig | null;
  const routes = routeLines(config);
  say("");
  say(
    `Kong now holds ${String(config?.services?.length ?? 0)} services, ${String(routes.length)} routes, ${String(config?.certificates?.length ?? 0)} certificates:`,
  );
  for (const line of routes) say(`  ${line}`);
  say("");
  say("Statuses written by kongress:");
  for (const line of await statusLines(cluster)) say(`  ${line}`);
  say("");
  say('Try your own manifests; they reach "Kong" live:');
  say(`  export KUBECONFIG=${cluster.kubeconfigPath}`);
  say("  kubectl apply -f my-ingress.yaml && kubectl get ingress -A -w");
  say(`  curl -s ${kong.url}/config       # what Kong holds (its Admin API, emulated)`);
  say(`  controller log: ${log}`);
  say("");
  say(READY_LINE);
}

/** Prints what changed in Kong's routes whenever it gets a new config. */
async function followKong(kong: KongEmulator, stop: AbortSignal): Promise<void> {
  let hash = kong.configHash();
  let routes = new Set(routeLines(kong.currentConfig() as KongConfig | null));
  while (!stop.aborted) {
    await sleep(300);
    if (kong.configHash() === hash) continue;
    hash = kong.configHash();
    const next = new Set(routeLines(kong.currentConfig() as KongConfig | null));
    const added = [...next].filter(r => !routes.has(r));
    const removed = [...routes].filter(r => !next.has(r));
    say(`Kong got a new config (${String(next.size)} routes):`);
    for (const r of added) say(`  + ${r}`);
    for (const r of removed) say(`  - ${r}`);
    routes = next;
  }
}

async function stopAll(run: Running): Promise<void> {
  if (run.controller !== undefined && run.controller.exitCode === null) {
    run.controller.kill("SIGTERM");
    await Promise.race([run.controllerExited, sleep(10_000)]);
    run.controller.kill("SIGKILL");
  }
  await run.kong?.stop();
  // Stops etcd and kube-apiserver and removes their directory (PKI, data, kubeconfig, logs).
  await run.cluster?.stop();
}

async function main(): Promise<void> {
  const run: Running = {};
  const stop = new AbortController();
  let stopping: Promise<void> | undefined;
  const shutdown = (): void => {
    stopping ??= (async () => {
      say("\nplayground: stopping…");
      stop.abort();
      await stopAll(run);
      say(`playground: stopped; removed ${run.cluster?.dir ?? "nothing"}`);
      process.exit(0);
    })();
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  try {
    say(
      "playground: kube-apiserver and etcd (the first run builds them from the Go modules: 5-8 min, then cached)",
    );
    await withProgress(
      "building kube-apiserver and etcd",
      resolveKubeBinaries(line => {
        say(`  ${line}`);
      }),
    );
    run.cluster = await startKubeCluster({
      log: line => {
        say(`  ${line}`);
      },
    });
    const cluster = run.cluster;
    say("playground: installing the Gateway API CRDs");
    await withProgress(
      "installing the Gateway API CRDs",
      installGatewayApiCrds(cluster.kubeconfigPath),
    );
    run.kong = await startKongEmulator({
      proxyListeners: [{ port: 80 }, { port: 443, ssl: true, http2: true }],
    });
    const kong = run.kong;
    say(`playground: Kong Admin API emulator at ${kong.url}`);
    const { health, log } = await startController(run, cluster, kong);
    for (const ns of exampleNamespaces()) await kubectlOk(cluster, ["create", "namespace", ns]);
    await kubectlOk(cluster, ["apply", "-f", EXAMPLES]);
    say("playground: applied examples/; waiting for kongress to configure Kong");
    await waitFor(
      "kongress Ready",
      async () => (await fetch(`http://127.0.0.1:${String(health)}/readyz`)).status === 200,
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    await waitFor(
      "Ingress statuses",
      async () => (await statusLines(cluster)).filter(l => l.includes("(none yet)")).length === 0,
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch(() => undefined);
    await summary(cluster, kong, log);
    await followKong(kong, stop.signal);
  } catch (err) {
    process.stderr.write(`playground: ${err instanceof Error ? err.message : String(err)}\n`);
    stop.abort();
    await stopAll(run);
    process.exit(1);
  }
}

// Imported by its test for READY_LINE; runs only as the program.
if (import.meta.main) await main();
