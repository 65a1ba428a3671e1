import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, rmSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../free-port.ts";
import { resolveKubeBinaries, stderrLog, type LogFn } from "./binaries.ts";
import { generateClusterPki, type ClusterPki } from "./certs.ts";
import { runCommand } from "./run.ts";

/** A running etcd + kube-apiserver pair on 127.0.0.1, owned by this process. */
export interface KubeCluster {
  /** Kubeconfig for user "admin" (group system:masters), with embedded client-cert credentials. */
  readonly kubeconfigPath: string;
  /** e.g. https://127.0.0.1:41234 */
  readonly server: string;
  /** Temp dir holding PKI, etcd data, logs (etcd.log, kube-apiserver.log) and the kubeconfig. */
  readonly dir: string;
  /** Stops both processes and removes `dir`. Safe to call more than once. */
  stop(): Promise<void>;
  /** Stops only kube-apiserver, simulating an API-server outage. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port and waits until it is ready. */
  startApiServer(): Promise<void>;
}

export interface StartKubeClusterOptions {
  readonly log?: LogFn;
  readonly readyTimeoutMs?: number;
}

/** A child process launched by {@link launch}, logging to `logPath`. */
export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logPath: string;
  /** Resolves with a description of how the process ended. */
  readonly done: Promise<string>;
  ended: boolean;
}

interface ClientTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

const stopGraceMs = 5_000;
const portAttempts = 3;

// Every child still running when this process exits is killed (and its temp dir removed): an 'exit'
// handler covers normal exits and uncaught exceptions, and setpriv's parent-death signal covers
// signals, including SIGKILL of the parent.
const live = new Set<Proc>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
let pdeathsigWorks: Promise<boolean> | undefined;

/** Starts etcd and kube-apiserver with fresh PKI in a temp dir, and waits until both are ready. */
export async function startKubeCluster(opts: StartKubeClusterOptions = {}): Promise<KubeCluster> {
  const log = opts.log ?? stderrLog;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const bins = await resolveKubeBinaries(log);
  const dir = await mkdtemp(join(tmpdir(), "kongress-kube-"));
  liveDirs.add(dir);
  installExitHook();
  let etcd: Proc | undefined;
  let apiserver: Proc | undefined;
  try {
    const pki = await generateClusterPki(dir);
    const etcdStarted = await startEtcd(bins.etcd, dir, readyTimeoutMs);
    etcd = etcdStarted.proc;
    log(`kube: etcd ready at ${etcdStarted.url}`);
    const tls: ClientTls = {
      ca: await readFile(pki.caCert),
      cert: await readFile(pki.adminCert),
      key: await readFile(pki.adminKey),
    };
    const launchApiserver = async (port: number): Promise<Proc> => {
      const proc = await launch(
        "kube-apiserver",
        bins.apiserver,
        apiserverArgs(port, etcdStarted.url, pki, dir),
        dir,
      );
      await waitReady(proc, readyTimeoutMs, () => apiserverProbe(port, tls));
      return proc;
    };
    const started = await withFreePort(launchApiserver);
    apiserver = started.proc;
    const port = started.port;
    const server = `https://127.0.0.1:${port}`;
    log(`kube: kube-apiserver ${bins.version} ready at ${server} (dir ${dir})`);
    const kubeconfigPath = join(dir, "kubeconfig");
    await writeFile(kubeconfigPath, kubeconfigYaml(server, tls), { mode: 0o600 });

    let stopping: Promise<void> | undefined;
    const etcdProc = etcd;
    return {
      kubeconfigPath,
      server,
      dir,
      stopApiServer: async () => {
        if (apiserver !== undefined) await stopProc(apiserver);
      },
      startApiServer: async () => {
        if (apiserver !== undefined && !apiserver.ended) return;
        apiserver = await launchApiserver(port);
      },
      stop: () => {
        stopping ??= (async () => {
          if (apiserver !== undefined) await stopProc(apiserver);
          await stopProc(etcdProc);
          await rm(dir, { recursive: true, force: true });
          liveDirs.delete(dir);
        })();
        return stopping;
      },
    };
  } catch (err) {
    if (apiserver !== undefined) await stopProc(apiserver);
    if (etcd !== undefined) await stopProc(etcd);
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
    throw err;
  }
}

async function startEtcd(
  bin: string,
  dir: string,
  readyTimeoutMs: number,
): Promise<{ proc: Proc; url: string }> {
  const help = await runCommand(bin, ["--help"], { timeoutMs: 10_000 });
  // Durability is pointless for a throwaway cluster, and fsync dominates etcd latency on CI disks.
  const noFsync = `${help.stdout}${help.stderr}`.includes("--unsafe-no-fsync");
  let attempt = 0;
  const { proc, port } = await withFreePort(async clientPort => {
    attempt += 1;
    const url = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const args = [
      "--name=kongress",
      // A failed attempt may have bootstrapped its data dir with other peer URLs.
      `--data-dir=${join(dir, `etcd-data-${attempt}`)}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=kongress=${peerUrl}`,
      ...(noFsync ? ["--unsafe-no-fsync=true"] : []),
    ];
    const etcd = await launch("etcd", bin, args, dir);
    await waitReady(etcd, readyTimeoutMs, () => etcdProbe(url));
    return etcd;
  });
  return { proc, url: `http://127.0.0.1:${port}` };
}

