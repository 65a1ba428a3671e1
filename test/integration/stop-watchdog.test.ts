/**
 * The stop watchdog for real, in child processes: its worker thread ends a process whose main thread
 * is stuck, or that does not exit, once the grace and margin are over, and leaves alone one that exits.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CHILD = fileURLToPath(new URL("../support/stop-watchdog-child.ts", import.meta.url));
/** Far beyond the child's 1 s of grace and margin: only a watchdog that never fires gets here. */
const CHILD_TIMEOUT_MS = 20_000;

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function runChild(mode: string): Promise<Ended> {
  const child = spawn(process.execPath, [CHILD, mode], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
  const deadline = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
  return new Promise(resolve => {
    child.once("exit", (code, signal) => {
      clearTimeout(deadline);
      resolve({ code, signal, stderr });
    });
  });
}

describe("the stop watchdog, in a real process", () => {
  it("ends a process whose main thread never yields, with SIGKILL and one line", async () => {
    const ended = await runChild("spin");
    expect(ended.signal, ended.stderr).toBe("SIGKILL");
    expect(ended.stderr).toMatch(
      /^kongress run: the stop overran its 0\.3 s grace \(\d+\.\d s since it began; its main thread has not run for \d+\.\d s\); ending the process with SIGKILL \(exit status 137\)\n$/,
    );
  });

  it("ends a process that runs on after its stop, saying its main thread still runs", async () => {
    const ended = await runChild("linger");
    expect(ended.signal, ended.stderr).toBe("SIGKILL");
    expect(ended.stderr).toContain("its main thread runs but the process did not exit");
  });

  it("keeps no process alive by itself: one that is done exits as it would have", async () => {
    const ended = await runChild("exit");
    expect(ended).toEqual({ code: 0, signal: null, stderr: "" });
  });
});
