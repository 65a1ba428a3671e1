/**
 * A KongPlugin or KongClusterPlugin as the Kong plugin it describes (kic-kong-resources.md §2.4, §2.5):
 * `config`, or the whole config from a Secret (`configFrom`), with JSON-patch `add`s from Secrets
 * (`configPatches`); `disabled`, `protocols`, `instance_name`. The result is checked with Kong's own
 * plugin schemas (src/kong/validate), so a config Kong would reject is a problem on the plugin object
 * before any referrer is served with it. A plugin Kong does not have (when Kong has said which it has)
 * is such a problem too; a plugin our schemas do not know is sent with its config unchecked, for Kong
 * to judge (KIC sends every plugin).
 */
import { parse as parseYaml } from "yaml";
import type { KongProtocol } from "../kong/types.ts";
import {
  DEFAULT_KONG_VALIDATION_OPTIONS,
  describeProblems,
  validateDeclarativeConfig,
} from "../kong/validate/index.ts";
import type { Secret } from "../model/k8s.ts";
import type { AnyKongPlugin, SecretKeyRef } from "../model/kong.ts";
import { isRecord } from "../util/is-record.ts";

/** The Kong plugin a plugin object describes, before it is scoped to services, routes or consumers. */
export interface PluginBody {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly enabled: boolean;
  readonly protocols: readonly KongProtocol[];
  readonly instanceName?: string;
}

export type PluginBuild =
  | { readonly ok: true; readonly body: PluginBody }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** Whether Kong has the plugin: `unknown` until a Kong has said which plugins it has (offline: never). */
export type PluginAvailability = "unknown" | "available" | "missing";

export interface BuiltPlugin {
  readonly build: PluginBuild;
  /** The Secrets the config was read from (found or not, by `namespace/name`). */
  readonly secrets: readonly Secret[];
  /** What Kong's plugin list said of it when it was built. */
  readonly availability: PluginAvailability;
}

export function availabilityOf(
  name: string,
  kongPlugins: ReadonlySet<string> | undefined,
): PluginAvailability {
  if (kongPlugins === undefined) return "unknown";
  return kongPlugins.has(name) ? "available" : "missing";
}

type Json = Record<string, unknown>;

class ConfigError extends Error {}

/** KIC's default for every plugin (kic-kong-resources.md §2.4). */
const DEFAULT_PROTOCOLS: readonly KongProtocol[] = ["http", "https"];

/** `kongPlugins`: the plugins Kong has, undefined while unknown. */
export function buildPlugin(
  plugin: AnyKongPlugin,
  secrets: ReadonlyMap<string, Secret>,
  kongPlugins?: ReadonlySet<string>,
): BuiltPlugin {
  const availability = availabilityOf(plugin.plugin, kongPlugins);
  const read: Secret[] = [];
  const secretValue = (ref: SecretKeyRef): string => {
    const namespace =
      plugin.kind === "KongPlugin" ? (plugin.metadata.namespace ?? "") : (ref.namespace ?? "");
    const secret = secrets.get(`${namespace}/${ref.name}`);
    if (secret === undefined)
      throw new ConfigError(
        `Secret ${namespace}/${ref.name} of the plugin configuration not found`,
      );
    read.push(secret);
    const data = secret.data?.[ref.key];
    if (data === undefined)
      throw new ConfigError(`no key '${ref.key}' in secret '${namespace}/${ref.name}'`);
    return Buffer.from(data, "base64").toString("utf8");
  };
  try {
    const config = pluginConfig(plugin, secretValue);
    return { build: validated(plugin, config, kongPlugins), secrets: read, availability };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      build: { ok: false, reason: "PluginConfigInvalid", message: err.message },
      secrets: read,
      availability,
    };
  }
}

function pluginConfig(plugin: AnyKongPlugin, secretValue: (ref: SecretKeyRef) => string): Json {
  const hasConfig = plugin.config !== undefined && Object.keys(plugin.config).length > 0;
  if (plugin.configFrom !== undefined) {
    if (hasConfig || plugin.configPatches !== undefined)
      throw new ConfigError(
        "config, configFrom and configPatches cannot be combined (configFrom stands alone)",
      );
    const ref = plugin.configFrom.secretKeyRef;
    return parseConfigText(secretValue(ref), ref.key);
  }
  let config: unknown = structuredClone(plugin.config ?? {});
  for (const patch of plugin.configPatches ?? []) {
    const raw = secretValue(patch.valueFrom.secretKeyRef);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ConfigError(
        `configPatches path ${patch.path}: the value of key '${patch.valueFrom.secretKeyRef.key}' is not valid JSON (a string needs quotes)`,
      );
    }
    config = addAt(config, patch.path, value);
  }
  if (!isRecord(config)) throw new ConfigError("the patched config is not an object");
  return config;
}

