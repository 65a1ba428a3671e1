/**
 * The push chain of one Kong node as a pure state machine: primary → per-object fallback →
 * last-known-good → exhausted, one chain per primary config. The gateway worker (gateway-worker.ts) is
 * the I/O loop around it: it feeds every event in, performs the effects that come out, and pushes
 * whatever `chainTarget` names.
 *
 * Every event moves the chain forward or leaves it where it is; none moves it back, and a config
 * refused once is never the target again. An unexpected error (a bug anywhere in an attempt, fallback
 * planning included) is an event like any other: it asks for a backoff that grows with each error in a
 * row and moves the chain on to last-known-good, so a node can never be sent the same rejected config
 * over and over.
 */
import type { EntityFailure } from "../kong/flattened-errors.ts";
import type { Degradation } from "./gateway-state.ts";
import type { Candidate } from "./last-known-good.ts";

/**
 * - `primary`: pushing the newest translation;
 * - `planning`: the primary was rejected; the fallback without the objects Kong named is being planned;
 * - `fallback`, `lastKnownGood`: pushing that candidate;
 * - `exhausted`: nothing left to try for this primary; the node keeps what it runs.
 */
export type ChainStage = "primary" | "planning" | "fallback" | "lastKnownGood" | "exhausted";

export interface PushChain {
  /** Hash of the primary config this chain is for; undefined before the first translation. */
  readonly primaryHash: string | undefined;
  readonly stage: ChainStage;
  /** The fallback or last-known-good being pushed (stages `fallback` and `lastKnownGood`). */
  readonly candidate: Candidate | undefined;
  /** Hashes of the configs the node refused for this primary: never pushed again. */
  readonly refused: ReadonlySet<string>;
  /** Why the node runs something other than the primary, once the primary failed. */
  readonly degraded: Degradation | undefined;
  /** Unexpected errors in a row (across primaries); sets the backoff, reset once the node runs a target. */
  readonly errors: number;
}

export type ChainEvent =
  /** The newest primary config; a new hash starts a new chain. */
  | { readonly type: "primary"; readonly hash: string }
  /** The node refused `target` for good (400, 413). */
  | {
      readonly type: "refused";
      readonly target: Candidate;
      readonly error: Degradation;
      /** Only a 400 names broken entities, so only it can lead to a fallback. */
      readonly failures: readonly EntityFailure[] | undefined;
      readonly lastKnownGood: Candidate | undefined;
    }
  /** The fallback asked for by `planFallback`; undefined when none helps. */
  | {
      readonly type: "fallbackPlanned";
      readonly primaryHash: string;
      readonly fallback: Candidate | undefined;
      readonly lastKnownGood: Candidate | undefined;
    }
  /** Anything thrown that is not an answer of Kong's: a bug, in planning or anywhere in an attempt. */
  | {
      readonly type: "unexpected";
      readonly error: Degradation;
      readonly lastKnownGood: Candidate | undefined;
    }
  /** The node confirmed it runs `target`. */
  | { readonly type: "confirmed"; readonly target: Candidate };

export type ChainEffect =
  /** Tell the sender the primary was rejected, with the objects Kong named. */
  | {
      readonly kind: "reportRejection";
      readonly primaryHash: string;
      readonly failures: readonly EntityFailure[];
    }
  /** Plan the fallback and answer with `fallbackPlanned` (or `unexpected` if planning throws). */
  | {
      readonly kind: "planFallback";
      readonly primaryHash: string;
      readonly failures: readonly EntityFailure[];
    }
  /** Wait before the next attempt: the `attempt`th step of the sender's backoff, saying why. */
  | { readonly kind: "backoff"; readonly attempt: number; readonly error: Degradation };

export interface ChainStep {
  readonly chain: PushChain;
  readonly effects: readonly ChainEffect[];
}

export const INITIAL_CHAIN: PushChain = Object.freeze({
  primaryHash: undefined,
  stage: "primary",
  candidate: undefined,
  refused: new Set<string>(),
  degraded: undefined,
  errors: 0,
});

