/**
 * Test doubles for the watch layer's unit tests: a manual clock, a scripted KubeApi, a sink and a
 * retry gate.
 */
import type { RetryGate, RetryWaitEnd } from "../../../src/kube/backoff.ts";
import type {
  KubeApi,
  KubeDocument,
  Query,
  RequestOptions,
  WriteMethod,
} from "../../../src/kube/client.ts";
import type { WatchedKind } from "../../../src/kube/kinds.ts";
import type { ObjectName, ReflectorSink } from "../../../src/kube/reflector.ts";

export { ManualClock, settle } from "../../support/manual-clock.ts";

type Item = { type: "event"; value: unknown } | { type: "end" } | { type: "fail"; err: unknown };

/** One open watch the test drives: push events, end it cleanly, or break it. */
export class FakeWatch {
  readonly path: string;
  readonly query: Query;
  readonly accept: string | undefined;
  readonly #signal: AbortSignal;
  readonly #queue: Item[] = [];
  #wake: (() => void) | undefined;

  constructor(path: string, opts: RequestOptions) {
    this.path = path;
    this.query = opts.query ?? {};
    this.accept = opts.accept;
    this.#signal = opts.signal;
    this.#signal.addEventListener("abort", () => this.#wake?.(), { once: true });
  }

  get aborted(): boolean {
    return this.#signal.aborted;
  }

  push(type: string, object: unknown): void {
    this.#put({ type: "event", value: { type, object } });
  }

  end(): void {
    this.#put({ type: "end" });
  }

  fail(err: unknown): void {
    this.#put({ type: "fail", err });
  }

  #put(item: Item): void {
    this.#queue.push(item);
    this.#wake?.();
  }

  async *events(): AsyncGenerator {
    for (;;) {
      if (this.#signal.aborted) throw this.#signal.reason;
      const item = this.#queue.shift();
      if (item === undefined) {
        await new Promise<void>(resolve => {
          this.#wake = resolve;
        });
        continue;
      }
      if (item.type === "end") return;
      if (item.type === "fail") throw item.err;
      yield item.value;
    }
  }
}

export interface ListCall {
  readonly path: string;
  readonly query: Query;
  readonly accept?: string | undefined;
}

export interface DocumentCall {
  readonly path: string;
  readonly accept?: string | undefined;
  readonly etag?: string | undefined;
}

export interface SendCall {
  readonly method: WriteMethod;
  readonly path: string;
  readonly body: unknown;
}

/**
 * A scripted API: `onList` answers GETs (throw to fail; may return a promise), `onWatch` may throw to
 * refuse a watch, `onSend` answers writes.
 */
export class FakeKubeApi implements KubeApi {
  onList: (call: ListCall) => unknown = () => list("1", []);
  onWatch: (call: ListCall) => void = () => undefined;
  onSend: (call: SendCall) => unknown = () => undefined;
  readonly lists: ListCall[] = [];
  readonly watches: FakeWatch[] = [];
  readonly sends: SendCall[] = [];

  async getJson(path: string, opts: RequestOptions): Promise<unknown> {
    await Promise.resolve();
    if (opts.signal.aborted) throw opts.signal.reason;
    const call = { path, query: opts.query ?? {}, accept: opts.accept };
    this.lists.push(call);
    return this.onList(call);
  }

  /**
   * Answers as an API server without aggregated discovery by default: `/apis` is the plain group list
   * (no entity tag), any other path the document `onList` gives. `onDocument` answers otherwise.
   */
  onDocument: ((call: DocumentCall) => KubeDocument) | undefined;
  readonly documents: DocumentCall[] = [];

  async getDocument(
    path: string,
    opts: RequestOptions & { readonly etag?: string | undefined },
  ): Promise<KubeDocument> {
    await Promise.resolve();
    if (opts.signal.aborted) throw opts.signal.reason;
    const call = { path, accept: opts.accept, etag: opts.etag };
    this.documents.push(call);
    if (this.onDocument !== undefined) return this.onDocument(call);
    const body =
      path === "/apis" ? { kind: "APIGroupList", groups: [] } : await this.getJson(path, opts);
    return { notModified: false, body, etag: undefined, contentType: "application/json" };
  }

  async send(
    method: WriteMethod,
    path: string,
    opts: RequestOptions & { readonly body?: unknown },
  ): Promise<unknown> {
    await Promise.resolve();
    const call = { method, path, body: opts.body };
    this.sends.push(call);
    return this.onSend(call);
  }

  async watch(path: string, opts: RequestOptions): Promise<AsyncIterable<unknown>> {
    await Promise.resolve();
    this.onWatch({ path, query: opts.query ?? {}, accept: opts.accept });
    const w = new FakeWatch(path, opts);
    this.watches.push(w);
    return w.events();
  }

  async close(): Promise<void> {
    await Promise.resolve();
  }

  get lastWatch(): FakeWatch {
    const w = this.watches.at(-1);
    if (w === undefined) throw new Error("no watch opened");
    return w;
  }
}

export function list(resourceVersion: string, items: unknown[], continueToken?: string): unknown {
  return {
    kind: "List",
    metadata: {
      resourceVersion,
      ...(continueToken === undefined ? {} : { continue: continueToken }),
    },
    items,
  };
}

export function obj(name: string, resourceVersion: string, namespace = "ns"): unknown {
  return { metadata: { name, namespace, resourceVersion, uid: `uid-${namespace}-${name}` } };
}

/** A sink that records what it was told, keyed like the store. */
export class RecordingSink implements ReflectorSink {
  readonly held = new Map<string, unknown>();
  readonly log: string[] = [];

  upsert(kind: WatchedKind, raw: unknown): void {
    const m = (raw as { metadata: { namespace?: string; name: string; resourceVersion?: string } })
      .metadata;
    this.held.set(`${m.namespace ?? ""}/${m.name}`, raw);
    this.log.push(`upsert ${kind} ${m.namespace ?? ""}/${m.name}@${m.resourceVersion ?? ""}`);
  }

  remove(kind: WatchedKind, name: ObjectName): void {
    this.held.delete(`${name.namespace}/${name.name}`);
    this.log.push(`remove ${kind} ${name.namespace}/${name.name}`);
  }

  names(_kind: WatchedKind, namespace: string | undefined): ObjectName[] {
    return [...this.held.keys()]
      .map(k => {
        const [ns = "", name = ""] = k.split("/");
        return { namespace: ns, name };
      })
      .filter(n => namespace === undefined || n.namespace === namespace);
  }
}

/** A RetryGate the test ends by hand; records every delay asked for and every success reported. */
export class ScriptedGate implements RetryGate {
  readonly waits: number[] = [];
  successes = 0;
  #pending: ((end: RetryWaitEnd) => void)[] = [];

  wait(delayMs: number, signal: AbortSignal): Promise<RetryWaitEnd> {
    this.waits.push(delayMs);
    return new Promise(resolve => {
      this.#pending.push(resolve);
      signal.addEventListener(
        "abort",
        () => {
          resolve("aborted");
        },
        { once: true },
      );
    });
  }

  answered(): void {
    this.successes += 1;
  }

  /** Ends every pending wait as `how`. */
  end(how: RetryWaitEnd): void {
    for (const resolve of this.#pending.splice(0)) resolve(how);
  }
}