function parseConfigText(text: string, key: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = parseYaml(text);
    } catch {
      value = undefined;
    }
  }
  if (!isRecord(value))
    throw new ConfigError(`key '${key}' contains neither a valid JSON nor a valid YAML object`);
  return value;
}

/** RFC 6902 `add`, creating missing parent objects as KIC does; an empty path replaces the document. */
function addAt(doc: unknown, path: string, value: unknown): unknown {
  if (path === "") return value;
  if (!path.startsWith("/")) throw new ConfigError(`configPatches path ${path}: must start with /`);
  const tokens = path
    .slice(1)
    .split("/")
    .map(t => t.replaceAll("~1", "/").replaceAll("~0", "~"));
  const root: unknown = isRecord(doc) || Array.isArray(doc) ? doc : {};
  let node: unknown = root;
  for (const [i, token] of tokens.entries())
    node = step(node, token, i === tokens.length - 1 ? { value } : undefined, path);
  return root;
}

/** One token of a patch path: descends (creating objects), or at the end adds `last.value`. */
function step(node: unknown, token: string, last: { value: unknown } | undefined, path: string) {
  if (Array.isArray(node)) {
    const index = token === "-" ? node.length : Number(token);
    if (!Number.isInteger(index) || index < 0 || index > node.length)
      throw new ConfigError(`configPatches path ${path}: no array index ${token}`);
    if (last === undefined) return node[index] as unknown;
    node.splice(index, 0, last.value);
    return undefined;
  }
  if (!isRecord(node)) throw new ConfigError(`configPatches path ${path}: not an object or array`);
  if (last !== undefined) {
    node[token] = last.value;
    return undefined;
  }
  const child = node[token];
  if (!isRecord(child) && !Array.isArray(child)) node[token] = {};
  return node[token];
}

/**
 * Kong's plugins when known; else Kong's bundled ones and this one, which Kong is trusted to have:
 * without a schema of ours its config is not checked (src/kong/validate accepts any), and Kong refuses
 * the config if it lacks it, which the fallback then confines to the plugin's referrers.
 */
function enabledFor(
  name: string,
  kongPlugins: ReadonlySet<string> | undefined,
): ReadonlySet<string> {
  if (kongPlugins !== undefined) return kongPlugins;
  const bundled = DEFAULT_KONG_VALIDATION_OPTIONS.enabledPlugins;
  return bundled.has(name) ? bundled : new Set([...bundled, name]);
}

/** The plugin as Kong would take it, or Kong's own messages when it would not. */
function validated(
  plugin: AnyKongPlugin,
  config: Json,
  kongPlugins: ReadonlySet<string> | undefined,
): PluginBuild {
  const protocols = (plugin.protocols ?? DEFAULT_PROTOCOLS) as readonly KongProtocol[];
  const body: PluginBody = {
    name: plugin.plugin,
    config,
    enabled: plugin.disabled !== true,
    protocols,
    ...(plugin.instance_name === undefined || plugin.instance_name === ""
      ? {}
      : { instanceName: plugin.instance_name }),
  };
  if (availabilityOf(body.name, kongPlugins) === "missing")
    return {
      ok: false,
      reason: "PluginNotAvailable",
      message: `Kong does not have plugin ${body.name} (it is not in Kong's plugins setting), and would refuse the whole config for it`,
    };
  const result = validateDeclarativeConfig(
    {
      _format_version: "3.0",
      plugins: [{ name: body.name, config, protocols, enabled: body.enabled }],
    },
    { ...DEFAULT_KONG_VALIDATION_OPTIONS, enabledPlugins: enabledFor(body.name, kongPlugins) },
  );
  if (result.ok) return { ok: true, body };
  const lines = describeProblems(result.error).map(l => l.replace(/^plugin [^:]*?: /, ""));
  return {
    ok: false,
    reason: "PluginConfigInvalid",
    message: `Kong would reject plugin ${body.name}: ${lines.join("; ")}`,
  };
}
