/**
 * Services and EndpointSlices to IR backends (backends.ts): KIC's port resolution and which endpoints
 * become targets (ready ones; terminating ones with drain support; ExternalName and service-upstream
 * hosts), from objects that went through the Store and its snapshot.
 */
import { describe, expect, it } from "vitest";
import type { ServiceBackendPort } from "../../../src/model/k8s.ts";
import {
  resolveBackend,
  resolveServicePort,
  unlistedPort,
  type BackendInput,
} from "../../../src/translator/backends.ts";
import { service, slice, storeSnapshot, type Raw } from "./store-snapshot.ts";

function snapshotOf(svc: Raw, slices: Raw[] = []) {
  const snapshot = storeSnapshot([svc, ...slices]);
  const found = snapshot.services[0];
  if (found === undefined) throw new Error("the Service is not in the snapshot");
  return { service: found, slices: snapshot.endpointSlices };
}

const twoPorts = {
  ports: [
    { name: "http", port: 80, targetPort: 8080 },
    { name: "admin", port: 9000, targetPort: "admin-port" },
  ],
};

describe("resolveServicePort", () => {
  it.each<{
    name: string;
    spec: Record<string, unknown>;
    wanted?: ServiceBackendPort;
    port?: number;
    reason?: string;
  }>([
    { name: "by number", spec: twoPorts, wanted: { number: 9000 }, port: 9000 },
    { name: "by name", spec: twoPorts, wanted: { name: "http" }, port: 80 },
    { name: "by a string targetPort", spec: twoPorts, wanted: { name: "admin-port" }, port: 9000 },
    { name: "implicit, one port", spec: { ports: [{ port: 81 }] }, port: 81 },
    { name: "implicit, two ports", spec: twoPorts, reason: "PortNotFound" },
    {
      name: "a number not listed",
      spec: twoPorts,
      wanted: { number: 8443 },
      reason: "PortNotFound",
    },
    { name: "a name not listed", spec: twoPorts, wanted: { name: "grpc" }, reason: "PortNotFound" },
    {
      name: "ExternalName takes any number",
      spec: { type: "ExternalName", externalName: "db.example.net" },
      wanted: { number: 5432 },
      port: 5432,
    },
  ])("$name", ({ spec, wanted, port, reason }) => {
    const { service: svc } = snapshotOf(service("web", spec));
    const got = resolveServicePort(svc, wanted);
    if (port === undefined) expect(got).toMatchObject({ ok: false, reason });
    else expect(got).toMatchObject({ ok: true, port: { port } });
  });

  it.each([
    [{ number: 8443 }, 8443],
    [{ name: "grpc" }, 80],
    [undefined, 80],
  ])("a Kong service for an unlisted %j takes port %i", (wanted, port) => {
    expect(unlistedPort(wanted).port).toBe(port);
  });
});

describe("resolveBackend endpoints", () => {
  const ready = (address: string) => ({ address, ready: true });
  const terminating = (address: string) => ({ address, ready: false, terminating: true });

  it.each<{
    name: string;
    svc?: Raw;
    slices: Raw[];
    input?: Partial<BackendInput>;
    targets: string[];
    draining?: string[];
  }>([
    {
      name: "ready and unconditioned endpoints; not-ready ones are left out",
      slices: [
        slice("web", [
          ready("10.0.0.1"),
          { address: "10.0.0.2" },
          { address: "10.0.0.3", ready: false },
        ]),
      ],
      targets: ["10.0.0.1:8080", "10.0.0.2:8080"],
    },
    {
      name: "terminating endpoints without drain support are left out",
      slices: [slice("web", [ready("10.0.0.1"), terminating("10.0.0.2")])],
      targets: ["10.0.0.1:8080"],
    },
    {
      name: "with drain support they drain",
      slices: [slice("web", [ready("10.0.0.1"), terminating("10.0.0.2")])],
      input: { drain: true },
      targets: ["10.0.0.1:8080", "10.0.0.2:8080"],
      draining: ["10.0.0.2:8080"],
    },
    {
      name: "ready in one slice and terminating in another: ready",
      slices: [slice("web", [terminating("10.0.0.1")]), slice("web", [ready("10.0.0.1")])],
      input: { drain: true },
      targets: ["10.0.0.1:8080"],
    },
    {
      name: "a slice port of another name or protocol does not count",
      slices: [
        slice("web", [ready("10.0.0.1")], { name: "metrics", port: 9090 }),
        slice("web", [ready("10.0.0.2")], { name: "http", port: 8080, protocol: "UDP" }),
      ],
      targets: [],
    },
    {
      name: "a port the Service does not list: no targets",
      slices: [slice("web", [ready("10.0.0.1")])],
      input: { portMissing: true },
      targets: [],
    },
    {
      name: "service-upstream: the Service's DNS name",
      slices: [slice("web", [ready("10.0.0.1")])],
      input: { serviceUpstream: true, clusterDomain: "cluster.local" },
      targets: ["web.shop.svc.cluster.local:80"],
    },
    {
      name: "ExternalName: the external name and target port",
      svc: service("web", {
        type: "ExternalName",
        externalName: "db.example.net",
        ports: [{ name: "http", port: 80, targetPort: 8080 }],
      }),
      slices: [],
      targets: ["db.example.net:8080"],
    },
  ])("$name", ({ svc, slices, input, targets, draining }) => {
    const snap = snapshotOf(svc ?? service("web"), slices);
    const port = snap.service.spec.ports?.[0];
    if (port === undefined) throw new Error("the Service has no port");
    const resolved = resolveBackend({
      service: snap.service,
      port,
      weight: undefined,
      slices: snap.slices,
      clusterDomain: "",
      ...input,
    });
    const endpoints = resolved.backend.endpoints;
    expect(endpoints.map(e => e.address).sort()).toEqual(targets);
    expect(endpoints.filter(e => e.draining === true).map(e => e.address)).toEqual(draining ?? []);
  });

  it("reads the upstream TLS annotations into settings and Secret references", () => {
    const snap = snapshotOf(
      service("web", undefined, {
        "konghq.com/protocol": "https",
        "konghq.com/tls-verify": "true",
        "konghq.com/tls-verify-depth": "3",
        "konghq.com/client-cert": "client",
        "konghq.com/ca-certificates-secrets": "ca-1, ca-2",
      }),
    );
    const port = snap.service.spec.ports?.[0];
    if (port === undefined) throw new Error("the Service has no port");
    const resolved = resolveBackend({
      service: snap.service,
      port,
      weight: undefined,
      slices: [],
      clusterDomain: "",
    });
    expect(resolved.settings).toEqual({ protocol: "https", tlsVerify: true, tlsVerifyDepth: 3 });
    expect(resolved.tls).toEqual({ clientCert: "client", caSecrets: ["ca-1", "ca-2"] });
    expect(resolved.problems).toEqual([]);
  });
});
