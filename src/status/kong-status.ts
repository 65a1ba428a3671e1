/**
 * `Programmed` on KongPlugin, KongClusterPlugin and KongConsumer (kic-kong-resources.md §0.4), from the
 * config Kong last accepted: True when the object contributes to it, False/Invalid when it is ours and
 * left out (its Events say why). KIC writes it on KongConsumer only; here the plugins get it too, so
 * `kubectl get kongplugins` shows which ones Kong runs. Conditions of other types are kept.
 */
import type { Logger } from "pino";
import { refKey, type GenerationRef } from "../model/object-ref.ts";
import {
  conditionsEqual,
  isStale,
  mergeConditions,
  observedConditions,
  type Condition,
  type DesiredCondition,
} from "./conditions.ts";
import { gatewayApiStatusPath, guardedStatusPatch, statusRecord } from "./gateway-api-status.ts";
import { sameData } from "../util/compare.ts";
import type { AppliedConfigReport } from "./ingress-publisher.ts";
import {
  statusKey,
  type DesiredStatus,
  type KongDesiredStatus,
  type StatusMutator,
} from "./mutator.ts";
import type { ObservedStatus } from "./observed.ts";
import type { StatusWriter } from "./writer.ts";

/** The kinds this publisher writes `Programmed` on. */
export const KONG_STATUS_KINDS: ReadonlySet<string> = new Set([
  "KongPlugin",
  "KongClusterPlugin",
  "KongConsumer",
]);

const KONG_GROUP = "configuration.konghq.com";

const PROGRAMMED: DesiredCondition = {
  type: "Programmed",
  status: "True",
  reason: "Programmed",
  message: "Object was successfully configured in Kong.",
};

const INVALID: DesiredCondition = {
  type: "Programmed",
  status: "False",
  reason: "Invalid",
  message: "Object failed to be configured in Kong - see its attached Events for more information.",
};

/**
 * The conditions with `observedGeneration` set to the generation translated, as for Ingress and the
 * Gateway API kinds: the watch may already show a newer one that Kong does not run yet. Without one (a
 * config read back from Kong) an unchanged condition keeps the generation it had, and a changed one
 * claims none.
 */
function render(desired: KongDesiredStatus, current: readonly Condition[], nowMs: number) {
  const stamped = desired.conditions.map(c => {
    const generation =
      desired.generation ??
      current.find(old => old.type === c.type && old.status === c.status)?.observedGeneration;
    return generation === undefined ? c : { ...c, observedGeneration: generation };
  });
  return mergeConditions(current, stamped, nowMs);
}

const conditionsOf = (observed: ObservedStatus): Condition[] =>
  observedConditions(statusRecord(observed)["conditions"]);

export const kongStatusMutator: StatusMutator<KongDesiredStatus> = {
  statusPath: (d, observed) => gatewayApiStatusPath(d.kind, d, observed),
  satisfied: (desired, observed) => {
    const current = conditionsOf(observed);
    // A status about a newer generation is not regressed (a node still runs an older config).
    if (isStale(current, desired.generation)) return true;
    return conditionsEqual(render(desired, current, 0), current);
  },
  same: (a, b) => sameData(a, b),
  patch: (desired, observed, nowMs) =>
    guardedStatusPatch(observed, { conditions: render(desired, conditionsOf(observed), nowMs) }),
};

function isKongKind(
  ref: GenerationRef,
): ref is GenerationRef & { kind: KongDesiredStatus["kind"] } {
  return ref.group === KONG_GROUP && KONG_STATUS_KINDS.has(ref.kind);
}

export interface KongStatusPublisherOptions {
  readonly statuses: Pick<StatusWriter, "desire" | "release">;
  readonly updateStatus: boolean;
  readonly logger: Logger;
}

function desiredOf(
  ref: GenerationRef & { kind: KongDesiredStatus["kind"] },
  condition: DesiredCondition,
): KongDesiredStatus {
  return {
    kind: ref.kind,
    namespace: ref.namespace,
    name: ref.name,
    ...(ref.uid === undefined ? {} : { uid: ref.uid }),
    generation: ref.generation,
    conditions: [condition],
  };
}

export class KongStatusPublisher {
  readonly #o: KongStatusPublisherOptions;
  /** What the writer was handed, by key, so those left out now can be released. */
  #desiredKeys = new Map<string, DesiredStatus>();
  /** The serial of the report handled last: a report that names it as `since` is taken by its keys. */
  #serial: number | undefined;

  constructor(options: KongStatusPublisherOptions) {
    this.#o = options;
  }

  /** Kong accepted a config: Programmed on what it contains, not on what it leaves out. */
  onConfigApplied(report: AppliedConfigReport): void {
    if (!this.#o.updateStatus) return;
    const changes = report.changes;
    const follows = changes !== undefined && changes.since === this.#serial;
    this.#serial = report.serial;
    if (follows) this.#publishKeys(report, changes.keys);
    else this.#publishAll(report);
    this.#o.logger.debug({ objects: this.#desiredKeys.size }, "Publishing Kong object status");
  }

  #publishAll(report: AppliedConfigReport): void {
    const next = new Map<string, DesiredStatus>();
    const want = (ref: GenerationRef, condition: DesiredCondition): void => {
      if (!isKongKind(ref)) return;
      const desired = desiredOf(ref, condition);
      next.set(statusKey(desired), desired);
    };
    for (const ref of report.configured.values()) want(ref, PROGRAMMED);
    for (const x of report.excluded) want(x.ref, INVALID);
    for (const key of this.#desiredKeys.keys()) if (!next.has(key)) this.#o.statuses.release(key);
    for (const desired of next.values()) this.#o.statuses.desire(desired);
    this.#desiredKeys = next;
  }

  /**
   * What `#publishAll` would change, by the keys that changed alone: every other key's ref and
   * exclusion are the very ones of the last report, so its status is the one handed then.
   */
  #publishKeys(report: AppliedConfigReport, keys: Iterable<string>): void {
    // An exclusion wins over the config, as it comes later in the full pass.
    const excluded = new Map<string, GenerationRef>();
    for (const x of report.excluded) if (isKongKind(x.ref)) excluded.set(refKey(x.ref), x.ref);
    for (const key of keys) {
      const invalid = excluded.get(key);
      const ref = invalid ?? report.configured.get(key);
      if (ref !== undefined && isKongKind(ref)) {
        const desired = desiredOf(ref, invalid === undefined ? PROGRAMMED : INVALID);
        this.#desiredKeys.set(key, desired);
        this.#o.statuses.desire(desired, key);
      } else if (this.#desiredKeys.delete(key)) {
        this.#o.statuses.release(key);
      }
    }
  }
}
