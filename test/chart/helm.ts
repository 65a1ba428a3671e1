/**
 * helm for the chart tests: built from the Go module proxy by build-helm.sh and cached by version
 * (`~/.cache/kongress/helm/<version>/helm`), or `KONGRESS_HELM3` / `KONGRESS_HELM4` pointing at a
 * binary. The chart renders with the test API server's Kubernetes version, so that output does not
 * depend on the version helm was linked against.
 */
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand, type CommandResult } from "../support/kube/run.ts";
import { CHART_DIR } from "./chart-readme.ts";

export { CHART_DIR };
export type HelmMajor = 3 | 4;

const BUILD = join(import.meta.dirname, "build-helm.sh");
export const KUBE_VERSION = "1.33.13";
const RELEASE = "kongress";
export const NAMESPACE = "kong";
const VALUES_DIR = join(import.meta.dirname, "values");

/** Each values file the goldens cover: the chart's two Kong-mode examples and the test's own. */
export function valuesFiles(): { name: string; path: string }[] {
  const fromTests = readdirSync(VALUES_DIR)
    .filter(f => f.endsWith(".yaml"))
    .map(f => ({ name: f.replace(/\.yaml$/, ""), path: join(VALUES_DIR, f) }));
  const examples = readdirSync(join(CHART_DIR, "examples"))
    .filter(f => f.endsWith(".yaml"))
    .map(f => ({
      name: `example-${f.replace(/\.yaml$/, "")}`,
      path: join(CHART_DIR, "examples", f),
    }));
  return [...fromTests, ...examples].sort((a, b) => a.name.localeCompare(b.name));
}

const resolved = new Map<HelmMajor, Promise<string>>();

/** The path of a helm binary of that major version, built on first use (2-4 min cold). */
export function resolveHelm(major: HelmMajor): Promise<string> {
  let found = resolved.get(major);
  if (found === undefined) {
    found = build(major);
    resolved.set(major, found);
  }
  return found;
}

async function build(major: HelmMajor): Promise<string> {
  const override = process.env[`KONGRESS_HELM${String(major)}`];
  if (override !== undefined && override !== "") return override;
  const result = await runCommand("bash", [BUILD, String(major)], {
    onStderrLine: line => process.stderr.write(`${line}\n`),
    timeoutMs: 20 * 60_000,
  });
  const path = result.stdout.trim();
  if (result.code !== 0 || path === "")
    throw new Error(
      `build-helm.sh ${String(major)} exited ${String(result.code)}: ${result.stderr}`,
    );
  return path;
}

/** Runs helm with a private home, so no user repository or plugin changes what it does. */
export async function helm(major: HelmMajor, args: readonly string[]): Promise<CommandResult> {
  const bin = await resolveHelm(major);
  const home = join(tmpdir(), "kongress-helm-home");
  return runCommand(bin, args, {
    env: {
      PATH: process.env["PATH"] ?? "",
      HOME: home,
      HELM_CACHE_HOME: join(home, "cache"),
      HELM_CONFIG_HOME: join(home, "config"),
      HELM_DATA_HOME: join(home, "data"),
    },
    timeoutMs: 120_000,
  });
}

/** `helm template` of the chart with one values file; rejects with helm's error. */
export async function renderChart(
  major: HelmMajor,
  valuesPath: string | undefined,
  extra: readonly string[] = [],
): Promise<string> {
  const result = await helm(major, [
    "template",
    RELEASE,
    CHART_DIR,
    "--namespace",
    NAMESPACE,
    "--kube-version",
    KUBE_VERSION,
    ...(valuesPath === undefined ? [] : ["--values", valuesPath]),
    ...extra,
  ]);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return result.stdout;
}
