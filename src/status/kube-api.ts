/**
 * Adapters from client-node's API objects to the small interfaces the writer and the recorder use.
 * Types only: the API objects themselves are built by `kube/` (the one module importing client-node
 * values), and anything with these methods fits, which keeps this file testable with plain fakes.
 */
import type { CoreEvent, KubeEventsApi } from "./events.ts";
import type { LoadBalancerIngress } from "./ingress-address.ts";
import type { IngressStatusApi, IngressStatusRecord, WriteOutcome } from "./writer.ts";

/** The part of an Ingress this file reads; the rest is carried along untouched. */
export interface IngressLike {
  readonly status?: {
    readonly loadBalancer?: {
      readonly ingress?: readonly {
        readonly ip?: string;
        readonly hostname?: string;
        readonly ports?: readonly object[];
      }[];
    };
  };
}

/** A core/v1 Event body as client-node serializes it (timestamps as `Date`). */
export type EventBody = Omit<CoreEvent, "firstTimestamp" | "lastTimestamp"> & {
  readonly firstTimestamp: Date;
  readonly lastTimestamp: Date;
};

/**
 * The subset of client-node's `NetworkingV1Api` used here. Its generated model classes serialize
 * from plain objects, so structural types suffice and this file needs no client-node import.
 */
export interface NetworkingApiLike {
  readNamespacedIngress(param: { name: string; namespace: string }): Promise<IngressLike>;
  replaceNamespacedIngressStatus(param: {
    name: string;
    namespace: string;
    body: IngressLike;
  }): Promise<unknown>;
}

/** The subset of client-node's `CoreV1Api` used here. */
export interface CoreApiLike {
  createNamespacedEvent(param: { namespace: string; body: EventBody }): Promise<unknown>;
  patchNamespacedEvent(param: { name: string; namespace: string; body: object }): Promise<unknown>;
}

/**
 * The HTTP status of a failed API call: client-node's ApiException carries it as a numeric `code`,
 * our own KubeApiError as `statusCode`.
 */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  if ("statusCode" in err && typeof err.statusCode === "number") return err.statusCode;
  if ("code" in err && typeof err.code === "number") return err.code;
  return undefined;
}

function loadBalancerOf(ingress: IngressLike): LoadBalancerIngress[] {
  return (ingress.status?.loadBalancer?.ingress ?? []).map(e => ({
    ...(e.ip === undefined ? {} : { ip: e.ip }),
    ...(e.hostname === undefined ? {} : { hostname: e.hostname }),
    // Ports are kept so that a list someone else wrote with ports does not compare equal to ours.
    ...(e.ports === undefined ? {} : { ports: e.ports }),
  }));
}

/** `IngressStatusApi` over `NetworkingV1Api`: GET the Ingress, PUT its status subresource. */
export function ingressStatusApiFrom(api: NetworkingApiLike): IngressStatusApi {
  return {
    async getIngress(ref): Promise<IngressStatusRecord | undefined> {
      try {
        const ingress = await api.readNamespacedIngress(ref);
        return { ...ref, loadBalancer: loadBalancerOf(ingress), object: ingress };
      } catch (err) {
        if (httpStatusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async replaceIngressStatus(record, loadBalancer): Promise<WriteOutcome> {
      const current = record.object as IngressLike;
      // The whole object goes back, resourceVersion included: a concurrent change yields a 409.
      const body: IngressLike = {
        ...current,
        status: { ...current.status, loadBalancer: { ingress: loadBalancer.map(e => ({ ...e })) } },
      };
      try {
        await api.replaceNamespacedIngressStatus({
          name: record.name,
          namespace: record.namespace,
          body,
        });
        return "ok";
      } catch (err) {
        const status = httpStatusOf(err);
        if (status === 409) return "conflict";
        if (status === 404) return "gone";
        throw err;
      }
    },
  };
}

/** `KubeEventsApi` over `CoreV1Api` (core/v1 Events, which carry `count`). */
export function eventsApiFrom(api: CoreApiLike): KubeEventsApi {
  return {
    async createEvent(event: CoreEvent): Promise<void> {
      const body: EventBody = {
        ...event,
        firstTimestamp: new Date(event.firstTimestamp),
        lastTimestamp: new Date(event.lastTimestamp),
      };
      await api.createNamespacedEvent({ namespace: event.metadata.namespace, body });
    },
    async updateEventCount(update): Promise<"ok" | "gone"> {
      // client-node sends PATCH bodies as JSON Patch.
      const body = [
        { op: "replace", path: "/count", value: update.count },
        { op: "replace", path: "/lastTimestamp", value: update.lastTimestamp },
      ];
      try {
        await api.patchNamespacedEvent({ name: update.name, namespace: update.namespace, body });
        return "ok";
      } catch (err) {
        if (httpStatusOf(err) === 404) return "gone";
        throw err;
      }
    },
  };
}
