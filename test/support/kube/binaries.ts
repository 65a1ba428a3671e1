import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "./run.ts";

/** Paths of a kube-apiserver and an etcd binary, and the apiserver's version (e.g. "v1.33.13"). */
export interface KubeBinaries {
  readonly apiserver: string;
  readonly etcd: string;
  readonly version: string;
}

export type LogFn = (line: string) => void;

const binsDir = fileURLToPath(new URL("../../kube/bins/", import.meta.url));

// Gateway API v1.6 CRDs rely on CEL features that older apiservers reject.
const minKubeMinor = 31;
// kube-apiserver's etcd client supports 3.4 and 3.5+ (kube-testing.md §2.2).
const minEtcd: readonly [number, number] = [3, 4];

export const stderrLog: LogFn = line => process.stderr.write(`${line}\n`);

/**
 * Finds kube-apiserver and etcd, in this order: the KONGRESS_KUBE_APISERVER / KONGRESS_ETCD
 * overrides, binaries on PATH, the build cache of test/kube/bins/build.sh, and finally a build
 * with build.sh (cold: 5-8 minutes on 2 cores; cached afterwards).
 */
export async function resolveKubeBinaries(log: LogFn = stderrLog): Promise<KubeBinaries> {
  let apiserver = await fromEnv("KONGRESS_KUBE_APISERVER");
  let etcd = await fromEnv("KONGRESS_ETCD");
  apiserver ??= await usableOnPath("kube-apiserver", apiserverUsable, log);
  etcd ??= await usableOnPath("etcd", etcdUsable, log);
  if (apiserver === undefined || etcd === undefined) {
    const dir = await cachedOrBuiltDir(log);
    apiserver ??= join(dir, "kube-apiserver");
    etcd ??= join(dir, "etcd");
  }
  const version = await apiserverVersion(apiserver);
  if (version === undefined) throw new Error(`${apiserver} --version did not print a version`);
  return { apiserver, etcd, version };
}

async function fromEnv(name: string): Promise<string | undefined> {
  const path = process.env[name];
  if (path === undefined || path === "") return undefined;
  // An explicit override that does not work is a mistake to report, not to route around.
  if (!(await isExecutable(path))) throw new Error(`${name}=${path} is not an executable file`);
  return path;
}

async function usableOnPath(
  name: string,
  usable: (path: string) => Promise<string | undefined>,
  log: LogFn,
): Promise<string | undefined> {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    const path = join(dir, name);
    if (!(await isExecutable(path))) continue;
    const problem = await usable(path);
    if (problem === undefined) return path;
    log(`kubebins: ignoring ${path}: ${problem}`);
  }
  return undefined;
}

async function apiserverUsable(path: string): Promise<string | undefined> {
  const version = await apiserverVersion(path);
  const minor = /^v1\.(\d+)\./.exec(version ?? "")?.[1];
  if (minor === undefined) return `unrecognised version ${String(version)}`;
  return Number(minor) >= minKubeMinor ? undefined : `${version} is older than v1.${minKubeMinor}`;
}

async function etcdUsable(path: string): Promise<string | undefined> {
  const { stdout } = await runCommand(path, ["--version"], { timeoutMs: 10_000 });
  const match = /etcd Version: (\d+)\.(\d+)\./.exec(stdout);
  if (match === null) return "unrecognised `etcd --version` output";
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const tooOld = major < minEtcd[0] || (major === minEtcd[0] && minor < minEtcd[1]);
  return tooOld ? `etcd ${major}.${minor} is older than ${minEtcd.join(".")}` : undefined;
}

async function apiserverVersion(path: string): Promise<string | undefined> {
  const { stdout } = await runCommand(path, ["--version"], { timeoutMs: 30_000 });
  return /Kubernetes (v\S+)/.exec(stdout)?.[1];
}

async function cachedOrBuiltDir(log: LogFn): Promise<string> {
  const goMod = await readFile(join(binsDir, "go.mod"), "utf8");
  const version = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(goMod)?.[1];
  if (version === undefined)
    throw new Error(`no k8s.io/kubernetes requirement in ${binsDir}go.mod`);
  const override = process.env["KONGRESS_KUBE_BIN_CACHE"];
  // Same rule as build.sh's ${KONGRESS_KUBE_BIN_CACHE:-...}: empty means unset.
  const cacheRoot =
    override === undefined || override === ""
      ? join(homedir(), ".cache", "kongress", "kubebins")
      : override;
  const dir = join(cacheRoot, version);
  const cached = await Promise.all(["kube-apiserver", "etcd"].map(b => isExecutable(join(dir, b))));
  if (cached.every(Boolean)) return dir;

  log(`kubebins: no kube-apiserver/etcd on PATH or in ${dir}; building them with build.sh`);
  const build = await runCommand("bash", [join(binsDir, "build.sh")], { onStderrLine: log });
  const built = build.stdout.trim();
  if (build.code !== 0 || built === "") {
    throw new Error(
      `could not get kube-apiserver and etcd: ${join(binsDir, "build.sh")} exited ${build.code}.\n` +
        `${build.stderr.trim()}\n` +
        "Fix the build, put kube-apiserver (>= v1.31) and etcd (>= 3.4) on PATH, or point " +
        "KONGRESS_KUBE_APISERVER and KONGRESS_ETCD at the binaries.",
    );
  }
  return built;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
