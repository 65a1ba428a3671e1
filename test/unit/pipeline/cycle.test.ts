import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { Ingress, IngressClass, KubeObject, Service } from "../../../src/model/k8s.ts";
import { SyncCycle, type Translated } from "../../../src/pipeline/cycle.ts";
import type { EventRequest } from "../../../src/status/events.ts";
import { ProblemEvents } from "../../../src/status/problem-events.ts";
import { Snapshotter, type SnapshotSource } from "../../../src/store/snapshot.ts";
import type { InvalidObject } from "../../../src/store/store.ts";
import { createMetrics, type Metrics } from "../../../src/telemetry/metrics.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../src/translator/index.ts";
import type { Snapshot, TranslationResult } from "../../../src/translator/types.ts";
import { ManualClock } from "../../support/manual-clock.ts";

const kong: IngressClass = {
  apiVersion: "networking.k8s.io/v1",
  kind: "IngressClass",
  metadata: { name: "kong", uid: "u-class", resourceVersion: "1" },
  spec: { controller: "ingress-controllers.konghq.com/kong" },
};

function web(resourceVersion = "1"): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop", uid: "u-web", resourceVersion },
    spec: { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
  };
}

function ingress(name: string, service: string, resourceVersion = "1"): Ingress {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: "shop", uid: `u-${name}`, resourceVersion },
    spec: {
      ingressClassName: "kong",
      rules: [
        {
          host: `${name}.example.com`,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: service, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

/** A store stand-in: a list of objects and invalid ones; every `set` is a new version. */
class FakeSource implements SnapshotSource {
  version = 0;
  #objects: KubeObject[] = [];
  #invalid: InvalidObject[] = [];

  set(objects: KubeObject[], invalid: InvalidObject[] = []): void {
    this.#objects = objects;
    this.#invalid = invalid;
    this.version++;
  }

  kindVersion(): number {
    return this.version;
  }

  /** The fake's content is its objects' uid:resourceVersion pairs. */
  contentHash(): string {
    return this.#objects
      .map(o => `${o.metadata.uid ?? ""}:${o.metadata.resourceVersion ?? ""}`)
      .join();
  }

  objects(kind: string): KubeObject[] {
    return this.#objects.filter(o => o.kind === kind);
  }

  invalidObjects(): InvalidObject[] {
    return [...this.#invalid];
  }
}

async function counter(
  metrics: Metrics,
  name: "snapshotCacheHit" | "snapshotCacheMiss",
): Promise<number> {
  return (await metrics[name].get()).values.reduce((sum, v) => sum + v.value, 0);
}

function setup(
  translator: (s: Snapshot) => TranslationResult = defaultTranslate,
  inputsVersion?: () => number,
) {
  const source = new FakeSource();
  const clock = new ManualClock();
  const sent: Translated[] = [];
  const told: Translated[] = [];
  const events: EventRequest[] = [];
  const metrics = createMetrics({ registry: new Registry() });
  let translations = 0;
  const cycle = new SyncCycle({
    snapshots: new Snapshotter(source),
    translate: snapshot => {
      translations++;
      return translator(snapshot);
    },
    send: input => sent.push(input),
    events: new ProblemEvents({ recorder: { record: request => events.push(request) }, clock }),
    metrics,
    clock,
    logger: pino({ level: "silent" }),
    onTranslated: input => told.push(input),
    ...(inputsVersion === undefined ? {} : { inputsVersion }),
  });
  return { source, cycle, sent, told, events, clock, metrics, translations: () => translations };
}

function defaultTranslate(snapshot: Snapshot): TranslationResult {
  return translate(snapshot, DEFAULT_TRANSLATE_OPTIONS);
}

describe("SyncCycle", () => {
  it("translates the snapshot and hands it to the sender and to the status side", async () => {
    const t = setup();
    t.source.set([kong, web(), ingress("shop", "web")]);
    t.cycle.run();

    expect(t.sent).toHaveLength(1);
    expect(t.told).toEqual(t.sent);
    const services = t.sent[0]?.result.config.services ?? [];
    expect(services.map(s => s.routes?.length)).toEqual([1]);
    expect(t.events).toEqual([]);
    expect(await counter(t.metrics, "snapshotCacheMiss")).toBe(1);
    const translations = await t.metrics.translation.count.get();
    expect(translations.values).toEqual([expect.objectContaining({ labels: { success: "true" } })]);
  });

  it("hands the sender the time of the first change the cycle carries", () => {
    const t = setup();
    t.source.set([kong, web(), ingress("shop", "web")]);
    t.cycle.run();
    t.source.set([kong, web("2"), ingress("shop", "web")]);
    t.cycle.run(1_700_000_000_123);

    // The first cycle after sync carries the initial lists: there is no change to measure from.
    expect(t.sent.map(s => s.changedAt)).toEqual([undefined, 1_700_000_000_123]);
  });

  it("skips translating and sending when the snapshot hash is unchanged", async () => {
    const t = setup();
    t.source.set([kong, web(), ingress("shop", "web")]);
    t.cycle.run();
    // Same objects, same resourceVersions: a new store version but the same content hash.
    t.source.set([kong, web(), ingress("shop", "web")]);
    t.cycle.run();
    t.cycle.run();

    expect(t.translations()).toBe(1);
    expect(t.sent).toHaveLength(1);
    expect(await counter(t.metrics, "snapshotCacheHit")).toBe(2);
  });

  it("translates the same snapshot again when input from outside the store changed", () => {
    let version = 0;
    const t = setup(defaultTranslate, () => version);
    t.source.set([kong, web(), ingress("shop", "web")]);
    t.cycle.run();
    t.cycle.run();
    // What Kong's listens say changed: the Gateway statuses translation decides may differ.
    version++;
    t.cycle.run();
    t.cycle.run();

    expect(t.translations()).toBe(2);
    expect(t.sent).toHaveLength(2);
  });

  it("translates again once any object's resourceVersion changes, and sends the new result", () => {
    const t = setup();
    t.source.set([kong, web(), ingress("shop", "web")]);
    t.cycle.run();
    t.source.set([kong, web("2"), ingress("shop", "web")]);
    t.cycle.run();

    expect(t.translations()).toBe(2);
    expect(t.sent.map(s => s.snapshot.hash)).toHaveLength(2);
    expect(t.sent[0]?.snapshot.hash).not.toBe(t.sent[1]?.snapshot.hash);
    expect(t.cycle.last).toBe(t.sent[1]);
  });

  it("records a Warning event per translation problem, naming the object", async () => {
    const t = setup();
    t.source.set([kong, web(), ingress("ok", "web"), ingress("lost", "missing")]);
    t.cycle.run();

    expect(t.events).toHaveLength(1);
    expect(t.events[0]?.ref).toMatchObject({ kind: "Ingress", namespace: "shop", name: "lost" });
    expect(t.events[0]).toMatchObject({
      type: "Warning",
      reason: "KongConfigurationTranslationFailed",
    });
    expect(t.events[0]?.message).toContain("missing");
    const translations = await t.metrics.translation.count.get();
    expect(translations.values).toEqual([
      expect.objectContaining({ labels: { success: "false" } }),
    ]);
    // The valid Ingress still goes to Kong: bad input is data, not a stop.
    expect(t.sent).toHaveLength(1);
  });

  it("records a problem once, not again on each translation that still finds it", async () => {
    const t = setup();
    t.source.set([kong, web(), ingress("ok", "web"), ingress("lost", "missing")]);
    t.cycle.run();
    for (let rv = 2; rv < 6; rv++) {
      await t.clock.advance(60_000);
      t.source.set([kong, web(String(rv)), ingress("ok", "web"), ingress("lost", "missing")]);
      t.cycle.run();
    }
    expect(t.translations()).toBe(5);
    expect(t.events).toHaveLength(1);
    // Fixed, then broken in another way: the new problem is recorded.
    t.source.set([kong, web("9"), ingress("ok", "web"), ingress("lost", "web", "2")]);
    t.cycle.run();
    t.source.set([kong, web("9"), ingress("ok", "web"), ingress("lost", "gone", "3")]);
    t.cycle.run();
    expect(t.events.map(e => e.message)).toEqual([
      expect.stringContaining("missing"),
      expect.stringContaining("gone"),
    ]);
  });

  it("records invalid objects the store reports, even when the translation is reused", () => {
    const t = setup();
    t.source.set([kong, web()]);
    t.cycle.run();
    const invalid: InvalidObject = {
      ref: {
        group: "networking.k8s.io",
        version: "v1",
        kind: "Ingress",
        namespace: "shop",
        name: "odd",
      },
      reason: "spec.rules[0].http.paths[0].backend: expected service or resource",
    };
    t.source.set([kong, web()], [invalid]);
    t.cycle.run();

    expect(t.translations()).toBe(1);
    expect(t.events).toEqual([
      {
        ref: invalid.ref,
        type: "Warning",
        reason: "KongConfigurationTranslationFailed",
        message: `invalid object: ${invalid.reason}`,
      },
    ]);
    // The same snapshot again (no store change) does not repeat the event.
    t.cycle.run();
    expect(t.events).toHaveLength(1);
  });

  it("sends nothing and records a failed translation when the translator throws", async () => {
    const t = setup(() => {
      throw new Error("bug");
    });
    t.source.set([kong]);
    expect(() => {
      t.cycle.run();
    }).toThrow("bug");

    expect(t.sent).toEqual([]);
    const translations = await t.metrics.translation.count.get();
    expect(translations.values).toEqual([
      expect.objectContaining({ labels: { success: "false" }, value: 1 }),
    ]);
  });
});
