/**
 * The image's layout (Dockerfile): compiled JavaScript in dist/, bin/, package.json and node_modules, no
 * src/. Built here the way the image's build stage builds it (tsc -p tsconfig.build.json), then the same
 * commands as from a checkout must give the same output.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../support/kube/run.ts";

const repo = join(import.meta.dirname, "..", "..");
const image = mkdtempSync(join(tmpdir(), "kongress-image-"));

beforeAll(async () => {
  const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
  const built = await runCommand(
    process.execPath,
    [tsc, "-p", join(repo, "tsconfig.build.json"), "--outDir", join(image, "dist")],
    { cwd: repo, timeoutMs: 240_000 },
  );
  expect(built.stderr + built.stdout).toBe("");
  cpSync(join(repo, "bin"), join(image, "bin"), { recursive: true });
  cpSync(join(repo, "package.json"), join(image, "package.json"));
  symlinkSync(join(repo, "node_modules"), join(image, "node_modules"));
}, 300_000);

afterAll(() => {
  rmSync(image, { recursive: true, force: true });
});

function kongress(root: string, args: readonly string[]) {
  return runCommand(process.execPath, [join(root, "bin", "kongress.js"), ...args], {
    cwd: repo,
    timeoutMs: 60_000,
  });
}

describe("the compiled layout of the image", () => {
  it("translates the examples exactly as the sources do", async () => {
    const args = ["translate", "-f", join(repo, "examples"), "-o", "json"];
    const [fromImage, fromSources] = await Promise.all([
      kongress(image, args),
      kongress(repo, args),
    ]);
    expect(fromImage.code).toBe(0);
    expect(fromImage.stdout.length).toBeGreaterThan(100);
    expect(fromImage).toEqual(fromSources);
  });

  it("answers run --help without the sources", async () => {
    const help = await kongress(image, ["run", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--kong-admin-url");
  });
});