/** The degradation an unexpected error leaves on a node. */
export function failureOf(error: unknown): Degradation {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    code: typeof code === "string" ? code : "ERR_UNEXPECTED",
    reason: error instanceof Error ? error.message : String(error),
  };
}

/** The config the node should run at this point of the chain, if any. */
export function chainTarget(
  chain: PushChain,
  primary: Candidate | undefined,
): Candidate | undefined {
  switch (chain.stage) {
    case "primary":
      return primary !== undefined && primary.encoded.hash === chain.primaryHash
        ? usable(chain, primary)
        : undefined;
    case "fallback":
    case "lastKnownGood":
      return chain.candidate;
    case "planning":
    case "exhausted":
      return undefined;
  }
}

/** The chain after `event`, and what the I/O loop must do for it. */
export function advanceChain(chain: PushChain, event: ChainEvent): ChainStep {
  switch (event.type) {
    case "primary":
      return event.hash === chain.primaryHash
        ? step(chain)
        : {
            chain: { ...INITIAL_CHAIN, primaryHash: event.hash, errors: chain.errors },
            effects: [],
          };
    case "refused":
      return refused(chain, event);
    case "fallbackPlanned":
      if (chain.stage !== "planning" || event.primaryHash !== chain.primaryHash) return step(chain);
      return step(
        usable(chain, event.fallback) === undefined
          ? toLastKnownGood(chain, event.lastKnownGood)
          : { ...chain, stage: "fallback", candidate: event.fallback },
      );
    case "unexpected":
      return unexpected(chain, event);
    case "confirmed":
      return step(chain.errors === 0 ? chain : { ...chain, errors: 0 });
  }
}

function refused(chain: PushChain, event: Extract<ChainEvent, { type: "refused" }>): ChainStep {
  const hash = event.target.encoded.hash;
  const next: PushChain = { ...chain, refused: new Set(chain.refused).add(hash) };
  // A config pushed before the chain moved on (a newer primary, an earlier stage): remember only.
  if (chainTarget(chain, event.target)?.encoded.hash !== hash) return step(next);
  if (chain.stage !== "primary") return step(toLastKnownGood(next, event.lastKnownGood));
  const degraded: PushChain = { ...next, degraded: event.error };
  const failures = event.failures ?? [];
  const report: ChainEffect = { kind: "reportRejection", primaryHash: hash, failures };
  if (failures.length === 0)
    return { chain: toLastKnownGood(degraded, event.lastKnownGood), effects: [report] };
  return {
    chain: { ...degraded, stage: "planning" },
    effects: [report, { kind: "planFallback", primaryHash: hash, failures }],
  };
}

function unexpected(
  chain: PushChain,
  event: Extract<ChainEvent, { type: "unexpected" }>,
): ChainStep {
  const errors = chain.errors + 1;
  const next: PushChain = {
    ...chain,
    errors,
    // Only an active chain changes course; the error is why the node will not run the primary.
    ...(chain.primaryHash === undefined ? {} : { degraded: chain.degraded ?? event.error }),
  };
  const moved = chain.primaryHash === undefined ? next : toLastKnownGood(next, event.lastKnownGood);
  return { chain: moved, effects: [{ kind: "backoff", attempt: errors, error: event.error }] };
}

/** Last-known-good when it is usable and not tried yet; exhausted otherwise. */
function toLastKnownGood(chain: PushChain, lastKnownGood: Candidate | undefined): PushChain {
  if (chain.stage === "lastKnownGood" || chain.stage === "exhausted")
    return { ...chain, stage: "exhausted", candidate: undefined };
  const candidate = usable(chain, lastKnownGood);
  return candidate === undefined
    ? { ...chain, stage: "exhausted", candidate: undefined }
    : { ...chain, stage: "lastKnownGood", candidate };
}

function usable(chain: PushChain, candidate: Candidate | undefined): Candidate | undefined {
  return candidate === undefined || chain.refused.has(candidate.encoded.hash)
    ? undefined
    : candidate;
}

function step(chain: PushChain): ChainStep {
  return { chain, effects: [] };
}
