/**
 * The hostile tenant offline (hostile-tenant.ts), in this process: per scenario, its object next to a
 * synthetic cluster of 333 apps, through a real Store and Snapshotter; the time of a cold translation of
 * the whole snapshot, the same for the cluster alone (the difference is the object's cost), and of the
 * memoising translator's cycle after the object is edited (what every edit of it costs the controller).
 * Each of these runs on the event loop in one piece: the longest is how long /healthz cannot answer.
 */
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import type { WatchedKind } from "../../src/kube/kinds.ts";
import type { KubeObject } from "../../src/model/k8s.ts";
import { parseSupportedObject } from "../../src/model/parse.ts";
import { Snapshotter } from "../../src/store/snapshot.ts";
import { Store } from "../../src/store/store.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  translate,
} from "../../src/translator/index.ts";
import { HOSTILE_SCENARIOS, hostileBackend, type HostileScenario } from "./hostile-tenant.ts";
import { syntheticCluster } from "./synthetic-cluster.ts";

const BACKGROUND_APPS = 333;
const RUNS = 3;

let uid = 0;
function stored(object: KubeObject, version = 1): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      uid: `uid-${object.metadata.namespace ?? ""}-${object.metadata.name}`,
      resourceVersion: String(version * 1_000_000 + ++uid),
      creationTimestamp: "2024-01-01T00:00:00Z",
    },
  };
}

function storeOf(objects: readonly KubeObject[]): Store {
  const store = new Store({
    ingressClass: DEFAULT_TRANSLATE_OPTIONS.ingressClass,
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  const secrets = new Map<string, KubeObject>();
  for (const object of objects) {
    const s = stored(object);
    if (object.kind === "Secret")
      secrets.set(`${object.metadata.namespace ?? ""}/${object.metadata.name}`, s);
    store.upsert(object.kind as WatchedKind, s);
  }
  for (const name of store.secretsToFetch())
    store.fillSecret(secrets.get(`${name.namespace}/${name.name}`));
  return store;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function time(work: () => unknown): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

interface HostileFigures {
  readonly cold: number;
  readonly background: number;
  readonly edit: number;
  readonly outcome: string;
  readonly bytes: number;
}

function measure(scenario: HostileScenario, background: readonly KubeObject[]): HostileFigures {
  const store = storeOf([...background, ...hostileBackend(), scenario.ingress(0)]);
  const snapshots = new Snapshotter(store);
  const cold: number[] = [];
  let result = translate(snapshots.take(), DEFAULT_TRANSLATE_OPTIONS);
  for (let r = 0; r < RUNS; r++)
    cold.push(time(() => (result = translate(snapshots.take(), DEFAULT_TRANSLATE_OPTIONS))));
  const alone = new Snapshotter(storeOf(background));
  const backgroundTimes: number[] = [];
  for (let r = 0; r < RUNS; r++)
    backgroundTimes.push(time(() => translate(alone.take(), DEFAULT_TRANSLATE_OPTIONS)));
  const translator = createTranslator(DEFAULT_TRANSLATE_OPTIONS);
  translator(snapshots.take());
  const edits: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    store.upsert("Ingress", stored(scenario.ingress(0, r + 1), r + 2));
    edits.push(time(() => translator(snapshots.take())));
  }
  const own = result.results.find(
    x => x.ref.kind === "Ingress" && x.ref.name === scenario.ingress(0).metadata.name,
  );
  const bytes = JSON.stringify(scenario.ingress(0)).length;
  return {
    cold: median(cold),
    background: median(backgroundTimes),
    edit: median(edits),
    outcome: `${own?.outcome ?? "?"}${own?.problems[0] === undefined ? "" : ` (${own.problems[0].reason})`}`,
    bytes,
  };
}

/** Prints the hostile tenant's offline table. */
export function runHostileOffline(write: (text: string) => void): void {
  const background = syntheticCluster(BACKGROUND_APPS);
  write(
    `Hostile tenant, offline: each object next to ${BACKGROUND_APPS} apps (${background.length} objects); medians of ${RUNS}\n\n| object | size | outcome | cold translate, cluster + object | cluster alone | memoised cycle after an edit of the object |\n|---|---|---|---|---|---|\n`,
  );
  for (const scenario of HOSTILE_SCENARIOS) {
    const f = measure(scenario, background);
    write(
      `| ${scenario.name}: ${scenario.description} | ${(f.bytes / 1024).toFixed(0)} KiB | ${f.outcome} | ${f.cold.toFixed(0)} ms | ${f.background.toFixed(0)} ms | ${f.edit.toFixed(0)} ms |\n`,
    );
  }
}
