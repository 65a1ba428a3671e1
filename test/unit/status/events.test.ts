import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { REDACTED, SecretScrubber } from "../../../src/kong/redact.ts";
import type { ObjectRef } from "../../../src/model/object-ref.ts";
import {
  eventName,
  EventReason,
  EventRecorder,
  type CoreEvent,
  type KubeEventsApi,
} from "../../../src/status/events.ts";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { ManualClock } from "../../support/manual-clock.ts";

const INGRESS: ObjectRef = {
  group: "networking.k8s.io",
  version: "v1",
  kind: "Ingress",
  namespace: "shop",
  name: "web",
  uid: "u-1",
};

class FakeEventsApi implements KubeEventsApi {
  readonly events = new Map<string, CoreEvent>();
  readonly calls: string[] = [];
  failCreates = 0;

  async createEvent(event: CoreEvent): Promise<"created" | "exists"> {
    this.calls.push(`create ${event.metadata.name}`);
    if (this.failCreates > 0) {
      this.failCreates--;
      throw new Error("forbidden");
    }
    const key = `${event.metadata.namespace}/${event.metadata.name}`;
    if (this.events.has(key)) return Promise.resolve("exists");
    this.events.set(key, event);
    return Promise.resolve("created");
  }

  async readEventCount(ref: { namespace: string; name: string }): Promise<number | undefined> {
    this.calls.push(`read ${ref.name}`);
    return Promise.resolve(this.events.get(`${ref.namespace}/${ref.name}`)?.count);
  }

  async updateEventCount(u: {
    namespace: string;
    name: string;
    count: number;
    lastTimestamp: string;
  }): Promise<"ok" | "gone"> {
    this.calls.push(`update ${u.name} ${u.count}`);
    const key = `${u.namespace}/${u.name}`;
    const event = this.events.get(key);
    if (event === undefined) return Promise.resolve("gone");
    this.events.set(key, { ...event, count: u.count, lastTimestamp: u.lastTimestamp });
    return Promise.resolve("ok");
  }
}

function setup(
  opts: {
    enabled?: boolean;
    cacheSize?: number;
    maxBacklog?: number;
    api?: FakeEventsApi;
    scrub?: (message: string) => string;
  } = {},
) {
  const clock = new ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5));
  const registry = new Registry();
  const api = opts.api ?? new FakeEventsApi();
  const recorder = new EventRecorder({
    api,
    clock,
    logger: pino({ level: "silent" }),
    metrics: createMetrics({ registry }),
    enabled: opts.enabled ?? true,
    instance: "kongress-abc",
    ...(opts.cacheSize === undefined ? {} : { cacheSize: opts.cacheSize }),
    ...(opts.maxBacklog === undefined ? {} : { maxBacklog: opts.maxBacklog }),
    ...(opts.scrub === undefined ? {} : { scrub: opts.scrub }),
  });
  const count = async (result: string): Promise<number> => {
    const json = await registry.getSingleMetric("kongress_kubernetes_events_total")?.get();
    return (
      json?.values.filter(v => v.labels["result"] === result).reduce((n, v) => n + v.value, 0) ?? 0
    );
  };
  return { clock, api, recorder, count };
}

const warning = (message: string, ref: ObjectRef = INGRESS) => ({
  ref,
  type: "Warning" as const,
  reason: EventReason.TranslationFailed,
  message,
});

