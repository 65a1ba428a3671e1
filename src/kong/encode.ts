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
  /** The exact bytes to send, as text. May be built on each read (ConfigEncoder): read it once per use. */
  readonly body: string;
  /**
   * The same bytes as UTF-8 in pieces, when the encoder holds them so (ConfigEncoder): what is sent,
   * piece after piece, so a push neither joins nor encodes the 10 MB of a large config again.
   */
  readonly chunks?: readonly Uint8Array[];
  readonly contentType: string;
  readonly bytes: number;
  /** What `GET /status` reports once Kong runs this config (all zeros for a config without entities). */
  readonly hash: string;
}

const CONTENT_TYPE = "application/yaml";

/** Pieces (entities and punctuation) per block of the body. */
const BLOCK = 256;

interface Blocks {
  readonly pieces: readonly string[];
  /** Each block's UTF-8 bytes, encoded once when the block is built. */
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
  readonly states: readonly Hash[];
  readonly hash: string;
}

/** Whether `a` and `b` hold the same pieces in the block [from, to) of `a`, and `b`'s block ends there too. */
function sameRange(a: readonly string[], b: readonly string[], from: number, to: number): boolean {
  if (Math.min(b.length, from + BLOCK) !== to) return false;
  for (let i = from; i < to; i++) if (a[i] !== b[i]) return false;
  return true;
}

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
  /** The last body, as blocks of pieces, to reuse its unchanged blocks and resume its md5. */
  #last: Blocks | undefined;

  encode(config: KongConfig): EncodedConfig {
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
    if (!hasEntities(config)) return encodeText(pieces.join(""), false);
    const blocks = this.#blocks(pieces);
    this.#last = blocks;
    const { chunks, bytes } = blocks;
    return {
      // Joined when read (rare: what a push sends is the chunks), never kept: the blocks already
      // hold these bytes, and the blocks an older config shares with a newer one are the same
      // buffers. A joined copy kept per config held 10 MiB more at 10k objects for each config the
      // sender keeps (newest, last good).
      get body(): string {
        return Buffer.concat(chunks, bytes).toString("utf8");
      },
      chunks,
      contentType: CONTENT_TYPE,
      bytes,
      hash: blocks.hash,
    };
  }

  /**
   * The pieces in blocks of BLOCK, each joined once, and the md5 of their concatenation. A block whose
   * pieces are the ones of last time (the same cached strings: a pointer comparison each) keeps its
   * text; md5 resumes from the state saved before the first block that changed. So after a one-entity
   * change, what is built again is one block, and what is hashed again is the rest of the body from it.
   */
  #blocks(pieces: readonly string[]): Blocks {
    const last = this.#last;
    const count = Math.ceil(pieces.length / BLOCK);
    const chunks: Buffer[] = [];
    let bytes = 0;
    let firstChanged = count;
    for (let b = 0; b < count; b++) {
      const from = b * BLOCK;
      const to = Math.min(pieces.length, from + BLOCK);
      const kept = last?.chunks[b];
      const chunk =
        kept !== undefined && last !== undefined && sameRange(pieces, last.pieces, from, to)
          ? kept
          : Buffer.from(pieces.slice(from, to).join(""), "utf8");
      if (chunk !== kept) firstChanged = Math.min(firstChanged, b);
      chunks.push(chunk);
      bytes += chunk.length;
    }
    // A body that only lost blocks at its end has no changed block, but ends earlier.
    if (last !== undefined && count !== last.chunks.length)
      firstChanged = Math.min(firstChanged, count);
    // states[b] is the md5 state before block b; the ones before the first change are still right.
    const k = last === undefined ? 0 : Math.min(firstChanged, last.states.length - 1);
    const states = last === undefined ? [createHash("md5")] : last.states.slice(0, k + 1);
    let hash = (states[k] ?? createHash("md5")).copy();
    for (let b = k; b < count; b++) {
      if (b > k) states.push(hash.copy());
      const chunk = chunks[b];
      if (chunk !== undefined) hash = hash.update(chunk);
    }
    return { pieces, chunks, bytes, states, hash: hash.digest("hex") };
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
