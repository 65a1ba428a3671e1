/**
 * Event-to-push latency: each change handed to the sender is measured once per node, from the store's
 * report to the start of the first POST that carries it (or a later translation).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/model/k8s.ts";
import type { ChangePushRecord } from "../../../src/sender/gateway-worker.ts";
import { Sender } from "../../../src/sender/sender.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { ClockedKong } from "./clocked-kong.ts";
import { clusterSnapshot, ing, svc, translate } from "./cluster.ts";
import { silentLogger } from "./helpers.ts";

const senders: Sender[] = [];
afterEach(async () => {
  await Promise.all(senders.splice(0).map(s => s.stop()));
});

function setup(kongs: (clock: ManualClock) => ClockedKong[]) {
  const clock = new ManualClock();
  const nodes = kongs(clock);
  const records: ChangePushRecord[] = [];
  const sender = new Sender({
    gateways: nodes,
    translate,
    clock,
    logger: silentLogger,
    onChangePushed: record => records.push(record),
  });
  senders.push(sender);
  sender.start();
  /** Hands over a translation of `objects` carrying a change the store reported `agoMs` ago. */
  const change = (objects: readonly KubeObject[], agoMs = 0): void => {
    const snapshot = clusterSnapshot(objects);
    sender.update({ snapshot, result: translate(snapshot), changedAt: clock.now() - agoMs });
  };
  return { clock, nodes, records, sender, change };
}

const app = (name: string): KubeObject[] => [svc("shop", name), ing("shop", name, [name])];

describe("event-to-push latency", () => {
  it("measures from the change to the start of the POST, once per node", async () => {
    const { clock, nodes, records, change } = setup(c => [
      new ClockedKong(c, "http://a.test:8001"),
      new ClockedKong(c, "http://b.test:8001"),
    ]);
    change(app("web"), 40);
    await clock.advance(1000);
    expect(records).toEqual([
      { dataplane: "http://a.test:8001", delayMs: 40 },
      { dataplane: "http://b.test:8001", delayMs: 40 },
    ]);
    expect(nodes.map(n => n.posts.length)).toEqual([1, 1]);
  });

  it("measures changes made during a POST at the next one, pacing included", async () => {
    const { clock, nodes, records, change } = setup(c => [new ClockedKong(c)]);
    const kong = nodes[0]!;
    kong.loadMs = 100;
    change(app("a"));
    await clock.advance(50);
    change(app("b"));
    await clock.advance(10);
    change(app("c"));
    await clock.advance(5000);
    // The first POST ran 0..100; the next starts at 100 + the 250 ms floor and carries both changes.
    expect(kong.posts.map(p => p.startedAt - kong.posts[0]!.startedAt)).toEqual([0, 350]);
    expect(records.map(r => r.delayMs)).toEqual([0, 300, 290]);
  });

  it("measures nothing for a re-translation Kong already runs: no POST carries it", async () => {
    const { clock, nodes, records, change } = setup(c => [new ClockedKong(c)]);
    const objects = app("web");
    change(objects);
    await clock.advance(1000);
    // Another snapshot (a new resourceVersion, as a status write makes), the same config bytes.
    change(objects.map(o => ({ ...o, metadata: { ...o.metadata, resourceVersion: "2" } })));
    await clock.advance(1000);
    expect(nodes[0]!.posts).toHaveLength(1);
    expect(records).toHaveLength(1);
  });
});
