import { Writable } from "node:stream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AdminClient } from "../../../src/kong/admin-client.ts";
import {
  listenerProgrammability,
  listenersState,
  type KongListenersView,
} from "../../../src/kong/listeners.ts";
import {
  ListenerDiscovery,
  type ListenerDiscoveryOptions,
} from "../../../src/sender/listener-discovery.ts";
import { createMetrics, type Metrics } from "../../../src/telemetry/metrics.ts";
import { startKongEmulator } from "../../support/kong-emulator/index.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";
import { adminClient, silentLogger } from "./helpers.ts";
import { ListenerKong } from "./listener-kong.ts";

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

/** Kong nodes and which of them are ready, as the runtime's readiness tracking would report it. */
class Fleet {
  readonly kongs: ListenerKong[] = [];
  readonly clients = new Map<string, AdminClient>();
  ready = new Set<string>();

  add(n: number): ListenerKong {
    const kong = new ListenerKong(agent, `http://kong-${n}.test:8001`);
    this.kongs.push(kong);
    this.clients.set(kong.origin, adminClient(agent, kong.origin, clock));
    this.ready.add(kong.origin);
    return kong;
  }

  readyKongs = (): AdminClient[] =>
    [...this.ready].map(origin => this.clients.get(origin)).filter(c => c !== undefined);
}

function start(
  fleet: Fleet,
  options: Partial<ListenerDiscoveryOptions> = {},
): { discovery: ListenerDiscovery; views: KongListenersView[] } {
  const discovery = new ListenerDiscovery({
    readyKongs: fleet.readyKongs,
    clock,
    logger: silentLogger,
    random: () => 0,
    stateGauge: metrics.kongListenersState,
    ...options,
  });
  const views: KongListenersView[] = [];
  discovery.subscribe(view => views.push(view));
  discoveries.push(discovery);
  discovery.start();
  return { discovery, views };
}

async function gauge(): Promise<Record<string, number>> {
  const metric = await metrics.kongListenersState.get();
  return Object.fromEntries(metric.values.map(v => [String(v.labels.state), v.value]));
}

const states = (views: readonly KongListenersView[]): string[] => views.map(listenersState);
const reasonOf = (view: KongListenersView): string => (view.state === "unknown" ? view.reason : "");
const HTTP_ON_DEFAULTS = "proxy 8000, 8443 ssl http2; stream none";

