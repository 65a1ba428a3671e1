/**
 * The `konghq.com/plugins` annotation (kic-kong-resources.md §2.1): a comma list of plugin names,
 * `name` in the referrer's namespace or `namespace:name` in another one (which needs a ReferenceGrant).
 * Shared by the store (which plugins matter) and translation (which plugins attach where).
 */
import type { KubeObject } from "../model/k8s.ts";

export const PLUGINS_ANNOTATION = "konghq.com/plugins";

export interface PluginReference {
  /** The namespace the plugin is looked up in (the referrer's, unless the entry named one). */
  readonly namespace: string;
  readonly name: string;
  /** The entry named a namespace (`ns:name`): allowed only with a ReferenceGrant, even for its own. */
  readonly remote: boolean;
}

/** Whether the object carries the annotation at all (even empty). */
export function hasPluginsAnnotation(obj: KubeObject): boolean {
  return obj.metadata.annotations?.[PLUGINS_ANNOTATION] !== undefined;
}

/**
 * The entries of `konghq.com/plugins`, trimmed, empties dropped; an entry with `:` first or last or
 * more than once is dropped, as KIC drops it (`invalid` lists them, to be reported).
 */
export function pluginReferences(obj: KubeObject): {
  readonly refs: readonly PluginReference[];
  readonly invalid: readonly string[];
} {
  const raw = obj.metadata.annotations?.[PLUGINS_ANNOTATION];
  if (raw === undefined) return { refs: [], invalid: [] };
  const own = obj.metadata.namespace ?? "";
  const refs: PluginReference[] = [];
  const invalid: string[] = [];
  for (const entry of raw.split(",").map(s => s.trim())) {
    if (entry === "") continue;
    const parts = entry.split(":");
    if (parts.length === 1) refs.push({ namespace: own, name: entry, remote: false });
    else if (parts.length === 2 && parts[0] !== "" && parts[1] !== "")
      refs.push({ namespace: parts[0] ?? "", name: parts[1] ?? "", remote: true });
    else invalid.push(entry);
  }
  return { refs, invalid };
}

/** A KongClusterPlugin labelled `global: "true"` (the label does nothing on a KongPlugin). */
export function isGlobalPluginObject(obj: KubeObject): boolean {
  return obj.kind === "KongClusterPlugin" && obj.metadata.labels?.["global"] === "true";
}
