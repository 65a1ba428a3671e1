/** Our config as it goes on the wire to Kong, with the hash Kong reports once it runs it. */
import { createHash, type Hash } from "node:crypto";
import { stableStringify } from "../util/stable-json.ts";
import { EMPTY_CONFIG_HASH, type KongConfig } from "./types.ts";

/**
 * A config as it goes on the wire, with the hash Kong will report for it.
 *
 * Why a string body: Kong computes `configuration_hash` as the md5 of the exact bytes only when the config
 * arrives as a string; for a JSON object (what KIC sends) it hashes an internal map with fresh timestamps,
 * which nobody can recompute and which makes `check_hash=1` useless (kong-admin-api.md §3.1, §6). So we
 * send canonical JSON as a raw body with `Content-Type: application/yaml` (JSON is YAML; Kong tries JSON
 * first). Then (1) `check_hash=1` answers 304 and saves Kong a reload when it already runs these bytes, and
 * (2) md5 of what we send equals what `GET /status` reports, so we know exactly whether a node runs our
 * config, across controller restarts too. A raw body also avoids the escaping overhead of the JSON
 * `{"config": "<string>"}` form, which matters against Kong's 10 MiB body limit.
 */
export interface EncodedConfig {
  readonly body: string;
  readonly contentType: string;
  readonly bytes: number;
  /** What `GET /status` reports once Kong runs this config (all zeros for a config without entities). */
  readonly hash: string;
}

const CONTENT_TYPE = "application/yaml";

/** Pieces (entities and punctuation) between two saved md5 states. */
const CHECKPOINT = 256;

/** Encodes our config; equal configs give equal bytes and so equal hashes. */
export function encodeConfig(config: KongConfig): EncodedConfig {
  return new ConfigEncoder().encode(config);
}

/**
 * Encodes configs the way `encodeConfig` does, remembering the canonical JSON of every top-level entity
 * (a Kong service with its routes, an upstream with its targets, a certificate) by object identity. The
 * translator hands out the same entity object while its inputs are unchanged, so after a one-object
 * change the body is a join of cached fragments, not a sorted deep copy of the whole config.
 */
export class ConfigEncoder {
  readonly #fragments = new WeakMap<object, string>();
  /** The last body's pieces and md5 states saved along them, to resume hashing after a change. */
  #last: { readonly pieces: readonly string[]; readonly checkpoints: readonly Hash[] } | undefined;

  encode(config: KongConfig): EncodedConfig {
    // One flat list of pieces joined once: no intermediate copy of each entity list.
    const pieces: string[] = [];
    for (const key of Object.keys(config).sort()) {
      const value: unknown = (config as unknown as Record<string, unknown>)[key];
      if (value === undefined) continue;
      pieces.push(pieces.length === 0 ? "{" : ",", JSON.stringify(key), ":");
      if (!Array.isArray(value)) {
        pieces.push(stableStringify(value));
        continue;
      }
      pieces.push("[");
      for (const [i, item] of value.entries()) {
        if (i > 0) pieces.push(",");
        pieces.push(this.#fragment(item));
      }
      pieces.push("]");
    }
    pieces.push(pieces.length === 0 ? "{}" : "}");
    const body = pieces.join("");
    if (!hasEntities(config)) return encodeText(body, false);
    return { body, contentType: CONTENT_TYPE, bytes: Buffer.byteLength(body), hash: this.#md5(pieces) };
  }

  /**
   * md5 of the pieces' concatenation. The md5 state is saved every CHECKPOINT pieces; the next body is
   * hashed from the last saved state before its first piece that differs, so a change near the end
   * costs a little hashing and one in the middle half of it. Unchanged pieces are the same cached
   * strings, so finding the first difference is a pointer comparison per piece.
   */
  #md5(pieces: readonly string[]): string {
    const last = this.#last;
    let same = 0;
    if (last !== undefined) {
      const limit = Math.min(pieces.length, last.pieces.length);
      while (same < limit && pieces[same] === last.pieces[same]) same++;
    }
    const resumeAt = Math.floor(same / CHECKPOINT);
    const checkpoints = last?.checkpoints.slice(0, resumeAt + 1) ?? [];
    // checkpoints[k] is the state before piece k × CHECKPOINT; resume from the last one kept.
    let hash = checkpoints.at(-1)?.copy() ?? createHash("md5");
    for (let i = Math.max(0, checkpoints.length - 1) * CHECKPOINT; i < pieces.length; i++) {
      if (i === checkpoints.length * CHECKPOINT) checkpoints.push(hash.copy());
      hash = hash.update(pieces[i] ?? "");
    }
    this.#last = { pieces, checkpoints };
    return hash.digest("hex");
  }

  #fragment(item: unknown): string {
    // What JSON.stringify writes for an array element that is not an object (undefined becomes null).
    if (item === null || typeof item !== "object") return JSON.stringify(item ?? null);
    let json = this.#fragments.get(item);
    if (json === undefined) {
      json = stableStringify(item);
      this.#fragments.set(item, json);
    }
    return json;
  }
}

/** Encodes a config we only have as text (Kong's own `GET /config` YAML dump). */
export function encodeConfigText(text: string, parsed: unknown): EncodedConfig {
  return encodeText(text, hasEntities(parsed));
}

function encodeText(body: string, entities: boolean): EncodedConfig {
  const bytes = Buffer.byteLength(body);
  // Kong forces the zero hash for a config without entities (§6), whatever its bytes.
  const hash = entities ? createHash("md5").update(body).digest("hex") : EMPTY_CONFIG_HASH;
  return { body, contentType: CONTENT_TYPE, bytes, hash };
}

function hasEntities(config: unknown): boolean {
  if (config === null || typeof config !== "object") return false;
  return Object.entries(config).some(
    ([key, value]) => !key.startsWith("_") && Array.isArray(value) && value.length > 0,
  );
}
