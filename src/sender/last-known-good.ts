/**
 * Configs as the sender handles them ("candidates"), and recovery of what a Kong node already runs, so a
 * restarted controller knows the last config Kong accepted without having pushed it itself.
 */
import { parse as parseYaml } from "yaml";
import { encodeConfig, encodeConfigText, type EncodedConfig } from "../kong/admin-client.ts";
import { objectsInConfig } from "../kong/flattened-errors.ts";
import type { KongConfig } from "../kong/types.ts";
import type { ObjectRef } from "../model/object-ref.ts";

/** Where a candidate came from. `kong`: read back from a node at start-up (`GET /config`). */
export type CandidateOrigin = "primary" | "fallback" | "lastKnownGood" | "kong";

/** A config the sender may push, with the objects its entities are tagged with. */
export interface Candidate {
  readonly encoded: EncodedConfig;
  /** Every object named by the `k8s-*` tags of the config's entities, keyed by `refKey`. */
  readonly objects: ReadonlyMap<string, ObjectRef>;
  readonly origin: CandidateOrigin;
  /**
   * Other hashes under which a node runs this same config. A config read back from Kong has the hash
   * Kong reported for it, which differs from the md5 of Kong's YAML rendering of it.
   */
  readonly aliases: readonly string[];
}

export function candidateOf(config: KongConfig, origin: CandidateOrigin): Candidate {
  return {
    encoded: encodeConfig(config),
    objects: objectsInConfig(config),
    origin,
    aliases: [],
  };
}

/** Whether a node reporting `hash` runs this candidate. */
export function runs(candidate: Candidate, hash: string | undefined): boolean {
  return (
    hash !== undefined && (candidate.encoded.hash === hash || candidate.aliases.includes(hash))
  );
}

/**
 * The config a node runs, from its `GET /config` YAML dump and the hash `GET /status` reported. Undefined
 * when the dump does not parse as a declarative config. Kong's dump is itself a valid declarative config
 * (flat, `_transform: false`), so it can be pushed again as last-known-good.
 */
export function candidateFromDump(yamlText: string, hash: string): Candidate | undefined {
  let parsed: unknown;
  try {
    parsed = parseYaml(yamlText);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object" || !("_format_version" in parsed))
    return undefined;
  return {
    encoded: encodeConfigText(yamlText, parsed),
    objects: objectsInConfig(parsed),
    origin: "kong",
    aliases: [hash],
  };
}
