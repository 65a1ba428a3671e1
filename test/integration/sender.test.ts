/**
 * The sender against one and three Kong emulators on loopback, with the real translator: first push,
 * no-op when unchanged, controller and Kong restarts, rejection with fallback and last-known-good, a
 * replica added mid-way. Real time with a compressed backoff schedule.
 */
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { AdminClient } from "../../src/kong/admin-client.ts";
import { EMPTY_CONFIG_HASH } from "../../src/kong/types.ts";
import type { KubeObject } from "../../src/model/k8s.ts";
import type { PushRecord } from "../../src/sender/gateway-worker.ts";
import { Sender, type SenderOptions } from "../../src/sender/sender.ts";
import { systemClock } from "../../src/util/clock.ts";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import {
  clusterSnapshot,
  ing,
  pushObjects,
  svc,
  translate,
  waitFor,
} from "../unit/sender/cluster.ts";

const POLL_MS = 200;
const BACKOFF = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.2, maxRetryAfterMs: 5000 };

const emulators: KongEmulator[] = [];
const senders: Sender[] = [];

afterEach(async () => {
  await Promise.all(senders.splice(0).map(s => s.stop()));
  await Promise.all(emulators.splice(0).map(e => e.stop()));
});

async function emulator(): Promise<KongEmulator> {
  const e = await startKongEmulator();
  emulators.push(e);
  return e;
}

function client(e: KongEmulator): AdminClient {
  return new AdminClient({ url: e.url, clock: systemClock, timeouts: { baseMs: 2000 } });
}

function startSender(nodes: KongEmulator[], options: Partial<SenderOptions> = {}): Sender {
  const sender = new Sender({
    gateways: nodes.map(client),
    translate,
    clock: systemClock,
    logger: pino({ level: "silent" }),
    backoff: BACKOFF,
    pollIntervalMs: POLL_MS,
    ...options,
  });
  senders.push(sender);
  sender.start();
  return sender;
}

const push = pushObjects;

const posts = (e: KongEmulator) => e.requests().filter(r => r.method === "POST");
const statusReads = (e: KongEmulator) => e.requests().filter(r => r.path === "/status");
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const keys = (m: ReadonlyMap<string, unknown> | undefined) => [...(m?.keys() ?? [])].sort();

const shop = (): KubeObject[] => [
  svc("shop", "web"),
  svc("shop", "api"),
  ing("shop", "storefront", ["web"]),
  ing("shop", "backoffice", ["api"]),
];

