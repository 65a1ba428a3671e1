/**
 * One coordination.k8s.io/v1 Lease, read and written through the KubeApi: what leader election
 * needs (get, create, replace with optimistic concurrency on resourceVersion) and nothing more.
 */
import type { KubeApi } from "./client.ts";
import { KubeApiError, KubeProtocolError } from "./errors.ts";
import { isRecord } from "../util/is-record.ts";

/** The part of a Lease's spec leader election reads and writes (client-go's LeaderElectionRecord). */
export interface LeaseRecord {
  /** Empty when nobody holds the Lease (it was released). */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  /** MicroTime strings exactly as the server returned them; compared raw, never trusted as time. */
  readonly acquireTime: string | undefined;
  readonly renewTime: string | undefined;
  readonly leaseTransitions: number;
}

/** A Lease as last read or written: its record, and the version a replace must name. */
export interface StoredLease {
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
  /** The object's metadata as the server returned it, sent back on replace (labels, owners stay). */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** The calls the elector makes; tests use an in-memory fake. */
export interface LeaseApi {
  /** Undefined when the Lease does not exist (404). */
  get(signal: AbortSignal): Promise<StoredLease | undefined>;
  /** Rejects with a 409 KubeApiError when someone created it first. */
  create(record: LeaseRecord, signal: AbortSignal): Promise<StoredLease>;
  /** Rejects with a 409 KubeApiError when `current` is no longer the latest version. */
  replace(current: StoredLease, record: LeaseRecord, signal: AbortSignal): Promise<StoredLease>;
}

export interface LeaseRef {
  readonly namespace: string;
  readonly name: string;
}

/**
 * A Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. The API server rejects the
 * three digits `Date#toISOString` gives (client-node #828).
 */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function leasesPath(namespace: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
}

function specOf(record: LeaseRecord): Record<string, unknown> {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
    ...(record.acquireTime === undefined ? {} : { acquireTime: record.acquireTime }),
    ...(record.renewTime === undefined ? {} : { renewTime: record.renewTime }),
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : 0;
}

/** Reads a Lease the server returned; a Lease someone else wrote oddly still parses, as client-go's would. */
export function parseLease(value: unknown): StoredLease {
  const metadata = isRecord(value) && isRecord(value["metadata"]) ? value["metadata"] : undefined;
  const resourceVersion = metadata?.["resourceVersion"];
  if (metadata === undefined || typeof resourceVersion !== "string")
    throw new KubeProtocolError("The API server returned a Lease without metadata.resourceVersion");
  const spec = isRecord(value) && isRecord(value["spec"]) ? value["spec"] : {};
  return {
    resourceVersion,
    metadata,
    record: {
      holderIdentity: optionalString(spec["holderIdentity"]) ?? "",
      leaseDurationSeconds: count(spec["leaseDurationSeconds"]),
      acquireTime: optionalString(spec["acquireTime"]),
      renewTime: optionalString(spec["renewTime"]),
      leaseTransitions: count(spec["leaseTransitions"]),
    },
  };
}

/** The Lease `ref` on the API server. */
export function kubeLeaseApi(api: Pick<KubeApi, "getJson" | "send">, ref: LeaseRef): LeaseApi {
  const collection = leasesPath(ref.namespace);
  const path = `${collection}/${encodeURIComponent(ref.name)}`;
  const body = (metadata: Readonly<Record<string, unknown>>, record: LeaseRecord) => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata,
    spec: specOf(record),
  });
  return {
    get: async signal => {
      try {
        return parseLease(await api.getJson(path, { signal }));
      } catch (err) {
        if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
        throw err;
      }
    },
    create: async (record, signal) =>
      parseLease(
        await api.send("POST", collection, {
          body: body({ name: ref.name, namespace: ref.namespace }, record),
          signal,
        }),
      ),
    replace: async (current, record, signal) => {
      // The version read last makes the replace fail with 409 if anyone wrote in between; the
      // server keeps managedFields itself, so they need not travel every two seconds.
      const metadata = Object.fromEntries(
        Object.entries(current.metadata).filter(([key]) => key !== "managedFields"),
      );
      metadata["resourceVersion"] = current.resourceVersion;
      return parseLease(await api.send("PUT", path, { body: body(metadata, record), signal }));
    },
  };
}
