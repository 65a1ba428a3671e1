/**
 * What Kong's own kinds mean to the store (kic-kong-resources.md §0.1): KongPlugins and
 * KongUpstreamPolicies matter when something names them, KongClusterPlugins also when labelled
 * global, KongConsumers when they are of our ingress class; plugin and credential Secrets are kept
 * with their data.
 */
import type { GatewayRoute, HTTPRouteFilter } from "../model/gateway-api.ts";
import type { KubeObject, Service } from "../model/k8s.ts";
import {
  GLOBAL_PLUGIN_LABEL,
  KONG_GROUP,
  UPSTREAM_POLICY_ANNOTATION,
  type AnyKongPlugin,
  type KongConsumerObject,
} from "../model/kong.ts";
import { pluginReferences } from "../translator/plugin-refs.ts";
import { nameKey, type References } from "./ownership.ts";

/** The key of a Kong object in the reference index: `Kind/namespace/name` (namespace empty if cluster-scoped). */
export function kongKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${nameKey(namespace, name)}`;
}

/** Keys of the plugins `konghq.com/plugins` on `obj` may resolve to. */
export function annotatedPluginKeys(obj: KubeObject): string[] {
  return pluginReferences(obj).refs.flatMap(ref => [
    kongKey("KongPlugin", ref.namespace, ref.name),
    kongKey("KongClusterPlugin", "", ref.name),
  ]);
}

/** The plugins an HTTPRoute's ExtensionRef filters name (KongPlugin, in the route's namespace). */
export function extensionRefPluginKeys(route: GatewayRoute): string[] {
  const namespace = route.metadata.namespace ?? "";
  const keys: string[] = [];
  for (const rule of route.spec.rules ?? []) {
    const filters = (rule as { readonly filters?: readonly HTTPRouteFilter[] }).filters ?? [];
    for (const f of filters) {
      const ref = f.extensionRef;
      if (ref?.group === KONG_GROUP && ref.kind === "KongPlugin")
        keys.push(kongKey("KongPlugin", namespace, ref.name));
    }
  }
  return keys;
}

/** What a Service names besides itself: plugins and its KongUpstreamPolicy. */
export function serviceKongReferences(service: Service): References {
  const namespace = service.metadata.namespace ?? "";
  const kong = annotatedPluginKeys(service);
  const policy = service.metadata.annotations?.[UPSTREAM_POLICY_ANNOTATION];
  if (policy !== undefined && policy !== "")
    kong.push(kongKey("KongUpstreamPolicy", namespace, policy));
  return { services: [], secrets: [], kong };
}

/** The Secrets a plugin's config is read from (namespace given for KongClusterPlugin). */
export function pluginReferencesOf(plugin: AnyKongPlugin): References {
  const own = plugin.metadata.namespace ?? "";
  const secrets = new Set<string>();
  const add = (ref: { readonly namespace?: string; readonly name: string }): void => {
    secrets.add(nameKey(plugin.kind === "KongPlugin" ? own : (ref.namespace ?? ""), ref.name));
  };
  if (plugin.configFrom !== undefined) add(plugin.configFrom.secretKeyRef);
  for (const patch of plugin.configPatches ?? []) add(patch.valueFrom.secretKeyRef);
  return { services: [], secrets: [...secrets] };
}

/** A consumer's credential Secrets and plugins. */
export function consumerReferences(consumer: KongConsumerObject): References {
  const namespace = consumer.metadata.namespace ?? "";
  return {
    services: [],
    secrets: (consumer.credentials ?? []).map(name => nameKey(namespace, name)),
    kong: annotatedPluginKeys(consumer),
  };
}

export function isGlobalPlugin(obj: KubeObject): boolean {
  return obj.metadata.labels?.[GLOBAL_PLUGIN_LABEL] === "true";
}
