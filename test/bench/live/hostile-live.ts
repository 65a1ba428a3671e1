/**
 * The hostile tenant live: a real API server holding a synthetic cluster and one object of every
 * hostile scenario (hostile-tenant.ts); the controller spawned as in the live benchmark, and its
 * /healthz asked without pause (one request at a time, 1 s apart at most, each given 10 s) from its
 * spawn until the end. Per phase — start-up (spawn → first POST), then an edit of each hostile object
 * (write → the controller's next translation, and its POST when the object is routed) — the longest
 * /healthz answer and how many took longer than the kubelet's default probe timeout (1 s).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { buildImageLayout } from "../../support/image-layout.ts";
import { startKubeCluster } from "../../support/kube/cluster.ts";
import { HOSTILE_NAMESPACE, HOSTILE_SCENARIOS, hostileTenant } from "../hostile-tenant.ts";
import { objectCount } from "../synthetic-cluster.ts";
import { createApps } from "./cluster-setup.ts";
import { nowMs, whileRunning, type ControllerProcess } from "./controller-process.ts";
import { watchIngressStatus } from "./ingress-status.ts";
import type { LiveKnobs } from "./knobs.ts";
import { connectKube } from "./kube-http.ts";
import { startRun, translationCount, translationTime, type ScaleContext } from "./scenarios.ts";
import { seededRandom } from "../../support/seeded-random.ts";

/** The kubelet's default probe timeout. */
const PROBE_TIMEOUT_MS = 1_000;
const PROBE_GIVE_UP_MS = 10_000;
const PROBE_GAP_MS = 100;
const BACKGROUND_APPS = 333;
const PHASE_TIMEOUT_MS = 120_000;

interface Probe {
  readonly at: number;
  readonly ms: number;
  readonly status: number | "timeout" | "refused";
}

/** Asks /healthz one request at a time until stopped. */
function probeHealth(controller: ControllerProcess): { probes: Probe[]; stop: () => void } {
  const probes: Probe[] = [];
  const state = { stopped: false };
  void (async () => {
    while (!state.stopped) {
      const at = nowMs();
      let status: Probe["status"];
      try {
        const res = await fetch(`http://127.0.0.1:${controller.healthPort}/healthz`, {
          signal: AbortSignal.timeout(PROBE_GIVE_UP_MS),
        });
        await res.text();
        status = res.status;
      } catch (err) {
        status = err instanceof Error && err.name === "TimeoutError" ? "timeout" : "refused";
      }
      probes.push({ at, ms: nowMs() - at, status });
      await sleep(PROBE_GAP_MS);
    }
  })();
  return {
    probes,
    stop: () => {
      state.stopped = true;
    },
  };
}

interface PhaseResult {
  readonly phase: string;
  readonly seconds: number;
  readonly translationMs: number | undefined;
  readonly probes: number;
  readonly maxMs: number;
  readonly overTimeout: number;
  readonly failed: number;
}

function phaseOf(
  phase: string,
  probes: readonly Probe[],
  window: { from: number; to: number },
  translationMs: number | undefined,
): PhaseResult {
  // A probe counts for the phase it was asked in; those refused before the server listened do not.
  const inPhase = probes.filter(
    p => p.at >= window.from && p.at <= window.to && p.status !== "refused",
  );
  return {
    phase,
    seconds: (window.to - window.from) / 1000,
    translationMs,
    probes: inPhase.length,
    maxMs: Math.max(0, ...inPhase.map(p => p.ms)),
    overTimeout: inPhase.filter(p => p.ms > PROBE_TIMEOUT_MS).length,
    failed: inPhase.filter(p => p.status !== 200).length,
  };
}

async function translationsAfter(
  controller: ControllerProcess,
  count: number,
  deadline: number,
): Promise<number | undefined> {
  while (nowMs() < deadline) {
    const seen = translationCount(await controller.metrics());
    if (seen !== undefined && seen > count) return seen;
    await sleep(200);
  }
  return undefined;
}

async function meanTranslationSince(
  controller: ControllerProcess,
  before: { sum: number; count: number } | undefined,
): Promise<number | undefined> {
  const after = translationTime(await controller.metrics());
  if (after === undefined) return undefined;
  const sum = after.sum - (before?.sum ?? 0);
  const count = after.count - (before?.count ?? 0);
  return count > 0 ? sum / count : undefined;
}

