/**
 * An in-memory API server for the status writer's tests: Ingresses whose status subresource takes JSON
 * merge patches, and a watch that delivers every change to an ObservedStatusIndex the way the
 * reflector does (trimmed by src/kube/trim.ts), at once or when the test releases it.
 */
import type { KubeApi, RequestOptions } from "../../../src/kube/client.ts";
import { KubeApiError } from "../../../src/kube/errors.ts";
import { INGRESS } from "../../../src/kube/kinds.ts";
import { trimObject } from "../../../src/kube/trim.ts";
import type { LoadBalancerIngress } from "../../../src/status/ingress-address.ts";
import type { ObservedStatusIndex } from "../../../src/status/observed.ts";

/** What the fake does on the next request instead of the normal behaviour. */
export type Scripted = "conflict" | "gone" | "error" | "hang";

export interface SentRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

interface StoredIngress {
  readonly uid: string;
  readonly rv: number;
  readonly status: { loadBalancer: { ingress?: unknown[] } };
}

const STATUS_PATH =
  /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/ingresses\/([^/]+)\/status$/;

function apiError(statusCode: number): KubeApiError {
  return new KubeApiError(statusCode, {
    reason: String(statusCode),
    message: `HTTP ${statusCode}`,
  });
}

export class FakeStatusApi implements Pick<KubeApi, "send"> {
  readonly ingresses = new Map<string, StoredIngress>();
  readonly requests: SentRequest[] = [];
  readonly script: Scripted[] = [];
  /** When false, watch events wait in `undelivered` until `deliver()`. */
  autoDeliver = true;
  readonly undelivered: unknown[] = [];
  #rv = 100;
  readonly #index: ObservedStatusIndex;

  constructor(index: ObservedStatusIndex) {
    this.#index = index;
  }

  /** Creates (or replaces) an Ingress with this load balancer list. */
  put(
    namespace: string,
    name: string,
    loadBalancer: readonly LoadBalancerIngress[] = [],
    uid = `uid-${name}`,
  ): void {
    const ingress = loadBalancer.length === 0 ? {} : { ingress: loadBalancer.map(e => ({ ...e })) };
    this.#store(namespace, name, { loadBalancer: ingress }, uid);
  }

  /** Someone else (another controller, kubectl) sets the status. */
  overwrite(namespace: string, name: string, loadBalancer: readonly object[]): void {
    const current = this.#get(namespace, name);
    this.#store(namespace, name, { loadBalancer: { ingress: [...loadBalancer] } }, current.uid);
  }

  /** A change that leaves the status alone (a label, the spec). */
  touch(namespace: string, name: string): void {
    const current = this.#get(namespace, name);
    this.#store(namespace, name, current.status, current.uid);
  }

  /** Deletes the Ingress; the watch is told only when `watch` is true. */
  delete(namespace: string, name: string, opts: { watch: boolean }): void {
    this.ingresses.delete(`${namespace}/${name}`);
    if (opts.watch) this.#index.forget("Ingress", { namespace, name });
  }

  /** Delivers the watch events held back, oldest first (or only the first `n`). */
  deliver(n = this.undelivered.length): void {
    for (const raw of this.undelivered.splice(0, n)) this.#index.record("Ingress", raw);
  }

  statusOf(namespace: string, name: string): unknown {
    return this.#get(namespace, name).status.loadBalancer.ingress ?? [];
  }

  get patches(): number {
    return this.requests.filter(r => r.method === "PATCH").length;
  }

  async send(
    method: "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    opts: RequestOptions & { readonly body?: unknown; readonly contentType?: string },
  ): Promise<unknown> {
    this.requests.push({ method, path, contentType: opts.contentType, body: opts.body });
    await Promise.resolve();
    const step = this.script.shift();
    if (step === "hang") await new Promise(() => undefined);
    if (step === "error") throw new Error("connection reset");
    if (step === "conflict") throw apiError(409);
    if (step === "gone") throw apiError(404);
    const match = STATUS_PATH.exec(path);
    if (method !== "PATCH" || match === null) throw apiError(405);
    const [, namespace = "", name = ""] = match.map(decodeURIComponent);
    const current = this.ingresses.get(`${namespace}/${name}`);
    if (current === undefined) throw apiError(404);
    const patch = opts.body as { status: { loadBalancer: { ingress: unknown[] } } };
    const stored = this.#store(namespace, name, patch.status, current.uid);
    return this.#raw(namespace, name, stored);
  }

  #get(namespace: string, name: string): StoredIngress {
    const current = this.ingresses.get(`${namespace}/${name}`);
    if (current === undefined) throw new Error(`no Ingress ${namespace}/${name}`);
    return current;
  }

  #store(
    namespace: string,
    name: string,
    status: StoredIngress["status"],
    uid: string,
  ): StoredIngress {
    const stored = { uid, rv: ++this.#rv, status };
    this.ingresses.set(`${namespace}/${name}`, stored);
    const event = trimObject(INGRESS, this.#raw(namespace, name, stored));
    this.undelivered.push(event);
    if (this.autoDeliver) this.deliver();
    return stored;
  }

  #raw(namespace: string, name: string, stored: StoredIngress): object {
    return {
      metadata: {
        name,
        namespace,
        uid: stored.uid,
        resourceVersion: String(stored.rv),
        generation: 1,
        managedFields: [{ manager: "kubectl" }],
      },
      spec: { ingressClassName: "kong" },
      status: stored.status,
    };
  }
}
