import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import { stringify as toYaml } from "yaml";
import { encodeConfig } from "../../../src/kong/admin-client.ts";
import type { KubeObject } from "../../../src/model/k8s.ts";
import { refOf } from "../../../src/model/object-ref.ts";
import { Sender, type SenderInput, type SenderOptions } from "../../../src/sender/sender.ts";
import type { PushRecord } from "../../../src/sender/gateway-worker.ts";
import { DEFAULT_PACING } from "../../../src/sender/pacing.ts";
import type { Snapshot } from "../../../src/translator/types.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { clusterSnapshot, ing, svc, translate } from "./cluster.ts";
import { adminClient, MockKong, silentLogger } from "./helpers.ts";
import {
  gatewayClassManifest,
  gatewayManifest,
  httpRouteManifest,
} from "../status/gateway-api-fixtures.ts";

const POLL_MS = 10_000;
const BACKOFF = { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0.5, maxRetryAfterMs: 60_000 };

let agent: MockAgent;
let clock: ManualClock;
let senders: Sender[];

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  clock = new ManualClock();
  senders = [];
});

afterEach(async () => {
  await Promise.all(senders.map(s => s.stop()));
  await agent.close();
});

function kongNode(n = 1): MockKong {
  return new MockKong(agent, `http://kong-${n}.test:8001`, clock);
}

function startSender(kongs: MockKong[], options: Partial<SenderOptions> = {}): Sender {
  const sender = new Sender({
    gateways: kongs.map(k => adminClient(agent, k.origin, clock)),
    translate,
    clock,
    logger: silentLogger,
    backoff: BACKOFF,
    pollIntervalMs: POLL_MS,
    random: () => 0,
    ...options,
  });
  senders.push(sender);
  sender.start();
  return sender;
}

function input(snap: Snapshot): SenderInput {
  return { snapshot: snap, result: translate(snap) };
}

function hashOf(snap: Snapshot): string {
  return encodeConfig(translate(snap).config).hash;
}

function keys(map: ReadonlyMap<string, unknown> | undefined): string[] | undefined {
  return map === undefined ? undefined : [...map.keys()].sort();
}

const web = svc("shop", "web");
const api = svc("shop", "api");
const a = ing("shop", "a", ["web"]);
const b = ing("shop", "b", ["api"]);
const shopObjects: readonly KubeObject[] = [web, api, a, b];
const shop = clusterSnapshot(shopObjects);

