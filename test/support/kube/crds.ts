import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { kubectlOk } from "./kubectl.ts";
import { runCommand } from "./run.ts";

export const gatewayApiVersion = "v1.6.1";

/** What discovery finds where that bundle is installed: every Gateway API kind, at v1. */
export const GATEWAY_KINDS_AT_V1: Readonly<Record<string, string>> = Object.freeze({
  GatewayClass: "v1",
  Gateway: "v1",
  HTTPRoute: "v1",
  GRPCRoute: "v1",
  TCPRoute: "v1",
  UDPRoute: "v1",
  TLSRoute: "v1",
  ReferenceGrant: "v1",
});

/**
 * Installs the Gateway API CRDs of one bundle (standard channel of the current release by default; the
 * safe-upgrades ValidatingAdmissionPolicy shipped beside them included) from the published Go module, and waits until every CRD is Established.
 * Fetching at test time keeps copies of upstream YAML out of the repo. Returns the CRD names.
 */
export async function installGatewayApiCrds(
  kubeconfigPath: string,
  bundle: { readonly version?: string; readonly channel?: "standard" | "experimental" } = {},
): Promise<string[]> {
  const moduleDir = await goModuleDir(
    "sigs.k8s.io/gateway-api",
    bundle.version ?? gatewayApiVersion,
  );
  const crdDir = join(moduleDir, "config", "crd", bundle.channel ?? "standard");
  const files = (await readdir(crdDir))
    .filter(f => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .sort();
  if (files.length === 0) throw new Error(`no CRD manifests in ${crdDir}`);
  return applyCrdFiles(
    kubeconfigPath,
    files.map(f => join(crdDir, f)),
  );
}

/**
 * The chart's CRDs: Kong's own kinds (KongPlugin, KongClusterPlugin, KongConsumer, KongUpstreamPolicy)
 * and KIC's IngressClassParameters.
 */
const kongCrdDir = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "charts",
  "kongress",
  "crds",
);

/** Installs the chart's Kong CRDs and waits until each is Established. Returns the CRD names. */
export async function installKongCrds(kubeconfigPath: string): Promise<string[]> {
  const files = (await readdir(kongCrdDir)).filter(f => f.endsWith(".yaml")).sort();
  return applyCrdFiles(
    kubeconfigPath,
    files.map(f => join(kongCrdDir, f)),
  );
}

/**
 * Applies CRD manifests (server-side, one field manager for every test install) and waits until each
 * CRD they define is Established. Returns the CRD names, one per CRD the apply reported.
 */
export async function applyCrdFiles(
  kubeconfigPath: string,
  files: readonly string[],
): Promise<string[]> {
  const applied = await kubectlOk({ kubeconfigPath }, [
    "apply",
    "--server-side",
    "--field-manager=kongress-tests",
    "-o",
    "name",
    ...files.flatMap(f => ["-f", f]),
  ]);
  const crds = applied
    .split("\n")
    .filter(line => line.startsWith("customresourcedefinition."))
    .map(line => line.slice(line.indexOf("/") + 1));
  await waitForCrdsEstablished(kubeconfigPath, crds);
  return crds;
}

/** Waits until each named CRD (e.g. "httproutes.gateway.networking.k8s.io") is Established. */
export async function waitForCrdsEstablished(
  kubeconfigPath: string,
  names: readonly string[],
  timeoutMs = 60_000,
): Promise<void> {
  if (names.length === 0) return;
  await kubectlOk(
    { kubeconfigPath },
    [
      "wait",
      "--for=condition=Established",
      `--timeout=${Math.ceil(timeoutMs / 1000)}s`,
      ...names.map(n => `crd/${n}`),
    ],
    { timeoutMs: timeoutMs + 30_000 },
  );
}

async function goModuleDir(path: string, version: string): Promise<string> {
  const result = await runCommand("go", ["mod", "download", "-json", `${path}@${version}`], {
    // Outside any module, so the repo's own go.mod files cannot influence the download.
    cwd: tmpdir(),
    env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "" },
    timeoutMs: 300_000,
  }).catch((err: unknown) => {
    throw new Error(`fetching ${path}@${version} needs the Go toolchain ('go' on PATH)`, {
      cause: err,
    });
  });
  const info = parseDownload(result.stdout);
  if (result.code !== 0 || info.Dir === undefined) {
    throw new Error(
      `go mod download ${path}@${version} failed: ${info.Error ?? result.stderr.trim()}`,
    );
  }
  return info.Dir;
}

function parseDownload(stdout: string): { Dir?: string; Error?: string } {
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (typeof parsed !== "object" || parsed === null) return {};
    const { Dir, Error: error } = parsed as Record<string, unknown>;
    return {
      ...(typeof Dir === "string" ? { Dir } : {}),
      ...(typeof error === "string" ? { Error: error } : {}),
    };
  } catch {
    return {};
  }
}
