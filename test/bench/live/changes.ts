/**
 * The live scenarios that drive the controller: single changes a few seconds apart (latency from the API
 * write's response to the POST that carries it, and CPU per change), and churn at a fixed rate (pushes per
 * second, backlog after it ends, memory, CPU). Each change re-applies one Ingress with its Exact path set
 * to a fresh `/bench-seq-<n>` marker, so Kong's config really changes and the POST that carries the change
 * can be recognised; or, for single EndpointSlice changes, one app's EndpointSlice with a pod replaced by
 * a marked one (synthetic-cluster.ts), found again among its upstream's targets.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { appIngress, appSlice, MIXED_ROUTE_EVERY, mixedRoute } from "../synthetic-cluster.ts";
import { nowMs, whileRunning, type ProcSample } from "./controller-process.ts";
import type { PostRecord } from "./kong-standin.ts";
import { translationTime, type Run, type ScaleContext } from "./scenarios.ts";
import { spread, type Spread } from "./stats.ts";

export interface ChangesResult {
  readonly changes: number;
  /** T2 − T0 per change that reached Kong, ms. */
  readonly latencyMs: Spread | undefined;
  /** Changes whose marker never reached Kong within the sync timeout. */
  readonly missing: number;
  readonly failedWrites: number;
  /** CPU-seconds of the controller from one change's write to the next one's. */
  readonly cpuPerChangeS: Spread | undefined;
  /** CPU-seconds over the whole scenario divided by the changes. */
  readonly cpuMeanS: number | undefined;
  /** Translations during the scenario, and their mean duration (from /metrics, if exported). */
  readonly translations: number | undefined;
  readonly translationMeanMs: number | undefined;
  readonly posts: number;
}

/**
 * What a single change edits: an app's Ingress (a path), its EndpointSlice (a pod replaced), or, in the
 * mixed cluster, its HTTPRoute (a path).
 */
export type ChangeKind = "Ingress" | "EndpointSlice" | "HTTPRoute";

/** The object `what` of app `app`, carrying `marker`. */
function edited(what: ChangeKind, app: number, marker: number) {
  if (what === "Ingress") return appIngress(app, marker);
  return what === "EndpointSlice" ? appSlice(app, marker) : mixedRoute(app, marker);
}

/** Re-applies app `app`'s `what` with `marker`; resolves when the API server's response arrived. */
async function edit(
  ctx: ScaleContext,
  app: number,
  marker: number,
  what: ChangeKind = "Ingress",
): Promise<number> {
  await ctx.kube.apply(edited(what, app, marker));
  return nowMs();
}

const carries =
  (marker: number) =>
  (post: PostRecord): boolean =>
    post.markers.includes(marker);

function pick(ctx: ScaleContext, apps: number): number {
  return Math.min(apps - 1, Math.floor(ctx.random() * apps));
}

/** A random app that has an object `what`: only every `MIXED_ROUTE_EVERY`th has an HTTPRoute. */
function pickFor(ctx: ScaleContext, what: ChangeKind): number {
  if (what !== "HTTPRoute") return pick(ctx, ctx.apps);
  return pick(ctx, Math.ceil(ctx.apps / MIXED_ROUTE_EVERY)) * MIXED_ROUTE_EVERY;
}

