import type { ObjectRef } from "../model/object-ref.ts";

/**
 * The `k8s-*` tags KIC puts on every Kong entity (kic-conventions.md §2.6), in KIC's order. They are
 * load-bearing: Kong echoes them in flattened errors, which is how a rejection is mapped back to the
 * Kubernetes object that caused it.
 */
export function tagsFor(ref: ObjectRef, userTags: readonly string[] = []): readonly string[] {
  const tags: string[] = [];
  const push = (prefix: string, value: string | undefined): void => {
    if (value !== undefined && value !== "") tags.push(`${prefix}:${value}`);
  };
  push("k8s-name", ref.name);
  push("k8s-namespace", ref.namespace);
  push("k8s-kind", ref.kind);
  push("k8s-uid", ref.uid);
  push("k8s-group", ref.group);
  push("k8s-version", ref.version);
  for (const tag of userTags) if (!tags.includes(tag)) tags.push(tag);
  // One array per object version is kept on all its entities: a pushed array keeps room for 17.
  return tags.slice();
}
