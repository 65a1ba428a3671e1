import type { ObjectRef } from "../model/object-ref.ts";
import { BoundedMap } from "../util/bounded-map.ts";

/**
 * The `k8s-*` tags KIC puts on every Kong entity (kic-conventions.md §2.6), in KIC's order. They are
 * load-bearing: Kong echoes them in flattened errors, which is how a rejection is mapped back to the
 * Kubernetes object that caused it. With `texts`, the tags many objects share (namespace, kind, group,
 * version) are one string each instead of one per object.
 */
export function tagsFor(
  ref: ObjectRef,
  userTags: readonly string[] = [],
  texts?: TagTexts,
): readonly string[] {
  const tags: string[] = [];
  const push = (prefix: string, value: string | undefined): void => {
    if (value !== undefined && value !== "") tags.push(`${prefix}:${value}`);
  };
  const shared = (prefix: string, value: string): void => {
    if (value === "") return;
    tags.push(texts === undefined ? `${prefix}:${value}` : texts.text(prefix, value));
  };
  push("k8s-name", ref.name);
  shared("k8s-namespace", ref.namespace);
  shared("k8s-kind", ref.kind);
  push("k8s-uid", ref.uid);
  shared("k8s-group", ref.group);
  shared("k8s-version", ref.version);
  for (const tag of userTags) if (!tags.includes(tag)) tags.push(tag);
  // One array per object version is kept on all its entities: a pushed array keeps room for 17.
  return tags.slice();
}

/**
 * A bound on the texts kept per prefix: namespaces come and go, kinds, groups and versions are few. A
 * full table starts again (the texts are equal either way; only sharing is lost until it refills).
 */
const MAX_TEXTS_PER_PREFIX = 4096;

/** Tag texts by prefix and value: one string per namespace, kind, group and version. */
export class TagTexts {
  readonly #byPrefix = new Map<string, BoundedMap<string, string>>();

  text(prefix: string, value: string): string {
    let texts = this.#byPrefix.get(prefix);
    if (texts === undefined) {
      texts = new BoundedMap(MAX_TEXTS_PER_PREFIX);
      this.#byPrefix.set(prefix, texts);
    }
    return texts.getOrSet(value, () => `${prefix}:${value}`);
  }
}
