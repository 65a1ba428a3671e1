/**
 * Leader election on a coordination.k8s.io/v1 Lease, client-go's algorithm (tools/leaderelection):
 * acquire and renew with optimistic concurrency on the Lease's resourceVersion, expiry judged from
 * when this replica last saw the record change (never from the remote timestamps, so clock skew
 * does not matter), a renew deadline after which a leader that could not renew steps down, and a
 * release on clean shutdown so a successor takes over within a retry period.
 *
 * Unlike client-go's callers, losing the Lease never ends the process: the leader-only work is
 * aborted at once and the replica campaigns again (incident b, REQ-B2).
 *
 * Unlike client-go, a leader does not renew every retry period while all is well, but every half
 * renew deadline ({@link renewIntervalMs}: 5 s at the defaults, not 2 s), and counts its step-down
 * from the start of its last successful renewal: retry period + renew deadline later, which is the
 * latest client-go's leader steps down. Followers judge expiry from when they saw the record change,
 * which a renewal every 5 s keeps far inside the lease duration, so who may lead when is unchanged;
 * a failed renewal is still retried every retry period, and an outage that starts just after a
 * renewal is still ridden out as long. What changes is the idle cost: 12 Lease writes a minute, not
 * 30 (each about 2.4 ms of CPU here, and an etcd write).
 */
import type { Logger } from "pino";
import { KubeApiError } from "../kube/errors.ts";
import { microTime, type LeaseApi, type LeaseRecord, type StoredLease } from "../kube/lease.ts";
import type { Clock } from "../util/clock.ts";
import { deadlineAfter, type Deadline } from "../util/deadline.ts";

/** client-go's JitterFactor: a campaign waits retryPeriod × (1 + random × 1.2) between attempts. */
export const JITTER_FACTOR = 1.2;

export interface ElectionTiming {
  /** How long a Lease not seen to change stays held (whole seconds: the Lease counts in seconds). */
  readonly leaseDurationMs: number;
  /**
   * With the retry period, how long after its last renewal began a leader that cannot renew steps
   * down (the sum must be shorter than the lease duration); half of it is the renewal interval.
   */
  readonly renewDeadlineMs: number;
  /** The wait between two attempts to acquire, and between retries of a failed renewal. */
  readonly retryPeriodMs: number;
}

/** How long a leader waits after a successful renewal before the next one. */
export function renewIntervalMs(timing: ElectionTiming): number {
  return Math.max(timing.retryPeriodMs, timing.renewDeadlineMs / 2);
}

/** Who leads, for the parts whose work depends on it (status, events, pushes to shared Kongs). */
export interface Leadership {
  isLeader(): boolean;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (leading: boolean) => void): () => void;
}

/** A Leadership that can run: campaign, lead, campaign again, until stopped. */
export interface Election extends Leadership {
  /**
   * Runs until `signal` aborts. For every term it leads, `whileLeading` runs with a signal that aborts
   * the moment the term ends; it is awaited before the replica campaigns again or releases the Lease,
   * so two terms' work never overlaps in this process.
   */
  run(signal: AbortSignal, whileLeading: (term: AbortSignal) => Promise<void>): Promise<void>;
}

export interface LeaderElectorOptions {
  readonly lease: LeaseApi;
  /** Unique per process: two processes sharing one identity would both believe they lead. */
  readonly identity: string;
  readonly timing: ElectionTiming;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
}

/** What this replica last saw in the Lease, and when (local time). */
interface Observation {
  readonly record: LeaseRecord;
  readonly at: number;
}

type Attempt = "ok" | "held" | "failed";
type TermEnd = "lost" | "stopping";

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/** Whether the observed holder's claim still stands at `now`. */
export function leaseValid(observed: Observation | undefined, now: number): boolean {
  return observed !== undefined && observed.at + observed.record.leaseDurationSeconds * 1000 > now;
}

/**
 * The record this replica writes to claim or renew the Lease: a holder keeps its acquireTime and
 * transition count, anyone else starts a new term and counts one more transition.
 */
export function claimRecord(
  current: LeaseRecord | undefined,
  claim: { readonly identity: string; readonly now: number; readonly leaseDurationSeconds: number },
): LeaseRecord {
  const now = microTime(claim.now);
  const mine = current !== undefined && current.holderIdentity === claim.identity;
  return {
    holderIdentity: claim.identity,
    leaseDurationSeconds: claim.leaseDurationSeconds,
    acquireTime: mine ? current.acquireTime : now,
    renewTime: now,
    leaseTransitions: current === undefined ? 0 : current.leaseTransitions + (mine ? 0 : 1),
  };
}

