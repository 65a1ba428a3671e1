/**
 * KongConsumers to Kong consumers with nested credentials (kic-kong-resources.md §3), and global
 * KongClusterPlugins (§2.3). Ours by `kubernetes.io/ingress.class` as KIC decides it. A credential Kong
 * would refuse is never sent. KIC then keeps the consumer with its other credentials; so do we when the
 * credential is an authentication one (the consumer only fails to authenticate with it), but a broken
 * ACL group, or a Secret that does not say which credential it is (missing, unlabelled, unknown type),
 * leaves the consumer out whole with the reason: a consumer without its ACL group could pass a deny
 * list. A plugin that does not resolve leaves it out too. Credentials whose unique field clashes leave
 * out every consumer involved (KIC). Consumer groups are Kong Enterprise's; a membership is reported
 * and ignored.
 */
import type { IngressClass, Secret } from "../model/k8s.ts";
import { DEFAULT_KONG_VALIDATION_OPTIONS } from "../kong/validate/index.ts";
import {
  CREDENTIAL_TYPE_LABEL,
  type AnyKongPlugin,
  type KongConsumerObject,
} from "../model/kong.ts";
import { compareStrings } from "../util/compare.ts";
import { readCredential, uniqueFieldOf, type CredentialRead } from "./credentials.ts";
import type { CredentialType, IrCredential } from "./ir/types.ts";
import { isOurClassAnnotated } from "./kong-class.ts";
import type { TranslationMemo } from "./memo.ts";
import type { ConsumerPlugins } from "./plugin-attach.ts";
import { isGlobalPluginObject } from "./plugin-refs.ts";
import type { PluginCatalog, ResolvedPlugin } from "./plugins.ts";
import type { ResultSink } from "./results.ts";
import type { Snapshot, TranslateOptions } from "./types.ts";

export interface ConsumersInput {
  readonly snapshot: Snapshot;
  readonly options: TranslateOptions;
  readonly catalog: PluginCatalog;
  readonly results: ResultSink;
  readonly memo: TranslationMemo;
  /** The plugins Kong has (a credential type is one); undefined while unknown: Kong's bundled ones. */
  readonly kongPlugins: ReadonlySet<string> | undefined;
}

function classesOf(memo: TranslationMemo): ReadonlyMap<string, IngressClass> {
  return memo.classes?.value ?? new Map<string, IngressClass>();
}

export function translateConsumers(input: ConsumersInput): ConsumerPlugins[] {
  const { snapshot, options, results } = input;
  const classes = classesOf(input.memo);
  const secrets = input.memo.secrets?.value ?? new Map<string, Secret>();
  const out: ConsumerPlugins[] = [];
  for (const consumer of snapshot.kongConsumers) {
    if (!isOurClassAnnotated(consumer, classes, options.ingressClass)) continue;
    const type = consumer.spec?.controlPlaneRef?.type;
    if (type !== undefined && type !== "kic") continue;
    results.excluded(consumer);
    const translated = translateConsumer(consumer, { ...input, secrets });
    if (translated !== undefined) out.push(translated);
  }
  const kept = withoutConflicts(out, results);
  for (const c of kept) {
    results.translated(c.consumer.origin.object);
    for (const cred of c.consumer.credentials) results.translated(cred.origin.object);
  }
  return kept;
}

function translateConsumer(
  consumer: KongConsumerObject,
  input: ConsumersInput & { readonly secrets: ReadonlyMap<string, Secret> },
): ConsumerPlugins | undefined {
  const r = input.results.for(consumer);
  const username = nonEmpty(consumer.username);
  const customId = nonEmpty(consumer.custom_id);
  if (username === undefined && customId === undefined) {
    r.problem("ConsumerInvalid", "no username or custom_id specified");
    return undefined;
  }
  if ((consumer.consumerGroups ?? []).length > 0)
    r.problem(
      "ConsumerGroupsNotSupported",
      `consumerGroups (${(consumer.consumerGroups ?? []).join(", ")}) need Kong Enterprise; the memberships are ignored`,
    );
  const plugins = input.catalog.resolve(consumer);
  const credentials = readCredentials(consumer, input);
  if (plugins === undefined || credentials === undefined) return undefined;
  return {
    consumer: {
      origin: { object: consumer },
      ...(username === undefined ? {} : { username }),
      ...(customId === undefined ? {} : { customId }),
      credentials,
    },
    plugins,
  };
}

function readCredentials(
  consumer: KongConsumerObject,
  input: ConsumersInput & { readonly secrets: ReadonlyMap<string, Secret> },
): IrCredential[] | undefined {
  const namespace = consumer.metadata.namespace ?? "";
  const r = input.results.for(consumer);
  const out: IrCredential[] = [];
  let ok = true;
  for (const name of consumer.credentials ?? []) {
    const secret = input.secrets.get(`${namespace}/${name}`);
    if (secret === undefined) {
      r.problem(
        "CredentialInvalid",
        `credential "${name}" failure: Secret ${namespace}/${name} not found; the consumer is left out`,
      );
      ok = false;
      continue;
    }
    r.dependsOn(secret);
    const read = readCached(secret, input);
    if (read.ok) out.push({ origin: { object: secret }, type: read.type, fields: read.fields });
    else if (!credentialRefused({ consumer, secret, read }, input.results)) ok = false;
  }
  return ok ? out : undefined;
}

