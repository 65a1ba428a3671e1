import { describe, expect, it } from "vitest";
import { KubeApiError, KubeProtocolError } from "../../../src/kube/errors.ts";
import { kubeLeaseApi, microTime, parseLease, type LeaseRecord } from "../../../src/kube/lease.ts";
import { FakeKubeApi } from "./fakes.ts";

const PATH = "/apis/coordination.k8s.io/v1/namespaces/kong/leases/5b374a9e.konghq.com";
const RECORD: LeaseRecord = {
  holderIdentity: "kong-0_abc",
  leaseDurationSeconds: 15,
  acquireTime: "2026-11-22T08:42:25.719000Z",
  renewTime: "2026-11-22T08:42:27.001000Z",
  leaseTransitions: 2,
};

function served(record: LeaseRecord, resourceVersion: string): unknown {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: "5b374a9e.konghq.com",
      namespace: "kong",
      resourceVersion,
      labels: { app: "kong" },
      managedFields: [{ manager: "kongress" }],
    },
    spec: record,
  };
}

const signal = new AbortController().signal;

function setup() {
  const api = new FakeKubeApi();
  const lease = kubeLeaseApi(api, { namespace: "kong", name: "5b374a9e.konghq.com" });
  return { api, lease };
}

describe("microTime", () => {
  it("gives the six fractional digits the API server requires", () => {
    expect(microTime(Date.UTC(2026, 10, 22, 8, 42, 25, 719))).toBe("2026-11-22T08:42:25.719000Z");
    expect(microTime(Date.UTC(2026, 0, 1))).toBe("2026-01-01T00:00:00.000000Z");
  });
});

describe("kubeLeaseApi", () => {
  it("reads the Lease, and a missing one as undefined", async () => {
    const { api, lease } = setup();
    api.onList = () => served(RECORD, "41");
    expect(await lease.get(signal)).toMatchObject({ resourceVersion: "41", record: RECORD });
    expect(api.lists[0]?.path).toBe(PATH);
    api.onList = () => {
      throw new KubeApiError(404, { reason: "NotFound", message: "not found" });
    };
    expect(await lease.get(signal)).toBeUndefined();
    api.onList = () => {
      throw new KubeApiError(403, { reason: "Forbidden", message: "no" });
    };
    await expect(lease.get(signal)).rejects.toMatchObject({ statusCode: 403 });
  });

  it("creates it in its namespace", async () => {
    const { api, lease } = setup();
    api.onSend = () => served(RECORD, "1");
    const created = await lease.create(RECORD, signal);
    expect(created.resourceVersion).toBe("1");
    expect(api.sends[0]).toEqual({
      method: "POST",
      path: "/apis/coordination.k8s.io/v1/namespaces/kong/leases",
      body: {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "5b374a9e.konghq.com", namespace: "kong" },
        spec: RECORD,
      },
    });
  });

  it("replaces the version it read, keeping the metadata but not the managed fields", async () => {
    const { api, lease } = setup();
    const current = parseLease(served(RECORD, "41"));
    const renewed = { ...RECORD, renewTime: "2026-11-22T08:42:29.000000Z" };
    api.onSend = () => served(renewed, "42");
    expect((await lease.replace(current, renewed, signal)).resourceVersion).toBe("42");
    expect(api.sends[0]).toEqual({
      method: "PUT",
      path: PATH,
      body: {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: {
          name: "5b374a9e.konghq.com",
          namespace: "kong",
          resourceVersion: "41",
          labels: { app: "kong" },
        },
        spec: renewed,
      },
    });
  });

  it("leaves out times nobody set (a released Lease keeps them, a bare one has none)", async () => {
    const { api, lease } = setup();
    api.onSend = () => served(RECORD, "1");
    await lease.create({ ...RECORD, acquireTime: undefined, renewTime: undefined }, signal);
    expect((api.sends[0]?.body as { spec: object }).spec).toEqual({
      holderIdentity: "kong-0_abc",
      leaseDurationSeconds: 15,
      leaseTransitions: 2,
    });
  });
});

describe("parseLease", () => {
  it("reads a Lease someone else wrote sparsely or oddly, as client-go would", () => {
    expect(
      parseLease({
        metadata: { resourceVersion: "7" },
        spec: { holderIdentity: 3, leaseTransitions: -1 },
      }).record,
    ).toEqual({
      holderIdentity: "",
      leaseDurationSeconds: 0,
      acquireTime: undefined,
      renewTime: undefined,
      leaseTransitions: 0,
    });
    expect(parseLease({ metadata: { resourceVersion: "7" } }).record.holderIdentity).toBe("");
  });

  it("rejects an answer without a resourceVersion, which no replace could name", () => {
    expect(() => parseLease({ spec: RECORD })).toThrow(KubeProtocolError);
    expect(() => parseLease("nonsense")).toThrow(KubeProtocolError);
  });
});
