/**
 * Aborting writes on the API server's HTTP/2 session, the way a stop at start-up does, leaves the main
 * thread free. Before the kube client reset such streams with CANCEL, a write aborted just after it
 * was handed to a fresh session made Node's http2 spin in native code for good (no timer, signal or
 * I/O served again), so the rounds run in a child process that this test can kill.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";

const SCRIPT = fileURLToPath(new URL("../support/kube/abort-writes.ts", import.meta.url));
// The first run on a fresh machine includes the cold build of kube-apiserver and etcd.
const COLD_START_TIMEOUT_MS = 30 * 60_000;
/** 40 rounds settle in about 1–2 s here; without the reset the first few rounds already wedged. */
const ROUNDS = 40;
const CHILD_TIMEOUT_MS = 30_000;

let cluster: KubeCluster;

beforeAll(async () => {
  cluster = await startKubeCluster();
}, COLD_START_TIMEOUT_MS);

afterAll(async () => {
  await cluster.stop();
}, 60_000);

/** Runs the child to its end, or kills it at the deadline; resolves with what it did. */
function runChild(): Promise<{ code: number | null; output: string; killed: boolean }> {
  const child = spawn(
    process.execPath,
    [SCRIPT, cluster.kubeconfigPath, "default", String(ROUNDS)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (b: Buffer) => (output += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => (output += b.toString("utf8")));
  let killed = false;
  const deadline = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, CHILD_TIMEOUT_MS);
  return new Promise(resolve => {
    child.once("exit", code => {
      clearTimeout(deadline);
      resolve({ code, output, killed });
    });
  });
}

describe("writes aborted on a fresh HTTP/2 session", () => {
  it(
    "settle, and the session keeps serving: the main thread never spins",
    async () => {
      const run = await runChild();
      expect(
        run.killed,
        `the child's event loop stopped (killed after ${String(CHILD_TIMEOUT_MS)} ms)\n${run.output}`,
      ).toBe(false);
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain(`${String(ROUNDS)} rounds settled`);
    },
    CHILD_TIMEOUT_MS + 15_000,
  );
});
