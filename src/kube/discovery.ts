/**
 * Which optional kinds (those a CRD installs: Gateway API, later Kong's own) the API server serves, and
 * at which version. Asked through the aggregated discovery document (`/apis`), or where the API
 * server has none, the documents per group (`/apis/<group>`, `/apis/<group>/<version>`); all need no
 * permission beyond what every authenticated user has. Re-asked on a short period so
 * that a CRD installed or removed while the controller runs takes effect without a restart (KIC and
 * Contour decide once, at start-up).
 */
import type { Logger } from "pino";
import type { KindDefinition, KindName } from "../model/kinds.ts";
import type { KubeApi, KubeDocument } from "./client.ts";
import { isRecord } from "../util/is-record.ts";
import { KubeApiError, KubeProtocolError } from "./errors.ts";

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

/** The answer cached under `key`, asked for once: concurrent callers share the one request. */
function once<T>(cache: Map<string, Promise<T>>, key: string, ask: () => Promise<T>): Promise<T> {
  let answer = cache.get(key);
  if (answer === undefined) {
    answer = ask();
    cache.set(key, answer);
  }
  return answer;
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
  aggregated?: AggregatedDiscovery,
): Promise<ServedKinds> {
  const served = await aggregated?.served(api, signal);
  if (served !== undefined) return servedKindsFrom(served, kinds);
  return discoverKindsPerGroup(api, kinds, signal);
}

/** Per API group, its versions in the server's order of preference, each with its resources. */
type ServedResources = ReadonlyMap<string, readonly ServedVersion[]>;

interface ServedVersion {
  readonly version: string;
  readonly resources: ReadonlySet<string>;
}

function servedKindsFrom(served: ServedResources, kinds: readonly KindDefinition[]): ServedKinds {
  return new Map(
    kinds.map(kind => {
      const versions = served.get(kind.group) ?? [];
      const version = kind.versions.find(
        v => versions.find(s => s.version === v)?.resources.has(kind.plural) === true,
      );
      return [kind.kind, version];
    }),
  );
}

/**
 * The aggregated discovery document (`GET /apis` as `APIGroupDiscoveryList`, Kubernetes 1.26 on),
 * which names every group, version and resource at once and carries an entity tag: asked again with
 * `If-None-Match`, an API server whose APIs did not change answers 304 with no body. Every round of
 * discovery is then one small request, where the documents per group and version are one each (three
 * to eight for the Gateway API and Kong kinds). Remembers the last document; one per watcher set.
 */
export class AggregatedDiscovery {
  readonly #log: Logger;
  #etag: string | undefined;
  #served: ServedResources | undefined;
  /** False once the API server answered without it: asked no more, the per-group documents serve. */
  #supported = true;
  /** Whether the last answer was unreadable: said once, not every round, until a good one comes. */
  #malformed = false;

  constructor(logger: Logger) {
    this.#log = logger;
  }

  /** What the API server serves, or undefined when it has no aggregated discovery. */
  async served(api: KubeApi, signal: AbortSignal): Promise<ServedResources | undefined> {
    if (!this.#supported) return undefined;
    let doc: KubeDocument;
    try {
      doc = await api.getDocument("/apis", {
        signal,
        accept: AGGREGATED_ACCEPT,
        etag: this.#served === undefined ? undefined : this.#etag,
      });
    } catch (err) {
      if (err instanceof KubeProtocolError) {
        this.#unreadable(err.message);
        return undefined;
      }
      // Something between us and the API server that does not serve `/apis`; the groups may still be.
      if (!isNotFound(err)) throw err;
      this.#supported = false;
      return undefined;
    }
    if (doc.notModified) return this.#served;
    if (!doc.contentType.includes("as=APIGroupDiscoveryList")) {
      this.#supported = false;
      return undefined;
    }
    const served = parseAggregated(doc.body);
    if (served === undefined) {
      this.#unreadable("GET /apis returned a body that is not an APIGroupDiscoveryList");
      return undefined;
    }
    this.#malformed = false;
    this.#served = served;
    this.#etag = doc.etag;
    return served;
  }

  /**
   * An answer that cannot be read (not JSON, or not the document's shape: a proxy's rewrite, a server
   * bug) says nothing about what is served, and reading it as "nothing" would drop every optional
   * kind. The per-group documents answer this round; nothing of it is remembered, so the next round
   * asks for the whole document again.
   */
  #unreadable(reason: string): void {
    this.#served = undefined;
    this.#etag = undefined;
    if (!this.#malformed)
      this.#log.warn(
        { reason },
        "The aggregated discovery document is unreadable; asking the API groups one by one",
      );
    this.#malformed = true;
  }
}

/** v2 first (GA in 1.30), then v2beta1 (1.26 to 1.32); the plain group list when neither is served. */
const AGGREGATED_ACCEPT = [
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
  "application/json",
].join(",");

