import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { AdminClient } from "../../../src/kong/admin-client.ts";
import { ListenerSide } from "../../../src/runtime/listener-side.ts";
import type { SenderView } from "../../../src/sender/gateway-state.ts";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { startKongEmulator, type KongEmulator } from "../../support/kong-emulator/index.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { silentLogger } from "../sender/helpers.ts";

const emulators: KongEmulator[] = [];
let side: ListenerSide | undefined;

afterEach(async () => {
  await side?.stop();
  await Promise.all(emulators.splice(0).map(e => e.stop()));
});

/** Every Kong holds our config: all of them are asked for their `GET /`. */
function syncedView(urls: readonly string[]): SenderView {
  return {
    gateways: urls.map(url => ({ url, phase: "synced", since: 0, hash: "a".repeat(32) })),
    acceptedObjects: undefined,
    rejectedObjects: [],
  };
}

describe("ListenerSide: Kong's router flavour as translation input and readiness", () => {
  it("follows an expressions Kong, and reports a Kong that runs another flavour", async () => {
    const clock = new ManualClock();
    const kongs = await Promise.all(
      (["expressions", "expressions"] as const).map(routerFlavor =>
        startKongEmulator({ routerFlavor }),
      ),
    );
    emulators.push(...kongs);
    const clients = new Map(kongs.map(k => [k.url, new AdminClient({ url: k.url, clock })]));
    let listener: ((view: SenderView) => void) | undefined;
    let view = syncedView(kongs.map(k => k.url));
    const changed: (() => void)[] = [];
    side = new ListenerSide({
      sender: {
        subscribe: l => {
          listener = l;
          return () => undefined;
        },
        view: () => view,
      },
      clientOf: url => clients.get(url),
      publishService: undefined,
      metrics: createMetrics({ registry: new Registry() }),
      clock,
      logger: silentLogger,
      random: () => 0,
      onChange: () => {
        for (const resolve of changed.splice(0)) resolve();
      },
    });
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise<void>(resolve => changed.push(resolve));
    };
    side.start();
    listener?.(view);
    const before = side.version;
    await until(() => side?.routerFlavor() === "expressions");
    expect(side.version).toBeGreaterThan(before);
    expect(side.flavorProblems()).toEqual([]);

    // A third Kong with Kong's default router joins: the flavour stays, the newcomer is reported.
    const third = await startKongEmulator({});
    emulators.push(third);
    clients.set(third.url, new AdminClient({ url: third.url, clock }));
    view = syncedView([...kongs.map(k => k.url), third.url]);
    listener?.(view);
    await until(() => (side?.flavorProblems().length ?? 0) > 0);
    expect(side.routerFlavor()).toBe("expressions");
    expect(side.flavorProblems()).toEqual([
      `Kong ${third.url} runs router_flavor traditional_compatible, the other Kongs expressions; routes are written for expressions`,
    ]);
  });
});
