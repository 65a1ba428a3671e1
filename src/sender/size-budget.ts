/**
 * The encoded config against Kong's body limit (10 MiB by default, `nginx_admin_client_max_body_size`).
 * A config over the limit is never sent, and a 413 names no object; either way the objects that
 * contribute the most bytes (attributed by their entities' `k8s-*` tags) are named as broken, so the
 * fallback leaves out those and pushes the rest, instead of every Kong freezing on last-known-good.
 */
import type { EntityFailure } from "../kong/flattened-errors.ts";
import { refFromTags } from "../kong/flattened-errors.ts";
import { refKey, type ObjectRef } from "../model/object-ref.ts";
import { compareStrings } from "../util/compare.ts";

/** Kong's default `nginx_admin_client_max_body_size`. */
export const DEFAULT_MAX_CONFIG_BYTES = 10 * 1024 * 1024;

interface Share {
  readonly ref: ObjectRef;
  bytes: number;
}

/**
 * Bytes per object: each tagged entity counts its own fields (nested entities count for their own
 * object), so the shares add up to about the body.
 */
export function bytesByObject(config: unknown): Map<string, Share> {
  const shares = new Map<string, Share>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const entity = node as Record<string, unknown>;
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entity)) {
      if (isEntityList(value)) visit(value);
      else own[key] = value;
    }
    const tags = entity["tags"];
    const ref = Array.isArray(tags) ? refFromTags(tags) : undefined;
    if (ref === undefined) return;
    const key = refKey(ref);
    const share = shares.get(key) ?? { ref, bytes: 0 };
    share.bytes += Buffer.byteLength(JSON.stringify(own));
    shares.set(key, share);
  };
  visit(config);
  return shares;
}

function isEntityList(value: unknown): boolean {
  return Array.isArray(value) && value.some(v => v !== null && typeof v === "object");
}

/**
 * The largest contributors whose removal brings `body` under `limitBytes`, as failures the fallback
 * leaves out. Empty when the body does not parse or no object can be named.
 */
export function oversizeFailures(body: string, limitBytes: number): EntityFailure[] {
  let config: unknown;
  try {
    config = JSON.parse(body);
  } catch {
    return [];
  }
  const total = Buffer.byteLength(body);
  const shares = [...bytesByObject(config).values()].sort(
    (a, b) => b.bytes - a.bytes || compareStrings(refKey(a.ref), refKey(b.ref)),
  );
  const failures: EntityFailure[] = [];
  let remaining = total;
  for (const share of shares) {
    if (remaining <= limitBytes) break;
    remaining -= share.bytes;
    failures.push({
      entityType: "config",
      ref: share.ref,
      problems: [
        {
          message: `left out: it makes ${share.bytes} of the config's ${total} bytes, over the ${limitBytes}-byte limit Kong accepts (--max-config-bytes)`,
        },
      ],
    });
  }
  return failures;
}