/** Each element of `value` read by `read`; undefined when `value` or any element is malformed. */
function everyOf<T>(value: unknown, read: (item: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const result: T[] = [];
  for (const item of value as unknown[]) {
    const parsed = read(item);
    if (parsed === undefined) return undefined;
    result.push(parsed);
  }
  return result;
}

/**
 * The groups of an `APIGroupDiscoveryList`, each with its versions and their resources; undefined when
 * the document does not say it is one or does not have that shape. Absent lists are empty, as the API
 * server omits empty ones (a version of an unavailable aggregated API has no resources).
 */
function parseAggregated(body: unknown): ServedResources | undefined {
  if (!isRecord(body) || body["kind"] !== "APIGroupDiscoveryList") return undefined;
  const groups = everyOf(body["items"] ?? [], parseGroup);
  return groups === undefined ? undefined : new Map(groups);
}

function parseGroup(group: unknown): readonly [string, ServedVersion[]] | undefined {
  if (!isRecord(group) || !isRecord(group["metadata"])) return undefined;
  const name = group["metadata"]["name"];
  if (typeof name !== "string") return undefined;
  const versions = everyOf(group["versions"] ?? [], parseVersion);
  return versions === undefined ? undefined : [name, versions];
}

function parseVersion(version: unknown): ServedVersion | undefined {
  if (!isRecord(version) || typeof version["version"] !== "string") return undefined;
  const resources = everyOf(version["resources"] ?? [], resource =>
    isRecord(resource) && typeof resource["resource"] === "string"
      ? resource["resource"]
      : undefined,
  );
  return resources === undefined
    ? undefined
    : { version: version["version"], resources: new Set(resources) };
}

/** Discovery through the documents per group and per group version, for servers without the above. */
async function discoverKindsPerGroup(
  api: KubeApi,
  kinds: readonly KindDefinition[],
  signal: AbortSignal,
): Promise<ServedKinds> {
  // Groups are independent, and so are the version documents of one group: each is asked once, all
  // at the same time, and a kind goes on to its next version only when its preferred one lacks it.
  const groups = new Map<string, Promise<ReadonlySet<string>>>();
  const resources = new Map<string, Promise<ReadonlySet<string>>>();
  const versionOf = async (kind: KindDefinition): Promise<string | undefined> => {
    const versions = await once(
      groups,
      kind.group,
      async () => new Set(await servedVersions(api, kind.group, signal)),
    );
    for (const version of kind.versions) {
      if (!versions.has(version)) continue;
      const groupVersion = `${kind.group}/${version}`;
      const names = await once(resources, groupVersion, () =>
        resourcesAt(api, groupVersion, signal),
      );
      if (names.has(kind.plural)) return version;
    }
    return undefined;
  };
  const chosen = await Promise.all(kinds.map(versionOf));
  return new Map(kinds.map((kind, i) => [kind.kind, chosen[i]]));
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
  const names = kinds
    .filter(kind => kind.group === GATEWAY_API_GROUP && served.get(kind.kind) !== undefined)
    .map(kind => `${kind.plural}.${kind.group}`);
  const read = await Promise.all(
    names.map(async (name): Promise<[string, string | undefined] | undefined> => {
      try {
        const crd = (await api.getJson(
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
          { signal, accept: METADATA_ONLY },
        )) as ObjectMetadata;
        return [name, crd.metadata?.annotations?.[BUNDLE_VERSION_ANNOTATION]];
      } catch (err) {
        if (!isNotFound(err)) throw err;
        return undefined;
      }
    }),
  );
  return new Map(
    read.filter(entry => entry !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function sameBundles(a: CrdBundles, b: CrdBundles): boolean {
  if (a.state === "unknown") return b.state === "unknown" && a.message === b.message;
  if (b.state === "unknown") return false;
  if (a.versions.size !== b.versions.size) return false;
  for (const [name, version] of a.versions) if (b.versions.get(name) !== version) return false;
  return true;
}

/**
 * The bundle versions as last read (optional-kinds.ts decides when to read again). A failed read keeps what was
 * known (a passing outage must not flip the GatewayClass); only before any read succeeded is the
 * answer unknown, with the reason.
 */
export class CrdBundleVersions {
  #current: CrdBundles = { state: "unknown", message: "the CRDs have not been read yet" };
  #changes = 0;
  #lastReadFailed = false;

  /** The current answer (a translation input). */
  current(): CrdBundles {
    return this.#current;
  }

  /** Counts changes of the answer, so that an unchanged snapshot is translated again after one. */
  get changes(): number {
    return this.#changes;
  }

  /** Whether the last read failed (what is known may be older than that read). */
  get lastReadFailed(): boolean {
    return this.#lastReadFailed;
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
      this.#lastReadFailed = false;
    } catch (err) {
      this.#lastReadFailed = true;
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
