/**
 * The image's layout (Dockerfile): compiled JavaScript in dist/, bin/, package.json and node_modules, no
 * src/. Built here the way the image's build stage builds it (tsc -p tsconfig.build.json), then the same
 * commands as from a checkout must give the same output.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImageLayout } from "../support/image-layout.ts";
import { runCommand } from "../support/kube/run.ts";

const repo = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "kongress-image-"));
let image = "";

beforeAll(() => {
  image = join(
    buildImageLayout(join(dir, "image"), () => undefined),
    "..",
    "..",
  );
}, 300_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
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
