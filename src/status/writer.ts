/**
 * The status writer: a loop of its own (STYLE rule 4, Contour's StatusUpdateHandler), the same for every
 * kind. It keeps the status each object should have and compares it with the one the watch shows
 * (src/status/observed.ts): only a difference goes to the queue, so an accepted config that changes
 * nothing costs no request, and a status someone else changed comes back by itself. A write is one
 * JSON merge patch of the status subresource, never preceded by a read; failures requeue the object
 * with a capped backoff. Nothing here ever blocks the sync loop.
 */
import type { Logger } from "pino";
import { ControllerError } from "../errors.ts";
import type { KubeApi } from "../kube/client.ts";
import type { Metrics, StatusUpdateResult } from "../telemetry/metrics.ts";
import type { Clock } from "../util/clock.ts";
import { deadlineAfter } from "../util/deadline.ts";
import { decideStatus, echoed, type StatusDecision, type WrittenStatus } from "./decision.ts";
import { httpStatusOf, MERGE_PATCH, resourceVersionOf } from "./kube-api.ts";
import { mutatorFor, statusKey, type DesiredStatus, type StatusMutators } from "./mutator.ts";
import type { ObservedStatus, ObservedStatusIndex } from "./observed.ts";
import type { CoalescingQueue, QueueItem } from "./queue.ts";

/** A status write took longer than the writer allows. */
export class StatusWriteTimeoutError extends ControllerError {
  constructor(timeoutMs: number) {
    super("ERR_STATUS_WRITE_TIMEOUT", `status write did not finish within ${timeoutMs} ms`);
  }
}

export interface StatusWriterOptions {
  readonly api: Pick<KubeApi, "send">;
  readonly mutators: StatusMutators;
  readonly observed: Pick<ObservedStatusIndex, "get" | "onChange">;
  readonly queue: CoalescingQueue<DesiredStatus>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, "statusUpdates" | "statusUpdateDuration">;
  /** Limit of one write; past it the object is requeued. */
  readonly attemptTimeoutMs?: number;
  /** Writes in flight at most. */
  readonly concurrency?: number;
}

const DEFAULTS = { attemptTimeoutMs: 30_000, concurrency: 16 } as const;

/** What a decision that writes nothing counts as (`awaiting-echo`: the write was counted already). */
const SKIPPED: Readonly<Record<Exclude<StatusDecision, "write">, StatusUpdateResult | undefined>> =
  {
    satisfied: "noop",
    absent: "gone",
    "awaiting-echo": undefined,
  };

type WriteResult =
  | { readonly result: "success"; readonly resourceVersion: string | undefined }
  | { readonly result: "gone" | "conflict" };

export class StatusWriter {
  readonly #o: StatusWriterOptions;
  readonly #logger: Logger;
  /** What each object's status should be. */
  readonly #desired = new Map<string, DesiredStatus>();
  /** Our writes the watch has not shown yet. */
  readonly #written = new Map<string, WrittenStatus>();

  constructor(opts: StatusWriterOptions) {
    this.#o = opts;
    this.#logger = opts.logger.child({ component: "status-writer" });
    opts.observed.onChange(key => {
      this.#observedChanged(key);
    });
  }

  /**
   * Sets the status an object should have (`key` is its `statusKey`, when the caller has it). A repeat
   * of the current one costs a comparison; a new one is queued only when the cluster does not show it
   * already.
   */
  desire(desired: DesiredStatus, key: string = statusKey(desired)): void {
    const previous = this.#desired.get(key);
    // Publishers hand an unchanged object's desired status on as the same object.
    if (previous === desired) return;
    if (
      previous !== undefined &&
      previous.uid === desired.uid &&
      mutatorFor(this.#o.mutators, previous).same(previous, desired)
    )
      return;
    this.#desired.set(key, desired);
    const decision = this.#decide(key, desired);
    if (decision === "write") this.#o.queue.add(key, desired);
    else this.#count(desired, SKIPPED[decision]);
  }

  /** Stops caring about an object's status (it left the config); a queued write becomes a no-op. */
  release(key: string): void {
    this.#desired.delete(key);
    this.#written.delete(key);
  }

  /** Writes statuses until `signal` aborts (e.g. leadership is lost). Pending work stays queued. */
  async run(signal: AbortSignal): Promise<void> {
    // Whatever happened while not running (another leader's writes) is judged afresh.
    for (const [key, desired] of this.#desired) {
      if (this.#decide(key, desired) === "write") this.#o.queue.add(key, desired);
    }
    const workers = this.#o.concurrency ?? DEFAULTS.concurrency;
    await Promise.all(Array.from({ length: workers }, () => this.#work(signal)));
  }

  #decide(key: string, desired: DesiredStatus): StatusDecision {
    return decideStatus({
      mutator: mutatorFor(this.#o.mutators, desired),
      desired,
      observed: this.#o.observed.get(key),
      written: this.#written.get(key),
    });
  }

  /** The watch delivered the object (or its delete): our echo, or someone else's change. */
  #observedChanged(key: string): void {
    const observed = this.#o.observed.get(key);
    const written = this.#written.get(key);
    if (
      written !== undefined &&
      (observed === undefined || echoed(observed.resourceVersion, written.resourceVersion))
    )
      this.#written.delete(key);
    const desired = this.#desired.get(key);
    if (desired !== undefined && this.#decide(key, desired) === "write")
      this.#o.queue.add(key, desired);
  }

  async #work(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const item = await this.#o.queue.take(signal).catch((err: unknown) => {
        if (signal.aborted) return undefined;
        throw err;
      });
      if (item === undefined) return;
      await this.#handle(item, signal);
    }
  }

