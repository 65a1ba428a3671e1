/**
 * The live scenarios that watch a controller rather than drive it: start-up (spawn → first POST → every
 * Ingress's status), memory after a settle period, an idle period, and the floor (stringify + SHA-256 of
 * the config Kong holds).
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import {
  metricSum,
  nowMs,
  startControllerProcess,
  whileRunning,
  type ControllerProcess,
  type MetricSample,
} from "./controller-process.ts";
import type { IngressStatusWatch } from "./ingress-status.ts";
import { startKongStandIn, type KongStandIn } from "./kong-standin.ts";
import type { KubeHttp } from "./kube-http.ts";
import type { LiveKnobs } from "./knobs.ts";
import { fmtBytesMiB, fmtMiB, fmtS, percentile } from "./stats.ts";
import { imageEnv, imageNodeOptions } from "../../support/image-layout.ts";

/** What every scenario of one cluster size shares. */
export interface ScaleContext {
  readonly scale: number;
  readonly apps: number;
  readonly kube: KubeHttp;
  readonly kubeconfigPath: string;
  readonly statuses: IngressStatusWatch;
  readonly knobs: LiveKnobs;
  readonly logDir: string;
  readonly random: () => number;
  /** A fresh `bench-seq-<n>` marker, unique within the cluster. */
  nextMarker(): number;
  log(line: string): void;
}

/** One controller process and the fresh Kong stand-in it pushes to. */
export interface Run {
  readonly label: string;
  readonly address: string;
  readonly controller: ControllerProcess;
  readonly kong: KongStandIn;
  stop(): Promise<void>;
}

export async function startRun(
  ctx: ScaleContext,
  opts: { readonly label: string; readonly address: string; readonly args: readonly string[] },
): Promise<Run> {
  const kong = await startKongStandIn({ maxBodyBytes: ctx.knobs.kongMaxBodyMiB * 2 ** 20 });
  let controller: ControllerProcess;
  try {
    controller = await startControllerProcess({
      kubeconfigPath: ctx.kubeconfigPath,
      kongUrl: kong.url,
      statusAddress: opts.address,
      logDir: ctx.logDir,
      label: `${ctx.scale}-${opts.label}`,
      // The controller is told the stand-in's body limit, as an operator who raised Kong's would tell
      // it: at its default (Kong's 10 MiB) it would not send the 10k config and push a fallback.
      extraArgs: [
        `--max-config-bytes=${ctx.knobs.kongMaxBodyMiB * 2 ** 20}`,
        ...opts.args,
        ...ctx.knobs.controllerArgs,
      ],
      ...(ctx.knobs.controllerBin === undefined ? {} : { bin: ctx.knobs.controllerBin }),
      nodeOptions: [...imageNodeOptions(), ...ctx.knobs.controllerNodeArgs],
      env: { ...imageEnv(), ...ctx.knobs.controllerEnv },
    });
  } catch (err) {
    await kong.stop();
    throw err;
  }
  ctx.log(
    `[${opts.label}] controller pid ${controller.pid}: ${controller.args.join(" ")}; log ${controller.logPath}`,
  );
  let stopping: Promise<void> | undefined;
  return {
    label: opts.label,
    address: opts.address,
    controller,
    kong,
    stop: () =>
      (stopping ??= (async () => {
        const reason = await controller.stop();
        await kong.stop();
        ctx.log(`[${opts.label}] controller stopped (${reason})`);
      })()),
  };
}

export interface StartupResult {
  readonly firstPostS: number;
  readonly firstPostBytes: number;
  /** Undefined when not every Ingress had the address within the sync timeout. */
  readonly statusAfterSpawnS: number | undefined;
  readonly statusAfterFirstPostS: number | undefined;
  /** Mean of the translations the controller reported by the first POST (metrics), if exported. */
  readonly firstTranslationMs: number | undefined;
}

function histogramMean(
  samples: readonly MetricSample[] | undefined,
  name: string,
): { sum: number; count: number } | undefined {
  const sum = metricSum(samples, `${name}_sum`);
  const count = metricSum(samples, `${name}_count`);
  return sum === undefined || count === undefined ? undefined : { sum, count };
}

