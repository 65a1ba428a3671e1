/** Test doubles for the watch layer's unit tests: a manual clock, a scripted KubeApi and a sink. */
import type { KubeApi, Query, RequestOptions } from "../../../src/kube/client.ts";
import type { WatchedKind } from "../../../src/kube/kinds.ts";
import type { ObjectName, ReflectorSink } from "../../../src/kube/reflector.ts";

export { ManualClock, settle } from "../../support/manual-clock.ts";

type Item = { type: "event"; value: unknown } | { type: "end" } | { type: "fail"; err: unknown };

/** One open watch the test drives: push events, end it cleanly, or break it. */
export class FakeWatch {
  readonly path: string;
  readonly query: Query;
  readonly #signal: AbortSignal;
  readonly #queue: Item[] = [];
  #wake: (() => void) | undefined;

  constructor(path: string, opts: RequestOptions) {
    this.path = path;
    this.query = opts.query ?? {};
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
}

/** A scripted API: `onList` answers lists (throw to fail), `onWatch` may throw to refuse a watch. */
export class FakeKubeApi implements KubeApi {
  onList: (call: ListCall) => unknown = () => list("1", []);
  onWatch: (call: ListCall) => void = () => undefined;
  readonly lists: ListCall[] = [];
  readonly watches: FakeWatch[] = [];

  async getJson(path: string, opts: RequestOptions): Promise<unknown> {
    await Promise.resolve();
    if (opts.signal.aborted) throw opts.signal.reason;
    const call = { path, query: opts.query ?? {} };
    this.lists.push(call);
    return this.onList(call);
  }

  async watch(path: string, opts: RequestOptions): Promise<AsyncIterable<unknown>> {
    await Promise.resolve();
    this.onWatch({ path, query: opts.query ?? {} });
    const w = new FakeWatch(path, opts);
    this.watches.push(w);
    return w.events();
  }

  async send(method: string, path: string): Promise<unknown> {
    await Promise.resolve();
    throw new Error(`the watch layer does not write (${method} ${path})`);
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