/** client-go's release: nobody holds it, and it expires in a second for whoever still doubts. */
export function releaseRecord(current: LeaseRecord, now: number): LeaseRecord {
  const time = microTime(now);
  return {
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTime: time,
    renewTime: time,
    leaseTransitions: current.leaseTransitions,
  };
}

/** A renewal's or release's time limit, on the election's clock. */
function deadline(clock: Clock, ms: number): Deadline {
  return deadlineAfter(
    clock,
    ms,
    () => new DOMException(`no answer within ${ms} ms`, "TimeoutError"),
  );
}

/** Resolves once `signal` aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise(resolve => {
    signal.addEventListener(
      "abort",
      () => {
        resolve();
      },
      { once: true },
    );
  });
}

export class LeaderElector implements Election {
  readonly #o: LeaderElectorOptions;
  readonly #log: Logger;
  readonly #listeners = new Set<(leading: boolean) => void>();
  #observed: Observation | undefined;
  /** The Lease as last read or written: a renewal replaces exactly this version. */
  #stored: StoredLease | undefined;
  #leading = false;
  /** The holder last reported, so a change of leader is logged once. */
  #knownHolder: string | undefined;
  /** Failed attempts in a row; only the first of a streak is logged as a warning. */
  #failures = 0;

  constructor(opts: LeaderElectorOptions) {
    this.#o = opts;
    this.#log = opts.logger.child({ component: "leader-election", identity: opts.identity });
  }

  isLeader(): boolean {
    return this.#leading;
  }

  subscribe(listener: (leading: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async run(
    signal: AbortSignal,
    whileLeading: (term: AbortSignal) => Promise<void>,
  ): Promise<void> {
    while (await this.#campaign(signal)) {
      const term = new AbortController();
      this.#setLeading(true);
      const work = whileLeading(AbortSignal.any([signal, term.signal])).catch((err: unknown) => {
        this.#log.error({ err }, "Leader-only work failed");
      });
      const end = await this.#renewUntilLost(signal);
      this.#setLeading(false);
      term.abort();
      await work;
      if (end === "stopping") {
        await this.#release();
        return;
      }
    }
  }

  #setLeading(leading: boolean): void {
    if (this.#leading === leading) return;
    this.#leading = leading;
    for (const listener of [...this.#listeners]) listener(leading);
  }

  /** Tries until this replica holds the Lease (true) or `signal` aborts (false). */
  async #campaign(signal: AbortSignal): Promise<boolean> {
    const { timing, clock, random } = this.#o;
    for (;;) {
      if (signal.aborted) return false;
      const attempt = await this.#attempt(signal, timing.renewDeadlineMs);
      if (attempt === "ok") {
        this.#log.info({ holder: this.#o.identity }, "Became the leader");
        return true;
      }
      const waitMs = timing.retryPeriodMs * (1 + random() * JITTER_FACTOR);
      try {
        await clock.sleep(waitMs, signal);
      } catch {
        return false;
      }
    }
  }

  /**
   * Renews every {@link renewIntervalMs}, retrying a failed renewal every retry period. A leader that
   * has not renewed by retry period + renew deadline after its last successful renewal began, or that
   * finds someone else holding the Lease, ends the term.
   */
  async #renewUntilLost(signal: AbortSignal): Promise<TermEnd> {
    const { timing, clock } = this.#o;
    for (;;) {
      // A successful attempt records its own start as the time it saw the Lease (#wrote): a write
      // applied later than it began only makes followers wait longer. Read once per round, here after
      // a success: a failed attempt may move `#observed.at` too (a read that finds our own earlier
      // write), and a step-down counted from that would come too late.
      const renewedAt = this.#observed?.at ?? clock.now();
      const stepDownAt = renewedAt + timing.retryPeriodMs + timing.renewDeadlineMs;
      try {
        await clock.sleep(Math.max(0, renewedAt + renewIntervalMs(timing) - clock.now()), signal);
      } catch {
        return "stopping";
      }
      for (;;) {
        const left = stepDownAt - clock.now();
        if (left <= 0) return this.#lost("the Lease was not renewed within the renew deadline");
        // A renewal in flight is not cut short by a stop: it ends within its budget, and the release
        // then follows on a connection with nothing aborted on it (an h2 stream reset just before a
        // write was seen to wedge Node's http2 session).
        const attempt = await this.#attempt(signal, left, { abortOnStop: false });
        if (signal.aborted) return "stopping";
        if (attempt === "ok") break;
        if (attempt === "held") return this.#lost("another replica holds the Lease");
        const wait = Math.min(timing.retryPeriodMs, stepDownAt - clock.now());
        try {
          if (wait > 0) await clock.sleep(wait, signal);
        } catch {
          return "stopping";
        }
      }
    }
  }

  #lost(reason: string): TermEnd {
    this.#log.warn({ reason }, "Lost leadership; leader-only work stops and the campaign resumes");
    return "lost";
  }

  /** One tryAcquireOrRenew within `budgetMs`; failures are logged, never thrown. */
  async #attempt(
    stop: AbortSignal,
    budgetMs: number,
    opts: { readonly abortOnStop: boolean } = { abortOnStop: true },
  ): Promise<Attempt> {
    const budget = deadline(this.#o.clock, budgetMs);
    const signal = opts.abortOnStop ? AbortSignal.any([stop, budget.signal]) : budget.signal;
    try {
      const attempt = await this.#tryAcquireOrRenew(signal);
      if (attempt === "ok" && this.#failures > 0) {
        this.#log.info({ failures: this.#failures }, "The Lease is reachable again");
        this.#failures = 0;
      }
      return attempt;
    } catch (err) {
      if (!stop.aborted) this.#failed(err);
      return "failed";
    } finally {
      budget.cancel();
    }
  }

  #failed(err: unknown): void {
    this.#failures++;
    // Losing a race for the Lease is the normal way a campaign fails.
    const conflict = err instanceof KubeApiError && err.statusCode === 409;
    if (conflict || this.#failures > 1)
      this.#log.debug({ err, failures: this.#failures }, "Lease attempt failed");
    else this.#log.warn({ err }, "Lease attempt failed; retrying");
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<Attempt> {
    const { lease, identity, clock, timing } = this.#o;
    const now = clock.now();
    const claim = { identity, now, leaseDurationSeconds: timing.leaseDurationMs / 1000 };
    const stored = this.#stored;
    // Fast path: the holder replaces the version it wrote last, without reading first.
    if (stored !== undefined && this.#holds() && leaseValid(this.#observed, now)) {
      try {
        this.#wrote(await lease.replace(stored, claimRecord(stored.record, claim), signal), now);
        return "ok";
      } catch (err) {
        if (signal.aborted) throw err;
        this.#log.debug({ err }, "Optimistic renewal failed; reading the Lease");
      }
    }
    const current = await lease.get(signal);
    if (current === undefined) {
      this.#wrote(await lease.create(claimRecord(undefined, claim), signal), now);
      return "ok";
    }
    this.#stored = current;
    this.#observe(current.record, now);
    const holder = current.record.holderIdentity;
    if (holder !== "" && holder !== identity && leaseValid(this.#observed, now)) return "held";
    this.#wrote(await lease.replace(current, claimRecord(current.record, claim), signal), now);
    return "ok";
  }

  /** Whether the record this replica last saw names it. */
  #holds(): boolean {
    return this.#observed?.record.holderIdentity === this.#o.identity;
  }

  #wrote(lease: StoredLease, now: number): void {
    this.#stored = lease;
    this.#observed = { record: lease.record, at: now };
    this.#noteHolder(lease.record.holderIdentity);
  }

  /** A record that changed restarts the expiry clock; one that did not keeps counting down. */
  #observe(record: LeaseRecord, now: number): void {
    if (this.#observed === undefined || !sameRecord(this.#observed.record, record)) {
      this.#observed = { record, at: now };
      this.#noteHolder(record.holderIdentity);
    }
  }

  #noteHolder(holder: string): void {
    if (holder === this.#knownHolder) return;
    this.#knownHolder = holder;
    if (holder !== this.#o.identity)
      this.#log.info({ holder: holder === "" ? undefined : holder }, "Leader changed");
  }

  /** Clears the holder so a successor need not wait for the Lease to expire. Never throws. */
  async #release(): Promise<void> {
    const stored = this.#stored;
    if (stored === undefined || !this.#holds()) return;
    const { clock, lease, timing } = this.#o;
    const budget = deadline(clock, timing.renewDeadlineMs);
    try {
      const released = await lease.replace(
        stored,
        releaseRecord(stored.record, clock.now()),
        budget.signal,
      );
      this.#stored = released;
      this.#observed = { record: released.record, at: clock.now() };
      this.#log.info("Released the Lease");
    } catch (err) {
      this.#log.warn({ err }, "Could not release the Lease; a successor waits for it to expire");
    } finally {
      budget.cancel();
    }
  }
}

/** Election switched off (--force-leader-election=disabled): this one replica always leads. */
export class SoleReplica implements Election {
  isLeader(): boolean {
    return true;
  }

  subscribe(): () => void {
    return () => undefined;
  }

  async run(
    signal: AbortSignal,
    whileLeading: (term: AbortSignal) => Promise<void>,
  ): Promise<void> {
    await whileLeading(signal);
  }
}
