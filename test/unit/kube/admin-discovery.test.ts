/**
 * Gateway discovery over a scripted API server: what it lists and watches, the Kongs it names as the
 * Service and its EndpointSlices change, and how it reports (and keeps reporting, with capped backoff)
 * a missing Service, a Service without admin endpoints and a failing API server.
 */
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import {
  AdminApiDiscovery,
  type DiscoveryProblem,
  type DiscoveryState,
} from "../../../src/kube/admin-discovery.ts";
import { KubeUnreachableError } from "../../../src/kube/errors.ts";
import { FakeKubeApi, ManualClock, list, settle, type FakeWatch, type ListCall } from "./fakes.ts";

const SERVICES_PATH = "/api/v1/namespaces/kong/services";
const SLICES_PATH = "/apis/discovery.k8s.io/v1/namespaces/kong/endpointslices";
const running: AdminApiDiscovery[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map(d => d.stop()));
});

function service(resourceVersion = "1") {
  return { metadata: { name: "kong-admin", namespace: "kong", resourceVersion } };
}

/** An EndpointSlice of kong-admin with one Pod endpoint per port of `ports` on 127.0.0.1. */
function slice(name: string, ports: readonly number[], resourceVersion = "1") {
  return {
    metadata: {
      name,
      namespace: "kong",
      resourceVersion,
      labels: { "kubernetes.io/service-name": "kong-admin" },
    },
    addressType: "IPv4",
    // One slice per Kong here: a slice's ports apply to all its endpoints.
    endpoints: ports.length === 0 ? [] : [podEndpoint(name)],
    ports: ports.map(port => ({ name: "admin-tls", port, protocol: "TCP", appProtocol: "http" })),
  };
}

function podEndpoint(pod: string) {
  return {
    addresses: ["127.0.0.1"],
    conditions: { ready: true, serving: true, terminating: false },
    targetRef: { kind: "Pod", namespace: "kong", name: pod },
  };
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly reason?: string;
  readonly nextCheckInMs?: number;
}

function setup(initial: { services: unknown[]; slices: unknown[] }) {
  const api = new FakeKubeApi();
  const clock = new ManualClock();
  const listed = { services: initial.services, slices: initial.slices, rv: 10 };
  api.onList = (call: ListCall) =>
    list(
      String(listed.rv),
      call.path === SERVICES_PATH
        ? listed.services
        : call.path === SLICES_PATH
          ? listed.slices
          : [],
    );
  const states: DiscoveryState[] = [];
  const problems: DiscoveryProblem[] = [];
  const logs: LogLine[] = [];
  const logger = pino(
    { level: "info", base: null, timestamp: false },
    {
      write: (line: string) => {
        logs.push(JSON.parse(line) as LogLine);
      },
    },
  );
  const discovery = new AdminApiDiscovery({
    api,
    service: { namespace: "kong", name: "kong-admin" },
    portNames: ["admin-tls", "kong-admin-tls"],
    onChange: state => states.push(state),
    onProblem: problem => problems.push(problem),
    clock,
    random: () => 0,
    logger,
    backoff: { initialMs: 1000, maxMs: 4000, factor: 2, jitter: 0 },
    watchBackoff: { initialMs: 100, maxMs: 100, factor: 2, jitter: 0 },
  });
  running.push(discovery);
  const watchOf = (path: string): FakeWatch => {
    const watch = api.watches.filter(w => w.path === path).at(-1);
    if (watch === undefined) throw new Error(`no watch of ${path}`);
    return watch;
  };
  const discoveryLogs = () => logs.filter(l => l.msg.startsWith("Kong discovery"));
  return { api, clock, listed, discovery, states, problems, watchOf, discoveryLogs };
}

const urls = (state: DiscoveryState | undefined) => state?.apis.map(a => a.url);

