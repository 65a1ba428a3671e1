/**
 * The live benchmark: per cluster size, a real kube-apiserver filled by server-side apply, then three
 * controller starts (`bin/kongress.js run` as a child process, each against a fresh Kong stand-in):
 *   1. default flags: start-up, memory, idle, floor, single changes, churn;
 *   2. `--proxy-sync-seconds=0`: start-up, single changes;
 *   3. default flags after adding the noise Secrets: start-up, memory.
 * Each start publishes its own status address, so "every Ingress has status" is measured anew each time.
 * Everything started is stopped on the way out, on failure and on SIGINT/SIGTERM too.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startKubeCluster } from "../../support/kube/cluster.ts";
import { objectCount, objectCountRoutedBy } from "../synthetic-cluster.ts";
import { churn, singleChanges } from "./changes.ts";
import { createApps, createNoiseSecrets } from "./cluster-setup.ts";
import { watchIngressStatus } from "./ingress-status.ts";
import type { LiveKnobs } from "./knobs.ts";
import { buildImageLayout } from "../../support/image-layout.ts";
import { connectKube } from "./kube-http.ts";
import { renderTable, type ScaleResult } from "./report.ts";
import {
  measureFloor,
  measureIdle,
  measureMemory,
  measureStartup,
  startRun,
  type Run,
  type ScaleContext,
} from "./scenarios.ts";
import { seededRandom } from "../../support/seeded-random.ts";

/** Addresses from TEST-NET-3 (RFC 5737): published on Ingresses, never contacted. */
const STATUS_ADDRESSES = ["203.0.113.10", "203.0.113.11", "203.0.113.12"] as const;
const CLUSTER_START_TIMEOUT_MS = 30 * 60_000;

type Stop = () => Promise<unknown>;

/** What is running, stopped newest first however the benchmark ends. */
class Cleanup {
  readonly #stops: { name: string; stop: Stop }[] = [];

  defer(name: string, stop: Stop): void {
    this.#stops.push({ name, stop });
  }

  async runAll(log: (line: string) => void): Promise<void> {
    for (let entry = this.#stops.pop(); entry !== undefined; entry = this.#stops.pop()) {
      try {
        await entry.stop();
      } catch (err) {
        log(`cleanup: stopping ${entry.name} failed: ${String(err)}`);
      }
    }
  }
}

async function withRun<T>(
  ctx: ScaleContext,
  cleanup: Cleanup,
  opts: Parameters<typeof startRun>[1],
  body: (run: Run) => Promise<T>,
): Promise<T> {
  const run = await startRun(ctx, opts);
  cleanup.defer(`controller ${opts.label}`, () => run.stop());
  try {
    return await body(run);
  } finally {
    await run.stop();
  }
}

async function defaultsRun(ctx: ScaleContext, cleanup: Cleanup, r: ScaleResult): Promise<void> {
  const { knobs } = ctx;
  await withRun(
    ctx,
    cleanup,
    { label: "defaults", address: STATUS_ADDRESSES[0], args: [] },
    async run => {
      r.startup = await measureStartup(ctx, run);
      r.memory = await measureMemory(ctx, run);
      if (knobs.idleSeconds > 0) r.idle = await measureIdle(ctx, run);
      r.floor = await measureFloor(ctx, run);
      if (knobs.changes > 0) r.changes = await singleChanges(ctx, run);
      if (knobs.sliceChanges > 0)
        r.sliceChanges = await singleChanges(ctx, run, {
          what: "EndpointSlice",
          changes: knobs.sliceChanges,
        });
      if (knobs.routeChanges > 0)
        r.routeChanges = await singleChanges(ctx, run, {
          what: "HTTPRoute",
          changes: knobs.routeChanges,
        });
      if (knobs.churnSeconds > 0 && knobs.churnRate > 0) {
        r.churn = await churn(ctx, run);
        // Whether the churn left anything behind: the heap once quiet again, against the first idle.
        if (knobs.idleSeconds > 0) r.idleAfterChurn = await measureIdle(ctx, run);
      }
    },
  );
}

