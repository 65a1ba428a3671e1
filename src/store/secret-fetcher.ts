/**
 * Fetches the data of Secrets the store holds only as stubs once something starts referencing them
 * (an Ingress gains a TLS section, or starts being ours). The watch would only resend a Secret when it
 * changes, which may be never.
 */
import type { Logger } from "pino";
import { Backoff, DEFAULT_WATCH_BACKOFF, type BackoffOptions } from "../kube/backoff.ts";
import type { KubeApi } from "../kube/client.ts";
import { KubeApiError } from "../kube/errors.ts";
import { SECRET, collectionPath } from "../kube/kinds.ts";
import type { ObjectName } from "../kube/reflector.ts";
import { trimObject } from "../kube/trim.ts";
import type { Clock } from "../util/clock.ts";
import type { Store } from "./store.ts";

export interface SecretFetcherOptions {
  readonly api: KubeApi;
  readonly store: Pick<Store, "onSecretNeeded" | "pendingSecrets" | "fillSecret">;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
}

/** One worker that GETs each needed Secret and hands it to the store, retrying with backoff. */
export class SecretFetcher {
  readonly #opts: SecretFetcherOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #queue = new Map<string, ObjectName>();
  readonly #stop = new AbortController();
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #fetched = 0;

  constructor(opts: SecretFetcherOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: "secret-fetcher" });
    this.#backoff = new Backoff(opts.backoff ?? DEFAULT_WATCH_BACKOFF, opts.random);
  }

  /** Secrets taken into the store so far. */
  get fetched(): number {
    return this.#fetched;
  }

  start(): void {
    if (this.#running !== undefined || this.#stop.signal.aborted) return;
    this.#unsubscribe = this.#opts.store.onSecretNeeded(name => {
      this.#enqueue(name);
    });
    for (const name of this.#opts.store.pendingSecrets()) this.#enqueue(name);
    this.#running = this.#run(this.#stop.signal);
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#stop.abort();
    this.#wake?.();
    await this.#running;
  }

  #enqueue(name: ObjectName): void {
    this.#queue.set(`${name.namespace}/${name.name}`, name);
    this.#wake?.();
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const next = this.#queue.entries().next();
      if (next.done === true) {
        await new Promise<void>(resolve => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      const [key, name] = next.value;
      this.#queue.delete(key);
      if (!this.#stillNeeded(key)) continue;
      if (!(await this.#fetch(name, signal))) {
        this.#queue.set(key, name);
        const delayMs = this.#backoff.next();
        await this.#opts.clock.sleep(delayMs, signal).catch(() => undefined);
      }
    }
  }

  #stillNeeded(key: string): boolean {
    return this.#opts.store.pendingSecrets().some(n => `${n.namespace}/${n.name}` === key);
  }

  /** Returns false when the fetch should be retried. */
  async #fetch(name: ObjectName, signal: AbortSignal): Promise<boolean> {
    const path = `${collectionPath(SECRET, name.namespace)}/${encodeURIComponent(name.name)}`;
    try {
      const raw = await this.#opts.api.getJson(path, { signal });
      if (this.#opts.store.fillSecret(trimObject(SECRET, raw))) this.#fetched++;
      this.#backoff.reset();
      return true;
    } catch (err) {
      if (signal.aborted) return true;
      // Gone meanwhile: the watch delivers the delete, which drops the stub and the need for it.
      if (err instanceof KubeApiError && err.statusCode === 404) return true;
      this.#log.warn(
        { err, namespace: name.namespace, name: name.name },
        "Fetching a Secret failed",
      );
      return false;
    }
  }
}
