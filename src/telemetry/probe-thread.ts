/**
 * The probe port served from a worker thread (probe-worker.ts), so /healthz and /readyz answer within
 * the kubelet's probe timeout while a long translation holds the main thread. The answers are still the
 * main thread's (its routes, judged by its own event-loop monitor) whenever it can give them in time.
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Routes } from "./health-server.ts";
import type { ProbeReply, ProbeWorkerData, ToMain, ToProbe } from "./probe-worker.ts";

/** How long the probe thread waits for the main thread before it answers itself. */
export const ASK_TIMEOUT_MS = 250;

export interface ProbeThreadOptions {
  /** Empty means every interface. */
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** /healthz and /readyz, answered on the main thread when it can. */
  readonly routes: Routes;
  /** How long the main thread may be silent before /healthz fails: its own lag threshold. */
  readonly maxSilentMs: number;
}

export interface ProbeThread {
  readonly port: number;
  close(): Promise<void>;
}

// The sibling file of this one: .ts from the sources, .js in the image.
const WORKER_URL = new URL(
  `./probe-worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
);

async function replyOf(routes: Routes, path: string): Promise<ProbeReply> {
  const handler = routes[path];
  if (handler === undefined) return { status: 404, body: "not found\n" };
  try {
    return await handler(new URL(path, "http://localhost"));
  } catch (err) {
    return { status: 500, body: `${(err as Error).message}\n` };
  }
}

/** Starts the thread and resolves once it listens; rejects if it cannot bind. */
export async function startProbeThread(opts: ProbeThreadOptions): Promise<ProbeThread> {
  const data: ProbeWorkerData = {
    host: opts.host,
    port: opts.port,
    paths: Object.keys(opts.routes),
    askTimeoutMs: ASK_TIMEOUT_MS,
    maxSilentMs: opts.maxSilentMs,
  };
  const worker = new Worker(WORKER_URL, { workerData: data });
  const exited = new Promise<void>(resolve =>
    worker.once("exit", () => {
      resolve();
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    worker.on("error", reject);
    void exited.then(() => {
      reject(new Error("the probe thread ended before it listened"));
    });
    worker.on("message", (message: ToMain) => {
      if (message.type === "listening") resolve(message.port);
      else if (message.type === "failed") reject(new Error(message.message));
      else
        void replyOf(opts.routes, message.path).then(reply => {
          worker.postMessage({ type: "answer", id: message.id, reply } satisfies ToProbe);
        });
    });
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  return {
    port,
    close: async () => {
      // Ended outright: its server and sockets go with it, and nothing can keep a stop waiting.
      await worker.terminate();
      await exited;
    },
  };
}