describe("EventRecorder", () => {
  it("hides the secrets its scrubber knows in messages", async () => {
    const secrets = new SecretScrubber();
    secrets.remember({ keyauth_credentials: [{ key: "alice-api-key" }] });
    const { api, recorder } = setup({ scrub: text => secrets.scrubText(text) });
    recorder.record(
      warning(
        "keyauth_credential: uniqueness violation: 'keyauth_credentials' entity with key set to 'alice-api-key' already declared",
      ),
    );
    await recorder.idle();
    const [event] = [...api.events.values()];
    expect(event?.message).toBe(
      `keyauth_credential: uniqueness violation: 'keyauth_credentials' entity with key set to '${REDACTED}' already declared`,
    );
  });

  it("creates a core/v1 Event on the object with KIC's reason", async () => {
    const { api, recorder } = setup();
    recorder.record(warning("Service shop/api not found"));
    await recorder.idle();
    const [event] = [...api.events.values()];
    expect(event).toEqual({
      metadata: {
        name: expect.stringMatching(/^web\.[0-9a-f]{16}$/) as unknown,
        namespace: "shop",
      },
      involvedObject: {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        name: "web",
        namespace: "shop",
        uid: "u-1",
      },
      type: "Warning",
      reason: "KongConfigurationTranslationFailed",
      message: "Service shop/api not found",
      count: 1,
      firstTimestamp: "2026-01-02T03:04:05Z",
      lastTimestamp: "2026-01-02T03:04:05Z",
      source: { component: "kongress" },
      reportingComponent: "kongress",
      reportingInstance: "kongress-abc",
    });
  });

  it("aggregates identical events by bumping count and lastTimestamp", async () => {
    const { api, recorder, clock, count } = setup();
    recorder.record(warning("broken"));
    await recorder.idle();
    clock.jump(60_000);
    recorder.record(warning("broken"));
    recorder.record(warning("broken"));
    await recorder.idle();
    expect(api.events.size).toBe(1);
    const [event] = [...api.events.values()];
    expect(event?.count).toBe(3);
    expect(event?.lastTimestamp).toBe("2026-01-02T03:05:05Z");
    expect(event?.firstTimestamp).toBe("2026-01-02T03:04:05Z");
    expect(await count("created")).toBe(1);
    expect(await count("aggregated")).toBe(2);
  });

  it.each([
    ["message", warning("other message")],
    ["reason", { ...warning("broken"), reason: EventReason.ApplyFailed }],
    ["object", warning("broken", { ...INGRESS, name: "api" })],
    ["type", { ...warning("broken"), type: "Normal" as const }],
  ])("a different %s makes a new Event", async (_name, other) => {
    const { api, recorder } = setup();
    recorder.record(warning("broken"));
    recorder.record(other);
    await recorder.idle();
    expect(api.events.size).toBe(2);
  });

  it("creates a fresh Event when the aggregated one has expired", async () => {
    const { api, recorder } = setup();
    recorder.record(warning("broken"));
    await recorder.idle();
    api.events.clear();
    recorder.record(warning("broken"));
    await recorder.idle();
    expect([...api.events.values()].map(e => e.count)).toEqual([1]);
  });

  it("names an Event after the object and the event, not the time", async () => {
    const { api, recorder, clock } = setup();
    recorder.record(warning("a"));
    recorder.record(warning("b"));
    recorder.record(warning("a", { ...INGRESS, uid: "u-2" }));
    await recorder.idle();
    const names = [...api.events.values()].map(e => e.metadata.name);
    expect(new Set(names).size).toBe(3);
    clock.jump(3_600_000);
    expect(eventName(warning("a"), "a")).toBe(names[0]);
  });

  it("after a restart, bumps the Event the previous process wrote instead of adding one", async () => {
    const api = new FakeEventsApi();
    const before = setup({ api });
    before.recorder.record(warning("broken"));
    await before.recorder.idle();
    const after = setup({ api });
    after.clock.jump(60_000);
    after.recorder.record(warning("broken"));
    await after.recorder.idle();
    const [event] = [...api.events.values()];
    expect(api.events.size).toBe(1);
    expect(event?.count).toBe(2);
    expect(event?.lastTimestamp).toBe("2026-01-02T03:05:05Z");
    expect(api.calls.slice(1).map(c => c.split(" ")[0])).toEqual(["create", "read", "update"]);
    expect(await after.count("aggregated")).toBe(1);
    expect(await after.count("created")).toBe(0);
  });

  it("records nothing with --emit-kubernetes-events=false", async () => {
    const { api, recorder } = setup({ enabled: false });
    recorder.record(warning("broken"));
    await recorder.idle();
    expect(api.calls).toEqual([]);
  });

  it("counts a failed write and keeps going", async () => {
    const { api, recorder, count } = setup();
    api.failCreates = 1;
    recorder.record(warning("first"));
    recorder.record(warning("second"));
    await recorder.idle();
    expect(await count("error")).toBe(1);
    expect([...api.events.values()].map(e => e.message)).toEqual(["second"]);
  });

  it("puts events of cluster-scoped objects in the default namespace", async () => {
    const { api, recorder } = setup();
    const ref: ObjectRef = {
      group: "networking.k8s.io",
      version: "v1",
      kind: "IngressClass",
      namespace: "",
      name: "kong",
    };
    recorder.record(warning("x", ref));
    await recorder.idle();
    const [event] = [...api.events.values()];
    expect(event?.metadata.namespace).toBe("default");
    expect(event?.involvedObject).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      name: "kong",
    });
  });

  it("truncates long messages to 1024 characters", async () => {
    const { api, recorder } = setup();
    recorder.record(warning("x".repeat(5000)));
    await recorder.idle();
    const [event] = [...api.events.values()];
    expect(event?.message).toHaveLength(1024);
    expect(event?.message.endsWith("...")).toBe(true);
  });

  it("escapes control characters, so kubectl describe shows them instead of obeying them", async () => {
    const { api, recorder } = setup();
    recorder.record(warning('annotation "\u001b[2J\u001b[Hok" is invalid'));
    await recorder.idle();
    const [event] = [...api.events.values()];
    expect(event?.message).toBe('annotation "\\x1b[2J\\x1b[Hok" is invalid');
  });

  it("forgets the least recently used event beyond its cache size", async () => {
    const { api, recorder } = setup({ cacheSize: 1 });
    recorder.record(warning("a"));
    recorder.record(warning("b"));
    recorder.record(warning("a"));
    await recorder.idle();
    expect(api.calls.filter(c => c.startsWith("create"))).toHaveLength(3);
  });

  it("drops events beyond its backlog instead of piling them up", async () => {
    const { api, recorder, count } = setup({ maxBacklog: 2 });
    for (const m of ["a", "b", "c", "d"]) recorder.record(warning(m));
    await recorder.idle();
    expect(api.events.size).toBe(2);
    expect(await count("dropped")).toBe(2);
  });
});
