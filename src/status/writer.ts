/**
 * The status writer: a loop of its own, fed by a coalescing queue (STYLE rule 4, Contour's
 * StatusUpdateHandler). Each write is read, compare, write-if-different; a 409 re-reads and retries;
 * any other failure requeues the object with a capped backoff. Nothing here ever blocks the sync loop.
 */
import type { Logger } from "pino";
import { ControllerError } from "../errors.ts";
import { refKey } from "../model/object-ref.ts";
import type { Metrics, StatusUpdateResult } from "../telemetry/metrics.ts";
import type { Clock } from "../util/clock.ts";
import { sameLoadBalancer, type LoadBalancerIngress } from "./ingress-address.ts";
import type { CoalescingQueue, QueueItem } from "./queue.ts";

/** An Ingress's status as read, with the object it came from. */
export interface IngressStatusRecord {
  readonly namespace: string;
  readonly name: string;
  readonly loadBalancer: readonly LoadBalancerIngress[];
  /** The object as read; the API sends it back whole (with its resourceVersion) and the new status. */
  readonly object: unknown;
}

/** `conflict`: the object changed since it was read (409); `gone`: it was deleted (404). */
export type WriteOutcome = "ok" | "conflict" | "gone";

/** The two calls the writer needs for Ingress; tests use a fake, main adapts client-node. */
export interface IngressStatusApi {
  /** `undefined` when the Ingress does not exist. */
  getIngress(ref: { namespace: string; name: string }): Promise<IngressStatusRecord | undefined>;
  replaceIngressStatus(
    record: IngressStatusRecord,
    loadBalancer: readonly LoadBalancerIngress[],
  ): Promise<WriteOutcome>;
}

/** The status one object should have. Gateway API kinds join this union later. */
export interface IngressDesiredStatus {
  readonly kind: "Ingress";
  readonly namespace: string;
  readonly name: string;
  readonly loadBalancer: readonly LoadBalancerIngress[];
}

export type DesiredStatus = IngressDesiredStatus;

/** The queue key of a desired status: one entry per object. */
export function statusKey(d: DesiredStatus): string {
  return refKey(d);
}

/** A status read or write took longer than the writer allows. */
export class StatusWriteTimeoutError extends ControllerError {
  constructor(timeoutMs: number) {
    super("ERR_STATUS_WRITE_TIMEOUT", `status write did not finish within ${timeoutMs} ms`);
  }
}

export interface StatusWriterOptions {
  readonly queue: CoalescingQueue<DesiredStatus>;
  readonly ingressApi: IngressStatusApi;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, "statusUpdates" | "statusUpdateDuration">;
  /** Re-reads after a 409 before the object goes back to the queue with backoff. */
  readonly maxConflictRetries?: number;
  /** Limit of one read-compare-write; past it the object is requeued. */
  readonly attemptTimeoutMs?: number;
  /** Objects written in parallel. */
  readonly concurrency?: number;
}

const DEFAULTS = { maxConflictRetries: 3, attemptTimeoutMs: 30_000, concurrency: 4 } as const;

export class StatusWriter {
  readonly #opts: StatusWriterOptions;
  readonly #logger: Logger;

  constructor(opts: StatusWriterOptions) {
    this.#opts = opts;
    this.#logger = opts.logger.child({ component: "status-writer" });
  }

  /** Writes statuses until `signal` aborts (e.g. leadership is lost). Pending work stays queued. */
  async run(signal: AbortSignal): Promise<void> {
    const workers = this.#opts.concurrency ?? DEFAULTS.concurrency;
    await Promise.all(Array.from({ length: workers }, () => this.#work(signal)));
  }

  async #work(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const item = await this.#opts.queue.take(signal).catch((err: unknown) => {
        if (signal.aborted) return undefined;
        throw err;
      });
      if (item === undefined) return;
      await this.#handle(item);
    }
  }

  async #handle(item: QueueItem<DesiredStatus>): Promise<void> {
    const { queue, clock, metrics } = this.#opts;
    const desired = item.value;
    const fields = { kind: desired.kind, namespace: desired.namespace, name: desired.name };
    const started = clock.now();
    let result: StatusUpdateResult;
    let failure: unknown;
    try {
      result = await this.#withTimeout(this.#writeIngress(desired));
    } catch (err) {
      result = "error";
      failure = err;
    }
    metrics.statusUpdates.inc({ kind: desired.kind, result });
    metrics.statusUpdateDuration.observe({ kind: desired.kind }, (clock.now() - started) / 1000);
    if (result === "success" || result === "noop") {
      queue.done(item.key);
      this.#logger.debug({ ...fields, result }, "Status written");
    } else if (result === "gone") {
      queue.forget(item.key);
      this.#logger.debug(fields, "Status target is gone");
    } else {
      const retryInMs = queue.retry(item.key, desired);
      const failures = item.failures + 1;
      const log = { ...fields, result, failures, retryInMs, err: failure };
      this.#logger.warn(log, "Status write failed, will retry");
    }
  }

  /** Read, compare, write; re-read on conflict a few times before giving the object back. */
  async #writeIngress(desired: IngressDesiredStatus): Promise<StatusUpdateResult> {
    const { ingressApi, metrics } = this.#opts;
    const retries = this.#opts.maxConflictRetries ?? DEFAULTS.maxConflictRetries;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const current = await ingressApi.getIngress(desired);
      if (current === undefined) return "gone";
      if (sameLoadBalancer(current.loadBalancer, desired.loadBalancer)) return "noop";
      const outcome = await ingressApi.replaceIngressStatus(current, desired.loadBalancer);
      if (outcome === "ok") return "success";
      if (outcome === "gone") return "gone";
      if (attempt < retries) metrics.statusUpdates.inc({ kind: desired.kind, result: "conflict" });
    }
    return "conflict";
  }

  async #withTimeout<T>(work: Promise<T>): Promise<T> {
    const timeoutMs = this.#opts.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs;
    const cancel = new AbortController();
    const timeout = this.#opts.clock.sleep(timeoutMs, cancel.signal).then(
      () => {
        throw new StatusWriteTimeoutError(timeoutMs);
      },
      () => undefined as never,
    );
    try {
      return await Promise.race([work, timeout]);
    } finally {
      cancel.abort();
    }
  }
}