/** `readCredential`, once per Secret version and answer of Kong's about the type's plugin. */
function readCached(secret: Secret, input: ConsumersInput): CredentialRead {
  const enabled = input.kongPlugins ?? DEFAULT_KONG_VALIDATION_OPTIONS.enabledPlugins;
  const type = secret.metadata.labels?.[CREDENTIAL_TYPE_LABEL];
  const pluginEnabled = type !== undefined && enabled.has(type);
  const cached = input.memo.credentials.get(secret);
  if (cached?.pluginEnabled === pluginEnabled) return cached.read;
  const read = readCredential(secret, enabled);
  input.memo.credentials.set(secret, { pluginEnabled, read });
  return read;
}

/**
 * Says why a credential is not sent, on its consumer and its Secret; true when the consumer may stay
 * without it (an authentication credential), false when it must be left out.
 */
function credentialRefused(
  refused: {
    readonly consumer: KongConsumerObject;
    readonly secret: Secret;
    readonly read: CredentialRead & { readonly ok: false };
  },
  results: ResultSink,
): boolean {
  const { consumer, secret, read } = refused;
  const consumerStays = read.type !== undefined && read.type !== "acl";
  const consequence = consumerStays
    ? "this credential is not sent, the consumer's others are"
    : "the consumer is left out";
  results.problem(
    consumer,
    "CredentialInvalid",
    `credential "${secret.metadata.name}" failure: ${read.message}; ${consequence}`,
  );
  results.problem(secret, "CredentialInvalid", `${read.message}; the credential is not sent`);
  results.excluded(secret);
  return consumerStays;
}

/** KIC's uniqueness indexes: a clash leaves out every consumer involved. */
function withoutConflicts(consumers: ConsumerPlugins[], results: ResultSink): ConsumerPlugins[] {
  const owners = new Map<string, Set<ConsumerPlugins>>();
  for (const c of consumers) {
    for (const cred of c.consumer.credentials) {
      const field = uniqueFieldOf(cred.type);
      const value = field === undefined ? undefined : cred.fields[field];
      if (typeof value !== "string") continue;
      const key = `${cred.type}\u0000${value}`;
      const set = owners.get(key) ?? new Set();
      set.add(c);
      owners.set(key, set);
    }
  }
  const dropped = new Set<ConsumerPlugins>();
  for (const [key, set] of owners) {
    if (set.size < 2) continue;
    const type = key.slice(0, key.indexOf("\u0000"));
    const names = [...set].map(c => c.consumer.origin.object.metadata.name).sort(compareStrings);
    for (const c of set) {
      dropped.add(c);
      results.problem(
        c.consumer.origin.object,
        "CredentialConflict",
        `Consumer has conflicting credentials: a ${type} credential's ${uniqueFieldOf(type as CredentialType) ?? "key"} is also used by consumers ${names.join(", ")}; each of them is left out`,
      );
    }
  }
  return consumers.filter(c => !dropped.has(c));
}

/**
 * KongClusterPlugins labelled `global: "true"` and of our class, each unscoped. Several for the same
 * plugin are all left out (KIC drops them; here each is told).
 */
export function globalPlugins(input: ConsumersInput): ResolvedPlugin[] {
  const classes = classesOf(input.memo);
  const byName = new Map<string, ResolvedPlugin[]>();
  for (const plugin of input.snapshot.kongClusterPlugins) {
    if (!isGlobalPluginObject(plugin)) continue;
    if (!isOurClassAnnotated(plugin, classes, input.options.ingressClass)) continue;
    const body = input.catalog.body(plugin);
    if (body === undefined) continue;
    const list = byName.get(body.name) ?? [];
    list.push({ object: plugin, body });
    byName.set(body.name, list);
  }
  const out: ResolvedPlugin[] = [];
  for (const [name, list] of byName) {
    if (list.length === 1) {
      out.push(...list);
      continue;
    }
    for (const p of list) globalConflict(p.object, name, list, input.results);
  }
  return out;
}

function globalConflict(
  plugin: AnyKongPlugin,
  name: string,
  list: readonly ResolvedPlugin[],
  results: ResultSink,
): void {
  const others = list.map(p => p.object.metadata.name).sort(compareStrings);
  results.problem(
    plugin,
    "GlobalPluginConflict",
    `several global KongClusterPlugins configure plugin ${name} (${others.join(", ")}); none of them is applied globally`,
  );
  results.excluded(plugin);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
