/**
 * `bin/kongress.js run` as a child process, observed from outside only: flags in, and out its log file,
 * /proc/<pid> (memory, CPU ticks) and its /metrics endpoint.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../support/free-port.ts";

const BIN = join(import.meta.dirname, "..", "..", "..", "bin", "kongress.js");
const STOP_GRACE_MS = 15_000;
const SCRAPE_TIMEOUT_MS = 5_000;

/** Epoch milliseconds with sub-millisecond precision, comparable with the Kong stand-in's. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** Memory and CPU of a process, read from /proc. */
export interface ProcSample {
  readonly atMs: number;
  readonly rssKiB: number;
  /** Peak RSS so far (VmHWM). */
  readonly hwmKiB: number;
  /** utime + stime, in seconds. */
  readonly cpuSeconds: number;
}

export interface MetricSample {
  readonly name: string;
  readonly labels: string;
  readonly value: number;
}

export interface ControllerProcess {
  readonly pid: number;
  /** Where /healthz and /readyz are served, and where /metrics is. */
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly spawnedMs: number;
  readonly logPath: string;
  readonly args: readonly string[];
  /** Resolves how the process ended. */
  readonly exited: Promise<string>;
  /** Undefined once the process has exited. */
  sample(): ProcSample | undefined;
  /** The parsed /metrics page, or undefined when it cannot be read. */
  metrics(): Promise<MetricSample[] | undefined>;
  /** Why the process ended, or undefined while it runs. */
  exitReason(): string | undefined;
  /** SIGTERM, then SIGKILL after a grace period; resolves how it ended. */
  stop(): Promise<string>;
  /** Sends `signal` and returns at once (`exited` tells how it ended). */
  kill(signal: NodeJS.Signals): void;
}

export interface StartControllerOptions {
  readonly kubeconfigPath: string;
  readonly kongUrl: string;
  readonly statusAddress: string;
  readonly logDir: string;
  /** Names the log file. */
  readonly label: string;
  readonly extraArgs: readonly string[];
  /** The `bin/kongress.js` to run (default: the checkout's). */
  readonly bin?: string;
  /** Options for Node itself, before the script (the image's, test/support/image-layout.ts). */
  readonly nodeOptions?: readonly string[];
  /** Added to (or replacing) the child's environment, e.g. its own POD_NAME. */
  readonly env?: Readonly<Record<string, string>>;
}

let clockTicks: number | undefined;
let pdeathsig: boolean | undefined;
const live = new Set<ChildProcess>();

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Whether `setpriv --pdeathsig` works here: then a killed benchmark cannot leave a controller behind. */
function canSetPdeathsig(): boolean {
  if (pdeathsig === undefined) {
    try {
      execFileSync("setpriv", ["--pdeathsig", "KILL", "--", "true"], { stdio: "ignore" });
      pdeathsig = true;
    } catch {
      pdeathsig = false;
    }
    process.on("exit", () => {
      for (const child of live) child.kill("SIGKILL");
    });
  }
  return pdeathsig;
}

/** Reads VmRSS, VmHWM and utime+stime of `pid`; undefined when the process is gone. */
export function sampleProc(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const kib = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return {
      atMs: nowMs(),
      rssKiB: kib("VmRSS"),
      hwmKiB: kib("VmHWM"),
      cpuSeconds: ticks / ticksPerSecond(),
    };
  } catch {
    return undefined;
  }
}

/** Parses Prometheus text exposition into samples (comments and malformed lines skipped). */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const value = Number(match[3]);
    if (!Number.isNaN(value)) samples.push({ name: match[1]!, labels: match[2] ?? "", value });
  }
  return samples;
}

/** Sum of every series of `name` whose labels contain `labelPart`; undefined when none exists. */
export function metricSum(
  samples: readonly MetricSample[] | undefined,
  name: string,
  labelPart = "",
): number | undefined {
  const matching = (samples ?? []).filter(s => s.name === name && s.labels.includes(labelPart));
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
}

function childEnv(): NodeJS.ProcessEnv {
  // The controller reads CONTROLLER_* settings: the benchmark's flags must be the only ones. npm's
  // variables go too: a controller that sees them believes npm started it and checks four times a
  // second whether its parent is gone (src/cli/run-command.ts), which a Pod's controller never does.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith("CONTROLLER_") && !key.startsWith("npm_"),
    ),
  );
  return { ...env, POD_NAME: "kongress-bench", POD_NAMESPACE: "default" };
}

/** Settles like `work`, or rejects if the controller exits first (a crash must not look like a timeout). */
export function whileRunning<T>(controller: ControllerProcess, work: Promise<T>): Promise<T> {
  const crashed = controller.exited.then(reason => {
    throw new Error(`the controller exited (${reason}); its log: ${controller.logPath}`);
  });
  // Stopped on purpose later, the same rejection must not surface as an unhandled one.
  crashed.catch(() => undefined);
  return Promise.race([work, crashed]);
}

/** Spawns the controller with the Node that runs the benchmark. */
export async function startControllerProcess(
  opts: StartControllerOptions,
): Promise<ControllerProcess> {
  const metricsPort = await freePort();
  const healthPort = await freePort();
  const args = [
    `--kubeconfig=${opts.kubeconfigPath}`,
    `--kong-admin-url=${opts.kongUrl}`,
    `--publish-status-address=${opts.statusAddress}`,
    `--metrics-bind-address=127.0.0.1:${metricsPort}`,
    `--health-probe-bind-address=127.0.0.1:${healthPort}`,
    // Readers of the log file parse it as JSON lines (the default is KIC's text).
    "--log-format=json",
    ...opts.extraArgs,
  ];
  const logPath = join(opts.logDir, `controller-${opts.label}.log`);
  const fd = openSync(logPath, "a");
  const argv = [...(opts.nodeOptions ?? []), opts.bin ?? BIN, "run", ...args];
  const [file, fileArgs] = canSetPdeathsig()
    ? ["setpriv", ["--pdeathsig", "KILL", "--", process.execPath, ...argv]]
    : [process.execPath, argv];
  const spawnedMs = nowMs();
  let child: ChildProcess;
  try {
    child = spawn(file, fileArgs, {
      stdio: ["ignore", fd, fd],
      env: { ...childEnv(), ...opts.env },
    });
  } finally {
    closeSync(fd);
  }
  live.add(child);
  let exit: string | undefined;
  const done = new Promise<string>(resolve => {
    child.once("error", err => {
      resolve(`failed to start: ${err.message}`);
    });
    child.once("exit", (code, signal) => {
      resolve(signal === null ? `exit code ${String(code)}` : `signal ${signal}`);
    });
  }).then(reason => {
    exit = reason;
    live.delete(child);
    return reason;
  });
  const pid = child.pid ?? -1;
  return {
    pid,
    healthPort,
    metricsPort,
    spawnedMs,
    logPath,
    args,
    exited: done,
    sample: () => (exit === undefined ? sampleProc(pid) : undefined),
    metrics: async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
          signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
        });
        return res.ok ? parseMetrics(await res.text()) : undefined;
      } catch {
        return undefined;
      }
    },
    exitReason: () => exit,
    kill: signal => {
      if (exit === undefined) child.kill(signal);
    },
    stop: async () => {
      if (exit !== undefined) return exit;
      child.kill("SIGTERM");
      const graceful = await Promise.race([done.then(() => true), sleep(STOP_GRACE_MS, false)]);
      if (!graceful) child.kill("SIGKILL");
      return done;
    },
  };
}
