/**
 * The push chain cannot wedge: an object the store could not parse does not stop fallback planning,
 * fallback planning that throws still leads to last-known-good, and errors that keep coming back off
 * exponentially instead of re-POSTing the same rejected config about once a second for ever.
 */
import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeConfig } from "../../../src/kong/admin-client.ts";
import type { KubeObject } from "../../../src/model/k8s.ts";
import { GatewayWorker, type PlanSource } from "../../../src/sender/gateway-worker.ts";
import { candidateOf, type Candidate } from "../../../src/sender/last-known-good.ts";
import { DEFAULT_PACING } from "../../../src/sender/pacing.ts";
import { Sender } from "../../../src/sender/sender.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { clusterSnapshot, ing, svc, translate } from "./cluster.ts";
import { adminClient, MockKong, silentLogger } from "./helpers.ts";

const POLL_MS = 10_000;
const BACKOFF = { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0.5, maxRetryAfterMs: 60_000 };

let agent: MockAgent;
let clock: ManualClock;
const stops: (() => Promise<void>)[] = [];

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  clock = new ManualClock();
});

afterEach(async () => {
  await Promise.all(stops.splice(0).map(stop => stop()));
  await agent.close();
});

const web = svc("shop", "web");
const api = svc("shop", "api");
const good: readonly KubeObject[] = [
  web,
  api,
  ing("shop", "storefront", ["web"]),
  ing("shop", "backoffice", ["api"]),
];
/** A new Service Kong refuses, with the Ingress that routes to it. */
const fresh = svc("shop", "fresh");
const newcomer = ing("shop", "newcomer", ["fresh"]);
/** A valid change beside it: the fallback differs from what Kong ran before. */
const extra: readonly KubeObject[] = [svc("shop", "extra"), ing("shop", "other", ["extra"])];
/** An Ingress whose spec the store cannot parse: the snapshot lists it under `invalid`. */
const unparsable = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { namespace: "shop", name: "garbled", uid: "uid-garbled", resourceVersion: "1" },
  spec: { ingressClassName: "kong", rules: [{ host: 42 }] },
};

/** The change Kong is sent: the new Service it refuses, a valid addition, and the unparsable Ingress. */
const change = [...good, fresh, newcomer, ...extra, unparsable];

function startSender(kong: MockKong): Sender {
  const sender = new Sender({
    gateways: [adminClient(agent, kong.origin, clock)],
    translate,
    clock,
    logger: silentLogger,
    backoff: BACKOFF,
    pollIntervalMs: POLL_MS,
    random: () => 0,
  });
  stops.push(() => sender.stop());
  sender.start();
  return sender;
}

function update(sender: Sender, objects: readonly unknown[]): string {
  const snapshot = clusterSnapshot(objects);
  const result = translate(snapshot);
  sender.update({ snapshot, result });
  return encodeConfig(result.config).hash;
}