function apiserverArgs(port: number, etcdUrl: string, pki: ClusterPki, dir: string): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${port}`,
    `--cert-dir=${dir}`,
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    "--authorization-mode=RBAC",
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    "--service-cluster-ip-range=10.96.0.0/16",
    // No controller-manager mints ServiceAccounts, so this plugin would reject every Pod. The
    // other defaults (e.g. DefaultIngressClass) stay on: the controller should see real defaulting.
    "--disable-admission-plugins=ServiceAccount",
    "--allow-privileged=true",
    // Endpoints validation rejects loopback IPs, so the default reconciler would log errors forever.
    "--endpoint-reconciler-type=none",
    "--profiling=false",
  ];
}

/** Runs `start` with a free port, retrying with another port if someone grabbed it meanwhile. */
async function withFreePort(
  start: (port: number) => Promise<Proc>,
): Promise<{ proc: Proc; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { proc: await start(port), port };
    } catch (err) {
      if (attempt >= portAttempts || !String(err).includes("address already in use")) throw err;
    }
  }
}

/**
 * Starts `bin` with its output in `<dir>/<name>.log`; killed when this process exits, however it exits
 * (once a cluster has been started).
 */
export async function launch(
  name: string,
  bin: string,
  args: readonly string[],
  dir: string,
): Promise<Proc> {
  pdeathsigWorks ??= runCommand("setpriv", ["--pdeathsig", "KILL", "--", "true"]).then(
    r => r.code === 0,
    () => false,
  );
  // setpriv execs the binary, so the pid we track is the binary's own.
  const [file, argv] = (await pdeathsigWorks)
    ? ["setpriv", ["--pdeathsig", "KILL", "--", bin, ...args]]
    : [bin, args];
  const logPath = join(dir, `${name}.log`);
  const fd = openSync(logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn(file, argv, { stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  const done = new Promise<string>(resolve => {
    child.once("error", err => {
      resolve(`failed to start: ${err.message}`);
    });
    child.once("exit", (code, signal) => {
      resolve(signal === null ? `exit code ${String(code)}` : `signal ${signal}`);
    });
  });
  const proc: Proc = { name, child, logPath, done, ended: false };
  live.add(proc);
  void done.then(() => {
    proc.ended = true;
    live.delete(proc);
  });
  return proc;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const proc of live) proc.child.kill("SIGKILL");
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has ended. */
export async function stopProc(proc: Proc): Promise<void> {
  if (proc.ended) return;
  proc.child.kill("SIGTERM");
  const graceful = await Promise.race([proc.done.then(() => true), sleep(stopGraceMs, false)]);
  if (!graceful) proc.child.kill("SIGKILL");
  await proc.done;
}

/** Polls `probe` (undefined = ready, else why not) until ready, the process dies, or timeout. */
export async function waitReady(
  proc: Proc,
  timeoutMs: number,
  probe: () => Promise<string | undefined>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let why = "not probed yet";
  for (;;) {
    if (proc.ended) {
      await stopProc(proc);
      throw new Error(
        `${proc.name} ended (${await proc.done}) before becoming ready${await logTail(proc)}`,
      );
    }
    if (Date.now() > deadline) {
      await stopProc(proc);
      throw new Error(
        `${proc.name} not ready after ${timeoutMs} ms (last probe: ${why})${await logTail(proc)}`,
      );
    }
    const notReady = await probe();
    if (notReady === undefined) return;
    why = notReady;
    await sleep(200);
  }
}

async function logTail(proc: Proc, lines = 40): Promise<string> {
  const text = await readFile(proc.logPath, "utf8").catch(() => "");
  return `\n--- last ${lines} lines of ${proc.logPath} ---\n${text.trimEnd().split("\n").slice(-lines).join("\n")}`;
}

async function etcdProbe(url: string): Promise<string | undefined> {
  const res = await get(`${url}/health`);
  return res.status === 200 && res.body.includes('"health":"true"') ? undefined : describe(res);
}

async function apiserverProbe(port: number, tls: ClientTls): Promise<string | undefined> {
  const base = `https://127.0.0.1:${port}`;
  const ready = await get(`${base}/readyz`, tls);
  if (ready.status !== 200) return `/readyz ${describe(ready)}`;
  // The default namespace is created by a bootstrap loop that /readyz does not wait for.
  const ns = await get(`${base}/api/v1/namespaces/default`, tls);
  return ns.status === 200 ? undefined : `namespace default: ${describe(ns)}`;
}

interface HttpResult {
  readonly status: number;
  readonly body: string;
}

function describe(res: HttpResult): string {
  const failing = res.body.split("\n").filter(l => l.startsWith("[-]"));
  return `HTTP ${res.status} ${(failing.length > 0 ? failing.join(", ") : res.body).slice(0, 300)}`;
}

/** GET that never rejects: connection errors come back as status 0 with the error text. */
function get(url: string, tls?: ClientTls): Promise<HttpResult> {
  const request = url.startsWith("https:") ? httpsRequest : httpRequest;
  return new Promise(resolve => {
    const req = request(url, { ...tls, timeout: 3_000 }, res => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on("error", err => {
        resolve({ status: 0, body: err.message });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", err => {
      resolve({ status: 0, body: err.message });
    });
    req.end();
  });
}

function kubeconfigYaml(server: string, tls: ClientTls): string {
  const b64 = (b: Buffer): string => b.toString("base64");
  return `apiVersion: v1
kind: Config
clusters:
  - name: kongress-test
    cluster:
      server: ${server}
      certificate-authority-data: ${b64(tls.ca)}
users:
  - name: admin
    user:
      client-certificate-data: ${b64(tls.cert)}
      client-key-data: ${b64(tls.key)}
contexts:
  - name: kongress-test
    context:
      cluster: kongress-test
      user: admin
current-context: kongress-test
`;
}
