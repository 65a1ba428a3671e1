/**
 * The push chain reducer, state by event: every stage meets every event, and the invariants hold
 * after each step (a refused config is never the target again; every unexpected error asks for a
 * backoff).
 */
import { describe, expect, it } from "vitest";
import type { EntityFailure } from "../../../src/kong/flattened-errors.ts";
import { refOf } from "../../../src/model/object-ref.ts";
import type { Degradation } from "../../../src/sender/gateway-state.ts";
import { candidateOf, type Candidate } from "../../../src/sender/last-known-good.ts";
import {
  advanceChain,
  chainTarget,
  failureOf,
  INITIAL_CHAIN,
  type ChainEvent,
  type ChainStage,
  type PushChain,
} from "../../../src/sender/push-chain.ts";
import { clusterSnapshot, ing, svc, translate } from "./cluster.ts";

const web = svc("shop", "web");
const broken = ing("shop", "broken", ["web"]);
const storefront = ing("shop", "storefront", ["web"]);

function candidate(objects: Parameters<typeof clusterSnapshot>[0], origin: Candidate["origin"]) {
  return candidateOf(translate(clusterSnapshot(objects)), origin);
}

/** The newest translation, with an Ingress Kong rejects. */
const P = candidate([web, storefront, broken], "primary");
/** The fallback without it. */
const F = candidate([web, storefront], "fallback");
/** What Kong accepted before. */
const L = candidate([web, ing("shop", "older", ["web"])], "lastKnownGood");
/** A newer translation. */
const Q = candidate([web, storefront, ing("shop", "newer", ["web"])], "primary");
/** A config pushed before the chain moved on. */
const X = candidate([web], "primary");

const names = new Map([P, F, L, Q, X].map((c, i) => [c.encoded.hash, "PFLQX"[i]!]));
const nameOf = (c: Candidate | undefined) => (c === undefined ? "-" : names.get(c.encoded.hash));

const failures: readonly EntityFailure[] = [
  { entityType: "route", ref: refOf(broken), problems: [{ message: "bad" }] },
];
const rejected: Degradation = { code: "ERR_KONG_REJECTED", reason: "rejected" };
const tooLarge: Degradation = { code: "ERR_KONG_CONFIG_TOO_LARGE", reason: "too large" };
const bug: Degradation = failureOf(new TypeError("x is undefined"));

const hashes = (...cs: Candidate[]) => new Set(cs.map(c => c.encoded.hash));
const at = (stage: ChainStage, fields: Partial<PushChain> = {}): PushChain => ({
  ...INITIAL_CHAIN,
  primaryHash: P.encoded.hash,
  stage,
  ...fields,
});

const STATES: Record<string, PushChain> = {
  primary: at("primary"),
  planning: at("planning", { refused: hashes(P), degraded: rejected }),
  fallback: at("fallback", { candidate: F, refused: hashes(P), degraded: rejected }),
  lastKnownGood: at("lastKnownGood", {
    candidate: L,
    refused: hashes(P, F),
    degraded: rejected,
  }),
  exhausted: at("exhausted", { refused: hashes(P, F, L), degraded: rejected }),
};

/** What the node is being sent in `chain` (P when nothing: the primary refused again, late). */
const current = (chain: PushChain): Candidate => chainTarget(chain, P) ?? P;

const EVENTS: Record<string, (chain: PushChain) => ChainEvent> = {
  "same primary": () => ({ type: "primary", hash: P.encoded.hash }),
  "new primary": () => ({ type: "primary", hash: Q.encoded.hash }),
  "400 naming objects": c => ({
    type: "refused",
    target: current(c),
    error: rejected,
    failures,
    lastKnownGood: L,
  }),
  "413": c => ({
    type: "refused",
    target: current(c),
    error: tooLarge,
    failures: undefined,
    lastKnownGood: L,
  }),
  "late refusal of an older push": () => ({
    type: "refused",
    target: X,
    error: rejected,
    failures,
    lastKnownGood: L,
  }),
  "fallback planned": () => ({
    type: "fallbackPlanned",
    primaryHash: P.encoded.hash,
    fallback: F,
    lastKnownGood: L,
  }),
  "no fallback helps": () => ({
    type: "fallbackPlanned",
    primaryHash: P.encoded.hash,
    fallback: undefined,
    lastKnownGood: L,
  }),
  "unexpected error": () => ({ type: "unexpected", error: bug, lastKnownGood: L }),
  confirmed: c => ({ type: "confirmed", target: current(c) }),
};