export const TRANSLATION_HISTOGRAM = "ingress_controller_translation_duration_milliseconds";

/** Translation runs, primary and fallback (KIC's counters); undefined when not exported. */
export function translationCount(samples: readonly MetricSample[] | undefined): number | undefined {
  const primary = metricSum(samples, "ingress_controller_translation_count");
  const fallback = metricSum(samples, "ingress_controller_fallback_translation_count");
  return primary === undefined ? undefined : primary + (fallback ?? 0);
}

/** Sum and count of the translation-duration histogram, for means over a window. */
export function translationTime(
  samples: readonly MetricSample[] | undefined,
): { sum: number; count: number } | undefined {
  return histogramMean(samples, TRANSLATION_HISTOGRAM);
}

/** Spawn → first POST, then until every Ingress publishes the run's address. */
export async function measureStartup(ctx: ScaleContext, run: Run): Promise<StartupResult> {
  const timeoutMs = ctx.knobs.syncTimeoutSeconds * 1000;
  const spawned = run.controller.spawnedMs;
  const first = await whileRunning(
    run.controller,
    run.kong.waitForPost(() => true, timeoutMs),
  );
  if (first === undefined) throw new Error(`no POST within ${ctx.knobs.syncTimeoutSeconds} s`);
  if (first.status === 413) {
    throw new Error(
      `the Kong stand-in refused the ${(first.bytes / 2 ** 20).toFixed(2)} MiB config as too large (413); raise BENCH_KONG_MAX_BODY_MIB`,
    );
  }
  const time = translationTime(await run.controller.metrics());
  const firstPostS = (first.startMs - spawned) / 1000;
  ctx.log(
    `[${run.label}] spawn → first POST ${firstPostS.toFixed(2)} s (${(first.bytes / 2 ** 20).toFixed(2)} MiB, HTTP ${first.status})`,
  );
  const allAt = await whileRunning(
    run.controller,
    ctx.statuses.waitAll(run.address, ctx.apps, timeoutMs),
  );
  const result: StartupResult = {
    firstPostS,
    firstPostBytes: first.bytes,
    statusAfterSpawnS: allAt === undefined ? undefined : (allAt - spawned) / 1000,
    statusAfterFirstPostS: allAt === undefined ? undefined : (allAt - first.startMs) / 1000,
    firstTranslationMs: time === undefined || time.count === 0 ? undefined : time.sum / time.count,
  };
  ctx.log(
    allAt === undefined
      ? `[${run.label}] only ${ctx.statuses.countWith(run.address)} of ${ctx.apps} Ingresses had status after ${ctx.knobs.syncTimeoutSeconds} s`
      : `[${run.label}] all ${ctx.apps} Ingresses have status ${result.statusAfterSpawnS?.toFixed(2)} s after spawn, ${result.statusAfterFirstPostS?.toFixed(2)} s after the first POST (answered after ${fmtS((first.respondedMs - first.startMs) / 1000)} s; the first status after ${fmtS(((ctx.statuses.firstWith(run.address) ?? NaN) - first.startMs) / 1000)} s)`,
  );
  return result;
}

export interface MemoryResult {
  readonly rssKiB: number | undefined;
  readonly hwmKiB: number | undefined;
  readonly heapUsedBytes: number | undefined;
  readonly heapTotalBytes: number | undefined;
}

/** Waits the settle period, then reads RSS/HWM from /proc and the heap from /metrics (if exported). */
export async function measureMemory(ctx: ScaleContext, run: Run): Promise<MemoryResult> {
  await whileRunning(run.controller, sleep(ctx.knobs.settleSeconds * 1000));
  const proc = run.controller.sample();
  const metrics = await run.controller.metrics();
  const result: MemoryResult = {
    rssKiB: proc?.rssKiB,
    hwmKiB: proc?.hwmKiB,
    heapUsedBytes: metricSum(metrics, "nodejs_heap_size_used_bytes"),
    heapTotalBytes: metricSum(metrics, "nodejs_heap_size_total_bytes"),
  };
  ctx.log(
    `[${run.label}] after ${ctx.knobs.settleSeconds} s settle: RSS ${fmtMiB(result.rssKiB)} MiB, HWM ${fmtMiB(result.hwmKiB)} MiB, heap used ${fmtBytesMiB(result.heapUsedBytes)} MiB of ${fmtBytesMiB(result.heapTotalBytes)} MiB`,
  );
  return result;
}

