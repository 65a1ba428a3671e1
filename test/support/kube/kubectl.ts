import type { KubeCluster } from "./cluster.ts";
import { runCommand, type CommandResult } from "./run.ts";

export interface KubectlOptions {
  readonly stdin?: string;
  readonly timeoutMs?: number;
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
  return runCommand("kubectl", [`--kubeconfig=${cluster.kubeconfigPath}`, ...args], {
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
