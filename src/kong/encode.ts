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

/** A piece of the body: a top-level entity (by identity), or punctuation and plain values as text. */
type Piece = object | string;

/** A block of a body: the pieces it was built from and their UTF-8 bytes. */
interface Block {
  /** Set once the block has left the body; it then holds neither pieces nor bytes. */
  retired: boolean;
  pieces: readonly Piece[];
  chunk: Buffer;
}

/** Where an entity's bytes lie in the last body. */
interface Place {
  block: Block;
  start: number;
  end: number;
}

interface Body {
  readonly blocks: readonly Block[];
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
  /** states[b] is the md5 state before block b. */
  readonly states: readonly Hash[];
  readonly hash: string;
}

/** Bytes of a block being built: a range of a block of the last body, or text to write. */
interface Run {
  readonly from: Block;
  readonly start: number;
  end: number;
}
type Span = Run | string;

const NO_BYTES = Buffer.alloc(0);

/** Whether the bytes right after `run` in its block are `text`, all ASCII (punctuation). */
function holdsText(run: Run, text: string): boolean {
  const chunk = run.from.chunk;
  if (run.end + text.length > chunk.length) return false;
  for (let j = 0; j < text.length; j++) {
    const code = text.charCodeAt(j);
    if (code >= 0x80 || chunk[run.end + j] !== code) return false;
  }
  return true;
}

/** Whether `block` holds `pieces[from, to)`: entities by identity, text by value. */
function holds(block: Block, pieces: readonly Piece[], from: number, to: number): boolean {
  if (block.pieces.length !== to - from) return false;
  for (let i = from; i < to; i++) if (block.pieces[i - from] !== pieces[i]) return false;
  return true;
}

function textOf(piece: Piece): string {
  return typeof piece === "string" ? piece : stableStringify(piece);
}

/** Marks the blocks of `before` that `after` no longer uses, so that stale places keep nothing alive. */
function retire(before: readonly Block[], after: readonly Block[]): void {
  const used = new Set(after);
  for (const block of before) {
    if (used.has(block)) continue;
    block.retired = true;
    block.pieces = [];
    block.chunk = NO_BYTES;
  }
}

/**
 * The md5 of the chunks, resumed from the state saved before the first chunk that changed (`before` is
 * the last body's states; before[b] is the state before its chunk b, and those before the first change
 * are still right). Returns the states of these chunks too.
 */
function resumeMd5(
  before: readonly Hash[] | undefined,
  chunks: readonly Buffer[],
  firstChanged: number,
): { states: Hash[]; hash: string } {
  const k = before === undefined ? 0 : Math.min(firstChanged, before.length - 1);
  const states = before === undefined ? [createHash("md5")] : before.slice(0, k + 1);
  let hash = (states[k] ?? createHash("md5")).copy();
  for (let b = k; b < chunks.length; b++) {
    if (b > k) states.push(hash.copy());
    const chunk = chunks[b];
    if (chunk !== undefined) hash = hash.update(chunk);
  }
  return { states, hash: hash.digest("hex") };
}

/** Encodes our config; equal configs give equal bytes and so equal hashes. */
export function encodeConfig(config: KongConfig): EncodedConfig {
  return new ConfigEncoder().encode(config);
}

/**
 * Encodes configs the way `encodeConfig` does, remembering where each top-level entity (a Kong service
 * with its routes, an upstream with its targets, a certificate) lies in the last body, by object
 * identity. The translator hands out the same entity object while its inputs are unchanged, so after a
 * one-object change only the changed entities are serialised; the bytes of the others are copied from
 * the last body, not rebuilt from a sorted deep copy of the whole config.
 *
 * The body's bytes are the only copy of the config text the encoder keeps: each entity's JSON kept as
 * a string beside them held as much again (10 MiB at 10k objects).
 */
export class ConfigEncoder {
  readonly #places = new WeakMap<object, Place>();
  /** The last body, to reuse its unchanged blocks, copy its unchanged entities and resume its md5. */
  #last: Body | undefined;

