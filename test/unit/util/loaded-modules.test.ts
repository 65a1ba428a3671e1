/**
 * What `kongress run` does not load: Node's own bundled undici (src/telemetry/http-server.ts says why).
 * The module graph is imported in a child process of its own, whose module list holds only what that
 * child loaded.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { runCommand } from "../../support/kube/run.ts";

const main = pathToFileURL(
  join(import.meta.dirname, "..", "..", "..", "src", "cli", "main.ts"),
).href;

describe("the modules the controller loads", () => {
  it("do not include Node's bundled undici", async () => {
    const script = `await import(${JSON.stringify(main)});
process.stdout.write(JSON.stringify({
  nodeUndici: process.moduleLoadList.includes("NativeModule internal/deps/undici/undici"),
}));`;
    const result = await runCommand(process.execPath, ["--input-type=module", "-e", script], {
      timeoutMs: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ nodeUndici: false });
  });
});
