/**
 * One Kong node's push loop: the I/O around its push chain (push-chain.ts), which alone decides what
 * to push after a refusal or an unexpected error. At most one request in flight; each push reads the
 * newest plan right before it starts, so a config that arrives while a push is in flight, paced
 * (pacing.ts) or backing off supersedes the older one (nothing piles up). Between attempts the loop
 * idles until woken by a new config or until the next status poll, which is how a node that restarted
 * empty (zero hash) is noticed and re-pushed at once.
 */
import type { Logger } from "pino";
import { ControllerError } from "../errors.ts";
import {
  KongConfigTooLargeError,
  KongNotAppliedError,
  KongUnsupportedError,
  type KongClientError,
} from "../kong/errors.ts";
import type { KongAdminApi } from "../kong/admin-client.ts";
import { failuresByObject, type EntityFailure } from "../kong/flattened-errors.ts";
import type { PushOutcome } from "../kong/outcome.ts";
import { unsupportedReason } from "../kong/responses.ts";
import { EMPTY_CONFIG_HASH } from "../kong/types.ts";
import type { ObjectRef } from "../model/object-ref.ts";
import type { Clock } from "../util/clock.ts";
import { backoffDelayMs, retryWithBackoff, type BackoffOptions } from "./backoff.ts";
import { decideSync } from "./change-detection.ts";
import type { Degradation, GatewayState } from "./gateway-state.ts";
import { PushPacer, type PacingOptions } from "./pacing.ts";
import { DEFAULT_MAX_CONFIG_BYTES, oversizeFailures } from "./size-budget.ts";
import {
  advanceChain,
  chainTarget,
  INITIAL_CHAIN,
  failureOf,
  type ChainEffect,
  type ChainEvent,
  type PushChain,
} from "./push-chain.ts";
import {
  candidateFromDump,
  runs,
  type Candidate,
  type CandidateOrigin,
} from "./last-known-good.ts";

/** What the worker asks of the sender. */
export interface PlanSource {
  /** The newest translation, undefined before the first update. */
  primary(): Candidate | undefined;
  /** The fallback for `primaryHash` without the objects `failures` name; undefined when none helps. */
  fallback(primaryHash: string, failures: readonly EntityFailure[]): Candidate | undefined;
  lastKnownGood(): Candidate | undefined;
  /** A node confirmed it runs `candidate`. */
  accepted(candidate: Candidate): void;
  /** A node rejected the primary config. */
  rejected(primaryHash: string, failures: readonly EntityFailure[]): void;
  /** A config read back from a node at start-up; becomes last-known-good if there is none yet. */
  discovered(candidate: Candidate): void;
  /** Something observable changed (state, running config). */
  changed(): void;
}

/** One push as the metrics module records it (telemetry/metrics.ts `PushObservation`). */
export interface PushRecord {
  readonly dataplane: string;
  /** The hash of the pushed config (what Kong reports once it runs it). */
  readonly configHash: string;
  /** How the Admin API answered. */
  readonly outcome: PushOutcome["kind"];
  readonly success: boolean;
  readonly failureReason?: "network" | "other";
  readonly fallback: boolean;
  readonly durationMs: number;
  readonly sizeBytes: number;
  readonly brokenResources: number;
  readonly atMs: number;
}

/** A change carried to a node: from the store's report to the start of the first POST carrying it. */
export interface ChangePushRecord {
  readonly dataplane: string;
  readonly delayMs: number;
}

export interface GatewayWorkerOptions {
  readonly admin: KongAdminApi;
  readonly plans: PlanSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly backoff: BackoffOptions;
  readonly random: () => number;
  readonly pollIntervalMs: number;
  readonly pacing: PacingOptions;
  readonly onPush?: (record: PushRecord) => void;
  readonly onChangePushed?: (record: ChangePushRecord) => void;
  /** A config over this many bytes is not sent; its largest objects are left out (size-budget.ts). */
  readonly maxConfigBytes?: number;
}

/** What the node runs, as far as we know. */
type Running =
  | { readonly kind: "unknown" }
  | { readonly kind: "empty" }
  | { readonly kind: "config"; readonly candidate: Candidate };

const UNKNOWN: Running = { kind: "unknown" };
const EMPTY: Running = { kind: "empty" };
const NO_OBJECTS: ReadonlyMap<string, ObjectRef> = new Map();
/**
 * Changes remembered per node until a POST carries them. Only a node that stays unreachable through
 * hundreds of rebuilds reaches it; the changes beyond it are then not measured.
 */
