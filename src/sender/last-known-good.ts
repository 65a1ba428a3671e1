/**
 * Configs as the sender handles them ("candidates"), and recovery of what a Kong node already runs, so a
 * restarted controller knows the last config Kong accepted without having pushed it itself.
 */
import { parse as parseYaml } from "yaml";
import { ConfigEncoder, encodeConfigText, type EncodedConfig } from "../kong/admin-client.ts";
import { objectsInConfig } from "../kong/flattened-errors.ts";
import { refKey, type GenerationRef, type ObjectRef } from "../model/object-ref.ts";
import type { GatewayApiStatuses, ObjectResult, TranslationResult } from "../translator/types.ts";

/** Where a candidate came from. `kong`: read back from a node at start-up (`GET /config`). */
export type CandidateOrigin = "primary" | "fallback" | "lastKnownGood" | "kong";

/** A config the sender may push, with the objects its entities are tagged with. */
export interface Candidate {
  readonly encoded: EncodedConfig;
  /**
   * The objects the config contains, keyed by `refKey`: for our translations, those whose result is
   * `translated`, at the generation translated; for a config read back from Kong, those its entities'
   * `k8s-*` tags name (no generation).
   */
  readonly objects: ReadonlyMap<string, GenerationRef>;
  readonly origin: CandidateOrigin;
  /**
   * Other hashes under which a node runs this same config. A config read back from Kong has the hash
   * Kong reported for it, which differs from the md5 of Kong's YAML rendering of it.
   */
  readonly aliases: readonly string[];
  /**
   * The Gateway API statuses the translation behind this config decided; absent for a config read
   * back from Kong, which says nothing about them.
   */
  readonly gatewayApi?: GatewayApiStatuses;
}

/**
 * Kinds translation reports as `translated` (they are ours) although no entity carries their tags. Left
 * out, so a candidate holds what the config contains, as a config read back from Kong shows it.
 */
const CLASS_KINDS: ReadonlySet<string> = new Set(["IngressClass"]);

/** More changed results than this, and the objects are built afresh (a full translation's are all new). */
const MAX_PATCHED_RESULTS = 64;

/** How a map of objects differs from an earlier one: the entries under `keys` were set anew. */
export interface ObjectsChanges {
  /** The map it was patched from. */
  readonly from: ReadonlyMap<string, GenerationRef>;
  /** Every key whose entry may differ from `from`'s; every other key holds the very same ref. */
  readonly keys: readonly string[];
}

/** A result whose object a candidate holds (`Candidate.objects`). */
function contained(r: ObjectResult): boolean {
  return r.outcome === "translated" && !CLASS_KINDS.has(r.ref.kind);
}

/**
 * Each result's key and ref at its generation, remembered per ref object: a memoising translator hands
 * out the same ref for an unchanged object, so a push builds no key or ref again for it. And the objects
 * map built last, with the results it came from: a translation that patched a few results of the last
 * one (translator/patch.ts) hands out the others as the same objects, so its map is the last one with
 * those few entries set, not a walk through every object (issue 7: 10k scattered visits per change).
 */
export class CandidateRefs {
  readonly #entries = new WeakMap<
    ObjectRef,
    { readonly key: string; readonly ref: GenerationRef; readonly generation: number | undefined }
  >();
  #last:
    | {
        readonly results: readonly ObjectResult[];
        readonly objects: ReadonlyMap<string, GenerationRef>;
      }
    | undefined;

  /**
   * The map patched last and the keys set anew in it, so status can follow a push by those keys alone
   * (runtime/applied-status.ts). The map it came from is held weakly: a record of one step must not
   * keep a chain of 10k-entry maps alive; whoever still compares against it holds it anyway.
   */
  #patch:
    | {
        readonly from: WeakRef<ReadonlyMap<string, GenerationRef>>;
        readonly objects: ReadonlyMap<string, GenerationRef>;
        readonly keys: readonly string[];
      }
    | undefined;

  #walks = 0;

