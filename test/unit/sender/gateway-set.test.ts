/**
 * The sender's set of Kongs changing under it (gateway discovery), and its push gate (leader-only
 * pushing): a Kong that appears gets the current config at once, one that goes is dropped without
 * holding back the others, and a replica that may not push keeps reading every Kong but posts nothing
 * until it may. Translations come from the real store and translator.
 */
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/model/k8s.ts";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import type { ChangePushRecord } from "../../../src/sender/gateway-worker.ts";
import { Sender, type PushGate, type SenderInput } from "../../../src/sender/sender.ts";
import { takeSnapshot } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import { encodeConfig } from "../../../src/kong/admin-client.ts";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { ClockedKong } from "./clocked-kong.ts";
import { ing, kongClass, svc, translate } from "./cluster.ts";

const logger = pino({ level: "silent" });
const POLL_MS = 10_000;
const senders: Sender[] = [];

afterEach(async () => {
  await Promise.all(senders.splice(0).map(s => s.stop()));
});

/** A node that records whether its client was closed, and counts its status reads. */
class Node extends ClockedKong {
  closed = false;
  statusReads = 0;

  override status(): ReturnType<ClockedKong["status"]> {
    this.statusReads++;
    return super.status();
  }

  override close(): Promise<void> {
    this.closed = true;
    return super.close();
  }
}

/** A snapshot as the store hands it out, and its translation. */
function inputOf(objects: readonly KubeObject[], changedAt?: number): SenderInput {
  const store = new Store({ ingressClass: "kong", parse: parseSupportedObject, logger });
  for (const obj of [kongClass(), ...objects]) store.upsert(obj.kind as never, obj);
  const snapshot = takeSnapshot(store);
  return {
    snapshot,
    result: translate(snapshot),
    ...(changedAt === undefined ? {} : { changedAt }),
  };
}

const hashOf = (input: SenderInput): string => encodeConfig(input.result.config).hash;

function setup(clock: ManualClock, nodes: readonly Node[], pushGate?: PushGate) {
  const changes: ChangePushRecord[] = [];
  const sender = new Sender({
    gateways: nodes,
    translate,
    clock,
    logger,
    pollIntervalMs: POLL_MS,
    pacing: { capMs: 0 },
    random: () => 0,
    onChangePushed: record => changes.push(record),
    ...(pushGate === undefined ? {} : { pushGate }),
  });
  senders.push(sender);
  sender.start();
  return { clock, sender, changes };
}

const shop = inputOf([svc("shop", "web"), ing("shop", "web", ["web"])]);
const shop2 = inputOf([svc("shop", "web"), svc("shop", "api"), ing("shop", "web", ["web", "api"])]);

