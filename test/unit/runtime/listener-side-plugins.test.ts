import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { AdminClient } from "../../../src/kong/admin-client.ts";
import { BUNDLED_PLUGINS } from "../../../src/kong/validate/index.ts";
import { ListenerSide } from "../../../src/runtime/listener-side.ts";
import type { SenderView } from "../../../src/sender/gateway-state.ts";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { compareStrings } from "../../../src/util/compare.ts";
import { startKongEmulator, type KongEmulator } from "../../support/kong-emulator/index.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { silentLogger } from "../sender/helpers.ts";

const emulators: KongEmulator[] = [];
let side: ListenerSide | undefined;

afterEach(async () => {
  await side?.stop();
  await Promise.all(emulators.splice(0).map(e => e.stop()));
});

function syncedView(urls: readonly string[]): SenderView {
  return {
    gateways: urls.map(url => ({ url, phase: "synced", since: 0, hash: "a".repeat(32) })),
    acceptedObjects: undefined,
    rejectedObjects: [],
  };
}

const sorted = (names: readonly string[]) => [...names].sort(compareStrings);

describe("ListenerSide: the plugins Kong has, as translation input", () => {
  it("is unknown until a Kong says, then what every Kong has", async () => {
    const clock = new ManualClock();
    const kongs = await Promise.all([
      startKongEmulator({ enabledPlugins: [...BUNDLED_PLUGINS, "my-header"] }),
      startKongEmulator({ enabledPlugins: [...BUNDLED_PLUGINS, "my-header", "other"] }),
    ]);
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
    expect(side.availablePlugins()).toBeUndefined();
    side.start();
    listener?.(view);
    const before = side.version;
    await until(() => side?.availablePlugins() !== undefined);
    expect(side.version).toBeGreaterThan(before);
    expect(side.availablePlugins()).toEqual(sorted([...BUNDLED_PLUGINS, "my-header"]));
    const known = side.availablePlugins();

    // A Kong without the custom plugin joins: it can no longer be sent to any.
    const third = await startKongEmulator({});
    emulators.push(third);
    clients.set(third.url, new AdminClient({ url: third.url, clock }));
    view = syncedView([...kongs.map(k => k.url), third.url]);
    listener?.(view);
    await until(() => side?.availablePlugins()?.includes("my-header") === false);
    expect(known).not.toBe(side.availablePlugins());
    expect(side.availablePlugins()).toEqual(sorted(BUNDLED_PLUGINS));
  });
});
