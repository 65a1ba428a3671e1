/**
 * The image's runtime stage without a container engine: the Dockerfile's production install step is
 * run as written in a temporary directory (production dependencies only, no install scripts), the
 * compiled output and the files the runtime stage copies are laid beside it, and what that produces
 * answers --help, translates the examples as the checkout does, and runs against a real API server.
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLUSTER_START_TIMEOUT_MS } from "../e2e/harness.ts";
import { freePort } from "../support/free-port.ts";
import { dockerfileStages, imageEnv, type DockerfileStage } from "../support/image-layout.ts";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { runCommand } from "../support/kube/run.ts";
import { waitFor } from "../support/wait.ts";

const REPO = join(import.meta.dirname, "..", "..");

function stage(name: string): DockerfileStage {
  const found = dockerfileStages().find(s => s.name === name);
  if (found === undefined) throw new Error(`the Dockerfile has no stage ${name}`);
  return found;
}

const dir = mkdtempSync(join(tmpdir(), "kongress-runtime-"));
const image = join(dir, "app");
let cluster: KubeCluster | undefined;
let kong: KongEmulator | undefined;

beforeAll(async () => {
  // The deps stage: its package files, then its RUN line exactly as the Dockerfile has it.
  const deps = join(dir, "deps");
  mkdirSync(deps);
  const depsStage = stage("deps");
  for (const file of ["package.json", "package-lock.json"])
    cpSync(join(REPO, file), join(deps, file));
  const run = depsStage.lines.filter(l => l.startsWith("RUN "));
  expect(run).toHaveLength(1);
  const install = await runCommand("sh", ["-c", (run[0] ?? "").slice(4)], {
    cwd: deps,
    // The packages are in npm's cache after the checkout's own `npm ci`; the registry is asked only
    // for what is missing.
    env: { ...process.env, npm_config_prefer_offline: "true" },
    timeoutMs: 10 * 60_000,
  });
  if (install.code !== 0) throw new Error(`the deps stage's install failed: ${install.stderr}`);

  // The build stage's compile, into the runtime layout.
  mkdirSync(image);
  const tsc = await runCommand(
    process.execPath,
    [
      join(REPO, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      join(REPO, "tsconfig.build.json"),
      "--outDir",
      join(image, "dist"),
    ],
    { cwd: REPO, timeoutMs: 5 * 60_000 },
  );
  if (tsc.code !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);

  // The runtime stage's COPY lines.
  for (const line of stage("runtime").lines.filter(l => l.startsWith("COPY "))) {
    const parts = line.split(/\s+/).slice(1);
    const fromDeps = parts[0] === "--from=deps";
    const fromBuild = parts[0] === "--from=build";
    const [src, dest] = fromDeps || fromBuild ? parts.slice(1) : parts;
    if (src === undefined || dest === undefined) throw new Error(`unreadable: ${line}`);
    if (fromBuild) continue; // dist/, compiled above
    const from = fromDeps ? join(deps, src.replace(/^\/app\//, "")) : join(REPO, src);
    const to = dest.endsWith("/") ? join(image, dest, basename(src)) : join(image, dest);
    cpSync(from, to, { recursive: true });
  }
}, 15 * 60_000);

afterAll(async () => {
  await kong?.stop();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

function kongress(args: readonly string[]) {
  return runCommand(process.execPath, [join(image, "bin", "kongress.js"), ...args], {
    cwd: dir,
    env: { PATH: process.env["PATH"] ?? "", HOME: dir, ...imageEnv() },
    timeoutMs: 60_000,
  });
}

describe("the image's runtime stage", () => {
  it("is read as Docker reads the Dockerfile: continuations joined, comments dropped", () => {
    const dockerfile = [
      "# a comment that ends as a continuation would \\",
      "FROM --platform=linux/amd64 node AS build",
      "RUN npm ci \\",
      "    # a comment inside the instruction",
      "    --omit=dev",
      "FROM distroless",
      "ENV A=1 \\",
      "    B=2",
    ].join("\n");
    expect(dockerfileStages(dockerfile)).toEqual([
      { name: "build", lines: ["RUN npm ci --omit=dev"] },
      { name: "runtime", lines: ["ENV A=1 B=2"] },
    ]);
  });

  it("holds compiled JavaScript and the production dependencies, nothing else", () => {
    expect(readdirSync(image).sort()).toEqual(["bin", "dist", "node_modules", "package.json"]);
    const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean; optional?: boolean }>;
    };
    const entries = Object.entries(lock.packages).filter(([path]) =>
      path.startsWith("node_modules/"),
    );
    const dev = entries.filter(([, p]) => p.dev === true).map(([path]) => path);
    const production = entries.filter(([, p]) => p.dev !== true && p.optional !== true);
    expect(dev.length).toBeGreaterThan(10);
    expect(dev.filter(path => existsSync(join(image, path)))).toEqual([]);
    expect(production.length).toBeGreaterThan(10);
    expect(production.filter(([path]) => !existsSync(join(image, path))).map(([p]) => p)).toEqual(
      [],
    );
    expect(existsSync(join(image, "dist", "cli", "main.js"))).toBe(true);
  });

  it("runs as a non-root user, with the controller as its entrypoint", () => {
    const runtime = stage("runtime").lines;
    expect(runtime).toContain("USER 65532:65532");
    // What the image sets for the controller, as the benchmark reads it (glibc's threshold: Dockerfile).
    expect(imageEnv()).toEqual({ NODE_ENV: "production", MALLOC_MMAP_THRESHOLD_: "16384" });
    expect(runtime).toContain('ENTRYPOINT ["/nodejs/bin/node", "/app/bin/kongress.js"]');
    expect(
      runtime.some(l => l.startsWith("LABEL ") && l.includes("org.opencontainers.image.")),
    ).toBe(true);
    // Exec form only: the distroless base has no shell to run a command string.
    expect(runtime.filter(l => /^(RUN|ENTRYPOINT|CMD)\s+[^[]/.test(l))).toEqual([]);
  });

  it("answers --help", async () => {
    const help = await kongress(["run", "--help"]);
    expect(help.stderr).toBe("");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--kong-admin-url");
  });

  it("translates the examples exactly as the checkout does", async () => {
    const args = ["translate", "-f", join(REPO, "examples"), "-o", "json"];
    const fromImage = await kongress(args);
    const fromCheckout = await runCommand(
      process.execPath,
      [join(REPO, "bin", "kongress.js"), ...args],
      { cwd: REPO, timeoutMs: 60_000 },
    );
    expect(fromImage.code).toBe(0);
    expect(fromImage.stdout).toBe(fromCheckout.stdout);
  });

  it(
    "runs against an API server: Ready, Kong configured, and a clean exit on SIGTERM",
    async () => {
      cluster = await startKubeCluster();
      kong = await startKongEmulator();
      await kubectlOk(cluster, ["create", "namespace", "shop"]);
      // The Ingress examples (the Gateway API ones need CRDs this test does not install).
      const examples = readdirSync(join(REPO, "examples")).filter(
        f => f === "ingress-class.yaml" || f.startsWith("shop-"),
      );
      await kubectlOk(cluster, [
        "apply",
        ...examples.flatMap(f => ["-f", join(REPO, "examples", f)]),
      ]);
      const health = await freePort();
      const child = spawn(
        process.execPath,
        [
          join(image, "bin", "kongress.js"),
          "run",
          `--kubeconfig=${cluster.kubeconfigPath}`,
          `--kong-admin-url=${kong.url}`,
          `--health-probe-bind-address=127.0.0.1:${String(health)}`,
          `--metrics-bind-address=127.0.0.1:${String(await freePort())}`,
          "--publish-status-address=192.0.2.30",
          "--election-namespace=default",
        ],
        {
          cwd: dir,
          env: { PATH: process.env["PATH"] ?? "", HOME: dir, ...imageEnv() },
          stdio: "ignore",
        },
      );
      const exited = new Promise<number | null>(resolve => child.on("exit", resolve));
      try {
        await waitFor(
          "the controller Ready",
          async () => (await fetch(`http://127.0.0.1:${String(health)}/readyz`)).status === 200,
          { timeoutMs: 60_000, intervalMs: 200 },
        );
        const config = kong.currentConfig() as { services?: { name: string }[] } | null;
        expect(config?.services?.some(s => s.name.startsWith("shop."))).toBe(true);
      } finally {
        child.kill("SIGTERM");
      }
      expect(await exited).toBe(0);
    },
    CLUSTER_START_TIMEOUT_MS,
  );
});