describe("Sender: first push and change detection", () => {
  it("pushes the first config and records the objects Kong accepted", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    await clock.advance(0);
    expect(sender.acceptedObjects()).toEqual(new Map());
    expect(sender.gateways()[0]?.phase).toBe("pending");

    sender.update(input(shop));
    await clock.advance(0);

    expect(kong.posts).toHaveLength(1);
    expect(kong.hash).toBe(hashOf(shop));
    expect(sender.gateways()[0]).toMatchObject({
      phase: "synced",
      hash: hashOf(shop),
      config: "primary",
    });
    expect(keys(sender.acceptedObjects())).toEqual([
      "Ingress/shop/a",
      "Ingress/shop/b",
      "Service/shop/api",
      "Service/shop/web",
    ]);
  });

  it("does not push what Kong already runs (a restarted controller)", async () => {
    const kong = kongNode();
    kong.hash = hashOf(shop);
    const sender = startSender([kong]);
    sender.update(input(shop));
    await clock.advance(POLL_MS * 3);
    expect(kong.posts).toHaveLength(0);
    expect(sender.gateways()[0]).toMatchObject({ phase: "synced", hash: hashOf(shop) });
    expect(keys(sender.acceptedObjects())).toHaveLength(4);
  });

  it("does not push again for an unchanged config, only polls /status", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    sender.update(input(shop));
    await clock.advance(0);
    sender.update(input(shop));
    await clock.advance(POLL_MS * 3);
    expect(kong.posts).toHaveLength(1);
    expect(kong.statusReads.length).toBeGreaterThanOrEqual(4);
  });

  it("re-pushes at once when a poll finds the zero hash (Kong restarted empty)", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    sender.update(input(shop));
    await clock.advance(0);
    kong.loseConfig();
    await clock.advance(POLL_MS - 1);
    expect(kong.posts).toHaveLength(1);
    await clock.advance(1);
    expect(kong.posts).toHaveLength(2);
    expect(kong.hash).toBe(hashOf(shop));
    expect(sender.gateways()[0]?.phase).toBe("synced");
  });

  it("reads back a config Kong runs before pushing, so its objects count as accepted", async () => {
    const kong = kongNode();
    const previous = clusterSnapshot([svc("old", "legacy"), ing("old", "x", ["legacy"])]);
    kong.hash = "feedfacefeedfacefeedfacefeedface";
    kong.dump = toYaml({ ...translate(previous).config, _transform: false });
    const sender = startSender([kong]);
    await clock.advance(0);
    expect(keys(sender.acceptedObjects())).toEqual(["Ingress/old/x", "Service/old/legacy"]);
    // One node: the running config's own map, the same object on every call (views compare by it).
    expect(sender.acceptedObjects()).toBe(sender.acceptedObjects());
    expect(sender.gateways()[0]).toMatchObject({ phase: "synced", config: "kong" });
    expect(kong.posts).toHaveLength(0);
  });

  it("keeps Kong's own config as last-known-good when the first push is rejected", async () => {
    const kong = kongNode();
    kong.hash = "feedfacefeedfacefeedfacefeedface";
    kong.dump = toYaml(translate(shop).config);
    const sender = startSender([kong]);
    // Every object broken: no fallback can help, and Kong's running config must stay.
    const lone = ing("shop", "lone", ["web"]);
    kong.breaks(web, lone);
    sender.update(input(clusterSnapshot([web, lone])));
    await clock.advance(POLL_MS * 2);
    expect(kong.posts).toHaveLength(1);
    expect(kong.hash).toBe("feedfacefeedfacefeedfacefeedface");
    expect(sender.gateways()[0]).toMatchObject({
      phase: "synced",
      config: "lastKnownGood",
      degraded: { code: "ERR_KONG_REJECTED" },
    });
    expect(keys(sender.acceptedObjects())).toHaveLength(4);
  });

  it("refuses a node that runs with a database", async () => {
    const kong = kongNode();
    kong.faults.root.push({
      status: 200,
      data: { version: "3.9.1", configuration: { database: "postgres" } },
    });
    const sender = startSender([kong]);
    sender.update(input(shop));
    await clock.advance(0);
    expect(sender.gateways()[0]).toMatchObject({ phase: "failing", code: "ERR_KONG_UNSUPPORTED" });
    expect(kong.posts).toHaveLength(0);
    await clock.advance(BACKOFF.initialMs);
    expect(kong.posts).toHaveLength(1);
  });
});

