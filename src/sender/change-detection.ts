/**
 * Whether a node needs a push (STYLE.md rule 6, KIC `config_change_detector.go`). Because we send the
 * config as a string, Kong's `configuration_hash` is the md5 of our bytes, so this is an exact comparison,
 * not KIC's "our SHA changed, or Kong reports zeros" approximation.
 */
import { EMPTY_CONFIG_HASH } from "../kong/types.ts";
import { runs, type Candidate } from "./last-known-good.ts";

export type SyncDecision =
  /** The node already runs the target: nothing to send. */
  | { readonly action: "skip" }
  /**
   * - `kongEmpty`: the node reports the zero hash (it restarted without its config);
   * - `differs`: it runs something else (an older config, or another writer's);
   * - `unknown`: it reports no hash (not DB-less, or an old version).
   */
  | { readonly action: "push"; readonly reason: "kongEmpty" | "differs" | "unknown" };

export function decideSync(target: Candidate, kongHash: string | undefined): SyncDecision {
  if (runs(target, kongHash)) return { action: "skip" };
  if (kongHash === undefined) return { action: "push", reason: "unknown" };
  if (kongHash === EMPTY_CONFIG_HASH) return { action: "push", reason: "kongEmpty" };
  return { action: "push", reason: "differs" };
}