describe("sender against Kong emulators", () => {
  it("pushes the first config; Kong reports the md5 of our bytes as its hash", async () => {
    const e = await emulator();
    const sender = startSender([e]);
    const hash = push(sender, shop());
    await waitFor("synced", () => sender.gateways()[0]?.phase === "synced");
    expect(e.configHash()).toBe(hash);
    expect(posts(e).map(p => [p.status, p.headers["content-type"], p.query])).toEqual([
      [201, "application/yaml", { check_hash: "1", flatten_errors: "1" }],
    ]);
    expect(keys(sender.acceptedObjects())).toEqual([
      "Ingress/shop/backoffice",
      "Ingress/shop/storefront",
      "Service/shop/api",
      "Service/shop/web",
    ]);
  });

  it("pushes to three nodes in parallel", async () => {
    const nodes = await Promise.all([emulator(), emulator(), emulator()]);
    const sender = startSender(nodes);
    const hash = push(sender, shop());
    await waitFor("all synced", () => sender.gateways().every(g => g.phase === "synced"));
    expect(nodes.map(n => n.configHash())).toEqual([hash, hash, hash]);
    expect(nodes.map(n => posts(n).length)).toEqual([1, 1, 1]);
  });

  it("does nothing but poll /status while the config is unchanged", async () => {
    const e = await emulator();
    const sender = startSender([e]);
    const objects = shop();
    push(sender, objects);
    await waitFor("synced", () => sender.gateways()[0]?.phase === "synced");
    const reads = statusReads(e).length;
    push(sender, objects);
    await sleep(POLL_MS * 4);
    expect(posts(e)).toHaveLength(1);
    expect(statusReads(e).length).toBeGreaterThan(reads + 1);
  });

  it("answers 304 when Kong already holds the bytes (check_hash on a string body)", async () => {
    const e = await emulator();
    const sender = startSender([e]);
    const hash = push(sender, shop());
    await waitFor("synced", () => e.configHash() === hash);
    const body = posts(e)[0]!.body;
    const replay = await client(e).postConfig({
      body,
      contentType: "application/yaml",
      bytes: Buffer.byteLength(body),
      hash,
    });
    expect(replay).toEqual({ kind: "unchanged" });
  });

  it("a restarted controller neither blanks Kong nor pushes again", async () => {
    const e = await emulator();
    const objects = shop();
    const first = startSender([e]);
    push(first, objects);
    await waitFor("synced", () => first.gateways()[0]?.phase === "synced");
    await first.stop();

    const second = startSender([e]);
    await waitFor("running config known", () => second.acceptedObjects()?.size === 4);
    expect(second.gateways()[0]).toMatchObject({ phase: "synced", config: "kong" });
    push(second, objects);
    await waitFor("synced", () => second.gateways()[0]?.config === "primary");
    await sleep(POLL_MS * 2);
    expect(posts(e)).toHaveLength(1);
  });

  it("re-pushes at once after a node restarts empty, not after one that kept its config", async () => {
    const e = await emulator();
    const sender = startSender([e]);
    const hash = push(sender, shop());
    await waitFor("synced", () => e.configHash() === hash);

    await e.restart({ keepConfig: true, downtimeMs: 100 });
    await sleep(POLL_MS * 3);
    expect(posts(e)).toHaveLength(1);

    await e.restart({ downtimeMs: 100 });
    expect(e.configHash()).toBe(EMPTY_CONFIG_HASH);
    const restartedAt = Date.now();
    await waitFor("re-pushed", () => e.configHash() === hash, 5000);
    expect(Date.now() - restartedAt).toBeLessThan(POLL_MS + BACKOFF.maxMs + 500);
    expect(posts(e)).toHaveLength(2);
  });

  it("gives a replica added mid-way the current config", async () => {
    const first = await emulator();
    const sender = startSender([first]);
    const hash = push(sender, shop());
    await waitFor("synced", () => first.configHash() === hash);
    const added = await emulator();
    sender.addGateway(client(added));
    // Kong applies the config before the sender has read the 201: wait for both.
    await waitFor(
      "new replica synced",
      () => added.configHash() === hash && sender.gateways().every(g => g.phase === "synced"),
    );
    expect(sender.gateways().map(g => g.phase)).toEqual(["synced", "synced"]);
  });
});

