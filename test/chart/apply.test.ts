/**
 * The rendered chart against a real kube-apiserver: every golden's manifests pass a server-side
 * dry-run apply (the real schemas and admission validate them), the chart's CRDs install for real,
 * and after them every manifest in examples/ applies.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { CLUSTER_START_TIMEOUT_MS } from "../e2e/harness.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { applyCrdFiles, installGatewayApiCrds } from "../support/kube/crds.ts";
import { kubectl, kubectlOk } from "../support/kube/kubectl.ts";
import { CHART_DIR, NAMESPACE, renderChart, resolveHelm, valuesFiles } from "./helm.ts";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
// Served only where prometheus-operator is installed; its CRD is not part of this test cluster.
const NOT_SERVED_HERE = new Set(["ServiceMonitor"]);

let cluster: KubeCluster;

beforeAll(async () => {
  await resolveHelm(3);
  cluster = await startKubeCluster();
  await installGatewayApiCrds(cluster.kubeconfigPath);
  await kubectlOk(cluster, ["create", "namespace", NAMESPACE]);
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await cluster.stop();
});

function documents(yamlText: string): Record<string, unknown>[] {
  return parseAllDocuments(yamlText)
    .map(doc => doc.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);
}

/** The chart's CRDs (Kong's own kinds), as Helm installs them: every YAML or JSON file in crds/. */
function crdFiles(): string[] {
  const dir = join(CHART_DIR, "crds");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter(f => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map(f => join(dir, f));
}

describe("the rendered chart on a real API server", () => {
  it.each(valuesFiles())("$name passes a server-side dry-run apply", async ({ path }) => {
    const rendered = documents(await renderChart(3, path)).filter(
      d => !NOT_SERVED_HERE.has(String(d["kind"])),
    );
    expect(rendered.length).toBeGreaterThan(5);
    const result = await kubectl(
      cluster,
      ["apply", "--server-side", "--dry-run=server", "--field-manager=helm", "-f", "-"],
      // JSON, not YAML again: kubectl reads YAML 1.1, where an unquoted `off` is a boolean.
      { stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: rendered }) },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    // One line per object: every one was sent and accepted.
    expect(result.stdout.trim().split("\n")).toHaveLength(rendered.length);
  });

  it("installs the chart's CRDs for real, after which every example applies", async () => {
    const crds = crdFiles();
    if (crds.length > 0) {
      const names = await applyCrdFiles(cluster.kubeconfigPath, crds);
      expect(names.length).toBe(crds.length);
    }
    const examples = readdirSync(EXAMPLES)
      .filter(f => /\.(ya?ml|json)$/.test(f))
      .sort();
    const namespaces = new Set<string>();
    for (const file of examples) {
      const text = readFileSync(join(EXAMPLES, file), "utf8");
      const docs = file.endsWith(".json")
        ? ((JSON.parse(text) as { items?: Record<string, unknown>[] }).items ?? [])
        : documents(text);
      for (const d of docs) {
        const ns = (d["metadata"] as { namespace?: string } | undefined)?.namespace;
        if (ns !== undefined) namespaces.add(ns);
      }
    }
    for (const ns of namespaces) await kubectlOk(cluster, ["create", "namespace", ns]);
    const result = await kubectl(cluster, [
      "apply",
      "--server-side",
      ...examples.flatMap(f => ["-f", join(EXAMPLES, f)]),
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});
