/**
 * The offline benchmark's incremental cycle alone, for profiling: one Ingress edited in the store, the
 * snapshot, the memoising translator and the encoder, `CYCLE_EDITS` times (default 200) at
 * `CYCLE_APPS` apps (default 3333). Prints how many translations patched the last one
 * (translator/patch.ts) and the median (and mean) main-thread CPU per stage; with `CYCLE_PROFILE` set
 * to a file name, writes a V8 CPU profile of the edits alone (not of the set-up) there.
 * `npx node test/bench/cycle-profile.ts`
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { ConfigEncoder } from "../../src/kong/admin-client.ts";
import { Snapshotter } from "../../src/store/snapshot.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  TranslationMemo,
} from "../../src/translator/index.ts";
import { asStored, loadedStore } from "./offline.ts";
import { appIngress, syntheticCluster } from "./synthetic-cluster.ts";

const apps = Number(process.env["CYCLE_APPS"] ?? 3333);
const edits = Number(process.env["CYCLE_EDITS"] ?? 200);
const profileFile = process.env["CYCLE_PROFILE"];

/** This thread's CPU time in ms: other processes on a shared machine do not count. */
function cpuMs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
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

const objects = syntheticCluster(apps);
const store = loadedStore(objects);
const snapshots = new Snapshotter(store);
const memo = new TranslationMemo();
const translator = createTranslator(DEFAULT_TRANSLATE_OPTIONS, memo);
const encoder = new ConfigEncoder();
encoder.encode(translator(snapshots.take()).config);
const indexOf = new Map(objects.map((o, i) => [o, i]));
const ingresses = objects.filter(o => o.kind === "Ingress");
const session = new Session();
if (profileFile !== undefined) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
}
const times = { snapshot: [] as number[], translate: [] as number[], encode: [] as number[] };
for (let edit = 0; edit < edits; edit++) {
  const app = (edit * 7919) % ingresses.length;
  const original = ingresses[app];
  if (original === undefined) continue;
  const edited = asStored(appIngress(app, edit + 1), indexOf.get(original) ?? 0, edit + 2);
  const start = cpuMs();
  store.upsert("Ingress", edited);
  const snapshot = snapshots.take();
  const taken = cpuMs();
  const { config } = translator(snapshot);
  const translated = cpuMs();
  encoder.encode(config);
  times.snapshot.push(taken - start);
  times.translate.push(translated - taken);
  times.encode.push(cpuMs() - translated);
}
if (profileFile !== undefined) {
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(profileFile, JSON.stringify(profile));
}
process.stdout.write(
  `${apps} apps, ${edits} edits (${memo.patched} patched), median CPU: snapshot ${medianAndMean(times.snapshot)} ms, translate ${medianAndMean(times.translate)} ms, encode ${medianAndMean(times.encode)} ms\n`,
);
