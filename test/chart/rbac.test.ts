/**
 * The chart's RBAC is exactly what the controller needs. The controller runs as the chart's
 * ServiceAccount user (a client certificate for `system:serviceaccount:<ns>:<name>`; the test API
 * server authorizes with RBAC) bound by the chart's own rendered roles, and does everything a small
 * scenario asks: Ready, leader, Kong configured with a TLS certificate from a Secret, Ingress and
 * Gateway API statuses, an Event, and the same Event bumped after a restart. Then, for every rule of
 * the chart's ClusterRole and Role, the same run with that one rule removed fails the check that
 * says what the rule is for: none is superfluous, and the first run shows none is missing.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLUSTER_START_TIMEOUT_MS,
  report,
  runController,
  STATUS_ADDRESS,
  type RunningController,
} from "../e2e/harness.ts";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { installGatewayApiCrds, installKongCrds } from "../support/kube/crds.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { runCommand } from "../support/kube/run.ts";
import { resolveHelm } from "./helm.ts";
import {
  chartRbac,
  checkNeeding,
  clusterView,
  FIRST_RUN_CHECKS,
  passedChecks,
  ruleLabel,
  rulesOf,
  scenarioManifest,
  serviceAccountKubeconfig,
  stillWorkingWithout,
  without,
  type CheckName,
  type RuleRef,
} from "./rbac-scenario.ts";

const FULL_RUN_TIMEOUT_MS = 90_000;

let cluster: KubeCluster;
let tls: { cert: string; key: string };
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await resolveHelm(3);
  cluster = await startKubeCluster();
  await installGatewayApiCrds(cluster.kubeconfigPath);
  // The chart's own CRDs, as `helm install` puts them in before the rest.
  await installKongCrds(cluster.kubeconfigPath);
  const dir = await mkdtemp(join(tmpdir(), "kongress-rbac-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const made = await runCommand(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-subj",
      "/CN=web.example.com",
      "-addext",
      "subjectAltName=DNS:web.example.com",
      "-days",
      "2",
      "-keyout",
      join(dir, "tls.key"),
      "-out",
      join(dir, "tls.crt"),
    ],
    { timeoutMs: 30_000 },
  );
  if (made.code !== 0) throw new Error(made.stderr);
  tls = {
    cert: await readFile(join(dir, "tls.crt"), "utf8"),
    key: await readFile(join(dir, "tls.key"), "utf8"),
  };
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await cluster.stop();
}, 120_000);

/** One kubectl call serves every case polling within the same second. */
let view: { at: number; objects: Promise<Awaited<ReturnType<typeof clusterView>>> } | undefined;
function latestView(): ReturnType<typeof clusterView> {
  if (view === undefined || Date.now() - view.at > 1000)
    view = { at: Date.now(), objects: clusterView(cluster) };
  return view.objects;
}

interface CaseRun {
  readonly passed: ReadonlySet<CheckName>;
  readonly ms: number;
}

/** How long a removal case keeps watching once everything else works: the writes come together. */
const SETTLE_MS = 5_000;
/** Cases run side by side, a few at a time: a controller each, on a machine of two cores. */
const PARALLEL_CASES = 6;

interface CaseSpec {
  readonly ns: string;
  readonly removed?: RuleRef;
  /** Checks that must pass; the run ends once they all did. */
  readonly wanted: readonly CheckName[];
  /** A check expected to fail: the run ends SETTLE_MS after all of `wanted` passed, or at the window. */
  readonly needed?: CheckName;
  /** How long each controller run (first, and after the restart) is watched at most. */
  readonly windowMs: number;
}

/**
 * Runs the scenario in namespace `ns` as the chart's ServiceAccount there, with the chart's RBAC less
 * `removed`, and resolves with the checks passed.
 */
