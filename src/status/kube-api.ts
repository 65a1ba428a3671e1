/**
 * The API-server calls of the status side, over the raw JSON client (src/kube/client.ts): anything with
 * its `send` (and `getJson`) fits, which keeps this file testable with plain fakes.
 */
import type { KubeApi } from "../kube/client.ts";
import type { CoreEvent, KubeEventsApi } from "./events.ts";

/** The content type of a JSON merge patch (RFC 7386): fields given are set, lists replaced whole. */
export const MERGE_PATCH = "application/merge-patch+json";

/**
 * The HTTP status of a failed API call: our KubeApiError carries it as `statusCode`, client-node's
 * ApiException as a numeric `code`.
 */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  if ("statusCode" in err && typeof err.statusCode === "number") return err.statusCode;
  if ("code" in err && typeof err.code === "number") return err.code;
  return undefined;
}

/** `metadata.resourceVersion` of an object the API server answered with, if any. */
export function resourceVersionOf(answer: unknown): string | undefined {
  if (typeof answer !== "object" || answer === null || !("metadata" in answer)) return undefined;
  const metadata = answer.metadata;
  if (typeof metadata !== "object" || metadata === null || !("resourceVersion" in metadata))
    return undefined;
  return typeof metadata.resourceVersion === "string" ? metadata.resourceVersion : undefined;
}

function eventPath(namespace: string, name?: string): string {
  const collection = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  return name === undefined ? collection : `${collection}/${encodeURIComponent(name)}`;
}

/** `KubeEventsApi` over the raw client: core/v1 Events, which carry `count`. */
export function kubeEventsApi(api: Pick<KubeApi, "send" | "getJson">): KubeEventsApi {
  const signal = (): AbortSignal => new AbortController().signal;
  return {
    async createEvent(event: CoreEvent) {
      try {
        await api.send("POST", eventPath(event.metadata.namespace), {
          body: event,
          signal: signal(),
        });
        return "created";
      } catch (err) {
        if (httpStatusOf(err) === 409) return "exists";
        throw err;
      }
    },
    async readEventCount(ref) {
      try {
        const event = (await api.getJson(eventPath(ref.namespace, ref.name), {
          signal: signal(),
        })) as { count?: unknown } | undefined;
        return typeof event?.count === "number" ? event.count : 1;
      } catch (err) {
        if (httpStatusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async updateEventCount(update) {
      try {
        await api.send("PATCH", eventPath(update.namespace, update.name), {
          body: { count: update.count, lastTimestamp: update.lastTimestamp },
          contentType: MERGE_PATCH,
          signal: signal(),
        });
        return "ok";
      } catch (err) {
        if (httpStatusOf(err) === 404) return "gone";
        throw err;
      }
    },
  };
}
