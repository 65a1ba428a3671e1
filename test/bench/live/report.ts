/** The live benchmark's closing table: one row per figure, one column per cluster size, then the target. */
import type { Created } from "./cluster-setup.ts";
import type { ChangesResult, ChurnResult } from "./changes.ts";
import type { FloorResult, IdleResult, MemoryResult, StartupResult } from "./scenarios.ts";
import { fmtBytesMiB, fmtMiB, fmtMs, fmtS, fmtSpreadMs, fmtSpreadS } from "./stats.ts";

/** Everything measured at one cluster size; a part is missing when it was skipped or failed. */
export interface ScaleResult {
  readonly scale: number;
  readonly apps: number;
  readonly objects: number;
  created?: Created;
  startup?: StartupResult;
  memory?: MemoryResult;
  idle?: IdleResult;
  floor?: FloorResult | undefined;
  changes?: ChangesResult;
  /** Single EndpointSlice changes (a pod replaced), default flags. */
  sliceChanges?: ChangesResult;
  /** Single HTTPRoute changes (a path) in the mixed cluster, default flags. */
  routeChanges?: ChangesResult;
  churn?: ChurnResult;
  idleAfterChurn?: IdleResult;
  eagerStartup?: StartupResult;
  eagerChanges?: ChangesResult;
  noise?: Created;
  noiseStartup?: StartupResult;
  noiseMemory?: MemoryResult;
  noiseIdle?: IdleResult;
  error?: string;
}

const DASH = "—";

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? DASH : `${(a / b).toFixed(2)}×`;
}

function latency(c: ChangesResult | undefined): string {
  if (c === undefined) return DASH;
  const lost = c.missing + c.failedWrites;
  return `${fmtSpreadMs(c.latencyMs)}${lost > 0 ? ` (${lost} of ${c.changes} lost)` : ""}`;
}

function cpuPerChange(c: ChangesResult | undefined): string {
  if (c === undefined) return DASH;
  return `${fmtSpreadS(c.cpuPerChangeS, 3)} (mean ${fmtS(c.cpuMeanS, 3)})`;
}

function status(s: StartupResult | undefined): string {
  if (s === undefined) return DASH;
  return `${fmtS(s.statusAfterFirstPostS)} (${fmtS(s.statusAfterSpawnS)} after spawn)`;
}

/** `a − b` in MiB, signed. */
function delta(aKiB: number | undefined, bKiB: number | undefined): string {
  if (aKiB === undefined || bKiB === undefined) return DASH;
  const mib = (aKiB - bKiB) / 1024;
  return `${mib >= 0 ? "+" : ""}${mib.toFixed(0)}`;
}

function memory(m: MemoryResult | undefined): string {
  return m === undefined ? DASH : `${fmtMiB(m.rssKiB)} / ${fmtMiB(m.hwmKiB)}`;
}

type Row = readonly [label: string, cell: (r: ScaleResult) => string, target: string];

/** Latency, CPU per change and translation against the floor of one kind of single change. */
function changeRows(what: string, changes: (r: ScaleResult) => ChangesResult | undefined): Row[] {
  return [
    [`${what}: write → POST p50 / p99 / max (ms)`, r => latency(changes(r)), ""],
    ["same: CPU per change min / median / max (s)", r => cpuPerChange(changes(r)), ""],
    [
      "same: translation per change ÷ floor",
      r => ratio(changes(r)?.translationMeanMs, r.floor?.stringifyHashMs),
      "",
    ],
  ];
}