async function editPhases(
  ctx: ScaleContext,
  run: Awaited<ReturnType<typeof startRun>>,
  probes: readonly Probe[],
): Promise<PhaseResult[]> {
  const phases: PhaseResult[] = [];
  for (const scenario of HOSTILE_SCENARIOS) {
    await sleep(2_000);
    const metrics = await run.controller.metrics();
    const count = translationCount(metrics) ?? 0;
    const time = translationTime(metrics);
    const marker = ctx.nextMarker();
    const from = nowMs();
    await ctx.kube.apply(scenario.ingress(0, marker));
    const deadline = from + PHASE_TIMEOUT_MS;
    if (!scenario.overBudget)
      await whileRunning(
        run.controller,
        run.kong.waitForPost(p => p.markers.includes(marker), PHASE_TIMEOUT_MS),
      );
    await whileRunning(run.controller, translationsAfter(run.controller, count, deadline));
    const translationMs = await meanTranslationSince(run.controller, time);
    phases.push(phaseOf(`edit ${scenario.name}`, probes, { from, to: nowMs() }, translationMs));
  }
  return phases;
}

function render(phases: readonly PhaseResult[]): string {
  const rows = phases.map(
    p =>
      `| ${p.phase} | ${p.seconds.toFixed(1)} s | ${p.translationMs === undefined ? "—" : `${p.translationMs.toFixed(0)} ms`} | ${p.probes} | ${p.maxMs.toFixed(0)} ms | ${p.overTimeout} | ${p.failed} |`,
  );
  return `| phase | length | translation (mean, /metrics) | /healthz asked | longest answer | over 1 s | not 200 |\n|---|---|---|---|---|---|---|\n${rows.join("\n")}\n`;
}

/** Runs the hostile tenant against a spawned controller; resolves false when it stopped early. */
export async function runHostileLive(
  settings: LiveKnobs,
  write: (text: string) => void,
): Promise<boolean> {
  const log = (line: string): void => {
    write(`hostile: ${line}\n`);
  };
  const logDir = mkdtempSync(join(tmpdir(), "kongress-bench-hostile-"));
  const knobs = settings.fromSources
    ? settings
    : { ...settings, controllerBin: buildImageLayout(join(logDir, "image"), log) };
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const cluster = await startKubeCluster({ log, readyTimeoutMs: 30 * 60_000 });
    stops.push(() => cluster.stop());
    const kube = await connectKube(cluster.kubeconfigPath, knobs.applyConcurrency + 8);
    stops.push(() => kube.close());
    await createApps(kube, BACKGROUND_APPS, knobs.applyConcurrency);
    await kube.apply({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: HOSTILE_NAMESPACE },
    });
    for (const object of hostileTenant(1)) await kube.apply(object);
    log(`${objectCount(BACKGROUND_APPS)} objects and the hostile tenant applied`);
    const statuses = await watchIngressStatus(kube);
    stops.push(() => statuses.stop());
    let marker = 1_000_000;
    const ctx: ScaleContext = {
      ...{ scale: BACKGROUND_APPS * 3, apps: BACKGROUND_APPS, kube, statuses, knobs, logDir, log },
      kubeconfigPath: cluster.kubeconfigPath,
      random: seededRandom(knobs.seed),
      nextMarker: () => ++marker,
    };
    const run = await startRun(ctx, { label: "hostile", address: "203.0.113.20", args: [] });
    stops.push(() => run.stop());
    const prober = probeHealth(run.controller);
    stops.push(() => {
      prober.stop();
      return Promise.resolve();
    });
    const first = await whileRunning(
      run.controller,
      run.kong.waitForPost(() => true, PHASE_TIMEOUT_MS),
    );
    const startup = phaseOf(
      "start-up: spawn → first POST",
      prober.probes,
      { from: run.controller.spawnedMs, to: first?.startMs ?? nowMs() },
      await meanTranslationSince(run.controller, undefined),
    );
    const phases = [startup, ...(await editPhases(ctx, run, prober.probes))];
    write(`\n${render(phases)}\n`);
    return true;
  } catch (err) {
    log(`stopped early: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  } finally {
    for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) {
      await stop().catch((err: unknown) => {
        log(`cleanup failed: ${String(err)}`);
      });
    }
  }
}
