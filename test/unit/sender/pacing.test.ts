import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { encodeConfig } from "../../../src/kong/admin-client.ts";
import type { KubeObject } from "../../../src/model/k8s.ts";
import { DEFAULT_PACING, pacingGapMs, type PacingOptions } from "../../../src/sender/pacing.ts";
import { Sender, type SenderOptions } from "../../../src/sender/sender.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { ClockedKong } from "./clocked-kong.ts";
import { clusterSnapshot, ing, svc, translate } from "./cluster.ts";
import { adminClient, MockKong, silentLogger } from "./helpers.ts";

const senders: Sender[] = [];
let agent: MockAgent | undefined;

afterEach(async () => {
  await Promise.all(senders.splice(0).map(s => s.stop()));
  await agent?.close();
  agent = undefined;
});

function startSender(options: Pick<SenderOptions, "gateways" | "clock"> & Partial<SenderOptions>) {
  const sender = new Sender({ translate, logger: silentLogger, random: () => 0, ...options });
  senders.push(sender);
  sender.start();
  return sender;
}

/** Hands the sender a translation of `objects` by the real translator; returns its config hash. */
function push(sender: Sender, objects: readonly KubeObject[]): string {
  const snapshot = clusterSnapshot(objects);
  const result = translate(snapshot);
  sender.update({ snapshot, result });
  return encodeConfig(result.config).hash;
}

/** Distinct clusters, one per call: each translates to another config. */
let generation = 0;
function cluster(): KubeObject[] {
  const name = `app${String(++generation)}`;
  return [svc("shop", name), ing("shop", name, [name])];
}

describe("pacingGapMs", () => {
  it.each<[string, number, Partial<PacingOptions>, number]>([
    ["twice the load", 400, {}, 800],
    ["the floor for an instant load", 0, {}, 250],
    ["the floor for a fast load", 100, {}, 250],
    ["the cap for a slow load", 5000, {}, 3000],
    ["a lower cap (--proxy-sync-seconds=0.5)", 400, { capMs: 500 }, 500],
    ["a cap below the floor (--proxy-sync-seconds=0.1)", 0, { capMs: 100 }, 100],
    ["nothing with a zero cap (--proxy-sync-seconds=0)", 5000, { capMs: 0 }, 0],
    ["a higher cap (--proxy-sync-seconds=10)", 4000, { capMs: 10_000 }, 8000],
  ])("gives %s", (_name, loadMs, options, gap) => {
    expect(pacingGapMs(loadMs, { ...DEFAULT_PACING, ...options })).toBe(gap);
  });
});

describe("Sender pacing", () => {
  it("pushes a lone change after a quiet period at once", async () => {
    const clock = new ManualClock();
    const kong = new ClockedKong(clock);
    kong.loadMs = 1000;
    const sender = startSender({ gateways: [kong], clock });
    push(sender, cluster());
    await clock.advance(5000);
    const changedAt = clock.now();
    const hash = push(sender, cluster());
    await clock.advance(0);
    expect(kong.posts.map(p => [p.hash, p.startedAt])).toContainEqual([hash, changedAt]);
  });

  it("holds a change that follows a load for twice that load's duration", async () => {
    const clock = new ManualClock();
    const kong = new ClockedKong(clock);
    kong.loadMs = 400;
    const sender = startSender({ gateways: [kong], clock });
    push(sender, cluster());
    await clock.advance(500);
    push(sender, cluster());
    await clock.advance(2000);
    const [first, second] = kong.posts;
    expect(first!.endedAt! - first!.startedAt).toBe(400);
    expect(second!.startedAt - first!.endedAt!).toBe(800);
    expect(kong.maxInFlight).toBe(1);
  });

  it("follows the node's latest load time, up to the cap", async () => {
    const clock = new ManualClock();
    const kong = new ClockedKong(clock);
    const sender = startSender({ gateways: [kong], clock });
    for (const loadMs of [100, 1200, 2000, 0]) {
      // Each change comes 50 ms after the previous load ended.
      kong.loadMs = loadMs;
      push(sender, cluster());
      const n = kong.posts.length + 1;
      while (kong.posts.length < n || kong.posts[n - 1]!.endedAt === undefined) {
        await clock.advance(50);
      }
    }
    const gaps = kong.posts.slice(1).map((p, i) => p.startedAt - kong.posts[i]!.endedAt!);
    // After 100 ms the floor; after 1.2 s twice that; after 2 s the 3 s cap.
    expect(gaps).toEqual([250, 2400, 3000]);
  });

  it("sends only the newest of the configs that arrive while it waits", async () => {
    const clock = new ManualClock();
    const kong = new ClockedKong(clock);
    kong.loadMs = 500;
    const sender = startSender({ gateways: [kong], clock });
    const first = push(sender, cluster());
    await clock.advance(600);
    push(sender, cluster());
    await clock.advance(200);
    const newest = push(sender, cluster());
    await clock.advance(5000);
    expect(kong.posts.map(p => p.hash)).toEqual([first, newest]);
    expect(kong.hash).toBe(newest);
  });

  it("holds nothing back under --proxy-sync-seconds=0", async () => {
    const clock = new ManualClock();
    const kong = new ClockedKong(clock);
    kong.loadMs = 400;
    const sender = startSender({ gateways: [kong], clock, pacing: { capMs: 0 } });
    push(sender, cluster());
    await clock.advance(450);
    push(sender, cluster());
    await clock.advance(0);
    expect(kong.posts.map(p => p.startedAt - kong.posts[0]!.startedAt)).toEqual([0, 450]);
  });

  it("paces each node by its own load time", async () => {
    const clock = new ManualClock();
    const fast = new ClockedKong(clock, "http://fast.test:8001");
    const slow = new ClockedKong(clock, "http://slow.test:8001");
    fast.loadMs = 50;
    slow.loadMs = 1000;
    const sender = startSender({ gateways: [fast, slow], clock });
    push(sender, cluster());
    await clock.advance(1100);
    const start = clock.now();
    push(sender, cluster());
    await clock.advance(5000);
    expect(fast.posts[1]!.startedAt - start).toBe(0);
    // The slow node's load ended at 1000: it is left alone until 1000 + 2 × 1000.
    expect(slow.posts[1]!.startedAt - start).toBe(1900);
  });

  it("sends the fallback right after a rejection, without pacing", async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const clock = new ManualClock();
    const kong = new MockKong(agent, "http://kong.test:8001", clock);
    kong.reject = entity => (entity.tags ?? []).includes("k8s-name:broken");
    const sender = startSender({ gateways: [adminClient(agent, kong.origin, clock)], clock });
    const good = [svc("shop", "web"), ing("shop", "good", ["web"])];
    push(sender, good);
    await clock.advance(10);
    // Besides the broken Ingress a valid new one, so the fallback differs from what Kong runs.
    push(sender, [...good, ing("shop", "other", ["web"]), ing("shop", "broken", ["web"])]);
    await clock.advance(1000);
    const times = kong.posts.map(p => p.at - kong.posts[0]!.at);
    // The primary waits for the floor after the first load; Kong rejects it, and the fallback follows at once.
    expect(times).toEqual([0, DEFAULT_PACING.floorMs, DEFAULT_PACING.floorMs]);
    expect(sender.gateways()[0]).toMatchObject({ phase: "synced", config: "fallback" });
  });
});