  async #handle(item: QueueItem<DesiredStatus>, signal: AbortSignal): Promise<void> {
    // Decided again at hand-out: the desired status, the cluster or our last write may have moved on.
    const desired = this.#desired.get(item.key);
    const decision = desired === undefined ? undefined : this.#decide(item.key, desired);
    const observed = this.#o.observed.get(item.key);
    if (desired === undefined || decision !== "write" || observed === undefined) {
      if (desired !== undefined && decision !== undefined && decision !== "write")
        this.#count(desired, SKIPPED[decision]);
      this.#o.queue.done(item.key);
      return;
    }
    const started = this.#o.clock.now();
    let outcome: WriteResult | undefined;
    let failure: unknown;
    try {
      outcome = await this.#withTimeout(s => this.#write(desired, observed, s), signal);
    } catch (err) {
      failure = err;
    }
    this.#count(desired, outcome?.result ?? "error");
    this.#o.metrics.statusUpdateDuration.observe(
      { kind: desired.kind },
      (this.#o.clock.now() - started) / 1000,
    );
    this.#settle(item, desired, outcome, { failure, stopping: signal.aborted });
  }

  #settle(
    item: QueueItem<DesiredStatus>,
    desired: DesiredStatus,
    outcome: WriteResult | undefined,
    context: { readonly failure: unknown; readonly stopping: boolean },
  ): void {
    const { queue } = this.#o;
    const fields = { kind: desired.kind, namespace: desired.namespace, name: desired.name };
    if (outcome?.result === "success") {
      this.#wrote(item.key, desired, outcome.resourceVersion);
      queue.done(item.key);
      this.#logger.debug(fields, "Status written");
    } else if (outcome?.result === "gone") {
      queue.forget(item.key);
      this.#logger.debug(fields, "Status target is gone");
    } else {
      // A conflict needs no re-read: the watch brings the newer object, and the retry decides on it.
      const retryInMs = queue.retry(item.key, desired);
      if (context.stopping) return;
      const result = outcome?.result ?? "error";
      const failures = item.failures + 1;
      const log = { ...fields, result, failures, retryInMs, err: context.failure };
      this.#logger.warn(log, "Status write failed, will retry");
    }
  }

  #wrote(key: string, desired: DesiredStatus, resourceVersion: string | undefined): void {
    const observed = this.#o.observed.get(key);
    // Without a version the echo cannot be recognised; the watch shows the status soon enough.
    if (resourceVersion === undefined) return;
    if (observed !== undefined && echoed(observed.resourceVersion, resourceVersion)) return;
    this.#written.set(key, { desired, resourceVersion });
  }

  async #write(
    desired: DesiredStatus,
    observed: ObservedStatus,
    signal: AbortSignal,
  ): Promise<WriteResult> {
    const mutator = mutatorFor(this.#o.mutators, desired);
    try {
      const answer = await this.#o.api.send("PATCH", mutator.statusPath(desired, observed), {
        body: mutator.patch(desired, observed, this.#o.clock.now()),
        contentType: MERGE_PATCH,
        signal,
      });
      return { result: "success", resourceVersion: resourceVersionOf(answer) };
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 404) return { result: "gone" };
      if (status === 409) return { result: "conflict" };
      throw err;
    }
  }

  async #withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, stop: AbortSignal): Promise<T> {
    const timeoutMs = this.#o.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs;
    // The request's signal is aborted only when it must end early (timeout, stop), never after it
    // settled; the race ends the attempt at the deadline even if the request ignores its signal.
    const deadline = deadlineAfter(
      this.#o.clock,
      timeoutMs,
      () => new StatusWriteTimeoutError(timeoutMs),
    );
    const timeout = new Promise<never>((_, reject) => {
      deadline.signal.addEventListener(
        "abort",
        () => {
          reject(deadline.signal.reason as Error);
        },
        { once: true },
      );
    });
    try {
      return await Promise.race([work(AbortSignal.any([stop, deadline.signal])), timeout]);
    } finally {
      deadline.cancel();
    }
  }

  #count(desired: DesiredStatus, result: StatusUpdateResult | undefined): void {
    if (result !== undefined) this.#o.metrics.statusUpdates.inc({ kind: desired.kind, result });
  }
}