async function runCase(spec: CaseSpec): Promise<CaseRun> {
  const { ns, needed } = spec;
  const started = Date.now();
  await kubectlOk(cluster, ["create", "namespace", ns]);
  const rbac = without(await chartRbac(ns), spec.removed);
  await kubectlOk(cluster, ["apply", "-f", "-"], {
    stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: rbac }),
  });
  const kubeconfigPath = await serviceAccountKubeconfig(cluster, ns, ns);
  await kubectlOk(cluster, ["apply", "-f", "-"], { stdin: scenarioManifest(ns, tls) });
  const kong: KongEmulator = await startKongEmulator();
  cleanups.push(() => kong.stop());
  const start = (): Promise<RunningController> =>
    runController({
      cluster: { ...cluster, kubeconfigPath },
      kong,
      args: [
        `--publish-status-address=${STATUS_ADDRESS}`,
        `--ingress-class=${ns}`,
        `--gateway-api-controller-name=example.com/${ns}`,
        `--election-namespace=${ns}`,
      ],
    });
  let run = await start();
  cleanups.push(() => run.stop());
  const poll = async (checks: readonly CheckName[]): Promise<Set<CheckName>> => {
    // The window starts with the controller, not with the case's set-up.
    const deadline = Date.now() + spec.windowMs;
    let allSince: number | undefined;
    for (;;) {
      const ready = (await run.get("/readyz")).status === 200;
      const passed = passedChecks(await latestView(), { ns, ready, kong });
      const all = checks.every(c => passed.has(c));
      allSince = all ? (allSince ?? Date.now()) : undefined;
      const settled =
        allSince !== undefined &&
        (needed === undefined || passed.has(needed) || Date.now() - allSince > SETTLE_MS);
      if (settled || Date.now() > deadline) return passed;
      await sleep(500);
    }
  };
  const bump: CheckName = "Event bumped after a restart";
  const first = await poll(spec.wanted.filter(c => c !== bump));
  const restart = spec.wanted.includes(bump) || needed === bump;
  if (!restart || !first.has("Event on the dangling Ingress"))
    return { passed: first, ms: Date.now() - started };
  // A restarted controller finds its Event from before and bumps it instead of writing another.
  await run.stop();
  run = await start();
  const second = await poll(spec.wanted.includes(bump) ? ["ready", bump] : ["ready"]);
  return { passed: new Set([...first, ...second]), ms: Date.now() - started };
}

/** `work` over `items`, at most `limit` at once, results in order. */
async function inBatches<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let from = 0; from < items.length; from += limit)
    results.push(
      ...(await Promise.all(
        items.slice(from, from + limit).map((item, j) => work(item, from + j)),
      )),
    );
  return results;
}

const ALL_CHECKS: readonly CheckName[] = [...FIRST_RUN_CHECKS, "Event bumped after a restart"];
let fullRunMs = 0;

describe("the chart's RBAC", () => {
  it(
    "lets the controller, as the chart's ServiceAccount, do everything the scenario needs",
    async () => {
      const { passed, ms } = await runCase({
        ns: "rbac-full",
        wanted: ALL_CHECKS,
        windowMs: FULL_RUN_TIMEOUT_MS,
      });
      expect([...ALL_CHECKS].filter(c => !passed.has(c))).toEqual([]);
      fullRunMs = ms;
      report(`rbac: the scenario passed with the chart's RBAC in ${String(ms)} ms`);
    },
    FULL_RUN_TIMEOUT_MS + 60_000,
  );

  it(
    "has no rule the controller could do without",
    async () => {
      expect(fullRunMs).toBeGreaterThan(0);
      const rules = rulesOf(await chartRbac("rbac-rules"));
      expect(rules.length).toBeGreaterThan(10);
      // Long enough for the full scenario three times over: a check still failing then is refused.
      const windowMs = Math.max(30_000, 3 * fullRunMs);
      const results = await inBatches(rules, PARALLEL_CASES, async (rule, i) => {
        const needed = checkNeeding(rule.rule);
        const others = stillWorkingWithout(needed);
        const { passed } = await runCase({
          ns: `rbac-minus-${String(i)}`,
          removed: rule,
          wanted: others,
          needed,
          windowMs,
        });
        const broken = others.filter(c => !passed.has(c));
        return { label: ruleLabel(rule), needed, failed: !passed.has(needed), broken };
      });
      for (const r of results)
        report(
          `rbac: without "${r.label}": ${r.needed} ${r.failed ? "fails" : "STILL PASSES"}` +
            (r.broken.length === 0 ? "" : `; also broken: ${r.broken.join(", ")}`),
        );
      expect(results.filter(r => !r.failed).map(r => r.label)).toEqual([]);
      // Each failure is that rule's: what does not depend on it still works.
      expect(results.filter(r => r.broken.length > 0).map(r => r.label)).toEqual([]);
    },
    10 * 60_000,
  );
});
