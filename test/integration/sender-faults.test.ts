/**
 * The sender against Kong emulators that misbehave: busy answers, timeouts, resets, a too-large config,
 * garbage bodies, a node that accepts without applying, a node down for 30 s, and an Admin API behind
 * mTLS and a token. Real time with a compressed backoff schedule (the 30 s outage is real).
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { AdminClient, type AdminClientOptions } from "../../src/kong/admin-client.ts";
import type { KubeObject } from "../../src/model/k8s.ts";
import type { PushRecord } from "../../src/sender/gateway-worker.ts";
import { Sender, type SenderOptions } from "../../src/sender/sender.ts";
import { systemClock } from "../../src/util/clock.ts";
import {
  startKongEmulator,
  type KongEmulator,
  type KongEmulatorOptions,
} from "../support/kong-emulator/index.ts";
import { ing, pushObjects, svc, translate, waitFor } from "../unit/sender/cluster.ts";

const POLL_MS = 200;
const BACKOFF = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.2, maxRetryAfterMs: 5000 };

const emulators: KongEmulator[] = [];
const senders: Sender[] = [];

afterEach(async () => {
  await Promise.all(senders.splice(0).map(s => s.stop()));
  await Promise.all(emulators.splice(0).map(e => e.stop()));
});

async function emulator(options: KongEmulatorOptions = {}): Promise<KongEmulator> {
  const e = await startKongEmulator(options);
  emulators.push(e);
  return e;
}

function startSender(
  e: KongEmulator,
  options: Partial<SenderOptions> = {},
  clientOptions: Partial<AdminClientOptions> = {},
): Sender {
  const admin = new AdminClient({
    url: e.url,
    clock: systemClock,
    timeouts: { baseMs: 2000 },
    ...clientOptions,
  });
  const sender = new Sender({
    gateways: [admin],
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

const shop = (extra: readonly KubeObject[] = []): KubeObject[] => [
  svc("shop", "web"),
  ing("shop", "storefront", ["web"]),
  ...extra,
];
const posts = (e: KongEmulator) => e.requests().filter(r => r.method === "POST");
const gaps = (times: readonly number[]) => times.slice(1).map((t, i) => t - times[i]!);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const state = (sender: Sender) => sender.gateways()[0];
const POST_CONFIG = { method: "POST", path: "/config" } as const;

describe("sender retry timing against a Kong emulator", () => {
  it("honours Retry-After on 429", async () => {
    const e = await emulator();
    e.inject({
      kind: "status",
      status: 429,
      headers: { "Retry-After": "1" },
      match: POST_CONFIG,
      times: 1,
    });
    const sender = startSender(e);
    const hash = push(sender, shop());
    await waitFor("synced", () => e.configHash() === hash, 5000);
    const [first, second] = posts(e).map(p => p.time);
    expect(posts(e).map(p => p.status)).toEqual([429, 201]);
    expect(second! - first!).toBeGreaterThanOrEqual(1000);
    expect(second! - first!).toBeLessThan(1500);
  });

  it("backs off exponentially on 503 and 504", async () => {
    const e = await emulator();
    e.inject({ kind: "status", status: 503, match: POST_CONFIG, times: 2 });
    e.inject({ kind: "status", status: 504, match: POST_CONFIG, times: 2 });
    const sender = startSender(e);
    const hash = push(sender, shop());
    await waitFor("synced", () => e.configHash() === hash, 5000);
    expect(posts(e).map(p => p.status)).toEqual([503, 503, 504, 504, 201]);
    const waits = gaps(posts(e).map(p => p.time));
    // 100, 200, 400, 800 ms, each shortened by at most 20 % jitter.
    [100, 200, 400, 800].forEach((step, i) => {
      expect(waits[i]).toBeGreaterThanOrEqual(step * 0.8 - 5);
      expect(waits[i]).toBeLessThan(step + 150);
    });
  });

  it("gives up on a hung request at the deadline and retries", async () => {
    const e = await emulator();
    e.inject({ kind: "hang", match: POST_CONFIG, times: 1 });
    const sender = startSender(e, {}, { timeouts: { baseMs: 300, perMiBMs: 0, maxMs: 300 } });
    const hash = push(sender, shop());
    await waitFor("failing on timeout", () => state(sender)?.phase === "failing");
    expect(state(sender)).toMatchObject({ code: "ERR_KONG_UNREACHABLE" });
    expect(state(sender)?.reason).toContain("(timeout)");
    await waitFor("synced", () => e.configHash() === hash, 5000);
    const waits = gaps(posts(e).map(p => p.time));
    expect(waits[0]).toBeGreaterThanOrEqual(300 + 80 - 5);
  });

  it("retries after a connection reset", async () => {
    const e = await emulator();
    e.inject({ kind: "reset", match: POST_CONFIG, times: 2 });
    const sender = startSender(e);
    const hash = push(sender, shop());
    await waitFor("synced", () => e.configHash() === hash, 5000);
    expect(posts(e)).toHaveLength(3);
  });

  it("reports 413 once and does not loop", async () => {
    const e = await emulator({ maxBodyBytes: 200 });
    const records: PushRecord[] = [];
    const sender = startSender(e, { onPush: r => records.push(r) });
    push(sender, shop());
    await waitFor("failing", () => state(sender)?.phase === "failing");
    await sleep(POLL_MS * 5);
    expect(posts(e)).toHaveLength(1);
    expect(records.map(r => r.success)).toEqual([false]);
    expect(state(sender)).toMatchObject({ code: "ERR_KONG_CONFIG_TOO_LARGE" });
    expect(state(sender)?.reason).toContain('HTML page "413 Request Entity Too Large"');
  });

  it("gets the newest config to a node that was down for 30 s within one backoff step", async () => {
    const e = await emulator();
    const sender = startSender(e);
    push(sender, shop());
    await waitFor("synced", () => state(sender)?.phase === "synced");

    const outage = e.inject({ kind: "down" });
    await sleep(100);
    push(sender, shop([svc("shop", "api")]));
    await sleep(15_000);
    const newest = push(sender, shop([svc("shop", "api"), ing("shop", "backoffice", ["api"])]));
    await sleep(15_000);
    expect(state(sender)).toMatchObject({ phase: "failing", code: "ERR_KONG_UNREACHABLE" });
    const attempts = state(sender)?.attempts ?? 0;

    outage.clear();
    const back = Date.now();
    await waitFor("newest config pushed", () => e.configHash() === newest, BACKOFF.maxMs + 1000);
    expect(Date.now() - back).toBeLessThanOrEqual(BACKOFF.maxMs + 200);
    expect(posts(e)).toHaveLength(2);
    expect(attempts).toBeGreaterThan(20);
  }, 40_000);
});

describe("sender against a Kong emulator that answers nonsense", () => {
  it.each([
    ["garbage JSON", "}{ definitely not json"],
    ["an HTML page", "<html><head><title>502 Bad Gateway</title></head></html>"],
    ["a truncated body", '{"configuration_hash":"0123456789ab'],
  ])("reports %s from /status and keeps running", async (_name, body) => {
    const e = await emulator();
    e.inject({ kind: "garbage", body, match: { method: "GET", path: "/status" }, times: 2 });
    const sender = startSender(e);
    const hash = push(sender, shop());
    await waitFor("failing", () => state(sender)?.phase === "failing");
    expect(state(sender)).toMatchObject({ code: "ERR_KONG_UNEXPECTED_RESPONSE" });
    await waitFor("recovered", () => state(sender)?.phase === "synced", 5000);
    expect(e.configHash()).toBe(hash);
  });

  it("reports an HTML 400 from a push as unexpected, not as a rejection", async () => {
    const e = await emulator();
    e.inject({
      kind: "garbage",
      status: 400,
      body: "<html><title>400 The SSL certificate error</title></html>",
      contentType: "text/html",
      match: POST_CONFIG,
      times: 1,
    });
    const sender = startSender(e);
    const hash = push(sender, shop());
    await waitFor(
      "synced",
      () => e.configHash() === hash && sender.gateways()[0]?.phase === "synced",
      5000,
    );
    expect(posts(e).map(p => p.status)).toEqual([400, 201]);
    expect(sender.view().rejectedObjects).toEqual([]);
  });

  it("retries a push Kong accepted but did not apply", async () => {
    const e = await emulator();
    e.inject({ kind: "acceptedNotApplied", match: POST_CONFIG, times: 1 });
    const sender = startSender(e);
    const hash = push(sender, shop());
    await waitFor("synced", () => e.configHash() === hash, 5000);
    expect(posts(e).map(p => p.status)).toEqual([201, 201]);
  });

  it("waits for a node whose GET / is not ready yet", async () => {
    const e = await emulator();
    e.inject({ kind: "listenersUnknown", times: 2 });
    const sender = startSender(e);
    const hash = push(sender, shop());
    await waitFor("synced", () => e.configHash() === hash, 5000);
    expect(
      e
        .requests()
        .filter(r => r.path === "/")
        .map(r => r.status),
    ).toEqual([503, 503, 200]);
  });
});

describe("sender over mTLS with a token", () => {
  it("pushes through an Admin API that demands a client certificate and a token", async () => {
    const read = (name: string) =>
      readFileSync(new URL(`../fixtures/certs/${name}`, import.meta.url), "utf8");
    const e = await emulator({
      tls: {
        cert: read("api.crt"),
        key: read("api.key"),
        ca: read("shop.crt"),
        requestClientCert: true,
      },
      adminToken: "s3cret",
    });
    const sender = startSender(
      e,
      {},
      {
        token: "s3cret",
        tls: {
          ca: read("api.crt"),
          serverName: "api.example.com",
          cert: read("shop.crt"),
          key: read("shop.key"),
        },
      },
    );
    const hash = push(sender, shop());
    await waitFor("synced", () => e.configHash() === hash, 5000);
    expect(posts(e).map(p => p.status)).toEqual([201]);
  });
});