  encode(config: KongConfig): EncodedConfig {
    const pieces: Piece[] = [];
    for (const key of Object.keys(config).sort()) {
      const value: unknown = (config as unknown as Record<string, unknown>)[key];
      if (value === undefined) continue;
      pieces.push(pieces.length === 0 ? "{" : ",", JSON.stringify(key), ":");
      if (!Array.isArray(value)) {
        pieces.push(stableStringify(value));
        continue;
      }
      pieces.push("[");
      for (const [i, item] of (value as unknown[]).entries()) {
        if (i > 0) pieces.push(",");
        // What JSON.stringify writes for an array element that is not an object (undefined is null).
        pieces.push(
          item !== null && typeof item === "object" ? item : JSON.stringify(item ?? null),
        );
      }
      pieces.push("]");
    }
    pieces.push(pieces.length === 0 ? "{}" : "}");
    if (!hasEntities(config)) return encodeText(pieces.map(textOf).join(""), false);
    const body = this.#body(pieces);
    this.#last = body;
    const { chunks, bytes } = body;
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
      hash: body.hash,
    };
  }

  /**
   * The pieces in blocks of BLOCK, and the md5 of their bytes. A block whose pieces are the ones of
   * last time (a pointer comparison each) is kept; md5 resumes from the state saved before the first
   * block whose bytes changed. So after a one-entity change, what is built again is one block, and
   * what is hashed again is the rest of the body from it.
   */
  #body(pieces: readonly Piece[]): Body {
    const last = this.#last;
    const count = Math.ceil(pieces.length / BLOCK);
    const blocks: Block[] = [];
    const chunks: Buffer[] = [];
    let bytes = 0;
    let firstChanged = count;
    for (let b = 0; b < count; b++) {
      const from = b * BLOCK;
      const to = Math.min(pieces.length, from + BLOCK);
      const kept = last?.blocks[b];
      const block =
        kept !== undefined && holds(kept, pieces, from, to)
          ? kept
          : this.#build(pieces.slice(from, to), kept?.chunk);
      if (block.chunk !== kept?.chunk) firstChanged = Math.min(firstChanged, b);
      blocks.push(block);
      chunks.push(block.chunk);
      bytes += block.chunk.length;
    }
    if (last !== undefined) retire(last.blocks, blocks);
    // A body that only lost blocks at its end has no changed block, but ends earlier.
    if (last !== undefined && count !== last.blocks.length)
      firstChanged = Math.min(firstChanged, count);
    const { states, hash } = resumeMd5(last?.states, chunks, firstChanged);
    return { blocks, chunks, bytes, states, hash };
  }

  /**
   * A block of `pieces`: an entity the last body holds is copied from its bytes, any other is
   * serialised. Bytes equal to those of the block it replaces (`before`) are that block's buffer, so
   * an entity rebuilt with the same content neither costs memory nor restarts the md5 there.
   */
  #build(pieces: readonly Piece[], before: Buffer | undefined): Block {
    const { spans, ends, size } = this.#spans(pieces);
    const written = Buffer.allocUnsafeSlow(size);
    let at = 0;
    for (const span of spans)
      at +=
        typeof span === "string"
          ? written.write(span, at)
          : span.from.chunk.copy(written, at, span.start, span.end);
    const chunk = before?.equals(written) === true ? before : written;
    const block: Block = { retired: false, pieces, chunk };
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (piece === undefined || typeof piece === "string") continue;
      const start = i === 0 ? 0 : (ends[i - 1] ?? 0);
      const end = ends[i] ?? 0;
      const place = this.#places.get(piece);
      if (place === undefined) {
        this.#places.set(piece, { block, start, end });
        continue;
      }
      place.block = block;
      place.start = start;
      place.end = end;
    }
    return block;
  }

  /**
   * Where the bytes of `pieces` come from, and where each piece ends in the block. Pieces that lay one
   * after the other in the last body (entities with the commas between them, as after an entity was
   * added or removed before them) are one range, so a shifted block costs a few copies, not one per
   * piece.
   */
  #spans(pieces: readonly Piece[]): { spans: Span[]; ends: Uint32Array; size: number } {
    const spans: Span[] = [];
    const ends = new Uint32Array(pieces.length);
    let size = 0;
    let run: Run | undefined;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? "";
      const place = typeof piece === "string" ? undefined : this.#places.get(piece);
      if (place !== undefined && !place.block.retired) {
        if (run?.from === place.block && run.end === place.start) run.end = place.end;
        else spans.push((run = { from: place.block, start: place.start, end: place.end }));
        size += place.end - place.start;
      } else if (typeof piece === "string" && run !== undefined && holdsText(run, piece)) {
        run.end += piece.length;
        size += piece.length;
      } else {
        const text = textOf(piece);
        // Text after text is written at once (as the body of a config never seen: all text).
        const last = spans.length - 1;
        if (typeof spans[last] === "string") spans[last] += text;
        else spans.push(text);
        run = undefined;
        size += Buffer.byteLength(text);
      }
      ends[i] = size;
    }
    return { spans, ends, size };
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
