/**
 * The Kong side as `kongress run` builds it from its settings, against a Kong emulator on loopback: how
 * `--proxy-sync-seconds` bounds the pacing, and that event-to-push latency reaches the metric with the
 * dataplane label. Time comes from a manual clock; only the HTTP exchanges are real.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { buildSender } from "../../src/runtime/kong-side.ts";
import type { Sender } from "../../src/sender/sender.ts";
import { createMetrics, type Metrics } from "../../src/telemetry/metrics.ts";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { encodeConfig } from "../../src/kong/admin-client.ts";
import { clusterSnapshot, ing, svc, translate, waitFor } from "../unit/sender/cluster.ts";

const emulators: KongEmulator[] = [];
const senders: Sender[] = [];

afterEach(async () => {
  await Promise.all(senders.splice(0).map(s => s.stop()));
  await Promise.all(emulators.splice(0).map(e => e.stop()));
});

async function setup(flags: readonly string[] = []) {
  const kong = await startKongEmulator();
  emulators.push(kong);
  const clock = new ManualClock();
  const metrics = createMetrics({ registry: new Registry() });
  const config = loadConfig({
    argv: [`--kong-admin-url=${kong.url}`, "--publish-status-address=192.0.2.1", ...flags],
    env: {},
  });
  const sender = buildSender({
    config,
    translate,
    metrics,
    clock,
    logger: pino({ level: "silent" }),
    random: () => 0,
  });
  senders.push(sender);
  sender.start();
  let generation = 0;
  /** A new config carrying a change the store reported `agoMs` ago; resolves once Kong runs it. */
  const change = (agoMs = 0): string => {
    const name = `app${String(++generation)}`;
    const snapshot = clusterSnapshot([svc("shop", name), ing("shop", name, [name])]);
    const result = translate(snapshot);
    sender.update({ snapshot, result, changedAt: clock.now() - agoMs });
    return encodeConfig(result.config).hash;
  };
  const posts = () => kong.requests().filter(r => r.method === "POST").length;
  return { kong, clock, metrics, change, posts };
}

async function eventToPush(metrics: Metrics) {
  const values = (await metrics.eventToPush.get()).values;
  const pick = (name: string) =>
    values.filter(v => v.metricName === name).map(v => [v.labels["dataplane"], v.value]);
  return {
    count: pick("ingress_controller_event_to_push_seconds_count"),
    sum: pick("ingress_controller_event_to_push_seconds_sum"),
  };
}

describe("Kong side: pacing from --proxy-sync-seconds", () => {
  it("unset: paces adaptively, and measures each change from the store to its POST", async () => {
    const { kong, clock, metrics, change, posts } = await setup();
    const first = change(25);
    await waitFor("first config loaded", () => kong.configHash() === first);
    const second = change();
    // The emulator loads instantly (no time passes on the manual clock): the floor applies.
    await waitFor("pacing wait", () => clock.pendingDelays().includes(250));
    expect(posts()).toBe(1);
    await clock.advance(250);
    await waitFor("second config loaded", () => kong.configHash() === second);
    expect(await eventToPush(metrics)).toEqual({
      count: [[kong.url, 2]],
      sum: [[kong.url, 0.275]],
    });
  });

  it("set: caps the adaptive gap", async () => {
    const { kong, clock, change } = await setup(["--proxy-sync-seconds=0.1"]);
    const first = change();
    await waitFor("first config loaded", () => kong.configHash() === first);
    const second = change();
    await waitFor("pacing wait", () => clock.pendingDelays().includes(100));
    await clock.advance(100);
    await waitFor("second config loaded", () => kong.configHash() === second);
  });

  it("0: pushes as soon as a config is ready", async () => {
    const { kong, clock, change } = await setup(["--proxy-sync-seconds=0"]);
    const first = change();
    await waitFor("first config loaded", () => kong.configHash() === first);
    const at = clock.now();
    const second = change();
    await waitFor("second config loaded", () => kong.configHash() === second);
    expect(clock.now()).toBe(at);
  });
});
