/**
 * TO BE REMOVED once src/status/ writes through `KubeApi.send`: the four calls the status writer and
 * the event recorder make, with the method names and argument shapes of client-node's generated
 * NetworkingV1Api and CoreV1Api that src/status/kube-api.ts adapts, sent through our own KubeApi. They
 * used to be client-node's generated classes; their import alone cost about 80 MiB of memory.
 */
import type { KubeApi } from "./client.ts";
import { collectionPath, INGRESS } from "./kinds.ts";

interface ObjectParam {
  readonly name: string;
  readonly namespace: string;
}

export interface LegacyStatusApis {
  readonly networking: {
    readNamespacedIngress<T extends object>(param: ObjectParam): Promise<T>;
    replaceNamespacedIngressStatus(
      param: ObjectParam & { readonly body: object },
    ): Promise<unknown>;
  };
  readonly core: {
    createNamespacedEvent(param: {
      readonly namespace: string;
      readonly body: object;
    }): Promise<unknown>;
    /** The body is a JSON Patch, as client-node sends it. */
    patchNamespacedEvent(param: ObjectParam & { readonly body: object }): Promise<unknown>;
  };
}

const ingressPath = (p: ObjectParam): string =>
  `${collectionPath(INGRESS, p.namespace)}/${encodeURIComponent(p.name)}`;
const eventsPath = (namespace: string): string =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;

/** Callers of these never abort; the client's deadline and close() still apply. */
const NEVER = new AbortController().signal;

export function legacyStatusApis(api: KubeApi): LegacyStatusApis {
  return {
    networking: {
      async readNamespacedIngress<T extends object>(param: ObjectParam): Promise<T> {
        return (await api.getJson(ingressPath(param), { signal: NEVER })) as T;
      },
      replaceNamespacedIngressStatus: param =>
        api.send("PUT", `${ingressPath(param)}/status`, { body: param.body, signal: NEVER }),
    },
    core: {
      createNamespacedEvent: param =>
        api.send("POST", eventsPath(param.namespace), { body: param.body, signal: NEVER }),
      patchNamespacedEvent: param =>
        api.send("PATCH", `${eventsPath(param.namespace)}/${encodeURIComponent(param.name)}`, {
          body: param.body,
          contentType: "application/json-patch+json",
          signal: NEVER,
        }),
    },
  };
}