describe("AdminApiDiscovery: what it watches and what it finds", () => {
  it("lists and watches only the Service and its EndpointSlices, and names one Kong per endpoint", async () => {
    const { api, discovery, states, watchOf } = setup({
      services: [service()],
      slices: [slice("kong-a", [8001]), slice("kong-b", [8002])],
    });
    discovery.start();
    await settle();
    expect(api.lists.map(l => [l.path, l.query])).toEqual([
      [SERVICES_PATH, { fieldSelector: "metadata.name=kong-admin", limit: "500" }],
      [SLICES_PATH, { labelSelector: "kubernetes.io/service-name=kong-admin", limit: "500" }],
    ]);
    expect(watchOf(SERVICES_PATH).query["fieldSelector"]).toBe("metadata.name=kong-admin");
    expect(watchOf(SLICES_PATH).query["labelSelector"]).toBe(
      "kubernetes.io/service-name=kong-admin",
    );
    // Nothing is said before both lists are in; then one state with both Kongs.
    expect(states).toHaveLength(1);
    expect(states[0]).toEqual({
      synced: true,
      apis: [
        { url: "http://127.0.0.1:8001", tlsServerName: "pod.kong-admin.kong.svc" },
        { url: "http://127.0.0.1:8002", tlsServerName: "pod.kong-admin.kong.svc" },
      ],
    });
  });

  it("follows the slices: a Kong that appears, one that goes, one that starts terminating", async () => {
    const { discovery, states, watchOf } = setup({
      services: [service()],
      slices: [slice("kong-a", [8001])],
    });
    discovery.start();
    await settle();
    watchOf(SLICES_PATH).push("ADDED", slice("kong-b", [8002], "11"));
    watchOf(SLICES_PATH).push("ADDED", slice("kong-c", [8003], "12"));
    await settle();
    expect(urls(states.at(-1))).toEqual([
      "http://127.0.0.1:8001",
      "http://127.0.0.1:8002",
      "http://127.0.0.1:8003",
    ]);
    watchOf(SLICES_PATH).push("DELETED", slice("kong-a", [8001], "13"));
    const terminating = slice("kong-b", [8002], "14");
    terminating.endpoints[0]!.conditions.terminating = true;
    watchOf(SLICES_PATH).push("MODIFIED", terminating);
    await settle();
    expect(urls(states.at(-1))).toEqual(["http://127.0.0.1:8003"]);
    // An update that changes nothing about the Kongs is no news.
    const count = states.length;
    watchOf(SLICES_PATH).push("MODIFIED", slice("kong-c", [8003], "15"));
    await settle();
    expect(states).toHaveLength(count);
  });
});

