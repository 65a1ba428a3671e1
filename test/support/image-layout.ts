/**
 * The image's layout (Dockerfile): compiled JavaScript in dist/, bin/, package.json and the dependencies,
 * no sources: what the image runs. The benchmark runs the controller from it, and a test checks it.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, symlinkSync } from "node:fs";
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
