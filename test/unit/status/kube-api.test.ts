import { describe, expect, it } from "vitest";
import type { KubeApi } from "../../../src/kube/client.ts";
import { KubeApiError } from "../../../src/kube/errors.ts";
import type { CoreEvent } from "../../../src/status/events.ts";
import { httpStatusOf, kubeEventsApi, resourceVersionOf } from "../../../src/status/kube-api.ts";

const apiError = (statusCode: number): KubeApiError =>
  new KubeApiError(statusCode, { reason: "", message: `HTTP ${String(statusCode)}` });

describe("httpStatusOf", () => {
  it.each([
    [new KubeApiError(404, { reason: "NotFound", message: "not found" }), 404],
    [Object.assign(new Error("HTTP 409"), { code: 409 }), 409],
    [new Error("x"), undefined],
    [{ code: "ECONNREFUSED" }, undefined],
    [null, undefined],
  ])("%s → %s", (err, status) => {
    expect(httpStatusOf(err)).toBe(status);
  });
});

describe("resourceVersionOf", () => {
  it.each([
    [{ metadata: { resourceVersion: "42" } }, "42"],
    [{ metadata: { resourceVersion: 42 } }, undefined],
    [{ metadata: {} }, undefined],
    [{}, undefined],
    [undefined, undefined],
  ])("%j → %s", (answer, version) => {
    expect(resourceVersionOf(answer)).toBe(version);
  });
});

describe("kubeEventsApi", () => {
  const event: CoreEvent = {
    metadata: { name: "web.0123456789abcdef", namespace: "shop" },
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

  function fake(answer: () => Promise<unknown> = () => Promise.resolve({})) {
    const calls: { method: string; path: string; body?: unknown; contentType?: string }[] = [];
    const api: Pick<KubeApi, "send" | "getJson"> = {
      send: (method, path, opts) => {
        calls.push({
          method,
          path,
          body: opts.body,
          ...(opts.contentType === undefined ? {} : { contentType: opts.contentType }),
        });
        return answer();
      },
      getJson: (path: string) => {
        calls.push({ method: "GET", path });
        return answer();
      },
    };
    return { api: kubeEventsApi(api), calls };
  }

  it("creates the Event with a POST to its namespace's collection", async () => {
    const { api, calls } = fake();
    expect(await api.createEvent(event)).toBe("created");
    expect(calls).toEqual([
      { method: "POST", path: "/api/v1/namespaces/shop/events", body: event },
    ]);
  });

  it("reports a 409 on create as an Event that exists", async () => {
    const { api } = fake(() => Promise.reject(apiError(409)));
    expect(await api.createEvent(event)).toBe("exists");
  });

  it("reads the count of an existing Event, undefined once it is gone", async () => {
    const { api, calls } = fake(() => Promise.resolve({ count: 7 }));
    expect(await api.readEventCount(event.metadata)).toBe(7);
    expect(calls).toEqual([
      { method: "GET", path: "/api/v1/namespaces/shop/events/web.0123456789abcdef" },
    ]);
    const gone = fake(() => Promise.reject(apiError(404)));
    expect(await gone.api.readEventCount(event.metadata)).toBeUndefined();
  });

  it("bumps the count with a merge patch", async () => {
    const { api, calls } = fake();
    const outcome = await api.updateEventCount({
      namespace: "shop",
      name: "web.1",
      count: 4,
      lastTimestamp: "T",
    });
    expect(outcome).toBe("ok");
    expect(calls).toEqual([
      {
        method: "PATCH",
        path: "/api/v1/namespaces/shop/events/web.1",
        contentType: "application/merge-patch+json",
        body: { count: 4, lastTimestamp: "T" },
      },
    ]);
  });

  it("reports an expired Event as gone and rethrows other failures", async () => {
    const update = { namespace: "shop", name: "x", count: 2, lastTimestamp: "T" };
    expect(await fake(() => Promise.reject(apiError(404))).api.updateEventCount(update)).toBe(
      "gone",
    );
    await expect(
      fake(() => Promise.reject(apiError(500))).api.updateEventCount(update),
    ).rejects.toThrow("HTTP 500");
    await expect(fake(() => Promise.reject(apiError(403))).api.createEvent(event)).rejects.toThrow(
      "HTTP 403",
    );
  });
});
