/**
 * Which plugins Kong has (`plugins.available_on_server` of `GET /`, the answer listener discovery
 * already asks for): a plugin Kong has not loaded makes it refuse the whole config, so translation
 * refuses it first, on the plugin object. Pure: sender/listener-discovery.ts does the asking.
 */
import { compareStrings } from "../util/compare.ts";
import type { RootInfo } from "./responses.ts";

/** The plugins one `GET /` reports, sorted; undefined when it does not say. */
export function pluginsFromRoot(root: RootInfo): readonly string[] | undefined {
  const available = root.plugins?.available_on_server;
  return available === undefined ? undefined : Object.keys(available).sort(compareStrings);
}

/**
 * The plugins every Kong that said has, sorted: every Kong gets the same config, so a plugin one of
 * them lacks cannot be sent to any. Undefined while none has said.
 */
export function mergeAvailablePlugins(
  reports: readonly { readonly plugins?: readonly string[] | undefined }[],
): readonly string[] | undefined {
  let common: string[] | undefined;
  for (const r of reports) {
    if (r.plugins === undefined) continue;
    const has = new Set(r.plugins);
    common = common === undefined ? [...r.plugins] : common.filter(p => has.has(p));
  }
  return common;
}

export function samePlugins(
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((p, i) => p === b[i]);
}
