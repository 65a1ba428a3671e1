/**
 * The offline benchmark's incremental cycle alone, for profiling: one route edited in the store, the
 * snapshot, the memoising translator and the encoder, `CYCLE_EDITS` times (default 200) at
 * `CYCLE_APPS` apps (default 3333). Prints how many translations patched the last one
 * (translator/patch.ts) and the median (and mean) main-thread CPU per stage; with `CYCLE_PROFILE` set
 * to a file name, writes a V8 CPU profile of the edits alone (not of the set-up) there.
 * `npx node test/bench/cycle-profile.ts`
 *
 * With `CYCLE_STATUS=1`, each edit also goes through the status side as the controller wires it: the
 * real sender pushes to the Kong stand-in (a worker thread, test/bench/live) and waits for it to take
 * the config, the applied feed gets the translation and every sender view, and feeds the Ingress, Kong
 * and Gateway API publishers and the status writer (not running: no API server). Prints the main-thread
 * CPU spent in the feed's calls per edit (its report, the publishers, the writer's `desire`).
 * `CYCLE_LOG=debug` (or another pino level) shows what the sender and the status side log: a push
 * refused or a fallback built makes the sender translate other snapshots, which no edit patches.
 *
 * With `CYCLE_ROUTES=HTTPRoute`, the apps are routed by HTTPRoutes on one Gateway instead of Ingresses
 * (synthetic-cluster.ts), and the edits change an HTTPRoute; with `CYCLE_ROUTES=mixed`, the Ingress
 * cluster has a Gateway and an HTTPRoute for every fiftieth app beside, and the edits change an Ingress.
 * With `CYCLE_EDIT=EndpointSlice`, each edit
 * replaces a pod in an app's EndpointSlice instead of changing its route.
 *
 * With `CYCLE_COLD=1`, each of the `CYCLE_EDITS` rounds is a cold translation (`translate`, nothing
 * remembered) of the unchanged cluster instead, with the floor (`JSON.stringify` + SHA-256 of its config)
 * beside it; the first `CYCLE_WARMUP` rounds (default 3) are not counted, so JIT warm-up is left out.
 *
 * With `CYCLE_HEAP` set to a file name, the objects reach the store as the watch hands them over (parsed
 * from JSON one by one, then trimmed), and after the edits the process writes a V8 heap snapshot there
 * and prints the live heap (the snapshot collects garbage first): what the store, the memo and the
 * encoder hold at 10k objects, without an API server.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { writeHeapSnapshot } from "node:v8";
import { Session } from "node:inspector/promises";
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import { Registry } from "prom-client";
import { kindAt } from "../../src/kube/kinds.ts";
import { trimObject } from "../../src/kube/trim.ts";
import type { KubeObject } from "../../src/model/k8s.ts";
import { definitionOf, isKindName } from "../../src/model/kinds.ts";
import { AdminClient, ConfigEncoder } from "../../src/kong/admin-client.ts";
import { AppliedStatusFeed } from "../../src/runtime/applied-status.ts";
import { buildStatusSide } from "../../src/runtime/status-side.ts";
import { Sender } from "../../src/sender/sender.ts";
import type { SenderView } from "../../src/sender/gateway-state.ts";
import { ObservedStatusIndex } from "../../src/status/observed.ts";
import { Snapshotter } from "../../src/store/snapshot.ts";
import { createMetrics } from "../../src/telemetry/metrics.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  TranslationMemo,
  translate,
} from "../../src/translator/index.ts";
import { systemClock } from "../../src/util/clock.ts";
import { startKongStandIn } from "./live/kong-standin.ts";
import { asStored, loadedStore } from "./offline.ts";
import {
  appRoute,
  appSlice,
  clusterRoutedBy,
  editedKind,
  type RouteKind,
} from "./synthetic-cluster.ts";

const apps = Number(process.env["CYCLE_APPS"] ?? 3333);
const edits = Number(process.env["CYCLE_EDITS"] ?? 200);
const profileFile = process.env["CYCLE_PROFILE"];
const withStatus = process.env["CYCLE_STATUS"] === "1";
const cold = process.env["CYCLE_COLD"] === "1";
const warmup = Number(process.env["CYCLE_WARMUP"] ?? 3);
const heapFile = process.env["CYCLE_HEAP"];
const routeKind: RouteKind =
  process.env["CYCLE_ROUTES"] === "HTTPRoute" || process.env["CYCLE_ROUTES"] === "mixed"
    ? process.env["CYCLE_ROUTES"]
    : "Ingress";
const editsSlices = process.env["CYCLE_EDIT"] === "EndpointSlice";

/** This thread's CPU time in ms: other processes on a shared machine do not count. */
function cpuMs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
}