describe("sender rejection handling against Kong emulators", () => {
  it("maps flattened errors to the broken Ingress and leaves out only that Ingress", async () => {
    const e = await emulator();
    const records: PushRecord[] = [];
    const sender = startSender([e], { onPush: r => records.push(r) });
    e.inject({ kind: "rejectTagged", tag: "k8s-name:broken" });
    push(sender, [...shop(), ing("shop", "broken", ["web", "api"])]);
    await waitFor("fallback synced", () => sender.gateways()[0]?.config === "fallback");

    expect(posts(e).map(p => p.status)).toEqual([400, 201]);
    expect(keys(sender.acceptedObjects())).toEqual([
      "Ingress/shop/backoffice",
      "Ingress/shop/storefront",
      "Service/shop/api",
      "Service/shop/web",
    ]);
    const view = sender.view();
    expect(view.rejectedObjects.map(f => [f.ref.kind, f.ref.name])).toEqual([
      ["Ingress", "broken"],
    ]);
    expect(view.rejectedObjects[0]!.messages[0]).toContain("rejected by the Kong emulator");
    expect(view.gateways[0]).toMatchObject({ degraded: { code: "ERR_KONG_REJECTED" } });
    expect(records.map(r => [r.success, r.fallback])).toEqual([
      [false, false],
      [true, true],
    ]);

    // Not re-pushed unchanged in a loop.
    await sleep(POLL_MS * 4);
    expect(posts(e)).toHaveLength(2);
  });

  it("re-pushes last-known-good when the fallback is rejected as well", async () => {
    const e = await emulator();
    const sender = startSender([e]);
    const good = push(sender, shop());
    // Kong applies the config before the sender has read the 201: wait until it counts as accepted.
    await waitFor(
      "synced",
      () => e.configHash() === good && sender.gateways()[0]?.phase === "synced",
    );

    // The new Ingress "newcomer" is rejected; the fallback without it (which still carries the valid new
    // Ingress "other", so it differs from last-known-good) is rejected too, for Service web.
    e.inject({ kind: "rejectTagged", tag: "k8s-name:newcomer", times: 1 });
    e.inject({ kind: "rejectTagged", tag: "k8s-name:web", times: 1 });
    e.loseConfig();
    push(sender, [
      ...shop(),
      svc("shop", "extra"),
      ing("shop", "newcomer", ["extra"]),
      ing("shop", "other", ["extra"]),
    ]);
    // The node stays "synced" (on the old config) through both rejections: wait for the new role.
    await waitFor(
      "last-known-good back",
      () => e.configHash() === good && sender.gateways()[0]?.config === "lastKnownGood",
      5000,
    );

    expect(posts(e).map(p => p.status)).toEqual([201, 400, 400, 201]);
    expect(sender.gateways()[0]).toMatchObject({
      phase: "synced",
      config: "lastKnownGood",
      degraded: { code: "ERR_KONG_REJECTED" },
    });
    expect(keys(sender.acceptedObjects())).toHaveLength(4);
  });

  it("with an object the store could not parse in the snapshot, still goes fallback → last-known-good", async () => {
    const e = await emulator();
    const records: PushRecord[] = [];
    const sender = startSender([e], { onPush: r => records.push(r) });
    const good = push(sender, shop());
    // Kong applies the config before the sender has read the 201: wait until it counts as accepted.
    await waitFor(
      "synced",
      () => e.configHash() === good && sender.gateways()[0]?.phase === "synced",
    );

    e.inject({ kind: "rejectTagged", tag: "k8s-name:newcomer", times: 1 });
    e.inject({ kind: "rejectTagged", tag: "k8s-name:web", times: 1 });
    e.loseConfig();
    const unparsable = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { namespace: "shop", name: "garbled", uid: "uid-garbled", resourceVersion: "1" },
      spec: { rules: "not a list" },
    };
    const snapshot = clusterSnapshot([
      ...shop(),
      svc("shop", "extra"),
      ing("shop", "newcomer", ["extra"]),
      ing("shop", "other", ["extra"]),
      unparsable,
    ]);
    expect(snapshot.invalid.map(i => i.ref.name)).toEqual(["garbled"]);
    sender.update({ snapshot, result: translate(snapshot) });
    await waitFor(
      "last-known-good back",
      () => e.configHash() === good && sender.gateways()[0]?.config === "lastKnownGood",
      5000,
    );

    expect(posts(e).map(p => p.status)).toEqual([201, 400, 400, 201]);
    // primary, its fallback, last-known-good: each tried once.
    expect(records.map(r => [r.success, r.fallback])).toEqual([
      [true, false],
      [false, false],
      [false, true],
      [true, true],
    ]);
    expect(sender.gateways()[0]).toMatchObject({
      phase: "synced",
      degraded: { code: "ERR_KONG_REJECTED" },
    });
    await sleep(POLL_MS * 5);
    expect(posts(e)).toHaveLength(4);
  });
});
