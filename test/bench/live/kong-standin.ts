/**
 * The main thread's handle on the Kong stand-in (kong-standin-worker.ts): the POSTs it received, waits for
 * a POST that carries a marker, and the last config it runs. Times are epoch milliseconds with sub-ms
 * precision (`performance.timeOrigin + performance.now()`), comparable across threads.
 */
import { Worker } from "node:worker_threads";

/** One `POST /config` as the stand-in saw it. */
export interface PostRecord {
  readonly seq: number;
  /** When the request arrived (its headers were parsed), before the body was read. */
  readonly startMs: number;
  /** When the whole body had arrived. */
  readonly receivedMs: number;
  readonly respondedMs: number;
  readonly bytes: number;
  /** md5 of the exact body bytes (what Kong reports as `configuration_hash` for a string body). */
  readonly md5: string;
  readonly status: number;
  /** The `bench-seq-<n>` markers and marked pods' markers the body contains (synthetic-cluster.ts). */
  readonly markers: readonly number[];
}

export interface StandInOptions {
  /** Kong's `nginx_admin_client_max_body_size`: a larger POST gets nginx's 413. */
  readonly maxBodyBytes: number;
}

export type StandInRequest = { readonly type: "lastBody" } | { readonly type: "close" };

export type StandInReply =
  | { readonly type: "listening"; readonly port: number }
  | { readonly type: "post"; readonly record: PostRecord }
  | { readonly type: "lastBody"; readonly body: string | undefined }
  | { readonly type: "closed" };

export interface KongStandIn {
  readonly url: string;
  /** Every POST so far, in arrival order of their reports. */
  posts(): readonly PostRecord[];
  /** The first POST (already received or still to come) that satisfies `match`, or undefined on timeout. */
  waitForPost(
    match: (post: PostRecord) => boolean,
    timeoutMs: number,
  ): Promise<PostRecord | undefined>;
  /** The body of the config the stand-in runs now. */
  lastBody(): Promise<string | undefined>;
  stop(): Promise<void>;
}

interface Waiter {
  readonly match: (post: PostRecord) => boolean;
  readonly resolve: (post: PostRecord | undefined) => void;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** Starts a fresh stand-in (running no config) on a loopback port. */
export async function startKongStandIn(options: StandInOptions): Promise<KongStandIn> {
  const worker = new Worker(new URL("./kong-standin-worker.ts", import.meta.url), {
    workerData: options,
  });
  const posts: PostRecord[] = [];
  const waiters = new Set<Waiter>();
  let bodyRequest: ((body: string | undefined) => void) | undefined;
  let closed: (() => void) | undefined;
  let stopped = false;
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error("Kong stand-in did not start listening"));
    }, START_TIMEOUT_MS);
    worker.once("error", reject);
    worker.on("message", (message: StandInReply) => {
      if (message.type === "listening") {
        clearTimeout(timer);
        resolve(message.port);
      } else if (message.type === "post") {
        posts.push(message.record);
        for (const waiter of waiters) {
          if (!waiter.match(message.record)) continue;
          waiters.delete(waiter);
          waiter.resolve(message.record);
        }
      } else if (message.type === "lastBody") bodyRequest?.(message.body);
      else closed?.();
    });
  });
  const port = await listening.catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    posts: () => posts,
    waitForPost: (match, timeoutMs) => {
      const seen = posts.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise(resolve => {
        const waiter: Waiter = {
          match,
          resolve: post => {
            clearTimeout(timer);
            resolve(post);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(undefined);
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    lastBody: () =>
      new Promise(resolve => {
        bodyRequest = resolve;
        worker.postMessage({ type: "lastBody" } satisfies StandInRequest);
      }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const waiter of waiters) waiter.resolve(undefined);
      waiters.clear();
      const done = new Promise<void>(resolve => {
        closed = resolve;
        setTimeout(resolve, STOP_TIMEOUT_MS).unref();
      });
      worker.postMessage({ type: "close" } satisfies StandInRequest);
      await done;
      await worker.terminate();
    },
  };
}