describe("Sender: rejection, fallback and last-known-good", () => {
  it("leaves out only the broken Ingress and records which objects Kong accepted", async () => {
    const kong = kongNode();
    const records: PushRecord[] = [];
    const sender = startSender([kong], { onPush: r => records.push(r) });
    kong.breaks(b);
    const snap = clusterSnapshot([web, api, a, b, ing("shop", "c", ["api"])]);
    sender.update(input(snap));
    await clock.advance(POLL_MS * 3);

    expect(kong.posts).toHaveLength(2);
    expect(keys(sender.acceptedObjects())).toEqual([
      "Ingress/shop/a",
      "Ingress/shop/c",
      "Service/shop/api",
      "Service/shop/web",
    ]);
    const view = sender.view();
    expect(view.rejectedObjects).toEqual([
      {
        ref: refOf(b),
        messages: ["route (shop.b.api.b.example.com.80): invalid host: invalid value: nope"],
      },
    ]);
    expect(view.gateways[0]).toMatchObject({
      phase: "synced",
      config: "fallback",
      degraded: { code: "ERR_KONG_REJECTED" },
    });
    expect(records.map(r => [r.success, r.fallback, r.brokenResources])).toEqual([
      [false, false, 1],
      [true, true, 0],
    ]);
  });

  it("leaves out a broken Service and keeps the other paths of the Ingresses that use it", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    kong.breaks(api);
    const snap = clusterSnapshot([
      web,
      api,
      a,
      ing("shop", "b", ["api", "web"]),
      ing("shop", "c", ["api"]),
    ]);
    sender.update(input(snap));
    await clock.advance(0);
    // Ingress b keeps its route to web; Ingress c routed only to the broken Service and drops out.
    expect(keys(sender.acceptedObjects())).toEqual([
      "Ingress/shop/a",
      "Ingress/shop/b",
      "Service/shop/web",
    ]);
  });

  it("re-pushes last-known-good when the fallback is rejected too, and never loops", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    sender.update(input(shop));
    await clock.advance(0);
    const good = kong.hash;

    // Service "new" is broken; once it is left out, Kong finds fault with Service "extra" as well.
    const fresh = svc("shop", "new");
    kong.breaks(fresh);
    kong.reject = (entity, names) =>
      entity.name === "shop.extra.80" && !names.includes("shop.new.80");
    const next = clusterSnapshot([
      ...shopObjects,
      svc("shop", "extra"),
      fresh,
      ing("shop", "x", ["extra"]),
      ing("shop", "n", ["new"]),
    ]);
    sender.update(input(next));
    await clock.advance(POLL_MS * 5);

    expect(kong.posts.map(p => p.hash === good)).toEqual([true, false, false]);
    expect(kong.hash).toBe(good);
    expect(sender.gateways()[0]).toMatchObject({
      phase: "synced",
      config: "lastKnownGood",
      hash: good,
      degraded: { code: "ERR_KONG_REJECTED" },
    });

    // A node added now gets last-known-good pushed after both rejections, not nothing.
    const added = kongNode(2).breaks(fresh);
    added.reject = kong.reject;
    sender.addGateway(adminClient(agent, added.origin, clock));
    await clock.advance(0);
    expect(added.posts).toHaveLength(3);
    expect(added.hash).toBe(good);
    expect(sender.gateways()[1]).toMatchObject({
      phase: "synced",
      config: "lastKnownGood",
      degraded: { code: "ERR_KONG_REJECTED" },
    });
  });

  it("on 413 leaves out the largest objects, pushes the rest, and never re-pushes the refused config", async () => {
    const kong = kongNode();
    const records: PushRecord[] = [];
    const sender = startSender([kong], { onPush: r => records.push(r) });
    kong.faults.post.push({
      status: 413,
      data: "<html><title>413 Request Entity Too Large</title></html>",
    });
    sender.update(input(shop));
    await clock.advance(POLL_MS * 10);
    expect(kong.posts).toHaveLength(2);
    expect(kong.posts[0]?.hash).toBe(hashOf(shop));
    expect(kong.posts[1]?.hash).not.toBe(hashOf(shop));
    expect(sender.gateways()[0]).toMatchObject({ phase: "synced", config: "fallback" });
    const named = sender.view().rejectedObjects;
    expect(named.length).toBeGreaterThan(0);
    expect(named[0]?.messages[0]).toContain("over the");

    sender.update(input(shop));
    await clock.advance(POLL_MS * 3);
    expect(kong.posts).toHaveLength(2);
    expect(sender.gateways()[0]?.phase).toBe("synced");
  });

  it("never sends a config over --max-config-bytes: its largest objects are left out", async () => {
    const kong = kongNode();
    const full = encodeConfig(translate(shop).config).body.length;
    const sender = startSender([kong], { maxConfigBytes: Math.floor(full * 0.8) });
    sender.update(input(shop));
    await clock.advance(POLL_MS * 10);
    expect(kong.posts).toHaveLength(1);
    expect(kong.posts[0]?.hash).not.toBe(hashOf(shop));
    expect(kong.posts[0]?.body.length).toBeLessThanOrEqual(full * 0.8);
    expect(sender.gateways()[0]).toMatchObject({ phase: "synced", config: "fallback" });
  });

  it("does not re-push a rejected config when the same translation arrives again", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    const lone = ing("shop", "lone", ["web"]);
    kong.breaks(web, lone);
    const broken = clusterSnapshot([web, lone]);
    sender.update(input(broken));
    await clock.advance(0);
    sender.update(input(broken));
    await clock.advance(POLL_MS * 3);
    expect(kong.posts).toHaveLength(1);
    expect(sender.gateways()[0]).toMatchObject({ phase: "failing", code: "ERR_KONG_REJECTED" });
    expect(sender.acceptedObjects()).toEqual(new Map());
  });
});

