/**
 * The playground from the outside, as a newcomer runs it (`kongress playground`, which runs the same
 * script as `npm run playground`): spawned, its printed summary awaited, the printed kubeconfig used
 * to apply an Ingress that then reaches "Kong" live, then SIGINT: it exits 0, every process it
 * started is gone and so is the directory it made.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kubectlTarget } from "../support/kube/kubectl.ts";
import { runCommand } from "../support/kube/run.ts";
import { waitFor } from "../support/wait.ts";
import { CLUSTER_START_TIMEOUT_MS, report } from "./harness.ts";
import { READY_LINE } from "./playground.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "kongress.js");

/** Processes whose command line mentions `text` (etcd and kube-apiserver name their directory). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) pids.push(Number(entry));
    } catch {
      // Ended while we looked.
    }
  }
  return pids;
}

const child = spawn(process.execPath, [BIN, "playground"], {
  env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "" },
  stdio: ["ignore", "pipe", "pipe"],
});
let out = "";
child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
const exited = new Promise<number | null>(resolve => child.on("exit", resolve));

afterAll(() => {
  if (child.exitCode === null) child.kill("SIGKILL");
});

describe("kongress playground (npm run playground)", () => {
  it(
    "prints what Kong holds, the statuses and a kubeconfig; Ctrl-C removes everything",
    async () => {
      const started = Date.now();
      await waitFor("the playground's summary", () => out.includes(READY_LINE), {
        timeoutMs: CLUSTER_START_TIMEOUT_MS,
        intervalMs: 200,
      });
      report(`playground: ready ${String(Date.now() - started)} ms after the start`);
      expect(out).toMatch(/Kong now holds \d+ services, \d+ routes/);
      expect(out).toContain("Ingress shop/shop: loadBalancer 127.0.0.1");
      expect(out).toContain("Gateway shop/kong: Accepted=True Programmed=True");
      expect(out).toContain("HTTPRoute shop/shop-api: Accepted=True");
      const kubeconfig = /export KUBECONFIG=(\S+)/.exec(out)?.[1] ?? "";
      const dir = join(kubeconfig, "..");
      expect(existsSync(kubeconfig)).toBe(true);
      expect(processesMentioning(dir).length).toBeGreaterThanOrEqual(2);

      // The user's own manifest, applied with the printed kubeconfig, reaches Kong.
      const applied = await runCommand(
        "kubectl",
        [...kubectlTarget(kubeconfig), "apply", "-f", "-"],
        {
          stdin: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: mine, namespace: shop }
spec:
  ingressClassName: kong
  rules:
    - host: mine.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: storefront, port: { number: 80 } } } }
`,
          timeoutMs: 60_000,
        },
      );
      expect(applied.stderr).toBe("");
      await waitFor("the new route reported", () => /\+ \S+ {2}mine\.example\.com\//.test(out), {
        timeoutMs: 30_000,
        intervalMs: 100,
      });

      // To the command alone (a terminal's Ctrl-C reaches both): it passes the signal on.
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(out).toContain(`playground: stopped; removed ${dir}`);
      expect(existsSync(dir)).toBe(false);
      expect(processesMentioning(dir)).toEqual([]);
    },
    CLUSTER_START_TIMEOUT_MS,
  );
});