const MAX_UNPUSHED_CHANGES = 256;

export class GatewayWorker {
  readonly url: string;
  readonly #o: GatewayWorkerOptions;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #state: GatewayState;
  #kongHash: string | undefined;
  #running: Running = UNKNOWN;
  #discovered = false;
  #chain: PushChain = INITIAL_CHAIN;
  /** The backoff the chain asked for last, until the loop has waited it. */
  #backoffAsked: Extract<ChainEffect, { kind: "backoff" }> | undefined;
  readonly #pacer: PushPacer;
  /** When the store reported each change handed over since the last POST of a newest config. */
  #unpushedChanges: number[] = [];
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;

  constructor(options: GatewayWorkerOptions) {
    this.#o = options;
    this.url = options.admin.url;
    this.#log = options.logger.child({ dataplane: this.url });
    this.#pacer = new PushPacer(options.pacing);
    this.#state = Object.freeze({ url: this.url, phase: "pending", since: options.clock.now() });
  }

  get state(): GatewayState {
    return this.#state;
  }

  /** Objects of the config the node runs; undefined while that is unknown. */
  get runningObjects(): ReadonlyMap<string, ObjectRef> | undefined {
    if (this.#running.kind === "unknown") return undefined;
    return this.#running.kind === "empty" ? NO_OBJECTS : this.#running.candidate.objects;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  /** A new config is available: attempt now unless an attempt or backoff is under way. */
  wake(): void {
    this.#wake?.();
  }

  /** A new config carries a change the store reported at `at`; the POST that first carries it measures it. */
  changed(at: number): void {
    if (this.#unpushedChanges.length < MAX_UNPUSHED_CHANGES) this.#unpushedChanges.push(at);
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error("sender stopped"));
    await this.#done;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        const movedOn = await retryWithBackoff(() => this.#guardedAttempt(), {
          clock: this.#o.clock,
          signal,
          backoff: this.#o.backoff,
          random: this.#o.random,
          onRetry: info => {
            this.#failed(info.error, info.attempt, info.delayMs);
          },
        });
        // After an unexpected error the chain has moved on and the backoff is waited: try again now.
        if (!movedOn && !this.#needsPush()) await this.#idle(signal);
      } catch (err) {
        if (this.#stop.signal.aborted) break;
        await this.#unexpected(err);
      }
    }
  }

  /**
   * An attempt whose Kong failures (every error the Admin API client raises on purpose) are retried
   * with backoff by the caller, and whose other errors — bugs — move the push chain on. True when it
   * ended in such an error.
   */
  async #guardedAttempt(): Promise<boolean> {
    try {
      await this.#attempt();
      return false;
    } catch (err) {
      if (err instanceof ControllerError || this.#stop.signal.aborted) throw err;
      await this.#unexpected(err);
      return true;
    }
  }

