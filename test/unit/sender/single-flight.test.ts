import { afterEach, describe, expect, it } from "vitest";
import type { EncodedConfig, KongAdminApi } from "../../../src/kong/admin-client.ts";
import type { PushOutcome, ReadOutcome } from "../../../src/kong/outcome.ts";
import type { ConfigDump, RootInfo, StatusInfo } from "../../../src/kong/responses.ts";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import { DEFAULT_PACING } from "../../../src/sender/pacing.ts";
import { Sender } from "../../../src/sender/sender.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { service, silentLogger, snapshot, translate } from "./helpers.ts";

/** An Admin API whose pushes complete only when the test says so. */
class HeldAdmin implements KongAdminApi {
  readonly url = "http://held.test:8001";
  hash = EMPTY_CONFIG_HASH;
  inFlight = 0;
  maxInFlight = 0;
  readonly posted: string[] = [];
  readonly #release: (() => void)[] = [];

  root(): Promise<ReadOutcome<RootInfo>> {
    return Promise.resolve({
      ok: true,
      value: {
        version: "3.9.1",
        configuration: { database: "off", proxy_listeners: [], stream_listeners: [] },
      },
    });
  }

  status(): Promise<ReadOutcome<StatusInfo>> {
    return Promise.resolve({ ok: true, value: { configuration_hash: this.hash } });
  }

  config(): Promise<ReadOutcome<ConfigDump>> {
    return Promise.resolve({ ok: true, value: { config: "_format_version: '3.0'\n" } });
  }

  async postConfig(config: EncodedConfig): Promise<PushOutcome> {
    this.posted.push(config.hash);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>(resolve => this.#release.push(resolve));
    this.inFlight--;
    this.hash = config.hash;
    return { kind: "applied", status: 201 };
  }

  release(): void {
    this.#release.shift()?.();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const senders: Sender[] = [];
afterEach(async () => {
  await Promise.all(senders.splice(0).map(s => s.stop()));
});

describe("Sender single flight", () => {
  it("keeps one push in flight per node and sends only the newest of the queued configs", async () => {
    const clock = new ManualClock();
    const admin = new HeldAdmin();
    const sender = new Sender({ gateways: [admin], translate, clock, logger: silentLogger });
    senders.push(sender);
    sender.start();
    const configs = ["a", "b", "c"].map(name => {
      const snap = snapshot({ services: [service("shop", name)] });
      return { snapshot: snap, result: translate(snap) };
    });
    const [first, second, third] = configs;
    sender.update(first!);
    await clock.advance(0);
    expect(admin.inFlight).toBe(1);

    sender.update(second!);
    sender.update(third!);
    await clock.advance(0);
    expect(admin.posted).toHaveLength(1);

    admin.release();
    // The node loaded the first config: the next push waits for the pacing floor (pacing.ts).
    await clock.advance(DEFAULT_PACING.floorMs - 1);
    expect(admin.posted).toHaveLength(1);
    await clock.advance(1);
    admin.release();
    await clock.advance(0);

    const hashes = admin.posted;
    expect(hashes).toHaveLength(2);
    expect(admin.maxInFlight).toBe(1);
    expect(admin.hash).toBe(hashes[1]);
    expect(sender.gateways()[0]).toMatchObject({ phase: "synced", hash: hashes[1] });
    expect([...(sender.acceptedObjects()?.keys() ?? [])]).toEqual(["Service/shop/c"]);
  });
});
