/**
 * Content fingerprints: what decides whether a change matters. A resourceVersion moves on every write,
 * including status writes (our own among them), so comparing it would make every status update look
 * like new input and re-translate the cluster for nothing. The fingerprint covers what translation can
 * read: everything the watch layer kept (src/kube/trim.ts) except the resourceVersion, the generation
 * (it moves with spec, which is covered) and `status` (translation never reads it).
 *
 * Secrets are the exception: they may be held as metadata-only stubs, whose data can change without
 * any visible field changing, so their resourceVersion stays in.
 */
import { createHash } from "node:crypto";
import { isRecord } from "../util/is-record.ts";

const VOLATILE_METADATA: ReadonlySet<string> = new Set(["resourceVersion", "generation"]);

/** The part of an object a fingerprint covers, as a JSON text (API servers emit keys in a fixed order). */
function contentText(kind: string, raw: unknown): string {
  // Not an object: the parser will refuse it; any stable text will do (JSON.stringify can return undefined).
  if (!isRecord(raw)) return `${typeof raw}:${String(raw)}`;
  const keepVersion = kind === "Secret";
  return JSON.stringify(raw, function (this: unknown, key, value: unknown) {
    if (this === raw && key === "status") return undefined;
    if (!keepVersion && this === raw["metadata"] && VOLATILE_METADATA.has(key)) return undefined;
    return value;
  });
}

/**
 * sha256 of the kind, the namespace/name key and the content, as a string of 32 one-byte characters
 * ("binary" is latin1): 48 bytes on the heap, where a Buffer of the same bytes costs about 230 (its
 * Uint8Array, ArrayBuffer and backing store), once for every object the store holds.
 */
export function fingerprintOf(kind: string, key: string, raw: unknown): string {
  return createHash("sha256")
    .update(`${kind}\u0000${key}\u0000${contentText(kind, raw)}`)
    .digest("binary");
}

/**
 * An order-independent digest of a set of fingerprints, updated in O(1) per change: the XOR of its
 * members. Each member hashes its own kind and key, so two members never cancel out.
 */
export class SetDigest {
  readonly #acc = Buffer.alloc(32);

  /** Adds a member, or removes it again (XOR is its own inverse). */
  toggle(fingerprint: string): void {
    for (let i = 0; i < 32; i++) this.#acc[i] = (this.#acc[i] ?? 0) ^ fingerprint.charCodeAt(i);
  }

  hex(): string {
    return this.#acc.toString("hex");
  }
}
