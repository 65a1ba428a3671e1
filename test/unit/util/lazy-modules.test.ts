/**
 * What `kongress run` loads before any object exists: neither yaml (src/util/yaml.ts loads it on first
 * use) nor Node's own bundled undici (src/telemetry/http-server.ts). Each case runs in a child process
 * of its own, whose module cache holds only what that child imported.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { runCommand } from "../../support/kube/run.ts";

const src = join(import.meta.dirname, "..", "..", "..", "src");
const moduleUrl = (path: string): string => pathToFileURL(join(src, path)).href;

/** Runs an ES module body in a child Node and returns what it printed as JSON. */
async function inChild(body: string): Promise<unknown> {
  const script = `import { createRequire } from "node:module";
const loaded = () => Object.keys(createRequire(import.meta.url).cache);
${body}`;
  const result = await runCommand(process.execPath, ["--input-type=module", "-e", script], {
    timeoutMs: 60_000,
  });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

interface Loaded {
  readonly yaml: boolean;
  /** Node's own bundled undici, which an ES import of node:http loads (src/telemetry/http-server.ts). */
  readonly nodeUndici: boolean;
}

const LOADED = `const files = loaded();
const summary = {
  yaml: files.some(f => f.includes("/node_modules/yaml/")),
  nodeUndici: process.moduleLoadList.includes("NativeModule internal/deps/undici/undici"),
};`;

describe("the modules the controller loads", () => {
  it("loads neither yaml nor Node's bundled undici with every command's code", async () => {
    const summary = (await inChild(`await import(${JSON.stringify(moduleUrl("cli/main.ts"))});
${LOADED}
process.stdout.write(JSON.stringify(summary));`)) as Loaded;
    expect(summary).toEqual({ yaml: false, nodeUndici: false });
  });

  it("loads yaml on first use, synchronously", async () => {
    const result =
      await inChild(`const { yaml } = await import(${JSON.stringify(moduleUrl("util/yaml.ts"))});
${LOADED}
const before = summary.yaml;
const parsed = yaml().parse("a: [1, two]");
process.stdout.write(JSON.stringify({ before, parsed, after: loaded().some(f => f.includes("/node_modules/yaml/")) }));`);
    expect(result).toEqual({ before: false, parsed: { a: [1, "two"] }, after: true });
  });
});