  /** How many maps were built by walking every result; the others were patched from the last one. */
  get walks(): number {
    return this.#walks;
  }

  /** The objects `results` name, keyed by `refKey`, in their order: what a fresh walk would build. */
  objectsOf(results: readonly ObjectResult[]): ReadonlyMap<string, GenerationRef> {
    let objects = this.#patched(results);
    if (objects === undefined) {
      this.#patch = undefined;
      objects = this.#built(results);
    }
    this.#last = { results, objects };
    return objects;
  }

  /**
   * How `objects` differs from the map it was patched from, when it is the map patched last and that
   * one is still in use; undefined otherwise (built by a walk, or an older map): then nothing is known.
   */
  changesOf(objects: ReadonlyMap<string, GenerationRef>): ObjectsChanges | undefined {
    const patch = this.#patch;
    if (patch?.objects !== objects) return undefined;
    const from = patch.from.deref();
    return from === undefined ? undefined : { from, keys: patch.keys };
  }

  #built(results: readonly ObjectResult[]): Map<string, GenerationRef> {
    this.#walks++;
    const objects = new Map<string, GenerationRef>();
    for (const r of results)
      if (contained(r)) {
        const { key, ref } = this.of(r.ref, r.generation);
        objects.set(key, ref);
      }
    return objects;
  }

  /**
   * The last map with the entries of the results that differ set anew, when that equals a fresh walk:
   * the same number of results, and each that differs names the same key and is held or not as before
   * (so every key keeps its place in the map's order). Undefined otherwise.
   */
  #patched(results: readonly ObjectResult[]): ReadonlyMap<string, GenerationRef> | undefined {
    const last = this.#last;
    if (last?.results.length !== results.length) return undefined;
    let objects: Map<string, GenerationRef> | undefined;
    const keys: string[] = [];
    let differ = 0;
    for (let i = 0; i < results.length; i++) {
      const now = results[i];
      const was = last.results[i];
      if (now === was) continue;
      if (now === undefined || was === undefined || ++differ > MAX_PATCHED_RESULTS)
        return undefined;
      const held = contained(now);
      // One result per object (translator/types.ts), so a key set anew is never set by another too.
      if (held !== contained(was) || refKeyOf(this, was) !== refKeyOf(this, now)) return undefined;
      if (!held) continue;
      const { key, ref } = this.of(now.ref, now.generation);
      (objects ??= new Map(last.objects)).set(key, ref);
      keys.push(key);
    }
    if (objects === undefined) return last.objects;
    this.#patch = { from: new WeakRef(last.objects), objects, keys };
    return objects;
  }

  of(ref: ObjectRef, generation: number | undefined): { key: string; ref: GenerationRef } {
    let entry = this.#entries.get(ref);
    if (entry === undefined || entry.generation !== generation) {
      entry = {
        key: refKey(ref),
        ref: generation === undefined ? ref : { ...ref, generation },
        generation,
      };
      this.#entries.set(ref, entry);
    }
    return entry;
  }
}

function refKeyOf(refs: CandidateRefs, r: ObjectResult): string {
  return refs.of(r.ref, r.generation).key;
}

/**
 * A translation as the sender pushes it. The encoder should be long-lived (it copies each unchanged
 * entity's bytes from its last body); the objects come from the translation's own results, not from
 * walking every tag.
 */
export function candidateOf(
  result: TranslationResult,
  origin: CandidateOrigin,
  encoder: ConfigEncoder = new ConfigEncoder(),
  refs: CandidateRefs = new CandidateRefs(),
): Candidate {
  let objects: ReadonlyMap<string, GenerationRef> | undefined;
  // Only the results: a candidate kept as last-known-good must not keep its whole translation alive.
  const results = result.results;
  return {
    encoded: encoder.encode(result.config),
    // Built on first use: most candidates are superseded before a node confirms them.
    get objects(): ReadonlyMap<string, GenerationRef> {
      objects ??= refs.objectsOf(results);
      return objects;
    },
    origin,
    aliases: [],
    gatewayApi: result.gatewayApi,
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