  /** A bug surfaced: the chain moves on (towards last-known-good) after a growing backoff. */
  async #unexpected(err: unknown): Promise<void> {
    this.#log.error({ err, chain: this.#chain.stage }, "Push attempt failed unexpectedly");
    this.#dispatch({
      type: "unexpected",
      error: failureOf(err),
      lastKnownGood: this.#o.plans.lastKnownGood(),
    });
    // Rejects only when the worker stops.
    await this.#waitAskedBackoff().catch(() => undefined);
  }

  #needsPush(): boolean {
    const target = this.#target();
    return target !== undefined && !runs(target, this.#kongHash);
  }

  #idle(signal: AbortSignal): Promise<void> {
    const timer = new AbortController();
    return new Promise<void>(resolve => {
      const done = (): void => {
        this.#wake = undefined;
        timer.abort();
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#wake = done;
      signal.addEventListener("abort", done, { once: true });
      void this.#o.clock.sleep(this.#o.pollIntervalMs, timer.signal).then(done, () => undefined);
    });
  }

  /** One attempt: learn what the node runs, then push until it runs the target or nothing is left. */
  async #attempt(): Promise<void> {
    await this.#readStatus();
    if (!this.#discovered) await this.#discover();
    // primary → fallback → last-known-good: at most three pushes, each advancing the chain on rejection.
    for (let step = 0; step < 3; step++) {
      const target = await this.#pacedTarget();
      if (target === undefined) break;
      if (runs(target, this.#kongHash)) {
        // No POST will carry these changes: the node already runs what they lead to.
        this.#unpushedChanges = [];
        this.#confirmed(target);
        return;
      }
      if (await this.#push(target)) return;
    }
    this.#settled();
  }

  /** The target once the node may take a push: a config that arrives during the wait replaces it. */
  async #pacedTarget(): Promise<Candidate | undefined> {
    for (;;) {
      const target = this.#target();
      if (target === undefined || runs(target, this.#kongHash)) return target;
      const wait = this.#pacer.waitMs(this.#o.clock.now());
      if (wait === 0) return target;
      await this.#o.clock.sleep(wait, this.#stop.signal);
    }
  }

  async #readStatus(): Promise<void> {
    const status = await this.#o.admin.status(this.#stop.signal);
    if (!status.ok) throw status.error;
    const hash = status.value.configuration_hash;
    if (hash !== this.#kongHash) {
      this.#kongHash = hash;
      this.#updateRunning();
    }
  }

  /** Keeps `#running` consistent with the hash the node just reported. */
  #updateRunning(): void {
    const hash = this.#kongHash;
    if (this.#running.kind === "config" && runs(this.#running.candidate, hash)) return;
    const known = [this.#target(), this.#o.plans.lastKnownGood()].find(
      c => c !== undefined && runs(c, hash),
    );
    const next: Running =
      hash === EMPTY_CONFIG_HASH
        ? EMPTY
        : known === undefined
          ? UNKNOWN
          : { kind: "config", candidate: known };
    if (next !== this.#running) {
      this.#running = next;
      this.#o.plans.changed();
    }
  }

  /** First contact (and again after the node was unreachable): check it can take our config, see what it runs. */
  async #discover(): Promise<void> {
    const root = await this.#o.admin.root(this.#stop.signal);
    if (!root.ok) throw root.error;
    const unsupported = unsupportedReason(root.value);
    if (unsupported !== undefined) throw new KongUnsupportedError(this.url, unsupported);
    this.#discovered = true;
    if (this.#running.kind !== "unknown" || this.#kongHash === undefined) return;
    // Kong runs something we cannot name: read it back, so its objects count as accepted and it can
    // serve as last-known-good, before we push anything (a restarted controller must not blank Kong).
    const dump = await this.#o.admin.config(this.#stop.signal);
    const candidate = dump.ok ? candidateFromDump(dump.value.config, this.#kongHash) : undefined;
    if (candidate === undefined) {
      this.#log.debug({ err: dump.ok ? undefined : dump.error }, "Running config not readable");
      return;
    }
    this.#log.info(
      { configHash: this.#kongHash, objects: candidate.objects.size },
      "Read the config Kong already runs",
    );
    this.#running = { kind: "config", candidate };
    this.#o.plans.discovered(candidate);
    this.#o.plans.changed();
  }

  /** The config this node should run now, following the rejection chain for the newest primary. */
  #target(): Candidate | undefined {
    const primary = this.#o.plans.primary();
    if (primary === undefined) return undefined;
    this.#dispatch({ type: "primary", hash: primary.encoded.hash });
    return chainTarget(this.#chain, primary);
  }

  /** Feeds `event` to the push chain and performs what it asks for. */
  #dispatch(event: ChainEvent): void {
    const { chain, effects } = advanceChain(this.#chain, event);
    this.#chain = chain;
    for (const effect of effects) this.#perform(effect);
  }

  #perform(effect: ChainEffect): void {
    switch (effect.kind) {
      case "reportRejection":
        this.#o.plans.rejected(effect.primaryHash, effect.failures);
        return;
      case "planFallback":
        this.#planFallback(effect.primaryHash, effect.failures);
        return;
      case "backoff":
        this.#backoffAsked = effect;
        return;
    }
  }

  /** Planning that throws is an unexpected error like any other: the chain moves on without it. */
  #planFallback(primaryHash: string, failures: readonly EntityFailure[]): void {
    let fallback: Candidate | undefined;
    try {
      fallback = this.#o.plans.fallback(primaryHash, failures);
    } catch (err) {
      this.#log.error({ err, configHash: primaryHash }, "Fallback planning failed");
      this.#dispatch({
        type: "unexpected",
        error: failureOf(err),
        lastKnownGood: this.#o.plans.lastKnownGood(),
      });
      return;
    }
    this.#dispatch({
      type: "fallbackPlanned",
      primaryHash,
      fallback,
      lastKnownGood: this.#o.plans.lastKnownGood(),
    });
  }

  /** Returns true once the node runs `target`; false when it was refused for good (chain advanced). */
  async #push(target: Candidate): Promise<boolean> {
    const decision = decideSync(target, this.#kongHash);
    // The part the config plays when it is sent: a newer translation arriving during the POST does not
    // turn this push into a fallback after the fact.
    const role = this.#role(target);
    const started = this.#o.clock.now();
    this.#carryChanges(role, started);
    const limit = this.#o.maxConfigBytes ?? DEFAULT_MAX_CONFIG_BYTES;
    const bytes = target.encoded.bytes;
    const outcome: PushOutcome =
      bytes > limit
        ? {
            kind: "tooLarge",
            error: new KongConfigTooLargeError(
              this.url,
              bytes,
              `over --max-config-bytes (${limit}); not sent`,
            ),
          }
        : await this.#o.admin.postConfig(target.encoded, this.#stop.signal);
    const ended = this.#o.clock.now();
    if (outcome.kind === "applied") this.#pacer.loaded(ended, ended - started);
    this.#record({ target, role, outcome, started, ended });
    switch (outcome.kind) {
      case "applied":
      case "unchanged":
        await this.#verify(target);
        // The one info line per push comes from the push hook (telemetry/logger.ts logPush); this is detail.
        this.#log.debug(
          {
            configHash: target.encoded.hash,
            durationMs: ended - started,
            fallback: role !== "primary",
            config: role,
            why: decision.action === "push" ? decision.reason : "check",
          },
          outcome.kind === "applied" ? "Config pushed" : "Config already loaded",
        );
        return true;
      case "rejected":
        await this.#refused(target, outcome.error, outcome.error.failures);
        return false;
      case "tooLarge":
        // Kong's own limit may be lower than ours: then aim under 90 % of what it refused.
        await this.#refused(
          target,
          outcome.error,
          oversizeFailures(target.encoded.body, Math.min(limit, Math.floor(bytes * 0.9))),
        );
        return false;
      case "busy":
      case "unreachable":
      case "unexpectedBody":
      case "httpError":
        throw outcome.error;
    }
  }

  /**
   * A POST of the newest translation (or of its fallback) carries every change handed over so far; one
   * of last-known-good carries none of them, and they never reach the node.
   */
  #carryChanges(role: CandidateOrigin, startedAt: number): void {
    const changes = this.#unpushedChanges;
    this.#unpushedChanges = [];
    if (role !== "primary" && role !== "fallback") return;
    const report = this.#o.onChangePushed;
    for (const at of changes) report?.({ dataplane: this.url, delayMs: startedAt - at });
  }

  /** Kong said yes; make sure it runs our bytes (an accepted-but-not-applied answer is a failure). */
  async #verify(target: Candidate): Promise<void> {
    await this.#readStatus();
    if (!runs(target, this.#kongHash)) {
      throw new KongNotAppliedError(this.url, target.encoded.hash, this.#kongHash ?? "none");
    }
    this.#confirmed(target);
  }

  /** The node refused `target` for good: move along the chain; never re-push it unchanged. */
  async #refused(
    target: Candidate,
    error: KongClientError,
    failures: readonly EntityFailure[] | undefined,
  ): Promise<void> {
    this.#log.debug(
      {
        err: error,
        configHash: target.encoded.hash,
        config: this.#role(target),
        brokenObjects: (failures ?? []).filter(f => f.ref !== undefined).length,
      },
      "Config refused",
    );
    this.#dispatch({
      type: "refused",
      target,
      error: { code: error.code, reason: error.message },
      failures,
      lastKnownGood: this.#o.plans.lastKnownGood(),
    });
    await this.#waitAskedBackoff();
  }

  /** After an unexpected error: wait the backoff the chain asked for before pushing what comes next. */
  async #waitAskedBackoff(): Promise<void> {
    const asked = this.#backoffAsked;
    if (asked === undefined) return;
    this.#backoffAsked = undefined;
    const delayMs = backoffDelayMs(asked.attempt, this.#o.backoff, this.#o.random);
    try {
      this.#log.warn(
        { attempt: asked.attempt, delayMs, chain: this.#chain.stage },
        "Moving on along the push chain after an unexpected error",
      );
      this.#failing(asked.error, asked.attempt);
    } finally {
      // Whatever else goes wrong, the next attempt waits.
      await this.#o.clock.sleep(delayMs, this.#stop.signal);
    }
  }

  /**
   * The part `target` plays now: a former primary re-pushed as last-known-good is last-known-good, also
   * after its push chain is over (a later poll confirming it must not call it the primary again).
   */
  #role(target: Candidate): CandidateOrigin {
    const chain = this.#chain;
    if (
      chain.candidate === target &&
      (chain.stage === "fallback" || chain.stage === "lastKnownGood")
    )
      return chain.stage;
    const current = this.#o.plans.primary();
    if (target.origin === "primary" && current !== undefined && current !== target) {
      return "lastKnownGood";
    }
    return target.origin;
  }

  #confirmed(target: Candidate): void {
    const news = this.#running.kind !== "config" || this.#running.candidate !== target;
    this.#running = { kind: "config", candidate: target };
    const role = this.#role(target);
    this.#dispatch({ type: "confirmed", target });
    const degraded = role === "primary" ? undefined : this.#chain.degraded;
    const changed = this.#setState({
      url: this.url,
      phase: "synced",
      since:
        this.#state.phase === "synced" && this.#state.hash === this.#kongHash
          ? this.#state.since
          : this.#o.clock.now(),
      ...(this.#kongHash === undefined ? {} : { hash: this.#kongHash }),
      config: role,
      ...(degraded === undefined ? {} : { degraded }),
    });
    // Polls confirm the same config every few seconds; only news is worth telling.
    if (news || changed) this.#o.plans.accepted(target);
  }

  /** Nothing (more) to push: no config yet, or every option was refused. */
  #settled(): void {
    // Nothing left to push for the newest translation: its changes will not reach this node.
    this.#unpushedChanges = [];
    const degraded = this.#chain.stage === "exhausted" ? this.#chain.degraded : undefined;
    const hash = this.#kongHash === undefined ? {} : { hash: this.#kongHash };
    if (degraded !== undefined) {
      const since = this.#state.phase === "failing" ? this.#state.since : this.#o.clock.now();
      this.#setState({ url: this.url, phase: "failing", since, ...hash, ...degraded, attempts: 1 });
    } else if (this.#running.kind === "config") {
      this.#confirmedWithoutPlan(this.#running.candidate);
    } else if (this.#state.phase !== "pending") {
      this.#setState({ url: this.url, phase: "pending", since: this.#o.clock.now(), ...hash });
    }
  }

  #confirmedWithoutPlan(candidate: Candidate): void {
    if (this.#state.phase === "synced" && this.#state.hash === this.#kongHash) return;
    this.#setState({
      url: this.url,
      phase: "synced",
      since: this.#o.clock.now(),
      ...(this.#kongHash === undefined ? {} : { hash: this.#kongHash }),
      config: this.#role(candidate),
    });
  }

  #failed(error: unknown, attempt: number, delayMs: number): void {
    const failure = failureOf(error);
    // After an outage the node may come back as another process (new version, lost config).
    if (failure.code === "ERR_KONG_UNREACHABLE") this.#discovered = false;
    this.#failing(failure, attempt);
    this.#log.warn({ err: error, attempt, delayMs }, "Kong not in sync; retrying");
  }

  #failing(failure: Degradation, attempt: number): void {
    const since = this.#state.phase === "failing" ? this.#state.since : this.#o.clock.now();
    const hash = this.#kongHash === undefined ? {} : { hash: this.#kongHash };
    this.#setState({
      url: this.url,
      phase: "failing",
      since,
      ...hash,
      code: failure.code,
      reason: failure.reason,
      attempts: attempt,
    });
  }

  /** Replaces the state; tells the sender only when it actually changed. */
  #setState(state: GatewayState): boolean {
    const before = JSON.stringify(this.#state);
    this.#state = Object.freeze(state);
    if (JSON.stringify(state) === before) return false;
    this.#o.plans.changed();
    return true;
  }

  #record(push: {
    target: Candidate;
    role: CandidateOrigin;
    outcome: PushOutcome;
    started: number;
    ended: number;
  }): void {
    const { target, outcome } = push;
    const success = outcome.kind === "applied" || outcome.kind === "unchanged";
    const broken =
      outcome.kind === "rejected" ? failuresByObject(outcome.error.failures).length : 0;
    this.#o.onPush?.({
      dataplane: this.url,
      configHash: target.encoded.hash,
      outcome: outcome.kind,
      success,
      ...(success ? {} : { failureReason: outcome.kind === "unreachable" ? "network" : "other" }),
      fallback: push.role !== "primary",
      durationMs: push.ended - push.started,
      sizeBytes: target.encoded.bytes,
      brokenResources: broken,
      atMs: push.ended,
    });
  }
}