/** [state, event, stage after, target after (P F L Q or -), effects asked for]. */
const TABLE: [string, string, ChainStage, string, string[]][] = [
  ["primary", "same primary", "primary", "P", []],
  ["primary", "new primary", "primary", "Q", []],
  ["primary", "400 naming objects", "planning", "-", ["reportRejection", "planFallback"]],
  ["primary", "413", "lastKnownGood", "L", ["reportRejection"]],
  ["primary", "late refusal of an older push", "primary", "P", []],
  ["primary", "fallback planned", "primary", "P", []],
  ["primary", "no fallback helps", "primary", "P", []],
  ["primary", "unexpected error", "lastKnownGood", "L", ["backoff"]],
  ["primary", "confirmed", "primary", "P", []],

  ["planning", "same primary", "planning", "-", []],
  ["planning", "new primary", "primary", "Q", []],
  ["planning", "400 naming objects", "planning", "-", []],
  ["planning", "413", "planning", "-", []],
  ["planning", "late refusal of an older push", "planning", "-", []],
  ["planning", "fallback planned", "fallback", "F", []],
  ["planning", "no fallback helps", "lastKnownGood", "L", []],
  ["planning", "unexpected error", "lastKnownGood", "L", ["backoff"]],
  ["planning", "confirmed", "planning", "-", []],

  ["fallback", "same primary", "fallback", "F", []],
  ["fallback", "new primary", "primary", "Q", []],
  ["fallback", "400 naming objects", "lastKnownGood", "L", []],
  ["fallback", "413", "lastKnownGood", "L", []],
  ["fallback", "late refusal of an older push", "fallback", "F", []],
  ["fallback", "fallback planned", "fallback", "F", []],
  ["fallback", "no fallback helps", "fallback", "F", []],
  ["fallback", "unexpected error", "lastKnownGood", "L", ["backoff"]],
  ["fallback", "confirmed", "fallback", "F", []],

  ["lastKnownGood", "same primary", "lastKnownGood", "L", []],
  ["lastKnownGood", "new primary", "primary", "Q", []],
  ["lastKnownGood", "400 naming objects", "exhausted", "-", []],
  ["lastKnownGood", "413", "exhausted", "-", []],
  ["lastKnownGood", "late refusal of an older push", "lastKnownGood", "L", []],
  ["lastKnownGood", "fallback planned", "lastKnownGood", "L", []],
  ["lastKnownGood", "no fallback helps", "lastKnownGood", "L", []],
  ["lastKnownGood", "unexpected error", "exhausted", "-", ["backoff"]],
  ["lastKnownGood", "confirmed", "lastKnownGood", "L", []],

  ["exhausted", "same primary", "exhausted", "-", []],
  ["exhausted", "new primary", "primary", "Q", []],
  ["exhausted", "400 naming objects", "exhausted", "-", []],
  ["exhausted", "413", "exhausted", "-", []],
  ["exhausted", "late refusal of an older push", "exhausted", "-", []],
  ["exhausted", "fallback planned", "exhausted", "-", []],
  ["exhausted", "no fallback helps", "exhausted", "-", []],
  ["exhausted", "unexpected error", "exhausted", "-", ["backoff"]],
  ["exhausted", "confirmed", "exhausted", "-", []],
];

describe("push chain: every stage × every event", () => {
  it("covers every pair", () => {
    const pairs = new Set(TABLE.map(([state, event]) => `${state} × ${event}`));
    expect(pairs.size).toBe(Object.keys(STATES).length * Object.keys(EVENTS).length);
    expect(TABLE).toHaveLength(pairs.size);
  });

  it.each(TABLE)("%s × %s → %s, target %s, effects %j", (state, event, stage, target, effects) => {
    const before = STATES[state]!;
    const e = EVENTS[event]!(before);
    const after = advanceChain(before, e);
    const primary = e.type === "primary" && e.hash === Q.encoded.hash ? Q : P;

    expect(after.chain.stage).toBe(stage);
    expect(nameOf(chainTarget(after.chain, primary))).toBe(target);
    expect(after.effects.map(x => x.kind)).toEqual(effects);
    // Invariants: nothing refused is ever the target; nothing refused is forgotten within a chain.
    const next = chainTarget(after.chain, primary);
    if (next !== undefined) expect(after.chain.refused.has(next.encoded.hash)).toBe(false);
    if (after.chain.primaryHash === before.primaryHash)
      for (const hash of before.refused) expect(after.chain.refused.has(hash)).toBe(true);
    // The reducer is pure: the state it was given is unchanged.
    expect(before).toEqual(STATES[state]);
  });
});

