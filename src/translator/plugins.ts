/**
 * Which plugins an object asks for (kic-kong-resources.md §2.1, §2.6): `konghq.com/plugins` on
 * Ingresses, Services, Gateway API routes and KongConsumers, and HTTPRoute ExtensionRef filters; a name
 * is the KongPlugin of that namespace, else the KongClusterPlugin of that name; `namespace:name` needs a
 * ReferenceGrant in that namespace. Unlike KIC, an object whose plugin is missing, not granted or
 * invalid is not served at all: plugins usually carry authentication, and a route without its auth
 * plugin fails open. The problem is said on the referrer (and, for an invalid config, on the plugin).
 */
import type { ReferenceGrant } from "../model/gateway-api.ts";
import type { KubeObject, Secret } from "../model/k8s.ts";
import { KONG_GROUP, type AnyKongPlugin } from "../model/kong.ts";
import { splitApiVersion } from "../model/object-ref.ts";
import { availabilityOf, buildPlugin, type BuiltPlugin, type PluginBody } from "./plugin-config.ts";
import { pluginReferences, PLUGINS_ANNOTATION, type PluginReference } from "./plugin-refs.ts";
import type { ResultSink } from "./results.ts";

/** A plugin object that resolved, with the Kong plugin it describes. */
export interface ResolvedPlugin {
  readonly object: AnyKongPlugin;
  readonly body: PluginBody;
}

export interface PluginCatalogInput {
  readonly plugins: readonly AnyKongPlugin[];
  readonly secrets: ReadonlyMap<string, Secret>;
  readonly grants: readonly ReferenceGrant[];
  readonly results: ResultSink;
  /**
   * Per plugin object, its build (it only changes with the object, its Secrets, or whether Kong has
   * the plugin).
   */
  readonly builds: WeakMap<AnyKongPlugin, BuiltPlugin>;
  /** The plugins Kong has; undefined while unknown (offline). */
  readonly kongPlugins?: ReadonlySet<string> | undefined;
}

const NO_PLUGINS: readonly ResolvedPlugin[] = Object.freeze([]);

/** The plugins of one translation, and the answer to "may this object be served with its plugins?". */
export class PluginCatalog {
  readonly #byKey = new Map<string, AnyKongPlugin>();
  readonly #input: PluginCatalogInput;
  /** Per referrer: its plugins, or undefined when one of them failed. */
  readonly #resolved = new Map<KubeObject, readonly ResolvedPlugin[] | undefined>();
  /** Plugin objects whose problems were said this translation. */
  readonly #reported = new Set<AnyKongPlugin>();

  constructor(input: PluginCatalogInput) {
    this.#input = input;
    for (const p of input.plugins)
      this.#byKey.set(`${p.kind}/${p.metadata.namespace ?? ""}/${p.metadata.name}`, p);
  }

  /** Every KongClusterPlugin (for the global ones). */
  clusterPlugins(): AnyKongPlugin[] {
    return this.#input.plugins.filter(p => p.kind === "KongClusterPlugin");
  }

  /**
   * The plugins `obj`'s `konghq.com/plugins` asks for; undefined when any is missing, not granted or
   * invalid, each reason a problem on `obj`. Asked again for the same object, the answer is the same.
   */
  resolve(obj: KubeObject): readonly ResolvedPlugin[] | undefined {
    // Most objects name no plugin: nothing to resolve or report, and nothing worth remembering.
    if (obj.metadata.annotations?.[PLUGINS_ANNOTATION] === undefined) return NO_PLUGINS;
    if (this.#resolved.has(obj)) return this.#resolved.get(obj);
    const { refs, invalid } = pluginReferences(obj);
    for (const entry of invalid)
      this.#input.results.problem(
        obj,
        "InvalidAnnotation",
        `annotation ${PLUGINS_ANNOTATION}: entry "${entry}" is not "name" or "namespace:name" and is ignored`,
      );
    const out: ResolvedPlugin[] = [];
    let ok = true;
    for (const ref of refs) {
      const resolved = this.#resolveOne(obj, ref);
      if (resolved === undefined) ok = false;
      else if (!out.some(r => r.object === resolved.object)) out.push(resolved);
    }
    const answer = ok ? out : undefined;
    this.#resolved.set(obj, answer);
    return answer;
  }