describe("Sender: retry timing", () => {
  it("honours Retry-After on 429", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    kong.faults.post.push({
      status: 429,
      data: { message: "Currently loading previous configuration" },
      headers: { "retry-after": "3" },
    });
    sender.update(input(shop));
    await clock.advance(0);
    expect(kong.posts).toHaveLength(1);
    expect(sender.gateways()[0]).toMatchObject({ phase: "failing", code: "ERR_KONG_BUSY" });
    await clock.advance(2999);
    expect(kong.posts).toHaveLength(1);
    await clock.advance(1);
    expect(kong.posts).toHaveLength(2);
    expect(sender.gateways()[0]?.phase).toBe("synced");
  });

  it("backs off exponentially on 503 and 504, capped", async () => {
    const kong = kongNode();
    startSender([kong]);
    for (let i = 0; i < 5; i++)
      kong.faults.post.push({ status: i % 2 === 0 ? 503 : 504, data: {} });
    const start = clock.now();
    // First update at once; the pushes fail five times.
    const sender = senders[0]!;
    sender.update(input(shop));
    await clock.advance(60_000);
    expect(kong.posts.map(p => p.at - start)).toEqual([0, 1000, 3000, 7000, 15000, 23000]);
    expect(sender.gateways()[0]?.phase).toBe("synced");
  });

  it("treats timeouts and resets as unreachable and backs off", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    kong.faults.post.push({ error: "UND_ERR_HEADERS_TIMEOUT" }, { error: "ECONNRESET" });
    sender.update(input(shop));
    await clock.advance(0);
    expect(sender.gateways()[0]).toMatchObject({
      phase: "failing",
      code: "ERR_KONG_UNREACHABLE",
      attempts: 1,
    });
    await clock.advance(1000);
    expect(sender.gateways()[0]).toMatchObject({ phase: "failing", attempts: 2 });
    await clock.advance(2000);
    expect(sender.gateways()[0]?.phase).toBe("synced");
  });

  it("jitter shortens delays, never lengthens them", async () => {
    const kong = kongNode();
    startSender([kong], { random: () => 1 });
    kong.faults.post.push({ status: 503, data: {} }, { status: 503, data: {} });
    const start = clock.now();
    senders[0]!.update(input(shop));
    await clock.advance(10_000);
    expect(kong.posts.map(p => p.at - start)).toEqual([0, 500, 1500]);
  });

  it("gets the newest config to a node that was down, within one backoff step of its return", async () => {
    const kong = kongNode();
    kong.down = true;
    const sender = startSender([kong]);
    sender.update(input(shop));
    await clock.advance(10_000);
    const newest = clusterSnapshot([web, a]);
    sender.update(input(newest));
    await clock.advance(20_000);
    expect(sender.gateways()[0]).toMatchObject({ phase: "failing", code: "ERR_KONG_UNREACHABLE" });
    expect(sender.acceptedObjects()).toBeUndefined();

    kong.down = false;
    const back = clock.now();
    await clock.advance(BACKOFF.maxMs);
    expect(kong.posts).toHaveLength(1);
    expect(kong.posts[0]!.at - back).toBeLessThanOrEqual(BACKOFF.maxMs);
    expect(kong.hash).toBe(hashOf(newest));
  });
});

