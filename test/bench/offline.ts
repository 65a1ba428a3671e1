/**
 * The offline benchmark, in this process, per cluster size:
 * - a cold translation (`translate`, nothing remembered) and its encoding (`encodeConfig`);
 * - the floor measured in the same run: `JSON.stringify` + SHA-256 of the same config;
 * - an incremental cycle as the controller runs it: one route edited in a real Store, the Snapshotter's
 *   snapshot, the memoising translator and the shared encoder (body + md5), for several edits in a row;
 * - the same cycle for one EndpointSlice edited in place (a pod replaced), the change seen most.
 * Each size runs twice: apps routed by Ingresses, then by HTTPRoutes on one Gateway.
 * Medians of several runs; the ratios to the floor are what the targets in docs/benchmarks.md speak of.
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import type { WatchedKind } from "../../src/kube/kinds.ts";
import { ConfigEncoder, encodeConfig } from "../../src/kong/admin-client.ts";
import type { KubeObject } from "../../src/model/k8s.ts";
import { parseSupportedObject } from "../../src/model/parse.ts";
import { Snapshotter } from "../../src/store/snapshot.ts";
import { Store } from "../../src/store/store.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  translate,
} from "../../src/translator/index.ts";
import {
  appRoute,
  appSlice,
  clusterRoutedBy,
  editedKind,
  objectCountRoutedBy,
  ROUTE_KINDS,
  type RouteKind,
} from "./synthetic-cluster.ts";

/** The manifests with what the API server would add: uid, resourceVersion, creation time. */
export function asStored(object: KubeObject, i: number, version = 1): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      uid: `uid-${object.metadata.name}-${i}`,
      resourceVersion: String(version),
      creationTimestamp: "2024-01-01T00:00:00Z",
    },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function timed<T>(times: number[], work: () => T): T {
  const start = performance.now();
  const result = work();
  times.push(performance.now() - start);
  return result;
}

interface Figures {
  readonly cold: number[];
  readonly coldEncode: number[];
  readonly floor: number[];
  readonly incremental: number[];
  readonly slice: number[];
  bytes: number;
}

/** A real Store holding `objects`, referenced Secrets filled in as the fetcher would. */
export function loadedStore(objects: readonly KubeObject[]): Store {
  const store = new Store({
    ingressClass: DEFAULT_TRANSLATE_OPTIONS.ingressClass,
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  // Referenced Secrets are filled with their data, as the controller's fetcher does.
  const secrets = new Map<string, KubeObject>();
  for (const [i, object] of objects.entries()) {
    const stored = asStored(object, i);
    if (object.kind === "Secret")
      secrets.set(`${object.metadata.namespace ?? ""}/${object.metadata.name}`, stored);
    store.upsert(object.kind as WatchedKind, stored);
  }
  for (const name of store.secretsToFetch())
    store.fillSecret(secrets.get(`${name.namespace}/${name.name}`));
  return store;
}

function bench(kind: RouteKind, size: number, runs: number): Figures {
  const objects = clusterRoutedBy(kind, size);
  const store = loadedStore(objects);
  const snapshots = new Snapshotter(store);
  const figures: Figures = {
    cold: [],
    coldEncode: [],
    floor: [],
    incremental: [],
    slice: [],
    bytes: 0,
  };
  for (let r = 0; r < runs; r++) {
    const { config } = timed(figures.cold, () =>
      translate(snapshots.take(), DEFAULT_TRANSLATE_OPTIONS),
    );
    const encoded = timed(figures.coldEncode, () => encodeConfig(config));
    timed(figures.floor, () => createHash("sha256").update(JSON.stringify(config)).digest("hex"));
    figures.bytes = encoded.bytes;
  }
  const translator = createTranslator(DEFAULT_TRANSLATE_OPTIONS);
  const encoder = new ConfigEncoder();
  encoder.encode(translator(snapshots.take()).config);
  const objectIndex = new Map(objects.map((o, i) => [o, i]));
  const routes = objects.filter(o => o.kind === editedKind(kind));
  for (let edit = 0; edit < runs * 4; edit++) {
    const app = (edit * 7919) % routes.length;
    const original = routes[app];
    if (original === undefined) continue;
    const edited = asStored(
      appRoute(kind, app, edit + 1),
      objectIndex.get(original) ?? 0,
      edit + 2,
    );
    timed(figures.incremental, () => {
      store.upsert(editedKind(kind), edited);
      encoder.encode(translator(snapshots.take()).config);
    });
  }
  const slices = objects.filter(o => o.kind === "EndpointSlice");
  for (let edit = 0; edit < runs * 4; edit++) {
    const app = (edit * 7919) % slices.length;
    const original = slices[app];
    if (original === undefined) continue;
    const edited = asStored(appSlice(app, edit + 1), objectIndex.get(original) ?? 0, edit + 2);
    timed(figures.slice, () => {
      store.upsert("EndpointSlice", edited);
      encoder.encode(translator(snapshots.take()).config);
    });
  }
  return figures;
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

/** Prints the offline table for `sizes` (apps per cluster). */
export function runOffline(sizes: readonly number[], write: (text: string) => void): void {
  write(
    "| size | routes | cold translate | cold encode | floor: stringify + SHA-256 | cold ÷ floor | incremental cycle | incremental ÷ floor | EndpointSlice cycle | body |\n|---|---|---|---|---|---|---|---|---|---|\n",
  );
  for (const size of sizes)
    for (const kind of ROUTE_KINDS) {
      const f = bench(kind, size, 5);
      const floor = median(f.floor);
      write(
        `| ${size} apps (${objectCountRoutedBy(kind, size)} objects) | ${kind} | ${ms(median(f.cold))} | ${ms(median(f.coldEncode))} | ${ms(floor)} | ${(median(f.cold) / floor).toFixed(1)}× | ${ms(median(f.incremental))} | ${(median(f.incremental) / floor).toFixed(2)}× | ${ms(median(f.slice))} | ${(f.bytes / 2 ** 20).toFixed(2)} MiB |\n`,
      );
    }
}