/** An object as a watch delivers it: its own strings, parsed from the API server's JSON, then trimmed. */
function asWatched(object: KubeObject): KubeObject {
  const parsed: unknown = JSON.parse(JSON.stringify(object));
  return (
    isKindName(object.kind) ? trimObject(kindAt(definitionOf(object.kind)), parsed) : parsed
  ) as KubeObject;
}

/**
 * The median and, beside it, the mean: the thread CPU clock ticks in steps of a few milliseconds on some
 * kernels, so a stage shorter than a step has a median of 0 or one step, and only the mean says how long.
 */
function medianAndMean(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
  return `${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)} (mean ${mean.toFixed(1)})`;
}

const objects = clusterRoutedBy(routeKind, apps);
const store = loadedStore(heapFile === undefined ? objects : objects.map(asWatched));
const snapshots = new Snapshotter(store);
const memo = new TranslationMemo();
const translator = createTranslator(DEFAULT_TRANSLATE_OPTIONS, memo);
const encoder = new ConfigEncoder();
encoder.encode(translator(snapshots.take()).config);
const indexOf = new Map(objects.map((o, i) => [o, i]));
const edited = objects.filter(
  o => o.kind === (editsSlices ? "EndpointSlice" : editedKind(routeKind)),
);
const status = withStatus ? await statusSide() : undefined;
status?.push(translator(snapshots.take()), snapshots.take());
await status?.confirmed();
const session = new Session();
if (cold) for (let i = 0; i < warmup; i++) translate(snapshots.take(), DEFAULT_TRANSLATE_OPTIONS);
if (profileFile !== undefined) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
}
const times = {
  snapshot: [] as number[],
  translate: [] as number[],
  encode: [] as number[],
  status: [] as number[],
  statusElapsed: [] as number[],
};
const coldTimes = { translate: [] as number[], floor: [] as number[] };
for (let round = 0; cold && round < edits; round++) {
  const snapshot = snapshots.take();
  const start = cpuMs();
  const { config } = translate(snapshot, DEFAULT_TRANSLATE_OPTIONS);
  const translated = cpuMs();
  createHash("sha256").update(JSON.stringify(config)).digest("hex");
  coldTimes.translate.push(translated - start);
  coldTimes.floor.push(cpuMs() - translated);
}
for (let edit = 0; !cold && edit < edits; edit++) {
  const app = (edit * 7919) % edited.length;
  const original = edited[app];
  if (original === undefined) continue;
  const object = editsSlices ? appSlice(app, edit + 1) : appRoute(routeKind, app, edit + 1);
  const start = cpuMs();
  store.upsert(object.kind, asStored(object, indexOf.get(original) ?? 0, edit + 2));
  const snapshot = snapshots.take();
  const taken = cpuMs();
  const result = translator(snapshot);
  const translated = cpuMs();
  encoder.encode(result.config);
  times.snapshot.push(taken - start);
  times.translate.push(translated - taken);
  times.encode.push(cpuMs() - translated);
  if (status !== undefined) {
    status.push(result, snapshot);
    await status.confirmed();
    const took = status.takeMs();
    times.status.push(took.cpu);
    times.statusElapsed.push(took.elapsed);
  }
}
if (profileFile !== undefined) {
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(profileFile, JSON.stringify(profile));
}
if (heapFile !== undefined) {
  writeHeapSnapshot(heapFile);
  const { heapUsed, rss } = process.memoryUsage();
  process.stdout.write(
    `live heap after the edits ${(heapUsed / 1048576).toFixed(1)} MiB (RSS ${(rss / 1048576).toFixed(0)} MiB); heap snapshot in ${heapFile}\n`,
  );
}
const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
if (cold)
  process.stdout.write(
    `${apps} apps (${routeKind}), ${edits} cold translations, median CPU: translate ${medianAndMean(coldTimes.translate)} ms, floor ${medianAndMean(coldTimes.floor)} ms, translate ÷ floor ${(median(coldTimes.translate) / median(coldTimes.floor)).toFixed(2)}×\n`,
  );
