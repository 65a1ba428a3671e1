/**
 * `Programmed` on KongPlugin, KongClusterPlugin and KongConsumer (kic-kong-resources.md §0.4), from the
 * config Kong last accepted: True when the object contributes to it, False/Invalid when it is ours and
 * left out (its Events say why). KIC writes it on KongConsumer only; here the plugins get it too, so
 * `kubectl get kongplugins` shows which ones Kong runs. Conditions of other types are kept.
 */
import type { Logger } from "pino";
import type { ObjectRef } from "../model/object-ref.ts";
import {
  conditionsEqual,
  mergeConditions,
  observedConditions,
  type DesiredCondition,
} from "./conditions.ts";
import {
  gatewayApiStatusPath,
  guardedStatusPatch,
  sameData,
  statusRecord,
} from "./gateway-api-status.ts";
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

/** The conditions with `observedGeneration` set to the generation the watch shows. */
function render(desired: KongDesiredStatus, observed: ObservedStatus, nowMs: number) {
  const current = observedConditions(statusRecord(observed)["conditions"]);
  const stamped = desired.conditions.map(c =>
    observed.generation === undefined ? c : { ...c, observedGeneration: observed.generation },
  );
  return mergeConditions(current, stamped, nowMs);
}

export const kongStatusMutator: StatusMutator<KongDesiredStatus> = {
  statusPath: (d, observed) => gatewayApiStatusPath(d.kind, d, observed),
  satisfied: (desired, observed) =>
    conditionsEqual(
      render(desired, observed, 0),
      observedConditions(statusRecord(observed)["conditions"]),
    ),
  same: (a, b) => sameData(a, b),
  patch: (desired, observed, nowMs) =>
    guardedStatusPatch(observed, { conditions: render(desired, observed, nowMs) }),
};

function isKongKind(ref: ObjectRef): ref is ObjectRef & { kind: KongDesiredStatus["kind"] } {
  return ref.group === KONG_GROUP && KONG_STATUS_KINDS.has(ref.kind);
}

export interface KongStatusPublisherOptions {
  readonly statuses: Pick<StatusWriter, "desire" | "release">;
  readonly updateStatus: boolean;
  readonly logger: Logger;
}

export class KongStatusPublisher {
  readonly #o: KongStatusPublisherOptions;
  #desiredKeys: ReadonlySet<string> = new Set();

  constructor(options: KongStatusPublisherOptions) {
    this.#o = options;
  }

  /** Kong accepted a config: Programmed on what it contains, not on what it leaves out. */
  onConfigApplied(report: AppliedConfigReport): void {
    if (!this.#o.updateStatus) return;
    const next = new Map<string, DesiredStatus>();
    const want = (ref: ObjectRef, condition: DesiredCondition): void => {
      if (!isKongKind(ref)) return;
      const desired: KongDesiredStatus = {
        kind: ref.kind,
        namespace: ref.namespace,
        name: ref.name,
        ...(ref.uid === undefined ? {} : { uid: ref.uid }),
        generation: undefined,
        conditions: [condition],
      };
      next.set(statusKey(desired), desired);
    };
    for (const ref of report.configured) want(ref, PROGRAMMED);
    for (const x of report.excluded) want(x.ref, INVALID);
    for (const key of this.#desiredKeys) if (!next.has(key)) this.#o.statuses.release(key);
    for (const desired of next.values()) this.#o.statuses.desire(desired);
    this.#desiredKeys = new Set(next.keys());
    this.#o.logger.debug({ objects: next.size }, "Publishing Kong object status");
  }
}