describe("AdminApiDiscovery: problems are said, and said again with capped backoff", () => {
  it("a missing Service: no Kong, an error line, reported again at 1, 2, 4, 4 s; gone once it appears", async () => {
    const { clock, discovery, states, problems, watchOf, discoveryLogs } = setup({
      services: [],
      // Slices of a deleted Service wait for garbage collection: they name no Kong.
      slices: [slice("kong-a", [8001])],
    });
    discovery.start();
    await settle();
    expect(states.at(-1)).toMatchObject({ synced: true, apis: [] });
    expect(states.at(-1)?.problem?.reason).toBe("ServiceNotFound");
    expect(problems.map(p => p.reason)).toEqual(["ServiceNotFound"]);
    expect(discoveryLogs()[0]).toEqual({
      level: 50,
      component: "gateway-discovery",
      service: "kong/kong-admin",
      reason: "ServiceNotFound",
      detail: "Service kong/kong-admin does not exist",
      kongs: 0,
      msg: "Kong discovery found no Kong Admin API; nothing is pushed",
    });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const wait = clock.pendingDelays().find(d => d >= 1000)!;
      waits.push(wait);
      await clock.advance(wait);
      await settle();
    }
    expect(waits).toEqual([1000, 2000, 4000, 4000]);
    expect(problems).toHaveLength(5);
    expect(
      discoveryLogs()
        .slice(1)
        .map(l => l.nextCheckInMs),
    ).toEqual([2000, 4000, 4000, 4000]);

    watchOf(SERVICES_PATH).push("ADDED", service("20"));
    await settle();
    expect(states.at(-1)).toEqual({
      synced: true,
      apis: [{ url: "http://127.0.0.1:8001", tlsServerName: "pod.kong-admin.kong.svc" }],
    });
    expect(discoveryLogs().at(-1)?.msg).toBe("Kong discovery recovered");
    // The reporting loop has ended: time passing says nothing more.
    await clock.advance(60_000);
    await settle();
    expect(problems).toHaveLength(5);
  });

  it("a Service deleted later: its Kongs are dropped and the error is said", async () => {
    const { discovery, states, problems, watchOf } = setup({
      services: [service()],
      slices: [slice("kong-a", [8001])],
    });
    discovery.start();
    await settle();
    expect(urls(states.at(-1))).toEqual(["http://127.0.0.1:8001"]);
    watchOf(SERVICES_PATH).push("DELETED", service("21"));
    await settle();
    expect(states.at(-1)).toMatchObject({ apis: [], problem: { reason: "ServiceNotFound" } });
    expect(problems.map(p => p.reason)).toEqual(["ServiceNotFound"]);
    // An API error then does not bring the slices of the deleted Service back.
    watchOf(SLICES_PATH).fail(new KubeUnreachableError("socket hang up"));
    await settle();
    expect(states.at(-1)).toMatchObject({ apis: [], problem: { reason: "ApiError" } });
  });

  it("a Service without endpoints on the admin port names: NoAdminEndpoints", async () => {
    const plain = slice("kong-a", []);
    plain.ports.push({ name: "admin", port: 8001, protocol: "TCP", appProtocol: "http" });
    plain.endpoints.push(podEndpoint("kong-a"));
    const { discovery, states, discoveryLogs } = setup({ services: [service()], slices: [plain] });
    discovery.start();
    await settle();
    expect(states.at(-1)?.problem).toEqual({
      reason: "NoAdminEndpoints",
      message:
        "Service kong/kong-admin has no endpoint of a Pod that is not terminating on a port named admin-tls, kong-admin-tls",
    });
    expect(discoveryLogs()[0]?.level).toBe(50);
  });

  it("an API server that fails: the Kongs last seen are kept, a warning is said, and it clears on the next list", async () => {
    const { api, clock, discovery, states, problems, watchOf, discoveryLogs } = setup({
      services: [service()],
      slices: [slice("kong-a", [8001])],
    });
    discovery.start();
    await settle();
    api.onList = () => {
      throw new KubeUnreachableError("connect ECONNREFUSED 127.0.0.1:6443");
    };
    watchOf(SLICES_PATH).fail(new KubeUnreachableError("socket hang up"));
    await settle();
    expect(states.at(-1)).toMatchObject({
      apis: [{ url: "http://127.0.0.1:8001" }],
      problem: { reason: "ApiError" },
    });
    expect(problems.map(p => p.reason)).toEqual(["ApiError"]);
    expect(discoveryLogs()[0]).toMatchObject({ level: 40, reason: "ApiError" });

    // Back: the next list, or watch resumed (the reflector's own backoff, 100 ms here), ends it.
    api.onList = (call: ListCall) =>
      list("30", call.path === SERVICES_PATH ? [service()] : [slice("kong-a", [8001])]);
    await clock.advance(100);
    await settle();
    expect(states.at(-1)).toEqual({
      synced: true,
      apis: [{ url: "http://127.0.0.1:8001", tlsServerName: "pod.kong-admin.kong.svc" }],
    });
  });

  it("an API server that never answered: no Kong, an error, and no state claiming a list", async () => {
    const { api, discovery, states, problems } = setup({ services: [], slices: [] });
    api.onList = () => {
      throw new KubeUnreachableError("connect ECONNREFUSED 127.0.0.1:6443");
    };
    discovery.start();
    await settle();
    expect(states.at(-1)).toMatchObject({
      synced: false,
      apis: [],
      problem: { reason: "ApiError" },
    });
    expect(problems.map(p => p.reason)).toEqual(["ApiError"]);
  });
});
