/**
 * What the sender knows about each Kong node, in the shape readiness, metrics and status read. Plain
 * frozen data: every change produces a new value.
 */
import type { ObjectFailure } from "../kong/flattened-errors.ts";
import type { GenerationRef } from "../model/object-ref.ts";
import type { GatewayApiStatuses } from "../translator/types.ts";
import type { CandidateOrigin, ObjectsChanges } from "./last-known-good.ts";

/**
 * - `pending`: nothing known yet (never reached since start);
 * - `synced`: the node runs the config the sender wants it to run (possibly a fallback, see `degraded`);
 * - `failing`: the last attempt failed; retries continue with backoff.
 */
export type GatewayPhase = "pending" | "synced" | "failing";

/** Why a synced node runs something other than the newest translation. */
export interface Degradation {
  readonly code: string;
  readonly reason: string;
}

export interface GatewayState {
  /** Display URL of the node's Admin API. */
  readonly url: string;
  readonly phase: GatewayPhase;
  /** When the current phase began (epoch ms, injected clock). */
  readonly since: number;
  /** The configuration hash the node last reported, when known. */
  readonly hash?: string;
  /** Synced: which config the node runs. */
  readonly config?: CandidateOrigin;
  /** Synced on a fallback or last-known-good config: why. */
  readonly degraded?: Degradation;
  /** Failing: the error code and message of the last attempt, and how many attempts failed in a row. */
  readonly code?: string;
  readonly reason?: string;
  readonly attempts?: number;
}

/** The sender's whole view, as subscribers receive it. */
export interface SenderView {
  readonly gateways: readonly GatewayState[];
  /**
   * Objects contained in a config a node accepted and still runs (union over nodes), keyed by `refKey`.
   * Undefined while no node's running config is known yet: "not yet known" differs from "not configured".
   */
  readonly acceptedObjects: ReadonlyMap<string, GenerationRef> | undefined;
  /**
   * How `acceptedObjects` differs from an earlier map, when the sender patched it from that one (a
   * push that changed a few objects): what lets status follow a push by the changed keys alone.
   */
  readonly acceptedChanges?: ObjectsChanges;
  /** Objects Kong named as broken in the newest translation; empty once it is accepted. */
  readonly rejectedObjects: readonly ObjectFailure[];
  /**
   * The Gateway API statuses of the config a node confirmed last, as the newest translation of that
   * very config decided them. Absent until a node confirmed a config of ours (one read back from Kong
   * carries none): Gateways and routes are then not reported on.
   */
  readonly acceptedGatewayApi?: GatewayApiStatuses;
}

/** True once at least one node runs a config we know to be good (what `/readyz` waits for). */
export function anySynced(view: SenderView): boolean {
  return view.gateways.some(g => g.phase === "synced");
}