describe("ListenerDiscovery", () => {
  it("knows the listeners once every ready Kong has answered, and counts it in the gauge", async () => {
    const fleet = new Fleet();
    fleet.add(1);
    fleet.add(2).stream = [{ port: 9000 }, { port: 9999, udp: true }];
    fleet.kongs[0]!.stream = [{ port: 9999, udp: true }, { port: 9000 }];
    const { discovery, views } = start(fleet);
    expect(await gauge()).toEqual({ unknown: 1, known_empty: 0, known: 0 });

    await settle();
    expect(discovery.view).toEqual({
      state: "known",
      listeners: {
        proxy: [
          { port: 8000, ssl: false, http2: false },
          { port: 8443, ssl: true, http2: true },
        ],
        stream: [
          { port: 9000, ssl: false, udp: false },
          { port: 9999, ssl: false, udp: true },
        ],
      },
    });
    // Each answer moves the view: both silent, then the one still to answer, then known.
    expect(views.map(reasonOf)).toEqual([
      "http://kong-1.test:8001, http://kong-2.test:8001 have not answered GET / yet",
      "http://kong-2.test:8001 has not answered GET / yet",
      "",
    ]);
    expect(await gauge()).toEqual({ unknown: 0, known_empty: 0, known: 1 });
    // Known is settled: nothing more is asked until the ready set changes.
    await clock.advance(120_000);
    expect(fleet.kongs.map(k => k.asked)).toEqual([1, 1]);
    expect(clock.pending).toBe(0);
  });

  it("reads 'no listener at all' as known-empty, which is the one view that refuses protocols", async () => {
    const fleet = new Fleet();
    fleet.add(1).proxy = [];
    const { discovery } = start(fleet);
    await settle();

    expect(listenersState(discovery.view)).toBe("known_empty");
    expect(await gauge()).toEqual({ unknown: 0, known_empty: 1, known: 0 });
    expect(
      listenerProgrammability(discovery.view, { kind: "none" }, { port: 80, protocol: "HTTP" }),
    ).toMatchObject({ programmable: false, reason: "UnsupportedProtocol" });
  });

  it("is unknown without asking when no Kong is ready, and asks at once when one becomes ready", async () => {
    const fleet = new Fleet();
    const kong = fleet.add(1);
    fleet.ready.clear();
    const { discovery, views } = start(fleet);
    await settle();
    expect(discovery.view).toEqual({ state: "unknown", reason: "no Kong is ready" });
    expect(
      listenerProgrammability(discovery.view, { kind: "none" }, { port: 80, protocol: "HTTP" }),
    ).toEqual({ pending: true, message: "waiting for Kong's listeners: no Kong is ready" });
    expect(clock.pendingDelays()).toEqual([1000]);

    fleet.ready.add(kong.origin);
    discovery.readyKongsChanged();
    await settle();
    expect(kong.asked).toBe(1);
    expect(states(views)).toEqual(["unknown", "unknown", "known"]);
    expect(clock.pending).toBe(0);
  });

  it("retries while unknown with backoff from 1 s doubling to at most 30 s, and stops once known", async () => {
    const fleet = new Fleet();
    const kong = fleet.add(1);
    kong.behaviour = { kind: "down" };
    const { discovery } = start(fleet);
    await settle();
    expect(reasonOf(discovery.view)).toBe(
      "GET / of http://kong-1.test:8001 failed: Kong Admin API http://kong-1.test:8001 unreachable (refused)",
    );

    const delays: number[] = [];
    for (let round = 0; round < 8; round++) {
      const [delay] = clock.pendingDelays();
      delays.push(delay!);
      await clock.advance(delay!);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(kong.asked).toBe(9);
    expect(discovery.view.state).toBe("unknown");

    kong.behaviour = { kind: "answer" };
    await clock.advance(30_000);
    expect(kong.asked).toBe(10);
    expect(discovery.view.state).toBe("known");
    expect(clock.pending).toBe(0);
  });

  it("keeps jittered delays within the cap", async () => {
    const fleet = new Fleet();
    fleet.add(1).behaviour = { kind: "down" };
    start(fleet, { random: () => 0.99 });
    await settle();
    for (let round = 0; round < 10; round++) {
      const [delay] = clock.pendingDelays();
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(30_000);
      await clock.advance(delay!);
    }
  });

  it("wakes from a backoff and starts it over when the ready set changes", async () => {
    const fleet = new Fleet();
    const kong = fleet.add(1);
    kong.behaviour = { kind: "down" };
    const { discovery } = start(fleet);
    await settle();
    await clock.advance(1000);
    await clock.advance(2000);
    expect(clock.pendingDelays()).toEqual([4000]);

    fleet.ready.clear();
    discovery.readyKongsChanged();
    await settle();
    expect(reasonOf(discovery.view)).toBe("no Kong is ready");
    expect(clock.pendingDelays()).toEqual([1000]);

    kong.behaviour = { kind: "answer" };
    fleet.ready.add(kong.origin);
    discovery.readyKongsChanged();
    await settle();
    expect(discovery.view.state).toBe("known");
  });

  it("counts a GET / that takes longer than the request timeout as failed", async () => {
    const fleet = new Fleet();
    fleet.add(1);
    const slow = fleet.add(2);
    slow.behaviour = { kind: "hang" };
    const { discovery, views } = start(fleet, { requestTimeoutMs: 5000 });
    await settle();
    expect(reasonOf(discovery.view)).toBe("http://kong-2.test:8001 has not answered GET / yet");

    await clock.advance(4999);
    expect(views).toHaveLength(2);
    await clock.advance(1);
    expect(reasonOf(discovery.view)).toBe(
      "GET / of http://kong-2.test:8001 failed: no answer within 5000 ms",
    );
    expect(clock.pendingDelays()).toEqual([1000]);

    slow.behaviour = { kind: "answer" };
    await clock.advance(1000);
    expect(discovery.view.state).toBe("known");
  });

  it("is unknown while ready Kongs disagree, and known once they agree again", async () => {
    const fleet = new Fleet();
    fleet.add(1);
    const upgraded = fleet.add(2);
    upgraded.stream = [{ port: 9000 }];
    const { discovery } = start(fleet);
    await settle();
    expect(reasonOf(discovery.view)).toBe(
      `ready Kongs disagree (http://kong-1.test:8001: ${HTTP_ON_DEFAULTS} | http://kong-2.test:8001: proxy 8000, 8443 ssl http2; stream 9000)`,
    );

    upgraded.stream = [];
    await clock.advance(1000);
    expect(discovery.view).toMatchObject({ state: "known" });
  });

  it.each<[string, ListenerKong["behaviour"], string]>([
    [
      "a 503 while Kong starts",
      { kind: "status", status: 503, body: { message: "Kong currently exiting" } },
      "503",
    ],
    [
      "a body without stream_listeners",
      { kind: "configuration", configuration: { stream_listeners: undefined } },
      "did not report configuration.stream_listeners",
    ],
    [
      "a hybrid control plane's empty lists",
      { kind: "configuration", configuration: { role: "control_plane", proxy_listeners: {} } },
      "control plane",
    ],
    [
      "a hostname listen's port",
      {
        kind: "configuration",
        configuration: { proxy_listeners: [{ ip: "kong.local", port: "kong.local:8000" }] },
      },
      "does not match the expected shape",
    ],
  ])("never reads %s as no listeners", async (_name, behaviour, reason) => {
    const fleet = new Fleet();
    fleet.add(1).behaviour = behaviour;
    const { discovery } = start(fleet);
    await settle();
    expect(discovery.view.state).toBe("unknown");
    expect(reasonOf(discovery.view)).toContain(reason);
    expect(
      listenerProgrammability(discovery.view, { kind: "none" }, { port: 80, protocol: "HTTP" }),
    ).toHaveProperty("pending", true);
  });

  describe("across a Kong restart", () => {
    it("counts a returning Kong with its last answer until it answers again", async () => {
      const fleet = new Fleet();
      const kong = fleet.add(1);
      const { discovery, views } = start(fleet);
      await settle();
      const before = discovery.view;
      expect(before.state).toBe("known");

      // The pod restarts: it refuses connections before its endpoint turns unready, leaves the
      // ready set, and comes back slow to answer at first.
      kong.behaviour = { kind: "down" };
      discovery.readyKongsChanged();
      await settle();
      expect(reasonOf(discovery.view)).toContain("unreachable (refused)");
      fleet.ready.clear();
      discovery.readyKongsChanged();
      await settle();
      expect(reasonOf(discovery.view)).toBe("no Kong is ready");

      kong.behaviour = { kind: "hang" };
      fleet.ready.add(kong.origin);
      discovery.readyKongsChanged();
      await settle();
      expect(discovery.view).toEqual(before);

      // Its fresh answer replaces the cached one.
      kong.behaviour = { kind: "answer" };
      kong.stream = [{ port: 9000 }];
      await clock.advance(5000);
      expect(reasonOf(discovery.view)).toContain("no answer within 5000 ms");
      await clock.advance(1000);
      expect(discovery.view).toMatchObject({
        state: "known",
        listeners: { stream: [{ port: 9000, ssl: false, udp: false }] },
      });
      expect(states(views)).toEqual([
        "unknown",
        "known",
        "unknown",
        "unknown",
        "known",
        "unknown",
        "known",
      ]);
    });

    it("lets a failed GET / of a returning Kong outweigh its cached answer", async () => {
      const fleet = new Fleet();
      const kong = fleet.add(1);
      const { discovery } = start(fleet);
      await settle();
      fleet.ready.clear();
      discovery.readyKongsChanged();
      await settle();

      kong.behaviour = { kind: "status", status: 500, body: { message: "boom" } };
      fleet.ready.add(kong.origin);
      discovery.readyKongsChanged();
      await settle();
      expect(reasonOf(discovery.view)).toContain("GET / of http://kong-1.test:8001 failed");
    });
  });

  it("forgets the answers of the Kongs gone longest once it holds 256", async () => {
    const fleet = new Fleet();
    const kongs = Array.from({ length: 258 }, (_, i) => fleet.add(i + 1));
    fleet.ready.clear();
    const { discovery } = start(fleet);
    // Pods replaced one after the other, each under a new address.
    for (const kong of kongs) {
      fleet.ready = new Set([kong.origin]);
      discovery.readyKongsChanged();
      await settle();
      expect(discovery.view.state).toBe("known");
    }
    const returning = (kong: ListenerKong): string => {
      kong.behaviour = { kind: "hang" };
      fleet.ready = new Set([kong.origin]);
      discovery.readyKongsChanged();
      return discovery.view.state;
    };
    expect(returning(kongs[2]!)).toBe("known");
    expect(returning(kongs[0]!)).toBe("unknown");
  });

  it("re-asks every ready Kong when the ready set changes, and a new Kong is unknown until it answers", async () => {
    const fleet = new Fleet();
    const first = fleet.add(1);
    const { discovery, views } = start(fleet);
    await settle();

    const second = fleet.add(2);
    second.behaviour = { kind: "hang" };
    discovery.readyKongsChanged();
    await settle();
    expect(reasonOf(discovery.view)).toBe("http://kong-2.test:8001 has not answered GET / yet");
    expect(first.asked).toBe(2);

    second.behaviour = { kind: "answer" };
    await clock.advance(5000);
    await clock.advance(1000);
    expect(discovery.view.state).toBe("known");
    expect(states(views)).toEqual(["unknown", "known", "unknown", "unknown", "known"]);
  });

  it("logs each change of state once", async () => {
    const lines: { level: string; msg: string; state: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const logger = pino(
      { level: "info", formatters: { level: label => ({ level: label }) } },
      sink,
    );
    const fleet = new Fleet();
    const kong = fleet.add(1);
    kong.behaviour = { kind: "down" };
    start(fleet, { logger });
    await settle();
    await clock.advance(1000);
    await clock.advance(2000);
    kong.behaviour = { kind: "answer" };
    await clock.advance(4000);

    expect(lines.map(l => [l.level, l.msg])).toEqual([
      ["warn", "Kong's GET / failed"],
      ["info", "Kong's listeners are known"],
    ]);
  });

  it("abandons a request in flight on stop", async () => {
    const fleet = new Fleet();
    const kong = fleet.add(1);
    kong.behaviour = { kind: "hang" };
    const { discovery, views } = start(fleet);
    await settle();
    await discovery.stop();
    expect(clock.pending).toBe(0);
    discovery.readyKongsChanged();
    await settle();
    expect(kong.asked).toBe(1);
    expect(views).toHaveLength(1);
  });

  it("reads the emulator's GET / over HTTP, and its listeners after a restart that changed them", async () => {
    const emulator = await startKongEmulator({ streamListeners: [{ port: 9999, udp: true }] });
    const admin = new AdminClient({ url: emulator.url, clock });
    let ready: AdminClient[] = [admin];
    const discovery = new ListenerDiscovery({
      readyKongs: () => ready,
      clock,
      logger: silentLogger,
      random: () => 0,
    });
    discoveries.push(discovery);
    /** Resolves with the first view (from now on) that `accept` takes; real sockets, no polling. */
    const viewWhere = (accept: (view: KongListenersView) => boolean) =>
      new Promise<KongListenersView>(resolve => {
        const unsubscribe = discovery.subscribe(view => {
          if (!accept(view)) return;
          unsubscribe();
          resolve(view);
        });
      });
    try {
      const first = viewWhere(v => v.state === "known");
      discovery.start();
      expect(await first).toMatchObject({
        listeners: { stream: [{ port: 9999, ssl: false, udp: true }] },
      });

      ready = [];
      discovery.readyKongsChanged();
      expect(discovery.view).toEqual({ state: "unknown", reason: "no Kong is ready" });
      emulator.setListeners([{ port: 8000 }], [{ port: 9443, ssl: true }]);
      await emulator.restart();
      const after = viewWhere(v => v.state === "known" && v.listeners.stream[0]?.port === 9443);
      ready = [admin];
      discovery.readyKongsChanged();
      expect(await after).toEqual({
        state: "known",
        listeners: {
          proxy: [{ port: 8000, ssl: false, http2: false }],
          stream: [{ port: 9443, ssl: true, udp: false }],
        },
      });
    } finally {
      await discovery.stop();
      await admin.close();
      await emulator.stop();
    }
  });

  it("keeps notifying when a subscriber throws", async () => {
    const fleet = new Fleet();
    fleet.add(1);
    const discovery = new ListenerDiscovery({
      readyKongs: fleet.readyKongs,
      clock,
      logger: silentLogger,
      random: () => 0,
    });
    discoveries.push(discovery);
    discovery.subscribe(() => {
      throw new Error("subscriber bug");
    });
    const seen: string[] = [];
    const unsubscribe = discovery.subscribe(view => seen.push(view.state));
    discovery.start();
    await settle();
    expect(seen).toEqual(["unknown", "known"]);

    unsubscribe();
    fleet.ready.clear();
    discovery.readyKongsChanged();
    await settle();
    expect(seen).toEqual(["unknown", "known"]);
  });
});
