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

/**
 * The Node options the image starts the controller with: the arguments between the node binary and
 * bin/kongress.js in the Dockerfile's ENTRYPOINT, so what runs the image's layout runs it the same way.
 */
export function imageNodeOptions(): string[] {
  const dockerfile = readFileSync(join(repo, "Dockerfile"), "utf8");
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (line === undefined) throw new Error("the Dockerfile has no exec-form ENTRYPOINT");
  const argv = JSON.parse(line) as string[];
  const bin = argv.findIndex(a => a.endsWith("/bin/kongress.js"));
  if (bin < 1) throw new Error(`the Dockerfile's ENTRYPOINT does not run bin/kongress.js: ${line}`);
  return argv.slice(1, bin);
}

/**
 * The environment the image sets for the controller: the runtime stage's (the last stage's) `ENV
 * NAME=value` lines, so what runs the image's layout runs it with the same variables.
 */
export function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(repo, "Dockerfile"), "utf8");
  const runtime = dockerfile.split(/^FROM\s/m).at(-1) ?? "";
  const env: Record<string, string> = {};
  for (const [, pairs = ""] of runtime.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const pair of pairs.trim().split(/\s+/)) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(pair);
      if (match === null) throw new Error(`the Dockerfile's ENV ${pairs}: expected NAME=value`);
      env[match[1] ?? ""] = match[2] ?? "";
    }
  }
  return env;
}
