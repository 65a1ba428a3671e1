import { describe, expect, it } from "vitest";
import {
  eventsApiFrom,
  httpStatusOf,
  ingressStatusApiFrom,
  type CoreApiLike,
  type IngressLike,
  type NetworkingApiLike,
} from "../../../src/status/kube-api.ts";
import { KubeApiError } from "../../../src/kube/errors.ts";
import type { CoreEvent } from "../../../src/status/events.ts";

const apiError = (code: number): Error => Object.assign(new Error(`HTTP ${code}`), { code });

const INGRESS = {
  metadata: { name: "web", namespace: "shop", resourceVersion: "7", labels: { app: "web" } },
  spec: { rules: [] },
  status: {
    loadBalancer: { ingress: [{ ip: "10.0.0.1", ports: [{ port: 80, protocol: "TCP" }] }] },
  },
};

function networking(opts: { read?: () => Promise<IngressLike>; replace?: () => Promise<unknown> }) {
  const bodies: unknown[] = [];
  const api: NetworkingApiLike = {
    readNamespacedIngress: opts.read ?? (() => Promise.resolve(INGRESS)),
    replaceNamespacedIngressStatus: p => {
      bodies.push(p.body);
      return (opts.replace ?? (() => Promise.resolve(p.body)))();
    },
  };
  return { api: ingressStatusApiFrom(api), bodies };
}

describe("httpStatusOf", () => {
  it.each([
    [apiError(409), 409],
    [new KubeApiError(404, { reason: "NotFound", message: "not found" }), 404],
    [new Error("x"), undefined],
    [{ code: "ECONNREFUSED" }, undefined],
    [null, undefined],
  ])("%s → %s", (err, status) => {
    expect(httpStatusOf(err)).toBe(status);
  });
});

describe("ingressStatusApiFrom", () => {
  it("reads the load balancer list, ports included", async () => {
    const { api } = networking({});
    const record = await api.getIngress({ namespace: "shop", name: "web" });
    expect(record?.loadBalancer).toEqual([
      { ip: "10.0.0.1", ports: [{ port: 80, protocol: "TCP" }] },
    ]);
  });

  it("maps a 404 on read to undefined and rethrows other errors", async () => {
    await expect(
      networking({ read: () => Promise.reject(apiError(404)) }).api.getIngress({
        namespace: "a",
        name: "b",
      }),
    ).resolves.toBeUndefined();
    await expect(
      networking({ read: () => Promise.reject(apiError(500)) }).api.getIngress({
        namespace: "a",
        name: "b",
      }),
    ).rejects.toThrow("HTTP 500");
  });

  it("sends back the whole object with only the load balancer replaced", async () => {
    const { api, bodies } = networking({});
    const record = await api.getIngress({ namespace: "shop", name: "web" });
    expect(await api.replaceIngressStatus(record!, [{ hostname: "lb.example" }])).toBe("ok");
    expect(bodies).toEqual([
      { ...INGRESS, status: { loadBalancer: { ingress: [{ hostname: "lb.example" }] } } },
    ]);
  });

  it.each([
    [409, "conflict"],
    [404, "gone"],
  ])("maps %d on write to %s", async (code, outcome) => {
    const { api } = networking({ replace: () => Promise.reject(apiError(code)) });
    const record = await api.getIngress({ namespace: "shop", name: "web" });
    expect(await api.replaceIngressStatus(record!, [])).toBe(outcome);
  });

  it("rethrows other write errors", async () => {
    const { api } = networking({ replace: () => Promise.reject(apiError(422)) });
    const record = await api.getIngress({ namespace: "shop", name: "web" });
    await expect(api.replaceIngressStatus(record!, [])).rejects.toThrow("HTTP 422");
  });
});

describe("eventsApiFrom", () => {
  const event: CoreEvent = {
    metadata: { name: "web.1", namespace: "shop" },
    involvedObject: {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      name: "web",
      namespace: "shop",
    },
    type: "Warning",
    reason: "KongConfigurationTranslationFailed",
    message: "m",
    count: 1,
    firstTimestamp: "2026-01-02T03:04:05Z",
    lastTimestamp: "2026-01-02T03:04:05Z",
    source: { component: "kongress" },
    reportingComponent: "kongress",
    reportingInstance: "pod",
  };

  function core(patch: () => Promise<unknown> = () => Promise.resolve({})) {
    const calls: unknown[] = [];
    const api: CoreApiLike = {
      createNamespacedEvent: p => {
        calls.push(p);
        return Promise.resolve(p.body);
      },
      patchNamespacedEvent: p => {
        calls.push(p);
        return patch();
      },
    };
    return { api: eventsApiFrom(api), calls };
  }

  it("creates the Event in its namespace with Date timestamps for client-node", async () => {
    const { api, calls } = core();
    await api.createEvent(event);
    expect(calls).toEqual([
      {
        namespace: "shop",
        body: {
          ...event,
          firstTimestamp: new Date("2026-01-02T03:04:05Z"),
          lastTimestamp: new Date("2026-01-02T03:04:05Z"),
        },
      },
    ]);
  });

  it("bumps the count with a JSON patch", async () => {
    const { api, calls } = core();
    const outcome = await api.updateEventCount({
      namespace: "shop",
      name: "web.1",
      count: 4,
      lastTimestamp: "T",
    });
    expect(outcome).toBe("ok");
    expect(calls).toEqual([
      {
        name: "web.1",
        namespace: "shop",
        body: [
          { op: "replace", path: "/count", value: 4 },
          { op: "replace", path: "/lastTimestamp", value: "T" },
        ],
      },
    ]);
  });

  it("reports an expired Event as gone", async () => {
    const { api } = core(() => Promise.reject(apiError(404)));
    expect(
      await api.updateEventCount({ namespace: "shop", name: "x", count: 2, lastTimestamp: "T" }),
    ).toBe("gone");
  });
});
