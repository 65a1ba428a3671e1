import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_PACING } from "../../../src/sender/pacing.ts";
import { Sender } from "../../../src/sender/sender.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { ClockedKong } from "./clocked-kong.ts";
import { clusterSnapshot, ing, svc, translate } from "./cluster.ts";
import { silentLogger } from "./helpers.ts";

const senders: Sender[] = [];
afterEach(async () => {
  await Promise.all(senders.splice(0).map(s => s.stop()));
});

describe("Sender single flight", () => {
  it("keeps one push in flight per node and sends only the newest of the queued configs", async () => {
    const clock = new ManualClock();
    const admin = new ClockedKong(clock);
    // Pushes complete only when the test says so.
    admin.hold = true;
    const posted = (): string[] => admin.posts.map(p => p.hash);
    const sender = new Sender({ gateways: [admin], translate, clock, logger: silentLogger });
    senders.push(sender);
    sender.start();
    const configs = ["a", "b", "c"].map(name => {
      const snap = clusterSnapshot([svc("shop", name), ing("shop", name, [name])]);
      return { snapshot: snap, result: translate(snap) };
    });
    const [first, second, third] = configs;
    sender.update(first!);
    await clock.advance(0);
    expect(admin.inFlight).toBe(1);

    sender.update(second!);
    sender.update(third!);
    await clock.advance(0);
    expect(posted()).toHaveLength(1);

    admin.release();
    // The node loaded the first config: the next push waits for the pacing floor (pacing.ts).
    await clock.advance(DEFAULT_PACING.floorMs - 1);
    expect(posted()).toHaveLength(1);
    await clock.advance(1);
    admin.release();
    await clock.advance(0);

    const hashes = posted();
    expect(hashes).toHaveLength(2);
    expect(admin.maxInFlight).toBe(1);
    expect(admin.hash).toBe(hashes[1]);
    expect(sender.gateways()[0]).toMatchObject({ phase: "synced", hash: hashes[1] });
    expect([...(sender.acceptedObjects()?.keys() ?? [])]).toEqual([
      "Ingress/shop/c",
      "Service/shop/c",
    ]);
  });
});