describe("a snapshot from the store with an object it could not parse", () => {
  it("is taken as the controller takes it", () => {
    expect(clusterSnapshot([...good, unparsable]).invalid.map(i => i.ref.name)).toEqual([
      "garbled",
    ]);
  });

  it("reaches the fallback when Kong rejects the config, and stays there", async () => {
    const kong = new MockKong(agent, "http://kong.test:8001", clock).breaks(fresh);
    const sender = startSender(kong);
    update(sender, good);
    await clock.advance(0);

    const primary = update(sender, change);
    await clock.advance(POLL_MS * 10);

    expect(kong.posts.map(p => p.hash === primary)).toEqual([false, true, false]);
    expect(sender.gateways()[0]).toMatchObject({
      phase: "synced",
      config: "fallback",
      degraded: { code: "ERR_KONG_REJECTED" },
    });
    expect(sender.view().rejectedObjects.map(f => f.ref.name)).toEqual(["fresh"]);
    expect([...(sender.acceptedObjects()?.keys() ?? [])]).toContain("Ingress/shop/other");
  });

  it("reaches last-known-good when the fallback is rejected too, and pushes nothing more", async () => {
    const kong = new MockKong(agent, "http://kong.test:8001", clock).breaks(fresh);
    const sender = startSender(kong);
    const lastGood = update(sender, good);
    await clock.advance(0);
    // Once the fresh Service is left out, Kong finds fault with Service extra as well; and it has
    // restarted without its config, so last-known-good must really be pushed.
    kong.reject = (entity, names) =>
      entity.name === "shop.extra.80" && !names.includes("shop.fresh.80");
    kong.loseConfig();

    const primary = update(sender, change);
    await clock.advance(POLL_MS * 10);

    const label = (hash: string) => (hash === lastGood ? "good" : hash === primary ? "P" : "F");
    expect(kong.posts.map(p => label(p.hash))).toEqual(["good", "P", "F", "good"]);
    expect(kong.hash).toBe(lastGood);
    expect(sender.gateways()[0]).toMatchObject({
      phase: "synced",
      config: "lastKnownGood",
      degraded: { code: "ERR_KONG_REJECTED" },
    });
  });
});

describe("unexpected errors in the push chain", () => {
  function candidate(objects: readonly unknown[]): Candidate {
    return candidateOf(translate(clusterSnapshot(objects)), "primary");
  }

  function startWorker(kong: MockKong, plans: Partial<PlanSource>): GatewayWorker {
    const worker = new GatewayWorker({
      admin: adminClient(agent, kong.origin, clock),
      plans: {
        primary: () => undefined,
        fallback: () => undefined,
        lastKnownGood: () => undefined,
        accepted: () => undefined,
        rejected: () => undefined,
        discovered: () => undefined,
        changed: () => undefined,
        ...plans,
      },
      clock,
      logger: silentLogger,
      backoff: BACKOFF,
      random: () => 0,
      pollIntervalMs: POLL_MS,
      pacing: DEFAULT_PACING,
    });
    stops.push(() => worker.stop());
    worker.start();
    return worker;
  }

  it("fallback planning that throws backs off, then last-known-good is pushed; the primary once", async () => {
    const kong = new MockKong(agent, "http://kong.test:8001", clock).breaks(fresh);
    const primary = candidate(change);
    const lastKnownGood = candidate(good);
    const worker = startWorker(kong, {
      primary: () => primary,
      fallback: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'namespace')");
      },
      lastKnownGood: () => lastKnownGood,
    });
    await clock.advance(0);
    expect(kong.posts.map(p => p.hash)).toEqual([primary.encoded.hash]);
    expect(worker.state).toMatchObject({ phase: "failing", code: "ERR_UNEXPECTED", attempts: 1 });

    await clock.advance(BACKOFF.initialMs - 1);
    expect(kong.posts).toHaveLength(1);
    await clock.advance(1);
    expect(kong.posts.map(p => p.hash)).toEqual([primary.encoded.hash, lastKnownGood.encoded.hash]);
    expect(worker.state).toMatchObject({
      phase: "synced",
      config: "lastKnownGood",
      degraded: { code: "ERR_KONG_REJECTED" },
    });

    await clock.advance(POLL_MS * 30);
    expect(kong.posts).toHaveLength(2);
  });

  it("an error in every attempt backs off exponentially up to the cap, and pushes nothing", async () => {
    const kong = new MockKong(agent, "http://kong.test:8001", clock);
    const worker = startWorker(kong, {
      primary: () => {
        throw new TypeError("planning bug");
      },
    });
    const start = clock.now();
    await clock.advance(40_000);
    expect(kong.statusReads.map(t => t - start)).toEqual([
      0, 1000, 3000, 7000, 15000, 23000, 31000, 39000,
    ]);
    expect(kong.posts).toHaveLength(0);
    expect(worker.state).toMatchObject({ phase: "failing", code: "ERR_UNEXPECTED", attempts: 8 });
  });
});
