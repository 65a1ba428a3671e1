/**
 * The probe thread's own code (a worker thread; probe-thread.ts starts it): it holds the probe port
 * and hands every /healthz and /readyz to the main thread, which answers as it always did. When the
 * main thread does not answer within `askTimeoutMs` (a translation is running: issue 12 §2 measured
 * several seconds for one object of 1 MiB of regex paths), this thread answers itself, within the
 * kubelet's 1 s probe timeout: /healthz is healthy while the main thread last answered at most
 * `maxSilentMs` ago (the main thread's own threshold for event-loop lag), /readyz repeats the main
 * thread's last answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { createServer } from "./http-server.ts";

/** What the main thread passes as `workerData`. */
export interface ProbeWorkerData {
  readonly host: string;
  readonly port: number;
  readonly paths: readonly string[];
  readonly askTimeoutMs: number;
  readonly maxSilentMs: number;
}

export interface ProbeReply {
  readonly status: number;
  readonly contentType?: string;
  readonly body?: string;
}

/** Messages between the threads. */
export type ToMain =
  | { readonly type: "listening"; readonly port: number }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "ask"; readonly id: number; readonly path: string };
/** The main thread ends the probe thread with `terminate()`: no message closes it. */
export type ToProbe = { readonly type: "answer"; readonly id: number; readonly reply: ProbeReply };

const JSON_TYPE = "application/json; charset=utf-8";

function startProbeServer(data: ProbeWorkerData, port: NonNullable<typeof parentPort>): void {
  const waiting = new Map<number, (reply: ProbeReply) => void>();
  const lastReply = new Map<string, ProbeReply>();
  let lastContact = performance.now();
  let nextId = 0;

  const ask = (path: string): Promise<ProbeReply | undefined> =>
    new Promise(resolve => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(undefined);
      }, data.askTimeoutMs);
      waiting.set(id, reply => {
        clearTimeout(timer);
        resolve(reply);
      });
      port.postMessage({ type: "ask", id, path } satisfies ToMain);
    });

  /** The main thread is busy: what this thread can say for it. */
  const onItsBehalf = (path: string): ProbeReply => {
    const silentMs = Math.round(performance.now() - lastContact);
    if (path === "/healthz") {
      const healthy = silentMs <= data.maxSilentMs;
      const body = { healthy, busyMs: silentMs, maxLagMs: data.maxSilentMs };
      return {
        status: healthy ? 200 : 503,
        contentType: JSON_TYPE,
        body: `${JSON.stringify(body)}\n`,
      };
    }
    return (
      lastReply.get(path) ?? {
        status: 503,
        contentType: JSON_TYPE,
        body: `${JSON.stringify({ ready: false, reasons: ["the controller is busy"] })}\n`,
      }
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = URL.parse(req.url ?? "/", "http://localhost")?.pathname;
    let reply: ProbeReply;
    if (path === undefined || !data.paths.includes(path))
      reply = { status: 404, body: "not found\n" };
    else if (req.method !== "GET" && req.method !== "HEAD")
      reply = { status: 405, body: "GET only\n" };
    else {
      const answered = await ask(path);
      if (answered !== undefined) {
        lastContact = performance.now();
        lastReply.set(path, answered);
      }
      reply = answered ?? onItsBehalf(path);
    }
    res.writeHead(reply.status, { "content-type": reply.contentType ?? "text/plain" });
    res.end(req.method === "HEAD" ? undefined : reply.body);
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  port.on("message", (message: ToProbe) => {
    lastContact = performance.now();
    waiting.get(message.id)?.(message.reply);
    waiting.delete(message.id);
  });
  server.once("error", err => {
    port.postMessage({ type: "failed", message: err.message } satisfies ToMain);
    port.close();
  });
  server.listen(data.port, data.host === "" ? undefined : data.host, () => {
    const bound = (server.address() as AddressInfo).port;
    port.postMessage({ type: "listening", port: bound } satisfies ToMain);
  });
}

if (parentPort !== null) startProbeServer(workerData as ProbeWorkerData, parentPort);
