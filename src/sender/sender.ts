/**
 * The sender: takes each translation, pushes it to every configured Kong node in parallel (one worker per
 * node, gateway-worker.ts), recovers from rejections (fallback, then last-known-good) and publishes which
 * objects the configs Kong accepted contain. That record — not "the last push succeeded" — is what status
 * writing reads (incidents-and-gateway-api.md, incident c, REQ-C1..C3).
 */
import type { Logger } from "pino";
import { ConfigEncoder, type KongAdminApi } from "../kong/admin-client.ts";
import {
  failuresByObject,
  type EntityFailure,
  type ObjectFailure,
} from "../kong/flattened-errors.ts";
import { refKey, type GenerationRef, type ObjectRef } from "../model/object-ref.ts";
import type { GatewayApiStatuses, Snapshot, TranslationResult } from "../translator/types.ts";
import type { Clock } from "../util/clock.ts";
import { DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.ts";
import { planFallback } from "./fallback.ts";
import type { GatewayState, SenderView } from "./gateway-state.ts";
import {
  GatewayWorker,
  type ChangePushRecord,
  type PlanSource,
  type PushRecord,
} from "./gateway-worker.ts";
import { CandidateRefs, candidateOf, type Candidate } from "./last-known-good.ts";
import { DEFAULT_PACING, type PacingOptions } from "./pacing.ts";

/** One translation, with the snapshot it came from (fallback re-translates a filtered copy of it). */
export interface SenderInput {
  readonly snapshot: Snapshot;
  readonly result: TranslationResult;
  /**
   * When the store reported the first change this translation carries (epoch ms, injected clock); the
   * start of the first POST carrying it to a node is measured against it. Absent for the translation
   * of the initial lists.
   */
  readonly changedAt?: number;
}

export interface SenderOptions {
  /** One Admin API client per Kong node. The sender owns them: it closes them on stop/removal. */
  readonly gateways: readonly KongAdminApi[];
  /** The translator with its options bound; used only to build fallback configs. */
  readonly translate: (snapshot: Snapshot) => TranslationResult;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly backoff?: Partial<BackoffOptions>;
  /** How often an idle worker checks `GET /status` (catches a node that restarted empty). */
  readonly pollIntervalMs?: number;
  /** How long a node is left alone after it loaded a config (pacing.ts); adaptive by default. */
  readonly pacing?: Partial<PacingOptions>;
  /** Jitter source; tests pass a constant. */
  readonly random?: () => number;
  /** Called after every `POST /config`; wire it to `Metrics.recordPush`. */
  readonly onPush?: (record: PushRecord) => void;
  /** Called for each change when the first POST carrying it to a node starts (event-to-push latency). */
  readonly onChangePushed?: (record: ChangePushRecord) => void;
  /** Whether this replica may push now; {@link ALWAYS_PUSH} by default. */
  readonly pushGate?: PushGate;
  /** `--max-config-bytes`: larger configs are not sent (size-budget.ts); Kong's 10 MiB by default. */
  readonly maxConfigBytes?: number;
}

/**
 * Whether this replica may push now. When replicas share their Kongs (gateway discovery), only the
 * leader pushes; the others keep polling every Kong's /status and keep the newest translation, so a
 * new leader pushes the moment it is told, without a cold start.
 */
export interface PushGate {
  allowed(): boolean;
  /** `listener` is called whenever `allowed()` may have changed. Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** The gate of a replica that owns its Kongs (a fixed --kong-admin-url list, a sidecar). */
export const ALWAYS_PUSH: PushGate = Object.freeze({
  allowed: () => true,
  subscribe: () => () => undefined,
});

export const DEFAULT_POLL_INTERVAL_MS = 10_000;

interface Plan {
  readonly input: SenderInput;
  readonly primary: Candidate;
}

/**
 * Of two nodes' copies of one object, the one every node has: the older generation, or the one whose
 * generation is not known (a config read back from Kong).
 */
function olderOf(a: GenerationRef | undefined, b: GenerationRef): GenerationRef {
  if (a === undefined || b.generation === undefined) return b;
  if (a.generation === undefined) return a;
  return a.generation <= b.generation ? a : b;
}

export class Sender {
  readonly #o: SenderOptions;
  readonly #log: Logger;
  readonly #backoff: BackoffOptions;
  readonly #pacing: PacingOptions;
  readonly #workers = new Map<string, GatewayWorker>();
  readonly #admins = new Map<string, KongAdminApi>();
  readonly #listeners = new Set<(view: SenderView) => void>();
  readonly #fallbacks = new Map<string, Candidate | null>();
  readonly #encoder = new ConfigEncoder();
  readonly #refs = new CandidateRefs();
  readonly #gate: PushGate;
  readonly #unsubscribeGate: () => void;
  #plan: Plan | undefined;
  #lastKnownGood: Candidate | undefined;
  #rejected: readonly ObjectFailure[] = [];
  /** The Gateway API statuses of the config a node confirmed last, with that config's hash. */
  #acceptedGatewayApi: { readonly hash: string; readonly statuses: GatewayApiStatuses } | undefined;
  #started = false;
  #stopped = false;

  constructor(options: SenderOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: "sender" });
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#pacing = { ...DEFAULT_PACING, ...options.pacing };
    this.#gate = options.pushGate ?? ALWAYS_PUSH;
    for (const admin of options.gateways) this.#addWorker(admin);
    this.#unsubscribeGate = this.#gate.subscribe(() => {
      this.#gateChanged();
    });
  }

  /** Starts every worker: each reads what its node runs, then pushes once a config is given. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    for (const worker of this.#workers.values()) worker.start();
  }

  /** Hands over a new translation. Cheap: the newest one wins, older queued ones are dropped. */
  update(input: SenderInput): void {
    const built = candidateOf(input.result, "primary", this.#encoder, this.#refs);
    const previous = this.#plan?.primary;
    // A byte-identical re-translation is the same config: keeping its candidate keeps the workers'
    // view of it (its role in a push under way, its push chain) instead of making it look replaced.
    const same = previous?.encoded.hash === built.encoded.hash;
    if (!same) {
      this.#fallbacks.clear();
      this.#rejected = [];
    }
    this.#plan = { input, primary: same ? previous : built };
    // A translation of the very config a node runs (a change that alters no Kong entity, such as a
    // route's generation or another controller's parent) decides that config's statuses anew.
    if (this.#acceptedGatewayApi?.hash === built.encoded.hash) {
      this.#acceptedGatewayApi = { hash: built.encoded.hash, statuses: input.result.gatewayApi };
    }
    // A replica that may not push measures no change: none is carried to Kong by it.
    if (this.#gate.allowed()) {
      for (const worker of this.#workers.values()) {
        if (input.changedAt !== undefined) worker.changed(input.changedAt);
        worker.wake();
      }
    }
    this.#notify();
  }

  /**
   * A new Kong node (e.g. a replica discovered mid-way): it gets the current config at once. The sender
   * owns `admin` from here on; one it refuses (stopped, or a node of that URL is already there) is closed.
   */
  addGateway(admin: KongAdminApi): void {
    if (this.#stopped || this.#workers.has(admin.url)) {
      void admin.close();
      return;
    }
    const worker = this.#addWorker(admin);
    if (this.#started) worker.start();
    this.#notify();
  }

  /**
   * Stops pushing to the node at `url` (abandoning a request in flight) and closes its client. The node
   * leaves the view at once; a node of the same URL may be added again before this resolves.
   */
  async removeGateway(url: string): Promise<void> {
    const worker = this.#workers.get(url);
    const admin = this.#admins.get(url);
    if (worker === undefined) return;
    this.#workers.delete(url);
    this.#admins.delete(url);
    this.#notify();
    await worker.stop();
    await admin?.close();
  }

  /** The current view: per-node state, accepted objects, objects Kong named as broken. */
  view(): SenderView {
    const accepted = this.acceptedObjects();
    const changes = accepted === undefined ? undefined : this.#refs.changesOf(accepted);
    return Object.freeze({
      gateways: [...this.#workers.values()].map(w => w.state),
      acceptedObjects: accepted,
      ...(changes === undefined ? {} : { acceptedChanges: changes }),
      rejectedObjects: this.#rejected,
      ...(this.#acceptedGatewayApi === undefined
        ? {}
        : { acceptedGatewayApi: this.#acceptedGatewayApi.statuses }),
    });
  }

  gateways(): readonly GatewayState[] {
    return [...this.#workers.values()].map(w => w.state);
  }

  /**
   * Objects contained in the configs the nodes accepted and still run (union over nodes), keyed by
   * `refKey`. Undefined while no node's running config is known: "not yet known", not "none".
   */
  acceptedObjects(): ReadonlyMap<string, GenerationRef> | undefined {
    const known = new Set<ReadonlyMap<string, GenerationRef>>();
    for (const worker of this.#workers.values()) {
      const objects = worker.runningObjects;
      if (objects !== undefined) known.add(objects);
    }
    // Usually every node runs the same config: its map is the answer, the same object each time
    // (so views that did not change can be told apart from ones that did without reading them).
    if (known.size <= 1) return known.values().next().value;
    const union = new Map<string, GenerationRef>();
    for (const objects of known)
      for (const [key, ref] of objects) union.set(key, olderOf(union.get(key), ref));
    return union;
  }

  /** Calls `listener` with the new view after every change. Returns the unsubscribe function. */
  subscribe(listener: (view: SenderView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every worker (abandoning requests in flight) and closes the clients. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribeGate();
    const workers = [...this.#workers.values()];
    await Promise.all(workers.map(w => w.stop()));
    await Promise.all([...this.#admins.values()].map(a => a.close()));
  }

  #addWorker(admin: KongAdminApi): GatewayWorker {
    const worker = new GatewayWorker({
      admin,
      plans: this.#planSource,
      clock: this.#o.clock,
      logger: this.#log,
      backoff: this.#backoff,
      random: this.#o.random ?? Math.random,
      pollIntervalMs: this.#o.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      pacing: this.#pacing,
      ...(this.#o.onPush === undefined ? {} : { onPush: this.#o.onPush }),
      ...(this.#o.onChangePushed === undefined ? {} : { onChangePushed: this.#o.onChangePushed }),
      ...(this.#o.maxConfigBytes === undefined ? {} : { maxConfigBytes: this.#o.maxConfigBytes }),
    });
    this.#workers.set(admin.url, worker);
    this.#admins.set(admin.url, admin);
    return worker;
  }

  /** Leadership came or went: a replica that may push now catches every node up at once. */
  #gateChanged(): void {
    if (this.#stopped || !this.#gate.allowed()) return;
    for (const worker of this.#workers.values()) worker.wake();
  }

  readonly #planSource: PlanSource = {
    // No target, no push: a replica that may not push still reads what every node runs.
    primary: () => (this.#gate.allowed() ? this.#plan?.primary : undefined),
    fallback: (primaryHash, failures) => this.#fallbackFor(primaryHash, failures),
    lastKnownGood: () => this.#lastKnownGood,
    accepted: candidate => {
      this.#lastKnownGood = candidate;
      const plan = this.#plan;
      if (candidate === plan?.primary) this.#rejected = [];
      // The newest translation of the primary's config, which a byte-identical one may have replaced.
      const statuses =
        candidate === plan?.primary ? plan.input.result.gatewayApi : candidate.gatewayApi;
      if (statuses !== undefined)
        this.#acceptedGatewayApi = { hash: candidate.encoded.hash, statuses };
      this.#notify();
    },
    rejected: (primaryHash, failures) => {
      if (this.#plan?.primary.encoded.hash !== primaryHash) return;
      this.#rejected = failuresByObject(failures);
      this.#notify();
    },
    discovered: candidate => {
      this.#lastKnownGood ??= candidate;
    },
    changed: () => {
      this.#notify();
    },
  };

  /**
   * The fallback for the current primary, built once per set of broken objects and shared by all nodes.
   * Null (memoised) when no failure names an object of the snapshot, when leaving them out changes
   * nothing, or when it would leave no object at all: a fallback never blanks Kong.
   */
  #fallbackFor(primaryHash: string, failures: readonly EntityFailure[]): Candidate | undefined {
    const plan = this.#plan;
    if (plan?.primary.encoded.hash !== primaryHash) return undefined;
    const fallback = planFallback({
      snapshot: plan.input.snapshot,
      results: plan.input.result.results,
      failures,
    });
    if (fallback === undefined) return undefined;
    const key = [primaryHash, ...fallback.broken.map(refKey)].join("|");
    if (!this.#fallbacks.has(key)) this.#fallbacks.set(key, this.#buildFallback(plan, fallback));
    return this.#fallbacks.get(key) ?? undefined;
  }

  #buildFallback(
    plan: Plan,
    fallback: NonNullable<ReturnType<typeof planFallback>>,
  ): Candidate | null {
    let candidate: Candidate;
    try {
      const result = this.#o.translate(fallback.snapshot);
      candidate = candidateOf(result, "fallback", this.#encoder, this.#refs);
    } catch (err) {
      this.#log.error({ err }, "Fallback translation failed");
      return null;
    }
    const keys = (refs: readonly ObjectRef[]): string[] => refs.map(refKey);
    const usable =
      candidate.encoded.hash !== plan.primary.encoded.hash && candidate.objects.size > 0;
    this.#log.warn(
      { broken: keys(fallback.broken), affected: keys(fallback.affected), usable },
      "Built a fallback config without the broken objects",
    );
    return usable ? candidate : null;
  }

  #notify(): void {
    if (this.#listeners.size === 0) return;
    const view = this.view();
    for (const listener of this.#listeners) {
      try {
        listener(view);
      } catch (err) {
        this.#log.error({ err }, "Sender listener failed");
      }
    }
  }
}
