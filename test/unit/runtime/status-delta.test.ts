/**
 * Property: the status side that follows a push by the keys it changed (the applied report patched
 * from the last one, the Ingress and Kong publishers handing the writer those keys alone) hands the
 * writer the same desired statuses and releases, and the problem reporter the same problems, as the
 * full pass over every object, for random sequences of edits, adds, deletes, rejections by Kong and
 * address changes. Both sides are fed the very same inputs: translations from the memoising translator
 * over a real Store and Snapshotter, and the views of a real Sender pushing to a Kong stand-in that
 * rejects what a step breaks (so fallbacks and their rejections are real too).
 */
import { isDeepStrictEqual } from "node:util";
import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Service } from "../../../src/model/k8s.ts";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { AppliedStatusFeed } from "../../../src/runtime/applied-status.ts";
import { Sender } from "../../../src/sender/sender.ts";
import type { EventRequest } from "../../../src/status/events.ts";
import {
  IngressStatusPublisher,
  type AppliedConfigReport,
} from "../../../src/status/ingress-publisher.ts";
import { KongStatusPublisher } from "../../../src/status/kong-status.ts";
import { statusKey, type DesiredStatus } from "../../../src/status/mutator.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import { createTranslator, TranslationMemo } from "../../../src/translator/index.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { seededRandom } from "../../support/seeded-random.ts";
import { adminClient, MockKong, silentLogger } from "../sender/helpers.ts";

const OPTIONS = { ingressClass: "kong", clusterDomain: "" };
const APPS = 10;
/** Long enough for a push, a rejection and the fallback after it (pacing, backoff). */
const STEP_MS = 30_000;

let agent: MockAgent;
let clock: ManualClock;
let senders: Sender[];

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  clock = new ManualClock();
  senders = [];
});

afterEach(async () => {
  await Promise.all(senders.map(s => s.stop()));
  await agent.close();
});

/** The writer as publishers see it: what each object should show, and every release. */
class RecordingWriter {
  readonly desired = new Map<string, DesiredStatus>();
  readonly released: string[] = [];
  /** Desired statuses handed that differ from the one held (what the writer queues work for). */
  changes = 0;

  desire(desired: DesiredStatus, key: string = statusKey(desired)): void {
    if (!isDeepStrictEqual(this.desired.get(key), desired)) this.changes++;
    this.desired.set(key, desired);
  }

  release(key: string): void {
    this.desired.delete(key);
    this.released.push(key);
  }
}

/** One status side as the controller wires it: a feed and the publishers it feeds. */
function statusSide(patchReports: boolean) {
  const writer = new RecordingWriter();
  const problems: EventRequest[][] = [];
  const reports: AppliedConfigReport[] = [];
  const ingresses = new IngressStatusPublisher({
    statuses: writer,
    problems: { report: (_source, list) => problems.push([...list]) },
    logger: silentLogger,
    updateStatus: true,
    statusAddresses: [],
    publishService: { namespace: "kong", name: "proxy" },
  });
  const kong = new KongStatusPublisher({
    statuses: writer,
    updateStatus: true,
    logger: silentLogger,
  });
  const feed = new AppliedStatusFeed({
    publisher: {
      onConfigApplied: report => {
        reports.push(report);
        ingresses.onConfigApplied(report);
        kong.onConfigApplied(report);
      },
    },
    clock,
    logger: silentLogger,
    patchReports,
  });
  return { writer, problems, reports, ingresses, kong, feed };
}

type Side = ReturnType<typeof statusSide>;

