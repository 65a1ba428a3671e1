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

// ----- Gateway API bundle version -----

/** The annotation every CRD of a Gateway API release carries: the release it came in (`v1.6.1`). */
export const BUNDLE_VERSION_ANNOTATION = "gateway.networking.k8s.io/bundle-version";
const GATEWAY_API_GROUP = "gateway.networking.k8s.io";
/** Metadata only: a CRD's schema runs to hundreds of KiB, its annotations are all we read. */
const METADATA_ONLY =
  "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

/**
 * The installed Gateway API CRDs' bundle versions (GatewayClass `SupportedVersion`): known, by CRD
 * name (undefined: the CRD carries no annotation), or unknown and why (not read yet, not permitted).
 */
export type CrdBundles =
  | { readonly state: "known"; readonly versions: ReadonlyMap<string, string | undefined> }
  | { readonly state: "unknown"; readonly message: string };

interface ObjectMetadata {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
}

/**
 * Reads the bundle-version annotation of the CRD of each served Gateway API kind, one `get` per CRD
 * by name (RBAC: `get` on those `customresourcedefinitions` and nothing else). A CRD that went
 * meanwhile is left out; any other failure rejects.
 */
export async function readCrdBundleVersions(
  api: KubeApi,
  kinds: readonly KindDefinition[],
  served: ServedKinds,
  signal: AbortSignal,
): Promise<ReadonlyMap<string, string | undefined>> {
  const versions = new Map<string, string | undefined>();
  for (const kind of kinds) {
    if (kind.group !== GATEWAY_API_GROUP || served.get(kind.kind) === undefined) continue;
    const name = `${kind.plural}.${kind.group}`;
    try {
      const crd = (await api.getJson(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        { signal, accept: METADATA_ONLY },
      )) as ObjectMetadata;
      versions.set(name, crd.metadata?.annotations?.[BUNDLE_VERSION_ANNOTATION]);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return new Map([...versions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sameBundles(a: CrdBundles, b: CrdBundles): boolean {
  if (a.state === "unknown") return b.state === "unknown" && a.message === b.message;
  if (b.state === "unknown") return false;
  if (a.versions.size !== b.versions.size) return false;
  for (const [name, version] of a.versions) if (b.versions.get(name) !== version) return false;
  return true;
}

/**
 * The bundle versions as last read, re-read with every discovery. A failed read keeps what was
 * known (a passing outage must not flip the GatewayClass); only before any read succeeded is the
 * answer unknown, with the reason.
 */
export class CrdBundleVersions {
  #current: CrdBundles = { state: "unknown", message: "the CRDs have not been read yet" };
  #changes = 0;

  /** The current answer (a translation input). */
  current(): CrdBundles {
    return this.#current;
  }

  /** Counts changes of the answer, so that an unchanged snapshot is translated again after one. */
  get changes(): number {
    return this.#changes;
  }

  /** Reads the CRDs of the served kinds; true when the answer changed. */
  async refresh(input: {
    readonly api: KubeApi;
    readonly kinds: readonly KindDefinition[];
    readonly served: ServedKinds;
    readonly signal: AbortSignal;
  }): Promise<boolean> {
    let next: CrdBundles;
    try {
      const versions = await readCrdBundleVersions(
        input.api,
        input.kinds,
        input.served,
        input.signal,
      );
      next = { state: "known", versions };
    } catch (err) {
      if (this.#current.state === "known") return false;
      const why = err instanceof Error ? err.message : String(err);
      next = { state: "unknown", message: `the CRDs cannot be read: ${why}` };
    }
    if (sameBundles(this.#current, next)) return false;
    this.#current = next;
    this.#changes++;
    return true;
  }
}
