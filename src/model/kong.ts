/**
 * Kong's own kinds (API group `configuration.konghq.com`), with KIC's field names
 * (kic-kong-resources.md §1): KongPlugin and KongClusterPlugin keep their fields at the top level,
 * KongConsumer too; KongUpstreamPolicy has a `spec`. Only what translation reads is typed.
 */
import type { KubeObject } from "./k8s.ts";

export const KONG_GROUP = "configuration.konghq.com";

/** A key of a Secret in the plugin's namespace (KongPlugin) or in the given one (KongClusterPlugin). */
export interface SecretKeyRef {
  readonly namespace?: string;
  readonly name: string;
  readonly key: string;
}

export interface ConfigPatch {
  /** A JSON pointer into `config`; empty replaces the whole document. */
  readonly path: string;
  readonly valueFrom: { readonly secretKeyRef: SecretKeyRef };
}

/** Kong Enterprise's plugin ordering: per phase (`access`), the plugins to run before or after. */
export interface PluginOrdering {
  readonly before?: Readonly<Record<string, readonly string[]>>;
  readonly after?: Readonly<Record<string, readonly string[]>>;
}

interface PluginFields {
  readonly plugin: string;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly configFrom?: { readonly secretKeyRef: SecretKeyRef };
  readonly configPatches?: readonly ConfigPatch[];
  readonly disabled?: boolean;
  readonly protocols?: readonly string[];
  readonly ordering?: PluginOrdering;
  readonly instance_name?: string;
  readonly consumerRef?: string;
}

export interface KongPluginObject extends KubeObject, PluginFields {
  readonly kind: "KongPlugin";
}

export interface KongClusterPluginObject extends KubeObject, PluginFields {
  readonly kind: "KongClusterPlugin";
}

export type AnyKongPlugin = KongPluginObject | KongClusterPluginObject;

export interface KongConsumerObject extends KubeObject {
  readonly kind: "KongConsumer";
  readonly username?: string;
  readonly custom_id?: string;
  /** Names of Secrets in the consumer's namespace labelled `konghq.com/credential`. */
  readonly credentials?: readonly string[];
  /** Names of KongConsumerGroups in the consumer's namespace. */
  readonly consumerGroups?: readonly string[];
  readonly spec?: { readonly controlPlaneRef?: { readonly type?: string } };
}

export interface HashOn {
  readonly input?: string;
  readonly header?: string;
  readonly cookie?: string;
  readonly cookiePath?: string;
  readonly queryArg?: string;
  readonly uriCapture?: string;
}

export interface HealthcheckStatus {
  readonly httpStatuses?: readonly number[];
  readonly interval?: number;
  readonly successes?: number;
  readonly httpFailures?: number;
  readonly tcpFailures?: number;
  readonly timeouts?: number;
}

export interface ActiveHealthcheck {
  readonly type?: string;
  readonly concurrency?: number;
  readonly httpPath?: string;
  readonly httpsSni?: string;
  readonly httpsVerifyCertificate?: boolean;
  readonly timeout?: number;
  readonly headers?: Readonly<Record<string, readonly string[]>>;
  readonly healthy?: HealthcheckStatus;
  readonly unhealthy?: HealthcheckStatus;
}

export interface PassiveHealthcheck {
  readonly type?: string;
  readonly healthy?: HealthcheckStatus;
  readonly unhealthy?: HealthcheckStatus;
}

export interface KongUpstreamPolicySpec {
  readonly algorithm?: string;
  readonly slots?: number;
  readonly hashOn?: HashOn;
  readonly hashOnFallback?: HashOn;
  readonly healthchecks?: {
    readonly threshold?: number;
    readonly active?: ActiveHealthcheck;
    readonly passive?: PassiveHealthcheck;
  };
  readonly stickySessions?: { readonly cookie: string; readonly cookiePath?: string };
}

export interface KongUpstreamPolicyObject extends KubeObject {
  readonly kind: "KongUpstreamPolicy";
  readonly spec: KongUpstreamPolicySpec;
}

/** The Secret label naming a credential's type (KIC 3.2+; the `kongCredType` data key is ignored). */
export const CREDENTIAL_TYPE_LABEL = "konghq.com/credential";
/** The KongClusterPlugin label making it a global plugin. */
export const GLOBAL_PLUGIN_LABEL = "global";
/** The annotation naming a Service's KongUpstreamPolicy. */
export const UPSTREAM_POLICY_ANNOTATION = "konghq.com/upstream-policy";
