/**
 * Which optional kinds (those a CRD installs: Gateway API, later Kong's own) the API server serves, and
 * at which version. Asked through the discovery documents (`/apis/<group>`, `/apis/<group>/<version>`),
 * which need no permission beyond what every authenticated user has, and re-asked on a short period so
 * that a CRD installed or removed while the controller runs takes effect without a restart (KIC and
 * Contour decide once, at start-up).
 */
import type { KindDefinition, KindName } from "../model/kinds.ts";
import type { KubeApi } from "./client.ts";
import { KubeApiError } from "./errors.ts";

/** Per optional kind: the version to watch it at, or undefined when it is not served. */
export type ServedKinds = ReadonlyMap<KindName, string | undefined>;

interface ApiGroup {
  readonly versions?: readonly { readonly version?: string }[];
}

interface ApiResourceList {
  readonly resources?: readonly { readonly name?: string }[];
}

function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 404;
}

/** The resource names (plural, with subresources like `gateways/status`) served at one group version. */
async function resourcesAt(
  api: KubeApi,
  groupVersion: string,
  signal: AbortSignal,
): Promise<ReadonlySet<string>> {
  try {
    const list = (await api.getJson(`/apis/${groupVersion}`, { signal })) as ApiResourceList;
    return new Set((list.resources ?? []).map(r => r.name ?? ""));
  } catch (err) {
    // The group version went between the two requests.
    if (isNotFound(err)) return new Set();
    throw err;
  }
}

/** The versions of `group` the API server serves; empty when it serves none (404). */
async function servedVersions(
  api: KubeApi,
  group: string,
  signal: AbortSignal,
): Promise<readonly string[]> {
  try {
    const doc = (await api.getJson(`/apis/${group}`, { signal })) as ApiGroup;
    return (doc.versions ?? []).map(v => v.version ?? "").filter(v => v !== "");
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/**
 * Asks the API server which of `kinds` it serves. Each kind is watched at the first of its versions
 * (preferred first) that is served and lists the kind's resource: v1 TCPRoute on current Gateway API
 * bundles, v1alpha2 where only an older bundle is installed. Rejects when the API server cannot say
 * (unreachable, 5xx, 403): the caller keeps what it knew, since guessing "not served" would drop
 * every object of the kind from Kong.
 */
export async function discoverKinds(
  api: KubeApi,
  kinds: readonly KindDefinition[],
  signal: AbortSignal,
): Promise<ServedKinds> {
  const served = new Map<KindName, string | undefined>();
  const groups = [...new Set(kinds.map(k => k.group))];
  for (const group of groups) {
    const versions = new Set(await servedVersions(api, group, signal));
    const resources = new Map<string, ReadonlySet<string>>();
    for (const kind of kinds.filter(k => k.group === group)) {
      let chosen: string | undefined;
      for (const version of kind.versions) {
        if (!versions.has(version)) continue;
        let names = resources.get(version);
        if (names === undefined) {
          names = await resourcesAt(api, `${group}/${version}`, signal);
          resources.set(version, names);
        }
        if (names.has(kind.plural)) {
          chosen = version;
          break;
        }
      }
      served.set(kind.kind, chosen);
    }
  }
  return served;
}