describe("Sender: Kongs that come and go", () => {
  it("a Kong added later gets the current config at once", async () => {
    const clock = new ManualClock();
    const first = new Node(clock, "http://10.0.0.1:8444");
    const { sender } = setup(clock, [first]);
    sender.update(shop);
    await clock.advance(0);
    const late = new Node(clock, "http://10.0.0.2:8444");
    sender.addGateway(late);
    await clock.advance(0);
    expect(late.hash).toBe(hashOf(shop));
    expect(sender.gateways().map(g => [g.url, g.phase])).toEqual([
      ["http://10.0.0.1:8444", "synced"],
      ["http://10.0.0.2:8444", "synced"],
    ]);
  });

  it("dropping a Kong with a push in flight holds back no other Kong, and closes its client", async () => {
    const clock = new ManualClock();
    const { sender } = setup(clock, []);
    const stuck = new Node(clock, "http://10.0.0.1:8444");
    stuck.loadMs = 3_600_000;
    const others = [
      new Node(clock, "http://10.0.0.2:8444"),
      new Node(clock, "http://10.0.0.3:8444"),
    ];
    for (const node of [stuck, ...others]) sender.addGateway(node);
    sender.update(shop);
    await clock.advance(0);
    expect(stuck.inFlight).toBe(1);
    expect(others.map(n => n.hash)).toEqual([hashOf(shop), hashOf(shop)]);

    const removed = sender.removeGateway(stuck.url);
    // Gone from the view at once, before its request is abandoned.
    expect(sender.gateways().map(g => g.url)).toEqual(others.map(n => n.url));
    sender.update(shop2);
    await clock.advance(0);
    await removed;
    expect(stuck.inFlight).toBe(0);
    expect(stuck.closed).toBe(true);
    expect(stuck.hash).toBe(EMPTY_CONFIG_HASH);
    expect(others.map(n => n.hash)).toEqual([hashOf(shop2), hashOf(shop2)]);
  });

  it("a Kong of the same URL added back while the old one is being dropped keeps its own client", async () => {
    const clock = new ManualClock();
    const { sender } = setup(clock, []);
    const old = new Node(clock, "http://10.0.0.1:8444");
    old.loadMs = 3_600_000;
    sender.addGateway(old);
    sender.update(shop);
    await clock.advance(0);
    const removed = sender.removeGateway(old.url);
    const again = new Node(clock, old.url);
    sender.addGateway(again);
    await removed;
    await clock.advance(0);
    expect(old.closed).toBe(true);
    expect(again.closed).toBe(false);
    expect(again.hash).toBe(hashOf(shop));
    expect(sender.gateways().map(g => g.phase)).toEqual(["synced"]);
  });

  it("a client for a URL it already pushes to is refused and closed", async () => {
    const clock = new ManualClock();
    const { sender } = setup(clock, []);
    const first = new Node(clock, "http://10.0.0.1:8444");
    const duplicate = new Node(clock, first.url);
    sender.addGateway(first);
    sender.addGateway(duplicate);
    sender.update(shop);
    await clock.advance(0);
    expect(duplicate.closed).toBe(true);
    expect(duplicate.posts).toEqual([]);
    expect(first.hash).toBe(hashOf(shop));
  });
});

/** A gate the test opens and closes, as leadership would. */
function gate(open: boolean) {
  const listeners = new Set<() => void>();
  let allowed = open;
  return {
    allowed: () => allowed,
    subscribe: (listener: () => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(value: boolean) {
      allowed = value;
      for (const listener of listeners) listener();
    },
    listeners,
  };
}

describe("Sender: the push gate (leader-only pushing)", () => {
  it("closed: reads every Kong but posts nothing; opened: pushes at once", async () => {
    const leadership = gate(false);
    const clock = new ManualClock();
    const nodes = [new Node(clock, "http://10.0.0.1:8444")];
    const { sender, changes } = setup(clock, nodes, leadership);
    sender.update({ ...shop, changedAt: clock.now() });
    await clock.advance(0);
    await clock.advance(POLL_MS);
    expect(nodes[0]!.posts).toEqual([]);
    // A replica that may not push still polls what each Kong runs, and finds it no fault.
    expect(nodes[0]!.statusReads).toBe(2);
    expect(sender.gateways()[0]?.phase).toBe("pending");

    const at = clock.now();
    leadership.set(true);
    await clock.advance(0);
    expect(nodes[0]!.hash).toBe(hashOf(shop));
    expect(nodes[0]!.posts.map(p => p.startedAt)).toEqual([at]);
    // The change was handed over while this replica could not push: it did not carry it.
    expect(changes).toEqual([]);
  });

  it("closed again: a Kong that restarts empty is left to the new leader", async () => {
    const leadership = gate(true);
    const clock = new ManualClock();
    const node = new Node(clock, "http://10.0.0.1:8444");
    const { sender } = setup(clock, [node], leadership);
    sender.update(shop);
    await clock.advance(0);
    expect(node.posts).toHaveLength(1);
    leadership.set(false);
    node.hash = EMPTY_CONFIG_HASH;
    sender.update(shop2);
    await clock.advance(POLL_MS);
    await clock.advance(POLL_MS);
    expect(node.posts).toHaveLength(1);
    leadership.set(true);
    await clock.advance(0);
    expect(node.hash).toBe(hashOf(shop2));
  });

  it("stops listening to the gate when stopped", async () => {
    const leadership = gate(true);
    const { sender } = setup(new ManualClock(), [], leadership);
    expect(leadership.listeners.size).toBe(1);
    await sender.stop();
    expect(leadership.listeners.size).toBe(0);
  });
});
