import { Registry } from "prom-client";
import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AdminClient, encodeConfig } from "../../../src/kong/admin-client.ts";
import {
  flavorProblems,
  mergeRouterFlavors,
  type FlavorReport,
} from "../../../src/kong/router-flavor.ts";
import { ListenerDiscovery } from "../../../src/sender/listener-discovery.ts";
import { createMetrics, type Metrics } from "../../../src/telemetry/metrics.ts";
import { createTranslator, DEFAULT_TRANSLATE_OPTIONS } from "../../../src/translator/index.ts";
import { startKongEmulator } from "../../support/kong-emulator/index.ts";
import { loadSnapshot, readDocuments } from "../../support/golden.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";
import { adminClient, silentLogger } from "./helpers.ts";
import { ListenerKong } from "./listener-kong.ts";

const A = "http://kong-1.test:8001";
const B = "http://kong-2.test:8001";

describe("mergeRouterFlavors", () => {
  it.each<[string, FlavorReport[], string, unknown]>([
    ["no Kong has said: the last flavour", [{ url: A }], "expressions", []],
    [
      "all agree",
      [
        { url: A, flavor: "expressions" },
        { url: B, flavor: "expressions" },
      ],
      "expressions",
      [],
    ],
    ["one has not said yet", [{ url: A, flavor: "expressions" }, { url: B }], "expressions", []],
    [
      "mixed: the last agreed flavour stays, the Kong that differs is named",
      [
        { url: B, flavor: "traditional_compatible" },
        { url: A, flavor: "expressions" },
      ],
      "expressions",
      [{ url: B, flavor: "traditional_compatible" }],
    ],
  ])("%s", (_name, reports, flavor, mismatched) => {
    const view = mergeRouterFlavors(reports, "expressions");
    expect(view).toEqual({ flavor, mismatched });
  });

  it("mixed from the start: every Kong that differs from the default is named", () => {
    const view = mergeRouterFlavors(
      [
        { url: A, flavor: "expressions" },
        { url: B, flavor: "traditional" },
      ],
      "traditional_compatible",
    );
    expect(view.flavor).toBe("traditional_compatible");
    expect(flavorProblems(view)).toEqual([
      `Kong ${A} runs router_flavor expressions, the other Kongs traditional_compatible; routes are written for traditional_compatible`,
      `Kong ${B} runs router_flavor traditional, the other Kongs traditional_compatible; routes are written for traditional_compatible`,
    ]);
  });
});

let agent: MockAgent;
let clock: ManualClock;
let metrics: Metrics;
let discoveries: ListenerDiscovery[];

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  clock = new ManualClock();
  metrics = createMetrics({ registry: new Registry() });
  discoveries = [];
});

afterEach(async () => {
  await Promise.all(discoveries.map(d => d.stop()));
  await agent.close();
});

function discover(readyKongs: () => readonly AdminClient[]): ListenerDiscovery {
  const discovery = new ListenerDiscovery({
    readyKongs,
    clock,
    logger: silentLogger,
    random: () => 0,
    flavorGauges: { flavor: metrics.routerFlavor, mismatch: metrics.kongRouterFlavorMismatch },
  });
  discoveries.push(discovery);
  return discovery;
}

async function gaugeValues(gauge: {
  get(): Promise<{ values: { labels: object; value: number }[] }>;
}) {
  return (await gauge.get()).values.map(v => ({ ...v.labels, value: v.value }));
}

describe("ListenerDiscovery: Kong's router flavour from the same GET /", () => {
  it("follows the Kongs' flavour, keeps it when they disagree and names the Kong that differs", async () => {
    const kongs = [new ListenerKong(agent, A), new ListenerKong(agent, B)];
    for (const k of kongs)
      k.behaviour = { kind: "configuration", configuration: { router_flavor: "expressions" } };
    const clients = kongs.map(k => adminClient(agent, k.origin, clock));
    const discovery = discover(() => clients);
    let told = 0;
    discovery.subscribe(() => told++);
    expect(discovery.routerFlavor.flavor).toBe("traditional_compatible");

    discovery.start();
    await settle();
    expect(discovery.routerFlavor).toEqual({ flavor: "expressions", mismatched: [] });
    expect(told).toBeGreaterThan(0);
    expect(await gaugeValues(metrics.routerFlavor)).toContainEqual({
      flavor: "expressions",
      value: 1,
    });

    // Kong 2 restarts with the default router: the flavour stays, Kong 2 is reported.
    kongs[1]!.behaviour = { kind: "answer" };
    discovery.readyKongsChanged();
    await settle();
    expect(discovery.routerFlavor).toEqual({
      flavor: "expressions",
      mismatched: [{ url: B, flavor: "traditional_compatible" }],
    });
    expect(await gaugeValues(metrics.kongRouterFlavorMismatch)).toEqual([
      { dataplane: B, flavor: "traditional_compatible", value: 1 },
    ]);

    // Back in line: nothing to report any more.
    kongs[1]!.behaviour = {
      kind: "configuration",
      configuration: { router_flavor: "expressions" },
    };
    discovery.readyKongsChanged();
    await settle();
    expect(discovery.routerFlavor).toEqual({ flavor: "expressions", mismatched: [] });
    expect(await gaugeValues(metrics.kongRouterFlavorMismatch)).toEqual([]);
  });

  it("a Kong reporting expressions gets expression routes, and takes them", async () => {
    const emulator = await startKongEmulator({ routerFlavor: "expressions" });
    try {
      const admin = new AdminClient({ url: emulator.url, clock });
      const discovery = discover(() => [admin]);
      const flavorKnown = new Promise<void>(resolve => {
        discovery.subscribe(() => {
          if (discovery.routerFlavor.flavor === "expressions") resolve();
        });
      });
      discovery.start();
      await flavorKnown;

      const translate = createTranslator({
        ...DEFAULT_TRANSLATE_OPTIONS,
        routerFlavor: () => discovery.routerFlavor.flavor,
      });
      const snapshot = loadSnapshot(
        readDocuments(new URL("../../golden/route-annotations/in.yaml", import.meta.url).pathname),
      );
      const { config } = translate(snapshot);
      const routes = (config.services ?? []).flatMap(s => s.routes ?? []);
      expect(routes.length).toBeGreaterThan(0);
      for (const route of routes) {
        expect(route.expression).toEqual(expect.any(String));
        expect(route.priority).toEqual(expect.any(Number));
        expect(route).not.toHaveProperty("paths");
        expect(route).not.toHaveProperty("hosts");
      }
      const pushed = await admin.postConfig(encodeConfig(config));
      expect(pushed.kind).toBe("applied");
    } finally {
      await emulator.stop();
    }
  });
});
