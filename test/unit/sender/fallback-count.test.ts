/**
 * The fallback push family counts fallbacks only: a primary push stays a primary push whatever
 * translations arrive while it is in flight (a byte-identical re-translation, as a status write's new
 * resourceVersion causes, or a newer config).
 */
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/model/k8s.ts";
import type { PushRecord } from "../../../src/sender/gateway-worker.ts";
import { Sender } from "../../../src/sender/sender.ts";
import { createMetrics, type Metrics } from "../../../src/telemetry/metrics.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { ClockedKong } from "./clocked-kong.ts";
import { pushObjects, svc, ing, translate } from "./cluster.ts";
import { silentLogger } from "./helpers.ts";

const senders: Sender[] = [];
afterEach(async () => {
  await Promise.all(senders.splice(0).map(s => s.stop()));
});

function setup() {
  const clock = new ManualClock();
  const kong = new ClockedKong(clock);
  kong.hold = true;
  const metrics = createMetrics({ registry: new Registry() });
  const records: PushRecord[] = [];
  const sender = new Sender({
    gateways: [kong],
    translate,
    clock,
    logger: silentLogger,
    onPush: record => {
      records.push(record);
      metrics.recordPush(record);
    },
  });
  senders.push(sender);
  sender.start();
  return { clock, kong, metrics, records, sender };
}

/** The same objects at a new resourceVersion: another snapshot, the same config bytes. */
function bumped(objects: readonly KubeObject[]): KubeObject[] {
  return objects.map(o => ({ ...o, metadata: { ...o.metadata, resourceVersion: "2" } }));
}

async function pushCounts(metrics: Metrics): Promise<{ primary: number; fallback: number }> {
  const sum = async (family: Metrics["push"]) =>
    (await family.count.get()).values.reduce((n, v) => n + v.value, 0);
  return { primary: await sum(metrics.push), fallback: await sum(metrics.fallbackPush) };
}

describe("sender push records: fallback", () => {
  it("counts a primary push re-translated byte-identically during the POST as a primary push", async () => {
    const { clock, kong, metrics, records, sender } = setup();
    const objects = [svc("shop", "web"), ing("shop", "a", ["web"])];
    const hash = pushObjects(sender, objects);
    await clock.advance(0);
    expect(pushObjects(sender, bumped(objects))).toBe(hash);
    kong.release();
    await clock.advance(10_000);

    expect(kong.posts.map(p => p.hash)).toEqual([hash]);
    expect(records.map(r => [r.configHash, r.fallback])).toEqual([[hash, false]]);
    expect(await pushCounts(metrics)).toEqual({ primary: 1, fallback: 0 });
    expect(sender.gateways()[0]).toMatchObject({ phase: "synced", config: "primary" });
  });

  it("counts a primary push superseded during the POST as a primary push", async () => {
    const { clock, kong, metrics, records, sender } = setup();
    const first = pushObjects(sender, [svc("shop", "web"), ing("shop", "a", ["web"])]);
    await clock.advance(0);
    const second = pushObjects(sender, [svc("shop", "web"), ing("shop", "b", ["web"])]);
    kong.release();
    await clock.advance(10_000);
    kong.release();
    await clock.advance(0);

    expect(records.map(r => [r.configHash, r.fallback])).toEqual([
      [first, false],
      [second, false],
    ]);
    expect(await pushCounts(metrics)).toEqual({ primary: 2, fallback: 0 });
  });
});