/** `changes` single edits of `what` (`knobs.changes` Ingress edits), each after a random gap, on random apps. */
export async function singleChanges(
  ctx: ScaleContext,
  run: Run,
  { what, changes }: { what: ChangeKind; changes: number } = {
    what: "Ingress",
    changes: ctx.knobs.changes,
  },
): Promise<ChangesResult> {
  const { changeGapMs, syncTimeoutSeconds } = ctx.knobs;
  const beforeTime = translationTime(await run.controller.metrics());
  const postsBefore = run.kong.posts().length;
  const cpuMarks: ProcSample[] = [];
  const arrivals: Promise<number | undefined>[] = [];
  let failedWrites = 0;
  // CLOCK_MONOTONIC in µs, the clock of a `--cpu-prof` profile's timestamps: the window to read in it.
  const windowStartUs = process.hrtime.bigint() / 1000n;
  for (let i = 0; i < changes; i++) {
    const gap = changeGapMs.min + ctx.random() * (changeGapMs.max - changeGapMs.min);
    await whileRunning(run.controller, sleep(gap));
    const sample = run.controller.sample();
    if (sample !== undefined) cpuMarks.push(sample);
    const marker = ctx.nextMarker();
    try {
      const t0 = await edit(ctx, pickFor(ctx, what), marker, what);
      const reached = run.kong.waitForPost(carries(marker), syncTimeoutSeconds * 1000);
      arrivals.push(reached.then(post => (post === undefined ? undefined : post.startMs - t0)));
    } catch (err) {
      failedWrites += 1;
      ctx.log(`[${run.label}] change ${i}: write failed: ${String(err)}`);
    }
  }
  const latencies = await whileRunning(run.controller, Promise.all(arrivals));
  // The last change's work ends by then; one more mean gap keeps its CPU window like the others.
  await sleep((changeGapMs.min + changeGapMs.max) / 2);
  const last = run.controller.sample();
  if (last !== undefined) cpuMarks.push(last);
  ctx.log(
    `[${run.label}] single ${what} changes ran from ${windowStartUs} to ${process.hrtime.bigint() / 1000n} µs (monotonic clock)`,
  );
  const afterTime = translationTime(await run.controller.metrics());
  const cpuDeltas = cpuMarks.slice(1).map((m, i) => m.cpuSeconds - cpuMarks[i]!.cpuSeconds);
  const reached = latencies.filter((l): l is number => l !== undefined);
  const first = cpuMarks[0];
  const translations =
    beforeTime === undefined || afterTime === undefined
      ? undefined
      : afterTime.count - beforeTime.count;
  const result: ChangesResult = {
    changes,
    latencyMs: spread(reached),
    missing: latencies.length - reached.length,
    failedWrites,
    cpuPerChangeS: spread(cpuDeltas),
    cpuMeanS:
      first === undefined || last === undefined || changes === 0
        ? undefined
        : (last.cpuSeconds - first.cpuSeconds) / changes,
    translations,
    translationMeanMs:
      translations === undefined || translations === 0
        ? undefined
        : (afterTime!.sum - beforeTime!.sum) / translations,
    posts: run.kong.posts().length - postsBefore,
  };
  const l = result.latencyMs;
  const c = result.cpuPerChangeS;
  ctx.log(
    `[${run.label}] ${changes} ${what} changes: write → POST p50 ${l?.p50.toFixed(0) ?? "n/a"} ms, p99 ${l?.p99.toFixed(0) ?? "n/a"} ms, max ${l?.max.toFixed(0) ?? "n/a"} ms; ${result.missing} never reached Kong, ${failedWrites} writes failed; CPU per change min/median/max ${c === undefined ? "n/a" : `${c.min.toFixed(3)}/${c.p50.toFixed(3)}/${c.max.toFixed(3)}`} s (mean ${result.cpuMeanS?.toFixed(3) ?? "n/a"} s); ${result.posts} POSTs, ${translations ?? "n/a"} translations (mean ${result.translationMeanMs?.toFixed(1) ?? "n/a"} ms)`,
  );
  return result;
}

export interface ChurnResult {
  readonly seconds: number;
  readonly writes: number;
  readonly writesPerSecond: number;
  readonly failedWrites: number;
  readonly posts: number;
  readonly postsPerSecond: number;
  /** From the end of the churn (last write answered) until the POST carrying it; undefined if it never came. */
  readonly backlogS: number | undefined;
  readonly rssStartKiB: number | undefined;
  readonly rssEndKiB: number | undefined;
  readonly rssMaxKiB: number | undefined;
  /** After the backlog drained. */
  readonly rssAfterKiB: number | undefined;
  readonly cpuChurnS: number | undefined;
  readonly cpuBacklogS: number | undefined;
}