async function runScale(
  scale: number,
  knobs: LiveKnobs,
  logDir: string,
  cleanup: Cleanup,
  log: (line: string) => void,
): Promise<ScaleResult> {
  const apps = Math.floor(scale / 3);
  const objects = knobs.routeChanges > 0 ? objectCountRoutedBy("mixed", apps) : objectCount(apps);
  const r: ScaleResult = { scale, apps, objects };
  log(`== ${apps} apps (${r.objects} objects) ==`);
  try {
    const cluster = await startKubeCluster({ log, readyTimeoutMs: CLUSTER_START_TIMEOUT_MS });
    cleanup.defer("cluster", () => cluster.stop());
    const kube = await connectKube(cluster.kubeconfigPath, knobs.applyConcurrency + 8);
    cleanup.defer("API client", () => kube.close());
    r.created = await createApps(
      kube,
      apps,
      knobs.applyConcurrency,
      knobs.routeChanges > 0 ? { kubeconfigPath: cluster.kubeconfigPath } : undefined,
    );
    log(
      `created ${r.created.objects} objects in ${r.created.seconds.toFixed(1)} s (${(r.created.objects / r.created.seconds).toFixed(0)}/s, ${knobs.applyConcurrency} server-side applies in flight)`,
    );
    const statuses = await watchIngressStatus(kube);
    cleanup.defer("Ingress watch", () => statuses.stop());
    let marker = 0;
    const ctx: ScaleContext = {
      scale,
      apps,
      kube,
      kubeconfigPath: cluster.kubeconfigPath,
      statuses,
      knobs,
      logDir,
      random: seededRandom(knobs.seed),
      nextMarker: () => ++marker,
      log,
    };
    await defaultsRun(ctx, cleanup, r);
    if (knobs.changes > 0) {
      const eager = {
        label: "proxy-sync-0",
        address: STATUS_ADDRESSES[1],
        args: ["--proxy-sync-seconds=0"],
      };
      await withRun(ctx, cleanup, eager, async run => {
        r.eagerStartup = await measureStartup(ctx, run);
        await measureMemory(ctx, run);
        r.eagerChanges = await singleChanges(ctx, run);
      });
    }
    if (knobs.noiseSecrets > 0) {
      r.noise = await createNoiseSecrets(kube, {
        count: knobs.noiseSecrets,
        kib: knobs.noiseSecretKiB,
        concurrency: knobs.applyConcurrency,
      });
      log(
        `created ${r.noise.objects} noise Secrets of ${knobs.noiseSecretKiB} KiB in ${r.noise.seconds.toFixed(1)} s`,
      );
      const noisy = { label: "noise", address: STATUS_ADDRESSES[2], args: [] };
      await withRun(ctx, cleanup, noisy, async run => {
        r.noiseStartup = await measureStartup(ctx, run);
        r.noiseMemory = await measureMemory(ctx, run);
        // After the idle release too: right after the sync, garbage decides the difference.
        if (knobs.idleSeconds > 0) r.noiseIdle = await measureIdle(ctx, run);
      });
    }
  } catch (err) {
    r.error = err instanceof Error ? err.message : String(err);
    log(`${apps} apps: stopped early: ${r.error}`);
  } finally {
    await cleanup.runAll(log);
  }
  return r;
}

/** Runs every scale in turn and prints the closing table; resolves false when a scale stopped early. */
export async function runLive(
  settings: LiveKnobs,
  write: (text: string) => void,
): Promise<boolean> {
  const log = (line: string): void => {
    write(`live: ${line}\n`);
  };
  const logDir = mkdtempSync(join(tmpdir(), "kongress-bench-"));
  log(`controller logs in ${logDir}`);
  const knobs = settings.fromSources
    ? settings
    : { ...settings, controllerBin: buildImageLayout(join(logDir, "image"), log) };
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping everything the benchmark started`);
    void cleanup.runAll(log).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const results: ScaleResult[] = [];
  try {
    for (const scale of knobs.scales) {
      results.push(await runScale(scale, knobs, logDir, cleanup, log));
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  write(`\n${renderTable(results)}\n`);
  write(
    `\nknobs: ${knobs.changes} changes, ${knobs.sliceChanges} EndpointSlice changes and ${knobs.routeChanges} HTTPRoute changes (mixed cluster) ${knobs.changeGapMs.min}–${knobs.changeGapMs.max} ms apart, churn ${knobs.churnRate}/s for ${knobs.churnSeconds} s, idle ${knobs.idleSeconds} s, settle ${knobs.settleSeconds} s, ${knobs.noiseSecrets} noise Secrets of ${knobs.noiseSecretKiB} KiB; controller logs in ${logDir}\n`,
  );
  return results.every(r => r.error === undefined);
}
