/**
 * Controllers run the way users run them: `bin/kongress.js run` as a child process, configured by flags
 * only, probed over HTTP. Every child still running when the test process exits is killed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "../support/free-port.ts";
import type { KongEmulator } from "../support/kong-emulator/index.ts";
import type { KubeCluster } from "../support/kube/cluster.ts";
import { waitFor } from "../support/wait.ts";
import { STATUS_ADDRESS } from "./harness.ts";

const BIN = fileURLToPath(new URL("../../bin/kongress.js", import.meta.url));
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export interface SpawnOptions {
  readonly cluster: KubeCluster;
  /** Its Kong (`--kong-admin-url`); unset when `args` say where the Kongs are (`--kong-admin-svc`). */
  readonly kong?: KongEmulator;
  /** Reach the API server here (a TCP proxy the test cuts) instead of directly. */
  readonly apiserverHost?: string;
  /** More flags, after the defaults (so they win). */
  readonly args?: readonly string[];
}

export interface SpawnedController {
  readonly pid: number;
  /** GET on the probe server (`/healthz`, `/readyz`); rejects after `timeoutMs` (default 5 s). */
  get(
    path: string,
    opts?: { readonly timeoutMs?: number },
  ): Promise<{ status: number; body: string }>;
  /** GET on the metrics server. */
  metrics(): Promise<string>;
  /** The exit code (null when killed by a signal); pending while it runs. */
  readonly exited: Promise<number | null>;
  running(): boolean;
  /** Its JSON log lines so far, parsed. */
  logs(): Record<string, unknown>[];
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.on("exit", () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) c.kill("SIGKILL");
  });
}

async function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

/** Spawns `bin/kongress.js run` and resolves once its /healthz answers. */
export async function spawnController(opts: SpawnOptions): Promise<SpawnedController> {
  const [health, metrics] = [await freePort(), await freePort()];
  const args = [
    BIN,
    "run",
    `--kubeconfig=${opts.cluster.kubeconfigPath}`,
    ...(opts.kong === undefined ? [] : [`--kong-admin-url=${opts.kong.url}`]),
    `--health-probe-bind-address=127.0.0.1:${String(health)}`,
    `--metrics-bind-address=127.0.0.1:${String(metrics)}`,
    `--publish-status-address=${STATUS_ADDRESS}`,
    // Outside a pod the Lease's namespace must be named.
    "--election-namespace=default",
    // The tests read the logs line by line as JSON (the default is KIC's text).
    "--log-format=json",
    ...(opts.apiserverHost === undefined ? [] : [`--apiserver-host=${opts.apiserverHost}`]),
    ...(opts.args ?? []),
  ];
  // Only what the controller needs from the environment: no CONTROLLER_* of the test run leaks in.
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  killOnExit(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
  let done = false;
  const exited = new Promise<number | null>(resolve =>
    child.on("exit", code => {
      done = true;
      resolve(code);
    }),
  );
  const base = `http://127.0.0.1:${String(health)}`;
  const spawned: SpawnedController = {
    pid: child.pid ?? -1,
    get: (path, opts) => httpGet(`${base}${path}`, opts?.timeoutMs),
    metrics: async () => (await httpGet(`http://127.0.0.1:${String(metrics)}/metrics`)).body,
    exited,
    running: () => !done,
    logs: () =>
      out
        .split("\n")
        .filter(line => line.startsWith("{"))
        .map(line => JSON.parse(line) as Record<string, unknown>),
    stop: async () => {
      if (!done) child.kill("SIGTERM");
      return exited;
    },
  };
  try {
    await waitFor(
      "the controller's /healthz",
      async () => {
        if (done) throw new Error(`exited early: ${err.slice(-2000)}`);
        return (await spawned.get("/healthz")).status === 200;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
  } catch (e) {
    await spawned.stop();
    throw e;
  }
  return spawned;
}

/** Sum of a counter over all its label sets in a Prometheus text exposition. */
export function counterTotal(exposition: string, name: string): number {
  let total = 0;
  for (const line of exposition.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest.startsWith("{") || rest.startsWith(" ")) total += Number(line.split(" ").at(-1));
  }
  return total;
}