describe("Sender: unexpected answers", () => {
  it.each([
    ["HTML", { status: 200, data: "<html><title>Sign in</title></html>" }],
    ["garbage", { status: 200, data: "\u0000\u0001garbage" }],
    ["truncated JSON", { status: 200, data: '{"configuration_hash":"0000' }],
    ["wrong shape", { status: 200, data: { configuration_hash: 12 } }],
  ])("reports a %s /status body and keeps running", async (_name, reply) => {
    const kong = kongNode();
    const sender = startSender([kong]);
    kong.faults.status.push(reply);
    sender.update(input(shop));
    await clock.advance(0);
    expect(sender.gateways()[0]).toMatchObject({
      phase: "failing",
      code: "ERR_KONG_UNEXPECTED_RESPONSE",
    });
    await clock.advance(BACKOFF.initialMs);
    expect(sender.gateways()[0]?.phase).toBe("synced");
  });

  it("retries a 201 that Kong did not apply", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    kong.ignorePosts = true;
    sender.update(input(shop));
    await clock.advance(0);
    expect(sender.gateways()[0]).toMatchObject({ phase: "failing", code: "ERR_KONG_NOT_APPLIED" });
    kong.ignorePosts = false;
    await clock.advance(BACKOFF.initialMs);
    expect(kong.posts).toHaveLength(2);
    expect(sender.gateways()[0]?.phase).toBe("synced");
  });

  it("keeps going when a node answers 500", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    kong.faults.post.push({ status: 500, data: { message: "An unexpected error occurred" } });
    sender.update(input(shop));
    await clock.advance(0);
    expect(sender.gateways()[0]).toMatchObject({ phase: "failing", code: "ERR_KONG_HTTP" });
    await clock.advance(BACKOFF.initialMs);
    expect(sender.gateways()[0]?.phase).toBe("synced");
  });
});