  /** The KongPlugin an HTTPRoute ExtensionRef filter names, in the route's namespace. */
  resolveExtensionRef(obj: KubeObject, name: string): ResolvedPlugin | undefined {
    const ref = { namespace: obj.metadata.namespace ?? "", name, remote: false };
    const plugin = this.#byKey.get(`KongPlugin/${ref.namespace}/${name}`);
    if (plugin === undefined) {
      this.#input.results.problem(
        obj,
        "PluginNotFound",
        `ExtensionRef KongPlugin "${name}" does not exist; the rule is not served without it`,
      );
      return undefined;
    }
    return this.#resolveOne(obj, ref);
  }

  #resolveOne(obj: KubeObject, ref: PluginReference): ResolvedPlugin | undefined {
    const results = this.#input.results;
    const label = ref.remote ? `${ref.namespace}:${ref.name}` : ref.name;
    const who = `${obj.kind} ${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
    if (ref.remote && !this.#granted(obj, ref)) {
      results.problem(
        obj,
        "PluginReferenceNotPermitted",
        `no ReferenceGrant in namespace ${ref.namespace} allows ${obj.kind} objects of namespace ${obj.metadata.namespace ?? ""} to use KongPlugin "${label}"; ${who} is not served without it`,
      );
      return undefined;
    }
    const plugin =
      this.#byKey.get(`KongPlugin/${ref.namespace}/${ref.name}`) ??
      this.#byKey.get(`KongClusterPlugin//${ref.name}`);
    if (plugin === undefined) {
      results.problem(
        obj,
        "PluginNotFound",
        `referenced KongPlugin or KongClusterPlugin "${label}" does not exist; ${who} is not served without it`,
      );
      return undefined;
    }
    results.dependsOn(obj, plugin);
    const body = this.body(plugin);
    if (body === undefined) {
      const missing = this.#input.builds.get(plugin)?.availability === "missing";
      results.problem(
        obj,
        missing ? "PluginNotAvailable" : "PluginInvalid",
        missing
          ? `${plugin.kind} "${label}" configures plugin ${plugin.plugin}, which Kong does not have; ${who} is not served without it`
          : `${plugin.kind} "${label}" is invalid (see its events); ${who} is not served without it`,
      );
      return undefined;
    }
    return { object: plugin, body };
  }

  /** The Kong plugin a plugin object describes; undefined (a problem on it) when it cannot be built. */
  body(plugin: AnyKongPlugin): PluginBody | undefined {
    let built = this.#input.builds.get(plugin);
    const stale = built?.secrets.some(
      s => this.#input.secrets.get(`${s.metadata.namespace ?? ""}/${s.metadata.name}`) !== s,
    );
    const kongPlugins = this.#input.kongPlugins;
    if (
      built === undefined ||
      stale === true ||
      needsMissingSecret(plugin, built) ||
      built.availability !== availabilityOf(plugin.plugin, kongPlugins)
    ) {
      built = buildPlugin(plugin, this.#input.secrets, kongPlugins);
      this.#input.builds.set(plugin, built);
    }
    const results = this.#input.results;
    if (!this.#reported.has(plugin)) {
      this.#reported.add(plugin);
      for (const s of built.secrets) results.dependsOn(plugin, s);
      if (plugin.ordering !== undefined)
        results.problem(
          plugin,
          "UnsupportedField",
          "ordering (dynamic plugin ordering) needs Kong Enterprise and is not sent",
        );
      if (!built.build.ok) {
        results.problem(plugin, built.build.reason, built.build.message);
        results.excluded(plugin);
      }
    }
    return built.build.ok ? built.build.body : undefined;
  }

  #granted(obj: KubeObject, ref: PluginReference): boolean {
    const { group } = splitApiVersion(obj.apiVersion);
    // KIC checks a grant whenever a namespace is written, even the referrer's own.
    const from = { group, kind: obj.kind, namespace: obj.metadata.namespace ?? "" };
    const to = { group: KONG_GROUP, kind: "KongPlugin", namespace: ref.namespace, name: ref.name };
    return grantAllows(this.#input.grants, from, to);
  }
}

/** A build that failed for a missing Secret is tried again: the Secret may have arrived since. */
function needsMissingSecret(plugin: AnyKongPlugin, built: BuiltPlugin): boolean {
  return !built.build.ok && (plugin.configFrom !== undefined || plugin.configPatches !== undefined);
}

/** A grant in the target namespace names the referrer and the plugin (no same-namespace shortcut). */
function grantAllows(
  grants: readonly ReferenceGrant[],
  from: { group: string; kind: string; namespace: string },
  to: { group: string; kind: string; namespace: string; name: string },
): boolean {
  return grants.some(
    g =>
      (g.metadata.namespace ?? "") === to.namespace &&
      g.spec.from.some(
        f => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace,
      ) &&
      g.spec.to.some(
        t =>
          t.group === to.group &&
          t.kind === to.kind &&
          (t.name === undefined || t.name === "" || t.name === to.name),
      ),
  );
}
