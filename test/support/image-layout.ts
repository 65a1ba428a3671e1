/**
 * The image's layout (Dockerfile): compiled JavaScript in dist/, bin/, package.json and the dependencies,
 * no sources: what the image runs. The benchmark runs the controller from it, and a test checks it.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";

const repo = join(import.meta.dirname, "..", "..");

/** Builds the layout in `dir` (tsc -p tsconfig.build.json) and returns its `bin/kongress.js`. */
export function buildImageLayout(dir: string, log: (line: string) => void): string {
  const started = Date.now();
  mkdirSync(dir, { recursive: true });
  const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
  execFileSync(
    process.execPath,
    [tsc, "-p", join(repo, "tsconfig.build.json"), "--outDir", join(dir, "dist")],
    {
      cwd: repo,
      stdio: "inherit",
    },
  );
  cpSync(join(repo, "bin"), join(dir, "bin"), { recursive: true });
  cpSync(join(repo, "package.json"), join(dir, "package.json"));
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
  log(
    `built the image's layout (compiled JavaScript, no sources) in ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return join(dir, "bin", "kongress.js");
}

/** One stage of the Dockerfile: its name (`runtime` for the unnamed last one) and its instructions. */
export interface DockerfileStage {
  readonly name: string;
  readonly lines: readonly string[];
}

/**
 * The Dockerfile's stages, each with its instructions: continuation lines joined, comments and blank
 * lines dropped. The one reader of the Dockerfile for the image's test and the benchmark.
 */
export function dockerfileStages(
  dockerfile = readFileSync(join(repo, "Dockerfile"), "utf8"),
): readonly DockerfileStage[] {
  // Docker drops comment lines first, also those inside a continued instruction, and a comment never
  // continues onto the next line; then it joins the continuations.
  const instructions = dockerfile
    .split("\n")
    .filter(l => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\s*\\\n\s*/g, " ")
    .split("\n")
    .map(l => l.trim())
    .filter(l => l !== "");
  const result: { name: string; lines: string[] }[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+(?:--\S+\s+)*\S+(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from !== null) result.push({ name: from[1] ?? "runtime", lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

/** The runtime stage: the Dockerfile's last, the one the image runs. */
function runtimeStage(): DockerfileStage {
  const runtime = dockerfileStages().at(-1);
  if (runtime === undefined) throw new Error("the Dockerfile has no stage");
  return runtime;
}

/**
 * The Node options the image starts the controller with: the arguments between the node binary and
 * bin/kongress.js in the runtime stage's ENTRYPOINT, so what runs the image's layout runs it the same
 * way.
 */
export function imageNodeOptions(): string[] {
  const line = runtimeStage().lines.find(l => /^ENTRYPOINT\s+\[/.test(l));
  if (line === undefined) throw new Error("the Dockerfile has no exec-form ENTRYPOINT");
  const argv = JSON.parse(line.replace(/^ENTRYPOINT\s+/, "")) as string[];
  const bin = argv.findIndex(a => a.endsWith("/bin/kongress.js"));
  if (bin < 1) throw new Error(`the Dockerfile's ENTRYPOINT does not run bin/kongress.js: ${line}`);
  return argv.slice(1, bin);
}

/**
 * The environment the image sets for the controller: the runtime stage's `ENV NAME=value` lines, so
 * what runs the image's layout runs it with the same variables.
 */
export function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of runtimeStage().lines) {
    const pairs = /^ENV\s+(.+)$/.exec(line)?.[1];
    if (pairs === undefined) continue;
    for (const pair of pairs.split(/\s+/)) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(pair);
      if (match === null) throw new Error(`the Dockerfile's ENV ${pairs}: expected NAME=value`);
      env[match[1] ?? ""] = match[2] ?? "";
    }
  }
  return env;
}
