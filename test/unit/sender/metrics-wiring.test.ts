import { afterEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import { Registry } from "prom-client";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { Sender } from "../../../src/sender/sender.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { clusterSnapshot, ing, svc, translate } from "./cluster.ts";
import { adminClient, MockKong, silentLogger } from "./helpers.ts";

let agent: MockAgent | undefined;
let sender: Sender | undefined;

afterEach(async () => {
  await sender?.stop();
  await agent?.close();
});

describe("sender push records", () => {
  it("feed the KIC push metrics, fallback pushes under the fallback family", async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const clock = new ManualClock();
    const kong = new MockKong(agent, "http://kong.test:8001", clock);
    const metrics = createMetrics({ registry: new Registry() });
    sender = new Sender({
      gateways: [adminClient(agent, kong.origin, clock)],
      translate,
      clock,
      logger: silentLogger,
      random: () => 0,
      onPush: record => {
        metrics.recordPush(record);
      },
    });
    sender.start();
    const api = svc("shop", "api");
    kong.breaks(api);
    const snap = clusterSnapshot([
      svc("shop", "web"),
      api,
      ing("shop", "a", ["web"]),
      ing("shop", "b", ["api"]),
    ]);
    sender.update({ snapshot: snap, result: translate(snap) });
    await clock.advance(0);

    const primary = await metrics.push.count.get();
    const fallback = await metrics.fallbackPush.count.get();
    expect(primary.values.map(v => [v.labels["success"], v.labels["dataplane"], v.value])).toEqual([
      ["false", kong.origin, 1],
    ]);
    expect(fallback.values.map(v => [v.labels["success"], v.value])).toEqual([["true", 1]]);
    const broken = await metrics.push.broken.get();
    expect(broken.values.map(v => v.value)).toEqual([1]);
  });
});
