import { readdir, readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveKubeBinaries } from "../support/kube/binaries.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { installGatewayApiCrds } from "../support/kube/crds.ts";
import { kubectl, kubectlOk } from "../support/kube/kubectl.ts";

// The first run on a fresh machine includes the cold build of kube-apiserver and etcd.
const coldStartTimeoutMs = 30 * 60_000;

/** Processes started for `dir`, or children of this process named like our binaries. */
async function leftoverProcesses(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const [cmdline, stat] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""),
      readFile(`/proc/${pid}/stat`, "utf8").catch(() => ""),
    ]);
    // stat is "pid (comm) state ppid ...", and comm may itself contain spaces.
    const match = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
    const ours = match?.[2] === String(process.pid) && /^(etcd|kube-apiserve)/.test(match[1] ?? "");
    if (cmdline.includes(dir) || ours) found.push(`${pid}: ${cmdline.replaceAll("\0", " ")}`);
  }
  return found;
}

describe("real kube-apiserver + etcd", () => {
  let cluster: KubeCluster;

  beforeAll(async () => {
    cluster = await startKubeCluster();
  }, coldStartTimeoutMs);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  it("serves the version it was built as", async () => {
    const { version } = await resolveKubeBinaries();
    const out = JSON.parse(await kubectlOk(cluster, ["version", "-o", "json"])) as {
      serverVersion?: { gitVersion?: string };
    };
    expect(out.serverVersion?.gitVersion).toBe(version);
  });

  it("applies a namespace and a ConfigMap", async () => {
    const manifest = `
apiVersion: v1
kind: Namespace
metadata: { name: kube-harness }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: greeting, namespace: kube-harness }
data: { hello: world }
`;
    await kubectlOk(cluster, ["apply", "-f", "-"], { stdin: manifest });
    const value = await kubectlOk(cluster, [
      "get",
      "configmap",
      "greeting",
      "-n",
      "kube-harness",
      "-o",
      "jsonpath={.data.hello}",
    ]);
    expect(value).toBe("world");
  });

  it(
    "installs the Gateway API CRDs",
    async () => {
      const crds = await installGatewayApiCrds(cluster.kubeconfigPath);
      expect(crds).toContain("httproutes.gateway.networking.k8s.io");
      const tcp = await kubectl(cluster, ["get", "crd", "tcproutes.gateway.networking.k8s.io"]);
      expect(tcp.stderr).toBe("");
      expect(tcp.code).toBe(0);
      const routes = await kubectl(cluster, ["get", "httproutes.gateway.networking.k8s.io", "-A"]);
      expect(routes.code).toBe(0);
    },
    5 * 60_000,
  );

  it(
    "keeps its data across an apiserver restart on the same port",
    async () => {
      await cluster.stopApiServer();
      const down = await kubectl(cluster, ["get", "namespace", "kube-harness"], {
        timeoutMs: 30_000,
      });
      expect(down.code).not.toBe(0);

      await cluster.startApiServer();
      const up = await kubectlOk(cluster, ["get", "namespace", "kube-harness", "-o", "name"]);
      expect(up.trim()).toBe("namespace/kube-harness");
      expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    },
    3 * 60_000,
  );

  it("leaves no process behind after stop()", async () => {
    expect(await leftoverProcesses(cluster.dir)).not.toEqual([]);
    await cluster.stop();
    expect(await leftoverProcesses(cluster.dir)).toEqual([]);
    await expect(readdir(cluster.dir)).rejects.toThrow(/ENOENT/);
  }, 60_000);
});