describe("push chain details", () => {
  it("remembers a refused config, and why the node does not run the primary", () => {
    const step = advanceChain(
      STATES["primary"]!,
      EVENTS["400 naming objects"]!(STATES["primary"]!),
    );
    expect(step.chain.refused).toEqual(hashes(P));
    expect(step.chain.degraded).toEqual(rejected);
    expect(step.effects).toEqual([
      { kind: "reportRejection", primaryHash: P.encoded.hash, failures },
      { kind: "planFallback", primaryHash: P.encoded.hash, failures },
    ]);
  });

  it("takes a 413 as a rejection that no fallback can help", () => {
    const step = advanceChain(STATES["primary"]!, EVENTS["413"]!(STATES["primary"]!));
    expect(step.effects).toEqual([
      { kind: "reportRejection", primaryHash: P.encoded.hash, failures: [] },
    ]);
    expect(step.chain.degraded).toEqual(tooLarge);
  });

  it("goes to last-known-good when the planned fallback is a config already refused", () => {
    const step = advanceChain(STATES["planning"]!, {
      type: "fallbackPlanned",
      primaryHash: P.encoded.hash,
      fallback: P,
      lastKnownGood: L,
    });
    expect(nameOf(chainTarget(step.chain, P))).toBe("L");
  });

  it("is exhausted when there is no last-known-good, or it was refused", () => {
    const none = advanceChain(STATES["fallback"]!, {
      type: "refused",
      target: F,
      error: rejected,
      failures,
      lastKnownGood: undefined,
    });
    expect(none.chain.stage).toBe("exhausted");
    const refusedBefore = advanceChain(at("fallback", { candidate: F, refused: hashes(P, L) }), {
      type: "refused",
      target: F,
      error: rejected,
      failures,
      lastKnownGood: L,
    });
    expect(refusedBefore.chain.stage).toBe("exhausted");
  });

  it("ignores a plan for another primary", () => {
    const step = advanceChain(STATES["planning"]!, {
      type: "fallbackPlanned",
      primaryHash: Q.encoded.hash,
      fallback: F,
      lastKnownGood: L,
    });
    expect(step.chain).toBe(STATES["planning"]);
  });

  it("backs off one step further for each unexpected error in a row, across primaries", () => {
    let chain = STATES["primary"]!;
    const attempts: number[] = [];
    const events: ChainEvent[] = [
      { type: "unexpected", error: bug, lastKnownGood: L },
      { type: "unexpected", error: bug, lastKnownGood: L },
      { type: "primary", hash: Q.encoded.hash },
      { type: "unexpected", error: bug, lastKnownGood: L },
    ];
    for (const event of events) {
      const step = advanceChain(chain, event);
      chain = step.chain;
      for (const effect of step.effects)
        if (effect.kind === "backoff") attempts.push(effect.attempt);
    }
    expect(attempts).toEqual([1, 2, 3]);
    // The new primary was abandoned for last-known-good too, because of the error.
    expect(chain.stage).toBe("lastKnownGood");
    expect(chain.degraded).toEqual(bug);

    const confirmed = advanceChain(chain, { type: "confirmed", target: L });
    expect(confirmed.chain.errors).toBe(0);
    const again = advanceChain(confirmed.chain, {
      type: "unexpected",
      error: bug,
      lastKnownGood: L,
    });
    expect(again.effects).toEqual([{ kind: "backoff", attempt: 1, error: bug }]);
  });

  it("keeps the rejection as the reason when an unexpected error follows it", () => {
    const step = advanceChain(STATES["planning"]!, {
      type: "unexpected",
      error: bug,
      lastKnownGood: L,
    });
    expect(step.chain.degraded).toEqual(rejected);
  });

  it("before any translation, an unexpected error only backs off", () => {
    const step = advanceChain(INITIAL_CHAIN, { type: "unexpected", error: bug, lastKnownGood: L });
    expect(step.chain).toMatchObject({ stage: "primary", primaryHash: undefined, errors: 1 });
    expect(step.chain.degraded).toBeUndefined();
    expect(step.effects).toEqual([{ kind: "backoff", attempt: 1, error: bug }]);
  });

  it("names an error without a code ERR_UNEXPECTED", () => {
    expect(bug).toEqual({ code: "ERR_UNEXPECTED", reason: "x is undefined" });
    expect(failureOf("text")).toEqual({ code: "ERR_UNEXPECTED", reason: "text" });
  });
});