let rv = 1;
/** `life`: how often the object was created anew under its name (a new uid each time). */
function upsert(store: Store, raw: Record<string, unknown>, life = 0): void {
  const metadata = raw["metadata"] as Record<string, unknown>;
  store.upsert(raw["kind"] as "Ingress", {
    ...raw,
    metadata: {
      ...metadata,
      uid: `uid-${String(raw["kind"])}-${String(metadata["name"])}-${life}`,
      resourceVersion: String(rv),
      generation: rv++,
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
  });
}

interface Shape {
  path: string;
  service: string;
  className: string;
  plugin: boolean;
}

function ingress(app: number, shape: Shape) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: `app-${app}`,
      namespace: "shop",
      annotations: shape.plugin ? { "konghq.com/plugins": "rate" } : {},
    },
    spec: {
      ingressClassName: shape.className,
      rules: [
        {
          host: `app-${app}.example.com`,
          http: {
            paths: [
              {
                path: shape.path,
                pathType: "Prefix",
                backend: { service: { name: shape.service, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

/** The one KongPlugin; with `minute` 0 a config translation leaves out. */
function rate(minute: number) {
  return {
    apiVersion: "configuration.konghq.com/v1",
    kind: "KongPlugin",
    metadata: { name: "rate", namespace: "shop" },
    plugin: "rate-limiting",
    config: minute === 0 ? { minute: "often" } : { minute },
  };
}

function loadCluster(store: Store): void {
  upsert(store, {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: "kong" },
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  });
  upsert(store, rate(5));
  for (let app = 0; app < APPS; app++)
    upsert(store, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `svc-${app}`, namespace: "shop" },
      spec: { ports: [{ port: 80, targetPort: 8080 }] },
    });
}

function lbService(ip: string): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: "kong", name: "proxy" },
    spec: { type: "LoadBalancer" },
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}

const EDITS = [
  "path",
  "path",
  "path",
  "path",
  "add",
  "delete",
  "missingService",
  "class",
  "plugin",
  "pluginConfig",
  "recreate",
  "break",
  "unbreak",
  "address",
] as const;
type Edit = (typeof EDITS)[number];

function setup() {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: silentLogger,
  });
  loadCluster(store);
  const snapshots = new Snapshotter(store);
  const memo = new TranslationMemo();
  // One translator for the cycle and the sender's fallbacks, as the controller has.
  const translate = createTranslator(OPTIONS, memo);
  const node = new MockKong(agent, "http://kong-1.test:8001", clock);
  const sender = new Sender({
    gateways: [adminClient(agent, node.origin, clock)],
    translate,
    clock,
    logger: silentLogger,
    pollIntervalMs: 10_000,
    random: () => 0,
  });
  senders.push(sender);
  const patched = statusSide(true);
  const reference = statusSide(false);
  const sides = [patched, reference];
  sender.subscribe(view => {
    for (const side of sides) side.feed.viewChanged(view);
  });
  sender.start();
  /** One pass of the sync cycle: snapshot, translation, sender, then the feed (controller order). */
  const cycle = (): void => {
    const snapshot = snapshots.take();
    const result = translate(snapshot);
    sender.update({ snapshot, result });
    for (const side of sides) side.feed.translated(result);
  };
  const address = (ip: string): void => {
    for (const side of sides) {
      side.ingresses.onPublishServiceChanged(lbService(ip));
    }
  };
  return { store, memo, node, patched, reference, cycle, address };
}

/** What the writer holds and was told since the last look, and what the problem reporter was told. */
function seen(side: Side, from: { problems: number; released: number }) {
  return {
    desired: side.writer.desired,
    released: [...side.writer.released.slice(from.released)].sort(),
    problems: side.problems.slice(from.problems),
  };
}

describe("the status side of a push, by changed keys", () => {
  it.each([1, 2, 3, 4, 5])(
    "hands the writer and the problem reporter what the full pass hands them (seed %i)",
    async seed => {
      const random = seededRandom(seed);
      const { store, node, patched, reference, cycle, address } = setup();
      const shapes = new Map<number, Shape>();
      const lives = new Map<number, number>();
      const baseShape = (app: number): Shape => ({
        path: "/",
        service: `svc-${app}`,
        className: "kong",
        plugin: app === 0,
      });
      for (let app = 0; app < APPS - 2; app++) {
        shapes.set(app, baseShape(app));
        upsert(store, ingress(app, baseShape(app)));
      }
      address("203.0.113.1");
      cycle();
      await clock.advance(STEP_MS);
      const steps = 60;
      for (let step = 0; step < steps; step++) {
        const edit = EDITS[Math.floor(random() * EDITS.length)] as Edit;
        const app = Math.floor(random() * APPS);
        const shape = shapes.get(app);
        const from = {
          problems: patched.problems.length,
          released: patched.writer.released.length,
        };
        const reportsBefore = reference.reports.length;
        const fromReference = {
          problems: reference.problems.length,
          released: reference.writer.released.length,
        };
        const put = (next: Shape, life = lives.get(app) ?? 0): void => {
          shapes.set(app, next);
          lives.set(app, life);
          upsert(store, ingress(app, next), life);
        };
        switch (edit) {
          case "path":
            if (shape !== undefined) put({ ...shape, path: `/p${Math.floor(random() * 1000)}` });
            break;
          case "add":
            if (shape === undefined) put(baseShape(app));
            break;
          case "delete":
            if (shape !== undefined) {
              shapes.delete(app);
              store.remove("Ingress", { namespace: "shop", name: `app-${app}` });
            }
            break;
          case "missingService":
            if (shape !== undefined)
              put({ ...shape, service: shape.service === "gone" ? `svc-${app}` : "gone" });
            break;
          case "class":
            if (shape !== undefined)
              put({ ...shape, className: shape.className === "kong" ? "other" : "kong" });
            break;
          case "plugin":
            if (shape !== undefined) put({ ...shape, plugin: !shape.plugin });
            break;
          case "pluginConfig":
            // A new generation of a Kong kind: its status names the generation Kong runs.
            upsert(store, rate(Math.floor(random() * 4)));
            break;
          case "recreate":
            // Deleted and created again between two snapshots: the same key, another uid.
            if (shape !== undefined) {
              store.remove("Ingress", { namespace: "shop", name: `app-${app}` });
              put(shape, (lives.get(app) ?? 0) + 1);
            }
            break;
          case "break":
            node.broken.add(`Ingress/shop/app-${app}`);
            break;
          case "unbreak":
            node.broken.clear();
            break;
          case "address":
            address(`203.0.113.${1 + Math.floor(random() * 3)}`);
            break;
        }
        cycle();
        await clock.advance(STEP_MS);
        const label = `step ${step}: ${edit} app-${app}`;
        expect(patched.reports.length, label).toBe(reference.reports.length);
        // Every report of the step: the one for the translation, and those for what Kong did with it.
        for (let i = reportsBefore; i < reference.reports.length; i++) {
          const report = patched.reports[i];
          const full = reference.reports[i];
          expect(report?.configured, label).toBe(full?.configured);
          expect(report?.excluded, label).toEqual(full?.excluded);
          expect(report?.source, label).toBe(full?.source);
        }
        expect(seen(patched, from), label).toEqual(seen(reference, fromReference));
      }
      // Both paths were taken: a patch never taken, or never left, would prove nothing.
      expect(patched.feed.walks).toBeGreaterThan(steps / 10);
      expect(reference.feed.walks - patched.feed.walks).toBeGreaterThan(steps / 4);
      expect(reference.ingresses.fullPasses - patched.ingresses.fullPasses).toBeGreaterThan(
        steps / 4,
      );
      // And the steps changed statuses, released some and reported problems.
      expect(reference.writer.changes).toBeGreaterThan(steps / 4);
      expect(reference.writer.released.length).toBeGreaterThan(0);
      expect(reference.problems.some(list => list.length > 0)).toBe(true);
    },
  );

  it("takes a single Ingress edit by its key, and leaves what it cannot cover to the full pass", async () => {
    const { store, node, patched, reference, cycle, address, memo } = setup();
    for (let app = 1; app < APPS; app++)
      upsert(
        store,
        ingress(app, { path: "/", service: `svc-${app}`, className: "kong", plugin: false }),
      );
    address("203.0.113.1");
    cycle();
    await clock.advance(STEP_MS);
    const walks = patched.feed.walks;
    const passes = patched.ingresses.fullPasses;
    const translations = memo.patched;

    upsert(
      store,
      ingress(3, { path: "/three", service: "svc-3", className: "kong", plugin: false }),
    );
    cycle();
    await clock.advance(STEP_MS);
    expect(memo.patched).toBe(translations + 1);
    expect(patched.feed.walks).toBe(walks);
    expect(patched.ingresses.fullPasses).toBe(passes);
    // The report Kong's confirmation made names the edited Ingress alone.
    expect([...(patched.reports.at(-1)?.changes?.keys ?? [])]).toEqual(["Ingress/shop/app-3"]);
    expect(patched.writer.desired).toEqual(reference.writer.desired);

    // Kong rejects an Ingress: the rejection and the fallback are not changes the patch covers.
    node.broken.add("Ingress/shop/app-4");
    upsert(
      store,
      ingress(4, { path: "/four", service: "svc-4", className: "kong", plugin: false }),
    );
    cycle();
    await clock.advance(STEP_MS);
    expect(patched.feed.walks).toBeGreaterThan(walks);
    expect(patched.ingresses.fullPasses).toBeGreaterThan(passes);
    expect(patched.writer.desired.get("Ingress/shop/app-4")).toMatchObject({ loadBalancer: [] });
    expect(patched.writer.desired).toEqual(reference.writer.desired);
    expect(patched.problems).toEqual(reference.problems);
  });
});
