/**
 * Starting and stopping the controller the ways README documents, seen from outside: `npx kongress
 * run` and `node bin/kongress.js run`, stopped with SIGTERM sent to the process the user started (as
 * `kill` or a supervisor does) or to its process group, or with SIGINT sent to its process group (as
 * Ctrl-C in a terminal does), once it is ready or in the middle of its start-up, stop cleanly, leave
 * no process behind and free the ports. And `node bin/kongress.js` on the machine's own Node either
 * works or says at once what it needs.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.ts";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { waitFor } from "../support/wait.ts";
import { CLUSTER_START_TIMEOUT_MS, report, STATUS_ADDRESS } from "./harness.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kongress.js");

/** The ways README runs the controller from a clone. */
const WAYS = [
  { way: "npx kongress run", command: "npx", args: ["kongress", "run"] },
  { way: "node bin/kongress.js run", command: process.execPath, args: [BIN, "run"] },
] as const;
/**
 * How the stop arrives. A SIGINT sent to npm alone is not among them: npm hands it to its `sh -c`,
 * which ignores it while it waits, so nothing below npm ever learns of it.
 */
const STOPS = [
  { signal: "SIGTERM", to: "the process" },
  { signal: "SIGTERM", to: "its process group" },
  { signal: "SIGINT", to: "its process group" },
] as const;

/**
 * When the stop arrives: once the controller runs, as users usually stop it, or in the middle of its
 * start-up (its first lists, the election and the first writes in flight on a fresh HTTP/2 session to
 * the API server), as a rollout or a Ctrl-C right after starting does.
 */
const MOMENTS = ["once ready", "as it logs Controller started", "at /healthz 200"] as const;
type Moment = (typeof MOMENTS)[number];

/** pid → parent pid and state, for every process (Linux /proc). */
function processTable(): Map<number, { ppid: number; state: string }> {
  const table = new Map<number, { ppid: number; state: string }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(Number(entry), { ppid: Number(ppid), state: state ?? "" });
    } catch {
      // Gone between readdir and read.
    }
  }
  return table;
}

function descendants(root: number): number[] {
  const table = processTable();
  const found: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const [child, info] of table) {
      if (info.ppid === pid) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Running: present and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  const info = processTable().get(pid);
  return info !== undefined && info.state !== "Z";
}

