/**
 * The chart as helm sees it, with Helm 3 and Helm 4: lint, the rendered manifests of every values
 * file against its golden (UPDATE_GOLDEN=1 rewrites them for review), the same bytes from both
 * Helms and from two renders, values the schema refuses, and a README that says what values.yaml
 * says.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { KIND_DEFINITIONS } from "../../src/model/kinds.ts";
import { chartReadmePaths, renderReadme } from "./chart-readme.ts";
import {
  CHART_DIR,
  helm,
  KUBE_VERSION,
  renderChart,
  resolveHelm,
  valuesFiles,
  type HelmMajor,
} from "./helm.ts";

const GOLDEN_DIR = join(import.meta.dirname, "golden");
const UPDATE = process.env["UPDATE_GOLDEN"] === "1";
const MAJORS: readonly HelmMajor[] = [3, 4];

/**
 * Helm 4 ends every document with an empty line where Helm 3 does not; nothing else may differ.
 * The rendered manifests hold no block scalars, so no empty line carries meaning.
 */
function withoutEmptyLines(text: string): string {
  return text
    .split("\n")
    .filter(line => line.trim() !== "")
    .join("\n");
}

beforeAll(async () => {
  // Cold: two helm builds from the Go module proxy, cached afterwards.
  await Promise.all(MAJORS.map(resolveHelm));
}, 25 * 60_000);

interface Manifest {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly annotations?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
}

function manifests(rendered: string): Manifest[] {
  return parseAllDocuments(rendered)
    .map(doc => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

describe.each(MAJORS)("helm %i", major => {
  it.each(valuesFiles())("lints with $name", async ({ path }) => {
    const lint = await helm(major, [
      "lint",
      CHART_DIR,
      "--strict",
      "--kube-version",
      KUBE_VERSION,
      "--values",
      path,
    ]);
    expect(lint.stderr + lint.stdout).toContain("0 chart(s) failed");
    expect(lint.code).toBe(0);
  });

  it.each(valuesFiles())("renders $name as its golden", async ({ name, path }) => {
    const rendered = await renderChart(major, path);
    const golden = join(GOLDEN_DIR, `${name}.yaml`);
    if (UPDATE && major === 3) writeFileSync(golden, rendered);
    expect(existsSync(golden), `${golden} (UPDATE_GOLDEN=1 writes it)`).toBe(true);
    const expected = readFileSync(golden, "utf8");
    if (major === 3) expect(rendered).toBe(expected);
    else expect(withoutEmptyLines(rendered)).toBe(withoutEmptyLines(expected));
  });

  it.each([
    ["an unknown Kong mode", ["--set", "kong.mode=dbless"], "value must be one of"],
    ["a misspelt key", ["--set", "controller.replica=3"], "additional properties 'replica'"],
    [
      "an admin token in clear",
      ["--set", "externalKong.token=s3cret"],
      "additional properties 'token'",
    ],
    ["negative replicas", ["--set", "controller.replicas=-1"], "minimum"],
    [
      "gateway mode without the Admin API's TLS Secret",
      ["--set", "kong.mode=gateway"],
      "kong.admin.tls.secretName",
    ],
    ["external mode without a Kong", ["--set", "kong.mode=external"], "externalKong.adminUrls"],
  ])("refuses %s", async (_what, args, message) => {
    const rendered = await renderChart(major, undefined, args).then(
      () => "",
      (err: unknown) => String(err),
    );
    expect(rendered).toContain(message);
  });
});

describe("the rendered chart", () => {
  it("is the same with Helm 3 and Helm 4, and from one render to the next", async () => {
    for (const { path } of valuesFiles()) {
      const [three, four, again] = await Promise.all([
        renderChart(3, path),
        renderChart(4, path),
        renderChart(3, path),
      ]);
      expect(withoutEmptyLines(four)).toBe(withoutEmptyLines(three));
      expect(again).toBe(three);
    }
  });

  it("uses no lookup, hooks or random values, which would break ArgoCD syncs", () => {
    const dir = join(CHART_DIR, "templates");
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), "utf8");
      expect(text, file).not.toMatch(
        /\blookup\b|helm\.sh\/hook|\brand[A-Za-z]*\b|\bnow\b|genCA|uuidv4/,
      );
    }
  });

  it("runs every container non-root, read-only, without privileges or capabilities", async () => {
    for (const { name, path } of valuesFiles()) {
      const deployments = manifests(await renderChart(3, path)).filter(
        m => m.kind === "Deployment",
      );
      // Every values file runs the controller, so an empty list means the check looked at nothing.
      expect(deployments.length, name).toBeGreaterThan(0);
      for (const m of deployments) {
        const pod = (m.spec as { template: { spec: PodSpec } }).template.spec;
        expect(pod.containers.length, `${name}: ${m.metadata.name}`).toBeGreaterThan(0);
        for (const c of pod.containers) {
          const where = `${name}: ${m.metadata.name}/${c.name}`;
          expect(c.securityContext?.allowPrivilegeEscalation, where).toBe(false);
          expect(c.securityContext?.readOnlyRootFilesystem, where).toBe(true);
          expect(c.securityContext?.capabilities?.drop, where).toEqual(["ALL"]);
          const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
          expect(nonRoot, where).toBe(true);
          const seccomp =
            c.securityContext?.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
          expect(seccomp, where).toBe("RuntimeDefault");
        }
        // Tokens are mounted explicitly, into the controller container only.
        expect(pod.automountServiceAccountToken, `${name}: ${m.metadata.name}`).toBe(false);
      }
    }
  });

  it("adds a PodDisruptionBudget only with more than one replica", async () => {
    const kinds = async (values: string) =>
      manifests(await renderChart(3, join(import.meta.dirname, "values", values))).map(m => m.kind);
    expect(await kinds("defaults.yaml")).not.toContain("PodDisruptionBudget");
    expect(await kinds("three-replicas.yaml")).toContain("PodDisruptionBudget");
  });
});

interface PodSpec {
  readonly automountServiceAccountToken?: boolean;
  readonly securityContext?: SecurityContext;
  readonly containers: readonly {
    readonly name: string;
    readonly securityContext?: SecurityContext;
  }[];
}

interface SecurityContext {
  readonly allowPrivilegeEscalation?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly runAsNonRoot?: boolean;
  readonly capabilities?: { readonly drop?: readonly string[] };
  readonly seccompProfile?: { readonly type?: string };
}

describe("the chart's ClusterRole", () => {
  it("lists and watches every kind the controller's registry has, and no other", async () => {
    const role = manifests(await renderChart(3, undefined)).find(m => m.kind === "ClusterRole") as
      | (Manifest & {
          rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
        })
      | undefined;
    const watched = (role?.rules ?? [])
      .filter(r => r.verbs.includes("list") && r.verbs.includes("watch"))
      .flatMap(r => r.resources.map(res => `${r.apiGroups.join(",")}/${res}`))
      .sort();
    // A kind added to src/model/kinds.ts (Kong's own, say) needs its rule in the chart too.
    expect(watched).toEqual(KIND_DEFINITIONS.map(d => `${d.group}/${d.plural}`).sort());
  });
});

describe("the chart README", () => {
  it("lists every documented value as values.yaml has it (npm run chart:readme)", () => {
    const paths = chartReadmePaths();
    const readme = readFileSync(paths.readme, "utf8");
    expect(renderReadme(readme, readFileSync(paths.values, "utf8"))).toBe(readme);
  });
});