export interface IdleResult {
  readonly seconds: number;
  readonly posts: number;
  readonly translations: number | undefined;
  readonly statusWrites: number | undefined;
  readonly cpuSeconds: number | undefined;
  /** CPU in the second half of the period alone. */
  readonly secondHalfCpuSeconds: number | undefined;
  /** RSS at the end: the controller gives unused heap back once quiet (--idle-memory-release). */
  readonly rssKiB: number | undefined;
  /** V8 heap used at the end (/metrics), what the controller's data hold after the release. */
  readonly heapUsedBytes: number | undefined;
}

/** Nothing changes for the idle period: what does the controller still do? */
export async function measureIdle(ctx: ScaleContext, run: Run): Promise<IdleResult> {
  const before = { proc: run.controller.sample(), metrics: await run.controller.metrics() };
  const posts = run.kong.posts().length;
  const started = nowMs();
  // Read at half time too: the memory release (--idle-memory-release, 30 s) costs once per quiet period.
  await whileRunning(run.controller, sleep(ctx.knobs.idleSeconds * 500));
  const half = run.controller.sample();
  await whileRunning(run.controller, sleep(ctx.knobs.idleSeconds * 500));
  const after = { proc: run.controller.sample(), metrics: await run.controller.metrics() };
  const delta = (f: (m: readonly MetricSample[] | undefined) => number | undefined) => {
    const a = f(after.metrics);
    const b = f(before.metrics);
    return a === undefined || b === undefined ? undefined : a - b;
  };
  const result: IdleResult = {
    seconds: (nowMs() - started) / 1000,
    posts: run.kong.posts().length - posts,
    translations: delta(translationCount),
    statusWrites: delta(m => metricSum(m, "kongress_status_update_total")),
    cpuSeconds:
      before.proc === undefined || after.proc === undefined
        ? undefined
        : after.proc.cpuSeconds - before.proc.cpuSeconds,
    secondHalfCpuSeconds:
      half === undefined || after.proc === undefined
        ? undefined
        : after.proc.cpuSeconds - half.cpuSeconds,
    rssKiB: after.proc?.rssKiB,
    heapUsedBytes: metricSum(after.metrics, "nodejs_heap_size_used_bytes"),
  };
  ctx.log(
    `[${run.label}] idle ${result.seconds.toFixed(0)} s: ${result.posts} POSTs, ${result.translations ?? "n/a"} translations, ${result.statusWrites ?? "n/a"} status checks, ${result.cpuSeconds?.toFixed(2) ?? "n/a"} CPU-s (${result.secondHalfCpuSeconds?.toFixed(2) ?? "n/a"} in its second half), RSS ${fmtMiB(result.rssKiB)} MiB, heap used ${fmtBytesMiB(result.heapUsedBytes)} of ${fmtBytesMiB(metricSum(after.metrics, "nodejs_heap_size_total_bytes"))} MiB and external memory ${fmtBytesMiB(metricSum(after.metrics, "nodejs_external_memory_bytes"))} MiB at the end`,
  );
  return result;
}

export interface FloorResult {
  readonly bytes: number;
  /** Median of 5: `JSON.stringify` + SHA-256 of the parsed config Kong holds. */
  readonly stringifyHashMs: number;
}

/** The floor of any full rebuild: serialise and hash the config Kong holds, in this process. */
export async function measureFloor(ctx: ScaleContext, run: Run): Promise<FloorResult | undefined> {
  const body = await run.kong.lastBody();
  if (body === undefined) return undefined;
  const config = JSON.parse(body) as unknown;
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    createHash("sha256").update(JSON.stringify(config)).digest("hex");
    times.push(performance.now() - start);
  }
  const result = { bytes: Buffer.byteLength(body), stringifyHashMs: percentile(times, 50)! };
  ctx.log(
    `floor: JSON.stringify + SHA-256 of the ${(result.bytes / 2 ** 20).toFixed(2)} MiB config Kong holds: ${result.stringifyHashMs.toFixed(1)} ms (median of 5)`,
  );
  return result;
}
