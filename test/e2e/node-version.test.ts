/**
 * `node bin/kongress.js` on the machine's own Node (not the Node 24 the repository pins): it works, or
 * it fails at once saying which Node it needs and how to get it.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { report } from "./harness.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kongress.js");

/** The first `node` on PATH outside any node_modules: the machine's own, not the repository's. */
function machineNode(): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "" || dir.includes("node_modules")) continue;
    const candidate = join(dir, "node");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

describe("bin/kongress.js on the machine's own Node", () => {
  it("works, or fails at once naming the Node it needs and how to get it", () => {
    const node = machineNode();
    if (node === undefined) throw new Error("no node on PATH outside node_modules");
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    const began = Date.now();
    const run = spawnSync(node, [BIN, "translate", "-f", join(ROOT, "examples")], {
      cwd: ROOT,
      encoding: "utf8",
    });
    report(`${node} ${version}: exit ${String(run.status)} after ${String(Date.now() - began)} ms`);
    if (Number(/^v(\d+)/.exec(version)?.[1]) >= 24) {
      expect(run.status).toBe(0);
      expect(run.stdout).toContain("_format_version");
      return;
    }
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`kongress needs Node.js 24 or newer; this is Node.js ${version}`);
    expect(run.stderr).toContain("npx kongress translate -f");
    expect(run.stderr).not.toContain("ERR_UNKNOWN_FILE_EXTENSION");
  });
});