const CHURN_IN_FLIGHT = 64;

/** Writes at `knobs.churnRate` per second for `knobs.churnSeconds`, then one last marked change. */
export async function churn(ctx: ScaleContext, run: Run): Promise<ChurnResult> {
  const { churnRate, churnSeconds, syncTimeoutSeconds } = ctx.knobs;
  const total = Math.round(churnRate * churnSeconds);
  // The last app is kept for the final change, so no write still in flight can overwrite its marker.
  const lastApp = ctx.apps - 1;
  const inFlight = new Set<Promise<void>>();
  const startSample = run.controller.sample();
  let rssMax = startSample?.rssKiB ?? 0;
  const rssTimer = setInterval(() => {
    rssMax = Math.max(rssMax, run.controller.sample()?.rssKiB ?? 0);
  }, 1000);
  const started = nowMs();
  let failedWrites = 0;
  try {
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / churnRate;
      const wait = due - nowMs();
      if (wait > 0) await sleep(wait);
      while (inFlight.size >= CHURN_IN_FLIGHT) await Promise.race(inFlight);
      if (run.controller.exitReason() !== undefined) break;
      const write: Promise<void> = edit(ctx, pick(ctx, lastApp), ctx.nextMarker()).then(
        () => undefined,
        () => {
          failedWrites += 1;
        },
      );
      const tracked = write.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    await Promise.all(inFlight);
    const finalMarker = ctx.nextMarker();
    const endedMs = await edit(ctx, lastApp, finalMarker);
    const endSample = run.controller.sample();
    const seconds = (endedMs - started) / 1000;
    const postsDuring = run.kong.posts().filter(p => p.startMs >= started && p.startMs <= endedMs);
    const reached = await whileRunning(
      run.controller,
      run.kong.waitForPost(carries(finalMarker), syncTimeoutSeconds * 1000),
    );
    const afterSample = run.controller.sample();
    const cpu = (a: ProcSample | undefined, b: ProcSample | undefined): number | undefined =>
      a === undefined || b === undefined ? undefined : b.cpuSeconds - a.cpuSeconds;
    const result: ChurnResult = {
      seconds,
      writes: total + 1,
      writesPerSecond: (total + 1) / seconds,
      failedWrites,
      posts: postsDuring.length,
      postsPerSecond: postsDuring.length / seconds,
      backlogS: reached === undefined ? undefined : (reached.startMs - endedMs) / 1000,
      rssStartKiB: startSample?.rssKiB,
      rssEndKiB: endSample?.rssKiB,
      rssMaxKiB: Math.max(rssMax, afterSample?.rssKiB ?? 0),
      rssAfterKiB: afterSample?.rssKiB,
      cpuChurnS: cpu(startSample, endSample),
      cpuBacklogS: cpu(endSample, afterSample),
    };
    const mib = (k: number | undefined): string =>
      k === undefined ? "n/a" : (k / 1024).toFixed(0);
    ctx.log(
      `[${run.label}] churn: ${result.writes} writes in ${seconds.toFixed(1)} s (${result.writesPerSecond.toFixed(1)}/s, ${failedWrites} failed), ${result.posts} POSTs (${result.postsPerSecond.toFixed(2)}/s); last change ${result.backlogS === undefined ? "never reached Kong" : `reached Kong ${result.backlogS.toFixed(2)} s after the churn ended`}; RSS ${mib(result.rssStartKiB)} → ${mib(result.rssEndKiB)} MiB (max ${mib(result.rssMaxKiB)}, ${mib(result.rssAfterKiB)} after); CPU ${result.cpuChurnS?.toFixed(1) ?? "n/a"} s during, ${result.cpuBacklogS?.toFixed(1) ?? "n/a"} s after`,
    );
    return result;
  } finally {
    clearInterval(rssTimer);
    await Promise.allSettled(inFlight);
  }
}
