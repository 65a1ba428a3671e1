import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { WriteMethod } from "../../../src/kube/client.ts";
import { KubeApiError } from "../../../src/kube/errors.ts";
import { HostClaimRecord, parseRecord } from "../../../src/runtime/host-claims.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

const PATH = "/api/v1/namespaces/kong/configmaps/kongress-host-claims";

/** A ConfigMap on an API server: resourceVersion checked on PUT, 409 on a stale one. */
class FakeConfigMaps {
  stored: { metadata: { resourceVersion: string }; data: Record<string, string> } | undefined;
  readonly writes: WriteMethod[] = [];
  /** Statuses the next writes fail with, in turn. */
  readonly failures: number[] = [];
  #rv = 1;

  getJson(path: string): Promise<unknown> {
    expect(path).toBe(PATH);
    if (this.stored === undefined)
      return Promise.reject(new KubeApiError(404, { reason: "NotFound", message: "not found" }));
    return Promise.resolve(structuredClone(this.stored));
  }

  send(method: WriteMethod, _path: string, opts: { body?: unknown }): Promise<unknown> {
    this.writes.push(method);
    const failure = this.failures.shift();
    if (failure !== undefined)
      return Promise.reject(new KubeApiError(failure, { reason: "Refused", message: "refused" }));
    if (method === "PUT" && this.stored === undefined)
      return Promise.reject(new KubeApiError(404, { reason: "NotFound", message: "not found" }));
    const body = opts.body as {
      metadata: { resourceVersion?: string };
      data: Record<string, string>;
    };
    const conflict =
      method === "POST"
        ? this.stored !== undefined
        : body.metadata.resourceVersion !== this.stored?.metadata.resourceVersion;
    if (conflict)
      return Promise.reject(new KubeApiError(409, { reason: "Conflict", message: "conflict" }));
    this.stored = { metadata: { resourceVersion: String(++this.#rv) }, data: body.data };
    return Promise.resolve(structuredClone(this.stored));
  }

  /** Another writer's record. */
  put(claims: readonly object[]): void {
    this.stored = {
      metadata: { resourceVersion: String(++this.#rv) },
      data: { "claims.json": JSON.stringify(claims) },
    };
  }

  claims(): unknown {
    return parseRecord(this.stored);
  }
}

function setup(opts: { anyHostRestricted?: boolean } = {}) {
  const clock = new ManualClock(Date.parse("2026-06-01T00:00:00Z"));
  const api = new FakeConfigMaps();
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, { write: (l: string) => lines.push(l) });
  const registry = new Registry();
  const notified = { count: 0 };
  const record = new HostClaimRecord({
    onChange: () => {
      notified.count++;
    },
    store: { api, namespace: "kong", name: "kongress-host-claims" },
    releaseAfterMs: 600_000,
    anyHostRestricted: opts.anyHostRestricted ?? false,
    registry,
    clock,
    logger,
  });
  return { clock, api, record, lines, registry, notified };
}

const report = (claims: { host: string; namespace: string }[], anyHost: string[] = []) => ({
  claims,
  anyHostNamespaces: anyHost,
});

describe("HostClaimRecord", () => {
  it("keeps stored dates across a restart and dates new claims now", async () => {
    const { api, record, clock } = setup();
    api.put([{ host: "shop.example.com", namespace: "shop", since: "2025-01-01T00:00:00.000Z" }]);
    await record.load(new AbortController().signal);
    await clock.advance(1000);
    record.observe(
      report([
        { host: "shop.example.com", namespace: "shop" },
        { host: "shop.example.com", namespace: "evil" },
      ]),
    );
    expect(record.current()).toEqual([
      { host: "shop.example.com", namespace: "shop", since: "2025-01-01T00:00:00.000Z" },
      { host: "shop.example.com", namespace: "evil", since: "2026-06-01T00:00:01.000Z" },
    ]);
  });

  it("says nothing when a stop aborts the read of the record", async () => {
    const { api, record, lines } = setup();
    api.getJson = (_path: string, opts?: { signal: AbortSignal }) =>
      new Promise((_resolve, reject) => {
        opts?.signal.addEventListener("abort", () => {
          reject(opts.signal.reason as Error);
        });
      });
    const stop = new AbortController();
    const loading = record.load(stop.signal);
    stop.abort();
    await loading;
    expect(lines).toEqual([]);
  });

  it("writes as leader: created first, replaced on every change", async () => {
    const { api, record, clock } = setup();
    const term = new AbortController();
    record.observe(report([{ host: "a.example.com", namespace: "a" }]));
    const running = record.run(term.signal);
    await settle();
    expect(api.writes).toEqual(["POST"]);
    await clock.advance(1000);
    record.observe(
      report([
        { host: "a.example.com", namespace: "a" },
        { host: "b.example.com", namespace: "b" },
      ]),
    );
    await settle();
    expect(api.writes).toEqual(["POST", "PUT"]);
    expect(api.claims()).toEqual([
      { host: "a.example.com", namespace: "a", since: "2026-06-01T00:00:00.000Z" },
      { host: "b.example.com", namespace: "b", since: "2026-06-01T00:00:01.000Z" },
    ]);
    term.abort();
    await running;
  });

  it("keeps an absent claim's date for the grace, then releases it", async () => {
    const { record, clock } = setup();
    record.observe(report([{ host: "a.example.com", namespace: "a" }]));
    await clock.advance(60_000);
    record.observe(report([]));
    await clock.advance(60_000);
    record.observe(report([{ host: "a.example.com", namespace: "a" }]));
    expect(record.current()).toEqual([
      { host: "a.example.com", namespace: "a", since: "2026-06-01T00:00:00.000Z" },
    ]);
    record.observe(report([]));
    await clock.advance(600_000);
    record.observe(report([]));
    expect(record.current()).toEqual([]);
  });

  it("on a conflict reads the other writer's record and keeps the earlier dates", async () => {
    const { api, record, clock } = setup();
    const term = new AbortController();
    const running = record.run(term.signal);
    await settle();
    await clock.advance(1000);
    api.put([{ host: "a.example.com", namespace: "a", since: "2020-01-01T00:00:00.000Z" }]);
    record.observe(report([{ host: "a.example.com", namespace: "a" }]));
    await settle();
    await clock.advance(1000);
    await settle();
    expect(record.current()).toEqual([
      { host: "a.example.com", namespace: "a", since: "2020-01-01T00:00:00.000Z" },
    ]);
    expect(api.claims()).toEqual(record.current());
    term.abort();
    await running;
  });

  it("creates the record again after it was deleted", async () => {
    const { api, record, clock } = setup();
    const term = new AbortController();
    record.observe(report([{ host: "a.example.com", namespace: "a" }]));
    const running = record.run(term.signal);
    await settle();
    expect(api.writes).toEqual(["POST"]);
    api.stored = undefined;
    await clock.advance(1000);
    record.observe(report([{ host: "b.example.com", namespace: "b" }]));
    await settle();
    for (let i = 0; i < 3; i++) {
      await clock.advance(30_000);
      await settle();
    }
    expect(api.writes).toEqual(["POST", "PUT", "POST"]);
    expect((api.claims() as { host: string }[]).map(c => c.host)).toEqual([
      "a.example.com",
      "b.example.com",
    ]);
    term.abort();
    await running;
  });

  it("reads a deleted record as absent, so the next write creates it", async () => {
    const { api, record } = setup();
    const term = new AbortController();
    api.put([{ host: "a.example.com", namespace: "a", since: "2020-01-01T00:00:00.000Z" }]);
    await record.load(term.signal);
    api.stored = undefined;
    await record.load(term.signal);
    const running = record.run(term.signal);
    await settle();
    expect(api.writes).toEqual(["POST"]);
    term.abort();
    await running;
  });

  it("writes a record the API server refused (403, 422) again at the next change or after 5 minutes, saying it once", async () => {
    const { api, record, clock, lines } = setup();
    const term = new AbortController();
    api.failures.push(403, 403);
    record.observe(report([{ host: "a.example.com", namespace: "a" }]));
    const running = record.run(term.signal);
    await settle();
    for (let i = 0; i < 5; i++) {
      await clock.advance(30_000);
      await settle();
    }
    expect(api.writes).toEqual(["POST"]);
    expect(lines.filter(l => l.includes("Host-claim record"))).toHaveLength(1);
    expect(lines[0]).toContain("Refused");
    record.observe(report([{ host: "b.example.com", namespace: "b" }]));
    await settle();
    expect(api.writes).toEqual(["POST", "POST"]);
    expect(lines.filter(l => l.includes("Host-claim record"))).toHaveLength(1);
    // Five minutes after the first refusal, with no change meanwhile, the record is tried again.
    await clock.advance(149_999);
    await settle();
    expect(api.writes).toEqual(["POST", "POST"]);
    await clock.advance(1);
    await settle();
    expect(api.writes).toEqual(["POST", "POST", "POST"]);
    expect(api.claims()).toHaveLength(2);
    term.abort();
    await running;
  });

  it("retries a write that met a 5xx after a back-off, without re-reading", async () => {
    const { api, record, clock } = setup();
    const term = new AbortController();
    api.failures.push(503);
    record.observe(report([{ host: "a.example.com", namespace: "a" }]));
    const running = record.run(term.signal);
    await settle();
    expect(api.writes).toEqual(["POST"]);
    await clock.advance(500);
    await settle();
    expect(api.writes).toEqual(["POST", "POST"]);
    expect(api.claims()).toEqual(record.current());
    term.abort();
    await running;
  });

  it("counts and announces dates merged from the stored record, not claims a translation observed", async () => {
    const { api, record, clock, notified } = setup();
    const term = new AbortController();
    record.observe(report([{ host: "a.example.com", namespace: "a" }]));
    expect([record.changes, notified.count]).toEqual([0, 0]);
    // Another leader's earlier date, read at the start of this term.
    api.put([{ host: "a.example.com", namespace: "a", since: "2020-01-01T00:00:00.000Z" }]);
    const running = record.run(term.signal);
    await settle();
    expect(record.current()[0]?.since).toBe("2020-01-01T00:00:00.000Z");
    expect([record.changes, notified.count]).toEqual([1, 1]);
    await clock.advance(1000);
    record.observe(report([{ host: "b.example.com", namespace: "b" }]));
    await settle();
    expect([record.changes, notified.count]).toEqual([1, 1]);
    term.abort();
    await running;
  });

  it("counts the namespaces routing any host and warns once when several do", async () => {
    const { record, lines, registry } = setup();
    record.observe(report([], ["platform"]));
    record.observe(report([], ["evil", "platform"]));
    record.observe(report([], ["evil", "platform"]));
    expect(lines.filter(l => l.includes("--any-host-namespaces"))).toHaveLength(1);
    expect(await registry.getSingleMetricAsString("kongress_any_host_namespaces")).toContain(
      "kongress_any_host_namespaces 2",
    );
  });
});