describe("Sender: several nodes", () => {
  it("pushes to every node independently; a failing node does not hold back the others", async () => {
    const kongs = [kongNode(1), kongNode(2), kongNode(3)];
    kongs[1]!.down = true;
    const sender = startSender(kongs);
    sender.update(input(shop));
    await clock.advance(0);
    expect(sender.gateways().map(g => g.phase)).toEqual(["synced", "failing", "synced"]);
    expect(keys(sender.acceptedObjects())).toHaveLength(4);
    kongs[1]!.down = false;
    await clock.advance(BACKOFF.initialMs);
    expect(kongs.map(k => k.hash)).toEqual(Array(3).fill(hashOf(shop)));
  });

  it("reports an object at the older generation while the nodes run different translations", async () => {
    const kongs = [kongNode(1), kongNode(2)];
    // Each generation routes elsewhere, so each is a config of its own.
    const at = (generation: number) => {
      const edited = ing("shop", "a", [generation === 1 ? "web" : "api"]);
      return { ...edited, metadata: { ...a.metadata, generation } };
    };
    const generationOfA = (): number | undefined =>
      sender.acceptedObjects()?.get("Ingress/shop/a")?.generation;
    const sender = startSender(kongs);
    sender.update(input(clusterSnapshot([web, api, at(1), b])));
    await clock.advance(0);
    expect(generationOfA()).toBe(1);
    kongs[0]!.down = true;
    sender.update(input(clusterSnapshot([web, api, at(2), b])));
    // Past the pacing gap after the first load.
    await clock.advance(DEFAULT_PACING.capMs);
    expect(kongs[1]!.posts).toHaveLength(2);
    expect(generationOfA()).toBe(1);
    kongs[0]!.down = false;
    await clock.advance(BACKOFF.maxMs);
    expect(kongs[0]!.posts).toHaveLength(2);
    expect(generationOfA()).toBe(2);
  });

  it("builds the fallback once for all nodes", async () => {
    const kongs = [kongNode(1), kongNode(2)];
    let translations = 0;
    const sender = startSender(kongs, {
      translate: snap => {
        translations++;
        return translate(snap);
      },
    });
    for (const kong of kongs) kong.breaks(api);
    sender.update(input(shop));
    await clock.advance(0);
    expect(translations).toBe(1);
    expect(kongs.map(k => k.posts.length)).toEqual([2, 2]);
  });

  it("forgets a removed node", async () => {
    const kongs = [kongNode(1), kongNode(2)];
    const sender = startSender(kongs);
    sender.update(input(shop));
    await clock.advance(0);
    await sender.removeGateway(kongs[1]!.origin);
    expect(sender.gateways().map(g => g.url)).toEqual([kongs[0]!.origin]);
  });

  it("tells subscribers about every change", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    const phases: string[] = [];
    const unsubscribe = sender.subscribe(v => phases.push(v.gateways[0]?.phase ?? "none"));
    sender.update(input(shop));
    await clock.advance(0);
    unsubscribe();
    expect(phases.at(-1)).toBe("synced");
    expect(phases.length).toBeGreaterThan(1);
  });

  it("says nothing is known while no node answered", async () => {
    const kong = kongNode();
    kong.down = true;
    const sender = startSender([kong]);
    await clock.advance(0);
    expect(sender.acceptedObjects()).toBeUndefined();
    expect(sender.view().acceptedObjects).toBeUndefined();
  });
});

describe("Sender: the Gateway API statuses of the config Kong runs", () => {
  const gatewayApi = (classGeneration: number) => [
    gatewayClassManifest(classGeneration),
    gatewayManifest(),
    httpRouteManifest(),
  ];

  it("are those of the translation Kong confirmed, renewed by one of the very same config", async () => {
    const kong = kongNode();
    const sender = startSender([kong]);
    const first = input(clusterSnapshot([...shopObjects, ...gatewayApi(1)]));
    sender.update(first);
    // Handed over, not yet confirmed: nothing is known to run.
    expect(sender.view().acceptedGatewayApi).toBeUndefined();
    await clock.advance(0);
    expect(sender.view().acceptedGatewayApi).toBe(first.result.gatewayApi);

    // A GatewayClass's generation changes no Kong entity: the config Kong runs is this one's too.
    const bumped = input(clusterSnapshot([...shopObjects, ...gatewayApi(2)]));
    sender.update(bumped);
    expect(sender.view().acceptedGatewayApi).toBe(bumped.result.gatewayApi);
    await clock.advance(POLL_MS);
    expect(kong.posts).toHaveLength(1);

    // A new config's statuses hold only once Kong confirms it.
    const changed = input(clusterSnapshot([web, a, ...gatewayApi(2)]));
    sender.update(changed);
    expect(sender.view().acceptedGatewayApi).toBe(bumped.result.gatewayApi);
    await clock.advance(0);
    expect(kong.posts).toHaveLength(2);
    expect(sender.view().acceptedGatewayApi).toBe(changed.result.gatewayApi);
  });

  it("are unknown while Kong runs a config read back from it", async () => {
    const kong = kongNode();
    kong.hash = "f".repeat(32);
    kong.dump = toYaml({ _format_version: "3.0", services: [] });
    const sender = startSender([kong]);
    await clock.advance(0);
    expect(sender.view().acceptedObjects).toBeDefined();
    expect(sender.view().acceptedGatewayApi).toBeUndefined();
  });
});
