import { dirname, join } from "node:path";
import type { KubeCluster } from "./cluster.ts";
import { runCommand, type CommandResult } from "./run.ts";

export interface KubectlOptions {
  readonly stdin?: string;
  readonly timeoutMs?: number;
}

/**
 * The flags that point kubectl at a test cluster: its kubeconfig, and a discovery cache beside it
 * (removed with the cluster) instead of one more folder per random port under `~/.kube/cache`.
 */
export function kubectlTarget(kubeconfigPath: string): string[] {
  return [
    `--kubeconfig=${kubeconfigPath}`,
    `--cache-dir=${join(dirname(kubeconfigPath), "kubectl-cache")}`,
  ];
}

/**
 * Runs `kubectl` against the cluster's kubeconfig. A non-zero exit resolves with its code; only a
 * missing kubectl or a timeout (default 2 min) rejects.
 */
export function kubectl(
  cluster: Pick<KubeCluster, "kubeconfigPath">,
  args: readonly string[],
  opts: KubectlOptions = {},
): Promise<CommandResult> {
  return runCommand("kubectl", [...kubectlTarget(cluster.kubeconfigPath), ...args], {
    ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}

/** Like {@link kubectl}, but rejects with kubectl's stderr unless it exits 0; resolves stdout. */
export async function kubectlOk(
  cluster: Pick<KubeCluster, "kubeconfigPath">,
  args: readonly string[],
  opts: KubectlOptions = {},
): Promise<string> {
  const result = await kubectl(cluster, args, opts);
  if (result.code !== 0) {
    throw new Error(`kubectl ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}
