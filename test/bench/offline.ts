/**
 * The offline benchmark: full translation of synthetic clusters of growing size, in this process. One line
 * per size with the median and best wall time of several runs, the config size, and the heap growth.
 */
import { performance } from "node:perf_hooks";
import type { KubeObject } from "../../src/model/k8s.ts";
import { buildSnapshot } from "../../src/model/parse.ts";
import { translate, DEFAULT_TRANSLATE_OPTIONS } from "../../src/translator/index.ts";
import { objectCount, syntheticCluster } from "./synthetic-cluster.ts";

/** The manifests with what the API server would add: uid, resourceVersion, creation time. */
function asStored(objects: readonly KubeObject[]): KubeObject[] {
  return objects.map((object, i) => ({
    ...object,
    metadata: {
      ...object.metadata,
      uid: `uid-${object.metadata.name}-${i}`,
      resourceVersion: "1",
      creationTimestamp: "2024-01-01T00:00:00Z",
    },
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function bench(size: number, runs: number): string {
  const snapshot = buildSnapshot(asStored(syntheticCluster(size)));
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const { config } = translate(snapshot, DEFAULT_TRANSLATE_OPTIONS);
    times.push(performance.now() - start);
    bytes = JSON.stringify(config).length;
  }
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  return `| ${size} apps (${objectCount(size)} objects) | ${median(times).toFixed(1)} ms | ${Math.min(...times).toFixed(1)} ms | ${(bytes / 1024 / 1024).toFixed(2)} MiB | ${heapMb.toFixed(0)} MiB |`;
}

/** Prints the offline table for `sizes` (apps per cluster). */
export function runOffline(sizes: readonly number[], write: (text: string) => void): void {
  write(
    "| size | translate (median) | translate (best) | config JSON | heap growth |\n|---|---|---|---|---|\n",
  );
  for (const size of sizes) write(`${bench(size, 5)}\n`);
}
