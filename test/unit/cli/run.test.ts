/** `kongress run` through the CLI, over the real controller start-up: what a user without credentials sees. */
import { describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/main.ts";
import { createRunCommand, EXIT_FAILED } from "../../../src/cli/run-command.ts";
import { repoRoot, tempTree } from "./support.ts";

describe("kongress run without Kubernetes credentials", () => {
  it("says in one line what is missing and how to give it, and exits 1", async () => {
    // An empty home: no ~/.kube/config; no KUBECONFIG and no in-cluster variables.
    const home = tempTree({ ".keep": "" });
    const out: string[] = [];
    const err: string[] = [];
    try {
      const code = await runCli({
        argv: ["run", "--publish-status-address=192.0.2.1"],
        stdout: { write: (s: string) => out.push(s) },
        stderr: { write: (s: string) => err.push(s) },
        cwd: repoRoot,
        commands: [
          createRunCommand({
            env: () => ({ HOME: home.dir }),
            stopSignal: () => new Promise(() => undefined),
          }),
        ],
      });
      expect(code).toBe(EXIT_FAILED);
    } finally {
      home.cleanup();
    }
    const lines = err
      .join("")
      .split("\n")
      .filter(l => l !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kongress run: cannot start: No Kubernetes credentials found\./);
    expect(lines[0]).toContain("Pass --kubeconfig, set KUBECONFIG");
    // No stack trace on either stream.
    expect(out.join("") + err.join("")).not.toMatch(/\n\s+at /);
  });
});
