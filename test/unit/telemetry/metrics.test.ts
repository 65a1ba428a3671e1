import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../../src/telemetry/metrics.ts";

async function valueOf(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find(m => m.name === name);
  const match = metric?.values.find(v =>
    Object.entries(labels).every(
      ([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val,
    ),
  );
  return match?.value;
}

describe("createMetrics", () => {
  it.each([
    ["ingress_controller_configuration_push_count", "counter"],
    ["ingress_controller_configuration_push_duration_milliseconds", "histogram"],
    ["ingress_controller_configuration_push_size", "gauge"],
    ["ingress_controller_configuration_push_last_successful", "gauge"],
    ["ingress_controller_configuration_push_broken_resource_count", "gauge"],
    ["ingress_controller_translation_count", "counter"],
    ["ingress_controller_translation_duration_milliseconds", "histogram"],
    ["ingress_controller_translation_broken_resource_count", "gauge"],
    ["ingress_controller_fallback_translation_count", "counter"],
    ["ingress_controller_fallback_translation_duration_milliseconds", "histogram"],
    ["ingress_controller_fallback_translation_broken_resource_count", "gauge"],
    ["ingress_controller_fallback_configuration_push_count", "counter"],
    ["ingress_controller_fallback_configuration_push_duration_milliseconds", "histogram"],
    ["ingress_controller_fallback_configuration_push_size", "gauge"],
    ["ingress_controller_fallback_configuration_push_last", "gauge"],
    ["ingress_controller_fallback_configuration_push_broken_resource_count", "gauge"],
    ["ingress_controller_processed_config_snapshot_cache_hit", "counter"],
    ["ingress_controller_processed_config_snapshot_cache_miss", "counter"],
    ["ingress_controller_event_to_push_seconds", "histogram"],
    ["kongress_watch_events_total", "counter"],
    ["kongress_watch_restarts_total", "counter"],
    ["kongress_watch_synced", "gauge"],
    ["kongress_status_queue_depth", "gauge"],
    ["kongress_status_update_total", "counter"],
    ["kongress_status_update_duration_seconds", "histogram"],
    ["kongress_kubernetes_events_total", "counter"],
    ["kongress_event_loop_lag_seconds", "gauge"],
    ["kongress_kong_listeners_state", "gauge"],
  ])("registers %s as a %s", async (name, type) => {
    const registry = new Registry();
    createMetrics({ registry });
    await expect(registry.getSingleMetric(name)?.get()).resolves.toMatchObject({ type });
  });

  it.each([
    ["ingress_controller_configuration_push_duration_milliseconds", "100", "0.1"],
    ["ingress_controller_translation_duration_milliseconds", "1", "60000"],
  ])("keeps KIC's 30 buckets for %s (first %s ms)", async (name, first, lastApprox) => {
    const registry = new Registry();
    const m = createMetrics({ registry });
    m.recordPush({
      dataplane: "d",
      success: true,
      fallback: false,
      durationMs: 1,
      sizeBytes: 1,
      brokenResources: 0,
      atMs: 0,
    });
    m.recordTranslation({ success: true, fallback: false, durationMs: 1, brokenResources: 0 });
    const text = await registry.metrics();
    const les = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"`, "gm"))].map(
      x => x[1],
    );
    expect(les).toHaveLength(31);
    expect(les[0]).toBe(first);
    expect(les[30]).toBe("+Inf");
    if (lastApprox !== "0.1") expect(Number(les[29])).toBeCloseTo(Number(lastApprox), -1);
  });

  it("buckets event-to-push from 1 ms to 10 s, ten per decade, per dataplane", async () => {
    const registry = new Registry();
    const m = createMetrics({ registry });
    m.eventToPush.observe({ dataplane: "http://kong:8001" }, 0.042);
    const text = await registry.metrics();
    const les = [
      ...text.matchAll(/^ingress_controller_event_to_push_seconds_bucket\{le="([^"]+)"/gm),
    ].map(x => x[1]);
    expect(les.slice(0, 3)).toEqual(["0.001", "0.00126", "0.00158"]);
    expect(les).toEqual(expect.arrayContaining(["0.0501", "0.1", "1", "3.16", "10", "+Inf"]));
    expect(les).toHaveLength(42);
    expect(
      await valueOf(registry, "ingress_controller_event_to_push_seconds", {
        le: "0.0501",
        dataplane: "http://kong:8001",
      }),
    ).toBe(1);
  });

  it("recordPush counts a primary success with KIC's labels", async () => {
    const registry = new Registry();
    const m = createMetrics({ registry });
    m.recordPush({
      dataplane: "http://kong:8001",
      success: true,
      fallback: false,
      durationMs: 250,
      sizeBytes: 2048,
      brokenResources: 0,
      atMs: 1_700_000_000_000,
    });
    const labels = { success: "true", protocol: "db-less", dataplane: "http://kong:8001" };
    expect(
      await valueOf(registry, "ingress_controller_configuration_push_count", {
        ...labels,
        failure_reason: "",
      }),
    ).toBe(1);
    expect(await valueOf(registry, "ingress_controller_configuration_push_size", labels)).toBe(
      2048,
    );
    expect(await valueOf(registry, "ingress_controller_configuration_push_last_successful")).toBe(
      1_700_000_000,
    );
    expect(
      await valueOf(registry, "ingress_controller_fallback_configuration_push_count"),
    ).toBeUndefined();
  });

  it("recordPush sends a fallback failure to the fallback family with its reason", async () => {
    const registry = new Registry();
    const m = createMetrics({ registry });
    m.recordPush({
      dataplane: "http://kong:8001",
      success: false,
      failureReason: "network",
      fallback: true,
      durationMs: 30,
      sizeBytes: 100,
      brokenResources: 2,
      atMs: 0,
    });
    expect(
      await valueOf(registry, "ingress_controller_fallback_configuration_push_count", {
        success: "false",
        failure_reason: "network",
      }),
    ).toBe(1);
    expect(
      await valueOf(
        registry,
        "ingress_controller_fallback_configuration_push_broken_resource_count",
      ),
    ).toBe(2);
    expect(
      await valueOf(registry, "ingress_controller_fallback_configuration_push_last"),
    ).toBeUndefined();
    expect(await valueOf(registry, "ingress_controller_configuration_push_count")).toBeUndefined();
  });

  it("recordTranslation picks the family by fallback", async () => {
    const registry = new Registry();
    const m = createMetrics({ registry });
    m.recordTranslation({ success: true, fallback: false, durationMs: 5, brokenResources: 1 });
    m.recordTranslation({ success: false, fallback: true, durationMs: 7, brokenResources: 3 });
    expect(
      await valueOf(registry, "ingress_controller_translation_count", { success: "true" }),
    ).toBe(1);
    expect(await valueOf(registry, "ingress_controller_translation_broken_resource_count")).toBe(1);
    expect(
      await valueOf(registry, "ingress_controller_fallback_translation_count", {
        success: "false",
      }),
    ).toBe(1);
    expect(
      await valueOf(registry, "ingress_controller_fallback_translation_broken_resource_count"),
    ).toBe(3);
  });

  it("puts instance_id on every series when given", async () => {
    const registry = new Registry();
    const m = createMetrics({ registry, instanceId: "pod-a" });
    m.statusUpdates.inc({ kind: "Ingress", result: "noop" });
    expect(await registry.metrics()).toContain(
      'kongress_status_update_total{kind="Ingress",result="noop",instance_id="pod-a"} 1',
    );
  });

  it("adds the process and Node.js runtime metrics only when asked, on the injected registry", async () => {
    const plain = new Registry();
    createMetrics({ registry: plain });
    const controller = new Registry();
    createMetrics({ registry: controller, processMetrics: true });
    const runtime = [
      "process_resident_memory_bytes",
      "process_cpu_seconds_total",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_gc_duration_seconds",
    ];
    const names = (r: Registry) => r.getMetricsAsArray().map(m => m.name);
    expect(names(plain).filter(n => runtime.includes(n))).toEqual([]);
    expect(names(controller)).toEqual(expect.arrayContaining(runtime));
    expect(await valueOf(controller, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("uses only the injected registry", () => {
    const a = new Registry();
    const b = new Registry();
    createMetrics({ registry: a });
    createMetrics({ registry: b });
    expect(a.getMetricsAsArray()).toHaveLength(b.getMetricsAsArray().length);
  });
});
