/**
 * ListenerSide reads each Kong's `GET /` for what translation depends on: the router flavour, and the
 * plugins Kong has. Real Kong emulators, the sender's view fed by hand, the injected clock.
 */
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { AdminClient } from "../../../src/kong/admin-client.ts";
import { BUNDLED_PLUGINS } from "../../../src/kong/validate/index.ts";
import { ListenerSide } from "../../../src/runtime/listener-side.ts";
import type { SenderView } from "../../../src/sender/gateway-state.ts";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { compareStrings } from "../../../src/util/compare.ts";
import {
  startKongEmulator,
  type KongEmulator,
  type KongEmulatorOptions,
} from "../../support/kong-emulator/index.ts";
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

const sorted = (names: readonly string[]) => [...names].sort(compareStrings);

/**
 * A started ListenerSide over Kongs started with `options`; `join` adds a Kong to the sender's view,
 * `until` waits (without time passing) for the side to say what a check looks for.
 */
async function sideOver(options: readonly KongEmulatorOptions[]) {
  const clock = new ManualClock();
  const kongs = await Promise.all(options.map(o => startKongEmulator(o)));
  emulators.push(...kongs);
  const clients = new Map(kongs.map(k => [k.url, new AdminClient({ url: k.url, clock })]));
  let listener: ((view: SenderView) => void) | undefined;
  let view = syncedView(kongs.map(k => k.url));
  const changed: (() => void)[] = [];
  const started = new ListenerSide({
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
  side = started;
  return {
    side: started,
    start: () => {
      started.start();
      listener?.(view);
    },
    join: async (opts: KongEmulatorOptions): Promise<KongEmulator> => {
      const kong = await startKongEmulator(opts);
      emulators.push(kong);
      clients.set(kong.url, new AdminClient({ url: kong.url, clock }));
      view = syncedView([...clients.keys()]);
      listener?.(view);
      return kong;
    },
    until: async (done: () => boolean): Promise<void> => {
      while (!done()) await new Promise<void>(resolve => changed.push(resolve));
    },
  };
}

describe("ListenerSide: what each Kong's GET / says, as translation input", () => {
  it("follows an expressions Kong, and reports a Kong that runs another flavour", async () => {
    const { side, start, join, until } = await sideOver([
      { routerFlavor: "expressions" },
      { routerFlavor: "expressions" },
    ]);
    start();
    const before = side.version;
    await until(() => side.routerFlavor() === "expressions");
    expect(side.version).toBeGreaterThan(before);
    expect(side.flavorProblems()).toEqual([]);

    // A third Kong with Kong's default router joins: the flavour stays, the newcomer is reported.
    const third = await join({});
    await until(() => side.flavorProblems().length > 0);
    expect(side.routerFlavor()).toBe("expressions");
    expect(side.flavorProblems()).toEqual([
      `Kong ${third.url} runs router_flavor traditional_compatible, the other Kongs expressions; routes are written for expressions`,
    ]);
  });

  it("knows no plugins until a Kong says, then those every Kong has", async () => {
    const { side, start, join, until } = await sideOver([
      { enabledPlugins: [...BUNDLED_PLUGINS, "my-header"] },
      { enabledPlugins: [...BUNDLED_PLUGINS, "my-header", "other"] },
    ]);
    expect(side.availablePlugins()).toBeUndefined();
    start();
    const before = side.version;
    await until(() => side.availablePlugins() !== undefined);
    expect(side.version).toBeGreaterThan(before);
    expect(side.availablePlugins()).toEqual(sorted([...BUNDLED_PLUGINS, "my-header"]));
    const known = side.availablePlugins();

    // A Kong without the custom plugin joins: it can no longer be sent to any.
    await join({});
    await until(() => side.availablePlugins()?.includes("my-header") === false);
    expect(known).not.toBe(side.availablePlugins());
    expect(side.availablePlugins()).toEqual(sorted(BUNDLED_PLUGINS));
  });
});