else
  process.stdout.write(
    `${apps} apps (${routeKind}), ${edits} ${editsSlices ? "EndpointSlice " : ""}edits (${memo.patched} patched), median CPU: snapshot ${medianAndMean(times.snapshot)} ms, translate ${medianAndMean(times.translate)} ms, encode ${medianAndMean(times.encode)} ms\n`,
  );
if (status !== undefined) {
  process.stdout.write(
    `status side per edit (feed, publishers, writer): CPU ${medianAndMean(times.status)} ms, elapsed ${medianAndMean(times.statusElapsed)} ms; ${status.summary()}\n`,
  );
  await status.stop();
}

/**
 * The sender and the status side, wired as runtime/controller.ts wires them, with the CPU of the feed's
 * calls summed apart from the sender's own work (encoding, HTTP).
 */
async function statusSide() {
  const logger = pino({ level: process.env["CYCLE_LOG"] ?? "silent" });
  const registry = new Registry();
  const kong = await startKongStandIn({ maxBodyBytes: 256 * 1024 * 1024 });
  const side = buildStatusSide({
    config: {
      updateStatus: true,
      publishStatusAddress: ["10.0.0.1"],
      emitKubernetesEvents: false,
      statusMaxBackoffMs: 30_000,
      gatewayApiControllerName: "konghq.com/kic-gateway-controller",
    },
    api: {
      send: () => Promise.reject(new Error("no API server in this benchmark")),
      getJson: () => Promise.reject(new Error("no API server in this benchmark")),
    },
    observed: new ObservedStatusIndex(),
    metrics: createMetrics({ registry }),
    clock: systemClock,
    logger,
    env: {},
  });
  const feed = new AppliedStatusFeed({
    publisher: {
      onConfigApplied: report => {
        side.publisher.onConfigApplied(report);
        side.kong.onConfigApplied(report);
      },
    },
    gatewayApi: side.gatewayApi,
    clock: systemClock,
    logger,
  });
  const sender = new Sender({
    gateways: [new AdminClient({ url: kong.url, clock: systemClock })],
    translate: translator,
    clock: systemClock,
    logger,
    // `--proxy-sync-seconds=0`: each edit is pushed at once.
    pacing: { capMs: 0 },
  });
  // The thread CPU clock ticks in steps of a few ms on some kernels; the feed's calls are synchronous,
  // so their elapsed time, summed beside, says how long they take when they are shorter than a step.
  let spent = 0;
  let elapsed = 0;
  let views = 0;
  let view: SenderView | undefined;
  let waiter: (() => void) | undefined;
  const timed = (call: () => void): void => {
    const start = cpuMs();
    const startedAt = performance.now();
    call();
    elapsed += performance.now() - startedAt;
    spent += cpuMs() - start;
  };
  sender.subscribe(next => {
    view = next;
    views++;
    timed(() => {
      feed.viewChanged(next);
    });
    waiter?.();
  });
  sender.start();
  let before: SenderView["acceptedObjects"];
  return {
    push(result: ReturnType<typeof translator>, snapshot: ReturnType<typeof snapshots.take>): void {
      before = view?.acceptedObjects;
      sender.update({ snapshot, result });
      timed(() => {
        feed.translated(result);
      });
    },
    /** Until the stand-in runs the pushed config and the sender's view shows what it holds. */
    async confirmed(): Promise<void> {
      const done = (): boolean =>
        view?.gateways[0]?.phase === "synced" && view.acceptedObjects !== before;
      while (!done()) await new Promise<void>(resolve => (waiter = resolve));
      waiter = undefined;
    },
    takeMs(): { cpu: number; elapsed: number } {
      const ms = { cpu: spent, elapsed };
      spent = 0;
      elapsed = 0;
      return ms;
    },
    summary(): string {
      return `${views} views, reports by the full pass ${feed.walks}, Ingress full passes ${side.publisher.fullPasses}`;
    },
    async stop(): Promise<void> {
      await sender.stop();
      await kong.stop();
    },
  };
}