/** This process's user+system CPU ticks and each thread's state (/proc): spinning, or waiting? */
function cpuAndThreads(pid: number): string {
  try {
    const fields = (path: string): string[] => {
      const stat = readFileSync(path, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    };
    const whole = fields(`/proc/${String(pid)}/stat`);
    const threads = readdirSync(`/proc/${String(pid)}/task`).map(t => {
      const comm = readFileSync(`/proc/${String(pid)}/task/${t}/comm`, "utf8").trim();
      return `${comm}:${fields(`/proc/${String(pid)}/task/${t}/stat`)[0] ?? "?"}`;
    });
    return `cpu ticks ${String(Number(whole[11]) + Number(whole[12]))}, threads ${threads.join(" ")}`;
  } catch {
    return "gone";
  }
}

/**
 * What is left of a run that did not end, for the failure message: each live process's command line,
 * and its CPU ticks read twice a second apart (rising: a busy main thread; flat: waiting on something).
 */
async function leftBehind(pids: readonly number[]): Promise<string> {
  const live = pids.filter(pid => alive(pid));
  const first = live.map(cpuAndThreads);
  await new Promise(resolve => setTimeout(resolve, 1_000));
  return live
    .map((pid, i) => {
      let command = "?";
      try {
        command = readFileSync(`/proc/${String(pid)}/cmdline`, "utf8").replaceAll("\0", " ");
      } catch {
        // Gone meanwhile.
      }
      return `left running: ${String(pid)} ${command}\n  ${first[i] ?? ""}\n  ${cpuAndThreads(pid)}`;
    })
    .join("\n");
}

function portOpen(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

/** Waits for the moment the stop is to be sent. */
async function reached(
  when: Moment,
  run: { readonly health: number; readonly log: () => string },
): Promise<void> {
  const opts = { timeoutMs: 60_000, intervalMs: 5 };
  const probe = async (path: string): Promise<boolean> => {
    try {
      return (await fetch(`http://127.0.0.1:${String(run.health)}${path}`)).status === 200;
    } catch {
      return false;
    }
  };
  if (when === "once ready") await waitFor("/readyz 200", () => probe("/readyz"), opts);
  else if (when === "at /healthz 200") await waitFor("/healthz 200", () => probe("/healthz"), opts);
  else
    await waitFor(
      "the log line Controller started",
      () => run.log().includes("Controller started"),
      opts,
    );
}

let cluster: KubeCluster;
let kong: KongEmulator;
/** Every process a test started, killed by pid if a test left it running. */
const started: number[] = [];

beforeAll(async () => {
  cluster = await startKubeCluster();
  kong = await startKongEmulator();
}, CLUSTER_START_TIMEOUT_MS);

afterEach(() => {
  for (const pid of started.splice(0)) {
    if (!alive(pid)) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

afterAll(async () => {
  await kong.stop();
  await cluster.stop();
});

describe("the controller stops cleanly, the ways users run it", () => {
  const cases = MOMENTS.flatMap(when =>
    WAYS.flatMap(w => STOPS.map(stop => ({ ...w, ...stop, when }))),
  );

  it.each(cases)(
    "$way, $signal to $to, $when",
    async ({ way, command, args, signal, to, when }) => {
      const [health, metrics] = [await freePort(), await freePort()];
      const child = spawn(
        command,
        [
          ...args,
          `--kubeconfig=${cluster.kubeconfigPath}`,
          `--kong-admin-url=${kong.url}`,
          `--publish-status-address=${STATUS_ADDRESS}`,
          "--election-namespace=default",
          `--health-probe-bind-address=127.0.0.1:${String(health)}`,
          `--metrics-bind-address=127.0.0.1:${String(metrics)}`,
          "--log-format=text",
        ],
        // Its own process group: the signal goes to the one process the user started, nothing else.
        { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] },
      );
      if (child.pid === undefined) throw new Error(`${way} did not start`);
      started.push(child.pid);
      let log = "";
      child.stdout.on("data", (b: Buffer) => (log += b.toString("utf8")));
      child.stderr.on("data", (b: Buffer) => (log += b.toString("utf8")));
      let exitCode: number | null | undefined;
      child.once("exit", code => (exitCode = code));

      await reached(when, { health, log: () => log }).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${log}`);
      });
      const tree = descendants(child.pid);
      started.push(...tree);
      const signalled = Date.now();
      process.kill(to === "the process" ? child.pid : -child.pid, signal);
      // The CLI exits within its 15 s stop grace whatever the controller waits for, and its stop
      // watchdog ends the process 5 s later if its main thread is stuck.
      const exited = await waitFor(
        "the started process's exit",
        () => (exitCode === undefined ? undefined : [exitCode]),
        { timeoutMs: 30_000, intervalMs: 50 },
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${log}`);
      });
      const [code] = exited.value;
      const gone = await waitFor(
        "every process of the run gone and its ports free",
        async () =>
          [child.pid!, ...tree].every(pid => !alive(pid)) &&
          !(await portOpen(health)) &&
          !(await portOpen(metrics)),
        { timeoutMs: 15_000, intervalMs: 50 },
      ).catch(async (err: unknown) => {
        throw new Error(`${String(err)}\n${await leftBehind([child.pid!, ...tree])}\n${log}`);
      });
      report(
        `${way}: ${signal} to ${to} ${when} → exit ${String(code)}, ${String(tree.length + 1)} processes gone and ports free ${String(Date.now() - signalled)} ms after the signal (${String(gone.ms)} ms after the first exit)`,
      );
      // The controller stopped itself (not killed): it logged its clean stop.
      await waitFor("the controller's last log line", () => log.includes("Stopped"));
      if (command === process.execPath) expect(code, log).toBe(0);
      // Start (≤ 60 s on a loaded machine), exit (≤ 30 s), then the checks after it.
    },
    120_000,
  );
});
