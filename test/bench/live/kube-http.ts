/**
 * A small HTTP client for the benchmark's own traffic to the API server: server-side apply, merge patches,
 * paginated lists and watches, with the kubeconfig's admin client certificate. Many requests in flight on
 * one keep-alive pool, which is what makes creating 10k objects take seconds rather than minutes.
 */
import { readFile } from "node:fs/promises";
import { Agent, request } from "undici";
import { parse as parseYaml } from "yaml";
import type { KubeObject } from "../../../src/model/k8s.ts";

export const FIELD_MANAGER = "bench";

export interface KubeHttp {
  /** Server-side apply of `object` (create or update), as `kubectl apply --server-side` does. */
  apply(object: KubeObject): Promise<void>;
  /** GET of a collection, page by page; resolves every item and the list's resourceVersion. */
  list(collectionPath: string): Promise<{ items: unknown[]; resourceVersion: string }>;
  /**
   * Watches a collection from `resourceVersion`, calling `onEvent` per event, until `signal` aborts or the
   * server ends the stream; resolves with the last resourceVersion seen.
   */
  watch(
    collectionPath: string,
    resourceVersion: string,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<string>;
  close(): Promise<void>;
}

export interface WatchEvent {
  readonly type: string;
  readonly object: {
    readonly metadata?: { readonly resourceVersion?: string };
  } & Record<string, unknown>;
}

interface KubeconfigFile {
  clusters?: { cluster?: { server?: string; "certificate-authority-data"?: string } }[];
  users?: { user?: { "client-certificate-data"?: string; "client-key-data"?: string } }[];
}

const KINDS: Readonly<Record<string, { readonly base: string; readonly plural: string }>> = {
  Namespace: { base: "/api/v1", plural: "namespaces" },
  Service: { base: "/api/v1", plural: "services" },
  Secret: { base: "/api/v1", plural: "secrets" },
  EndpointSlice: { base: "/apis/discovery.k8s.io/v1", plural: "endpointslices" },
  Ingress: { base: "/apis/networking.k8s.io/v1", plural: "ingresses" },
  IngressClass: { base: "/apis/networking.k8s.io/v1", plural: "ingressclasses" },
  GatewayClass: { base: "/apis/gateway.networking.k8s.io/v1", plural: "gatewayclasses" },
  Gateway: { base: "/apis/gateway.networking.k8s.io/v1", plural: "gateways" },
  HTTPRoute: { base: "/apis/gateway.networking.k8s.io/v1", plural: "httproutes" },
};

const REQUEST_TIMEOUT_MS = 60_000;
const LIST_PAGE = 500;

/** The API path of one object (kinds the benchmark creates only). */
export function objectPath(object: KubeObject): string {
  const kind = KINDS[object.kind];
  if (kind === undefined) throw new Error(`the benchmark does not know kind ${object.kind}`);
  const ns = object.metadata.namespace;
  const scope = ns === undefined ? "" : `/namespaces/${ns}`;
  return `${kind.base}${scope}/${kind.plural}/${object.metadata.name}`;
}

function decode(data: string | undefined, what: string): string {
  if (data === undefined) throw new Error(`kubeconfig has no ${what}`);
  return Buffer.from(data, "base64").toString("utf8");
}

/** A client for the first cluster and user of a kubeconfig with embedded client-certificate data. */
export async function connectKube(kubeconfigPath: string, connections: number): Promise<KubeHttp> {
  const file = parseYaml(await readFile(kubeconfigPath, "utf8")) as KubeconfigFile;
  const cluster = file.clusters?.[0]?.cluster;
  const user = file.users?.[0]?.user;
  const server = cluster?.server;
  if (server === undefined) throw new Error("kubeconfig has no server");
  const agent = new Agent({
    connections,
    connect: {
      ca: decode(cluster?.["certificate-authority-data"], "certificate-authority-data"),
      cert: decode(user?.["client-certificate-data"], "client-certificate-data"),
      key: decode(user?.["client-key-data"], "client-key-data"),
    },
  });

  async function call(
    method: "GET" | "PATCH",
    path: string,
    body?: { readonly text: string; readonly contentType: string },
  ): Promise<string> {
    const res = await request(`${server}${path}`, {
      method,
      dispatcher: agent,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
      ...(body === undefined
        ? {}
        : { body: body.text, headers: { "content-type": body.contentType } }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) {
      throw new Error(`${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 500)}`);
    }
    return text;
  }

  return {
    apply: async object => {
      const query = `?fieldManager=${FIELD_MANAGER}&force=true`;
      await call("PATCH", `${objectPath(object)}${query}`, {
        text: JSON.stringify(object),
        contentType: "application/apply-patch+yaml",
      });
    },
    list: async collectionPath => {
      const items: unknown[] = [];
      let resourceVersion = "";
      let token: string | undefined;
      for (let page = 0; page < 100_000; page++) {
        const next = token === undefined ? "" : `&continue=${encodeURIComponent(token)}`;
        const list = JSON.parse(
          await call("GET", `${collectionPath}?limit=${LIST_PAGE}${next}`),
        ) as {
          items: unknown[];
          metadata: { resourceVersion: string; continue?: string };
        };
        items.push(...list.items);
        resourceVersion = list.metadata.resourceVersion;
        token = list.metadata.continue;
        if (token === undefined || token === "") break;
      }
      return { items, resourceVersion };
    },
    watch: (collectionPath, resourceVersion, onEvent, signal) =>
      watchStream({ server, agent, collectionPath, resourceVersion, onEvent, signal }),
    close: () => agent.close(),
  };
}

async function watchStream(o: {
  server: string;
  agent: Agent;
  collectionPath: string;
  resourceVersion: string;
  onEvent: (event: WatchEvent) => void;
  signal: AbortSignal;
}): Promise<string> {
  let last = o.resourceVersion;
  const query = `watch=1&allowWatchBookmarks=true&timeoutSeconds=600&resourceVersion=${last}`;
  let res;
  try {
    res = await request(`${o.server}${o.collectionPath}?${query}`, {
      dispatcher: o.agent,
      signal: o.signal,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: 0,
    });
  } catch (err) {
    if (o.signal.aborted) return last;
    throw err;
  }
  if (res.statusCode !== 200) {
    throw new Error(`watch ${o.collectionPath}: HTTP ${res.statusCode} ${await res.body.text()}`);
  }
  let partial = "";
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "") continue;
        const event = JSON.parse(line) as WatchEvent;
        if (event.type === "ERROR") throw new Error(`watch ${o.collectionPath}: ${line}`);
        last = event.object.metadata?.resourceVersion ?? last;
        o.onEvent(event);
      }
    }
  } catch (err) {
    if (!o.signal.aborted) throw err;
  }
  return last;
}

/** Runs `task` over `items` with at most `concurrency` in flight; rejects on the first failure. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