const ROWS: readonly Row[] = [
  [
    "cluster: objects (created in s)",
    r => (r.created === undefined ? DASH : `${r.created.objects} (${fmtS(r.created.seconds, 1)})`),
    "",
  ],
  ["spawn → first POST (s)", r => fmtS(r.startup?.firstPostS), ""],
  [
    "first POST: body (MiB)",
    r => (r.startup === undefined ? DASH : (r.startup.firstPostBytes / 2 ** 20).toFixed(2)),
    "",
  ],
  ["every Ingress has status, after the first POST (s)", r => status(r.startup), "≤ 5 s, linear"],
  ["same, second start (`--proxy-sync-seconds=0`)", r => status(r.eagerStartup), ""],
  [
    "translation by the first POST, mean (ms, /metrics)",
    r => fmtMs(r.startup?.firstTranslationMs),
    "",
  ],
  [
    "floor: JSON.stringify + SHA-256 of Kong's config (ms)",
    r =>
      r.floor === undefined
        ? DASH
        : `${fmtMs(r.floor.stringifyHashMs)} (${(r.floor.bytes / 2 ** 20).toFixed(2)} MiB)`,
    "",
  ],
  [
    "cold translation ÷ floor",
    r => ratio(r.startup?.firstTranslationMs, r.floor?.stringifyHashMs),
    "≤ 2×",
  ],
  [
    "translation during single changes ÷ floor",
    r => ratio(r.changes?.translationMeanMs, r.floor?.stringifyHashMs),
    "≤ 0.5×",
  ],
  ["RSS / peak RSS after sync and settle (MiB)", r => memory(r.memory), "≤ 150 MiB"],
  [
    "V8 heap used / total (MiB, /metrics)",
    r =>
      r.memory === undefined
        ? DASH
        : `${fmtBytesMiB(r.memory.heapUsedBytes)} / ${fmtBytesMiB(r.memory.heapTotalBytes)}`,
    "",
  ],
  [
    "RSS / peak RSS with the noise Secrets, separate start (MiB)",
    r =>
      r.noiseMemory === undefined
        ? DASH
        : `${memory(r.noiseMemory)} (Δ ${delta(r.noiseMemory.rssKiB, r.memory?.rssKiB)} / ${delta(r.noiseMemory.hwmKiB, r.memory?.hwmKiB)})`,
    "Δ ≤ 10 MiB",
  ],
  [
    "single change: write → POST p50 / p99 / max (ms), defaults",
    r => latency(r.changes),
    "p99 ≤ 100 ms",
  ],
  ["same, `--proxy-sync-seconds=0`", r => latency(r.eagerChanges), ""],
  ["CPU per change min / median / max (s), defaults", r => cpuPerChange(r.changes), "≤ 0.050 s"],
  ["same, `--proxy-sync-seconds=0`", r => cpuPerChange(r.eagerChanges), ""],
  ...changeRows("single EndpointSlice change (a pod replaced)", r => r.sliceChanges),
  ...changeRows("single HTTPRoute change (mixed cluster, a path)", r => r.routeChanges),
  [
    "churn: writes/s achieved · POSTs/s",
    r =>
      r.churn === undefined
        ? DASH
        : `${r.churn.writesPerSecond.toFixed(1)} · ${r.churn.postsPerSecond.toFixed(2)}`,
    "",
  ],
  [
    "churn: last change in Kong after the churn ended (s)",
    r => (r.churn === undefined ? DASH : (r.churn.backlogS?.toFixed(2) ?? "never")),
    "",
  ],
  [
    "churn: RSS start → end (max) (MiB)",
    r =>
      r.churn === undefined
        ? DASH
        : `${fmtMiB(r.churn.rssStartKiB)} → ${fmtMiB(r.churn.rssEndKiB)} (${fmtMiB(r.churn.rssMaxKiB)})`,
    "flat",
  ],
  [
    "churn: CPU-s during · until the backlog drained",
    r =>
      r.churn === undefined
        ? DASH
        : `${fmtS(r.churn.cpuChurnS, 1)} · ${fmtS(r.churn.cpuBacklogS, 1)}`,
    "",
  ],
  [
    "idle: POSTs · translations · CPU-s (in its second half)",
    r =>
      r.idle === undefined
        ? DASH
        : `${r.idle.posts} · ${r.idle.translations ?? DASH} · ${fmtS(r.idle.cpuSeconds)} (${fmtS(r.idle.secondHalfCpuSeconds)}) in ${r.idle.seconds.toFixed(0)} s`,
    "0 · 0 · ≤ 0.1 (60 s)",
  ],
  [
    "RSS at the end of the idle period (MiB)",
    r => (r.idle === undefined ? DASH : fmtMiB(r.idle.rssKiB)),
    "≤ 150 MiB",
  ],
  [
    "RSS · V8 heap used at the end of an idle period, before → after the churn (MiB)",
    r =>
      r.idle === undefined || r.idleAfterChurn === undefined
        ? DASH
        : `${fmtMiB(r.idle.rssKiB)} · ${fmtBytesMiB(r.idle.heapUsedBytes)} → ${fmtMiB(r.idleAfterChurn.rssKiB)} · ${fmtBytesMiB(r.idleAfterChurn.heapUsedBytes)}`,
    "no growth",
  ],
  [
    "RSS · V8 heap used at the end of an idle period, without → with the noise Secrets (MiB)",
    r =>
      r.idle === undefined || r.noiseIdle === undefined
        ? DASH
        : `${fmtMiB(r.idle.rssKiB)} · ${fmtBytesMiB(r.idle.heapUsedBytes)} → ${fmtMiB(r.noiseIdle.rssKiB)} · ${fmtBytesMiB(r.noiseIdle.heapUsedBytes)} (Δ ${delta(r.noiseIdle.rssKiB, r.idle.rssKiB)})`,
    "Δ ≤ 10 MiB",
  ],
];

/** The markdown table of every scale's figures, beside the targets of issue 7. */
export function renderTable(results: readonly ScaleResult[]): string {
  const header = `| | ${results.map(r => `${r.apps} apps (${r.objects} objects)`).join(" | ")} | target |`;
  const rule = `|---|${results.map(() => "---|").join("")}---|`;
  const rows = ROWS.map(
    ([label, cell, target]) => `| ${label} | ${results.map(cell).join(" | ")} | ${target} |`,
  );
  const errors = results
    .filter(r => r.error !== undefined)
    .map(r => `\n${r.apps} apps stopped early: ${r.error ?? ""}`);
  return `${[header, rule, ...rows].join("\n")}\n${errors.join("")}`;
}
