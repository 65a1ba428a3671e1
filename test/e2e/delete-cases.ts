/**
 * Incident e as a table: each case deletes one object and names what Kong must lose with it. The
 * Ingress and the Gateway API suites run their own tables through these two checks: a delete reaches
 * Kong within 1 s, and a delete made while the controller's watch is cut reaches it within one backoff
 * of the watch coming back.
 */
import { expect, it } from "vitest";
import type { KongEmulator } from "../support/kong-emulator/index.ts";
import type { KubeCluster } from "../support/kube/cluster.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import type { TcpProxy } from "../support/tcp-proxy.ts";
import { waitFor } from "../support/wait.ts";
import { kongNames, report, type ConfigNames } from "./harness.ts";

export interface DeleteCase {
  /** `kubectl delete` arguments. */
  readonly target: readonly string[];
  /** True while Kong still holds what the deleted object produced. */
  readonly present: (names: ConfigNames) => boolean;
}

export interface DeleteSuite {
  /** Prefix of the reported lines, e.g. `incident e (Gateway API)`. */
  readonly label: string;
  readonly cases: Readonly<Record<string, DeleteCase>>;
  readonly cluster: () => KubeCluster;
  readonly kong: () => KongEmulator;
  readonly proxy: () => TcpProxy;
  /** Re-creates whatever an earlier case deleted and waits until Kong holds all of it again. */
  readonly restoreAll: () => Promise<void>;
}

async function deleteObject(cluster: KubeCluster, target: readonly string[]): Promise<void> {
  await kubectlOk(cluster, ["delete", ...target, "--wait=false"]);
}

/** Registers both checks for every case of the table (call inside a `describe`). */
export function itDeletesReachKong(suite: DeleteSuite): void {
  const gone = (c: DeleteCase) => () => !c.present(kongNames(suite.kong()));
  it.each(Object.entries(suite.cases))("%s, within 1 s", async (what, c) => {
    await suite.restoreAll();
    const before = Date.now();
    await deleteObject(suite.cluster(), c.target);
    const deleted = Date.now();
    await waitFor(`${what} to be gone from Kong`, gone(c), { timeoutMs: 5000, intervalMs: 5 });
    const sinceDelete = Date.now() - deleted;
    report(
      `${suite.label}: ${what} gone ${String(sinceDelete)} ms after kubectl delete returned (${String(Date.now() - before)} ms after it started)`,
    );
    expect(sinceDelete).toBeLessThan(1000);
  });

  it.each(Object.entries(suite.cases))(
    "%s, deleted while the controller's watch is cut: gone soon after the watch is back",
    async (what, c) => {
      await suite.restoreAll();
      await suite.proxy().cut();
      await deleteObject(suite.cluster(), c.target);
      // Long enough for the watchers to fail, back off and fail again.
      await new Promise(resolve => setTimeout(resolve, 2000));
      expect(c.present(kongNames(suite.kong()))).toBe(true);
      const restored = Date.now();
      await suite.proxy().restore();
      await waitFor(`${what} to be gone after the restore`, gone(c), {
        timeoutMs: 10_000,
        intervalMs: 5,
      });
      const ms = Date.now() - restored;
      report(
        `${suite.label} (watch cut 2 s, backoff capped at 1 s): ${what} gone ${String(ms)} ms after the restore`,
      );
      // At most one backoff (1 s cap) to notice the API server is back, then a relist and a push.
      expect(ms).toBeLessThan(1000 + 1000);
    },
  );
}
