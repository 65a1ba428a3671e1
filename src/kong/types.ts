/**
 * Kong declarative configuration, format 3.0, as this controller emits it (kong-admin-api.md §2).
 * Only the fields we write are typed; Kong fills every other field with its default.
 */

export type KongProtocol =
  "http" | "https" | "grpc" | "grpcs" | "tcp" | "tls" | "tls_passthrough" | "udp" | "ws" | "wss";

export interface KongRoute {
  readonly id?: string;
  readonly name: string;
  readonly hosts?: readonly string[];
  readonly paths?: readonly string[];
  readonly methods?: readonly string[];
  readonly headers?: Readonly<Record<string, readonly string[]>>;
  readonly protocols?: readonly KongProtocol[];
  readonly snis?: readonly string[];
  readonly sources?: readonly { readonly ip?: string; readonly port?: number }[];
  readonly destinations?: readonly { readonly ip?: string; readonly port?: number }[];
  readonly strip_path?: boolean;
  readonly preserve_host?: boolean;
  readonly regex_priority?: number;
  readonly https_redirect_status_code?: number;
  readonly path_handling?: string;
  readonly request_buffering?: boolean;
  readonly response_buffering?: boolean;
  /** `router_flavor = expressions` only: the ATC expression, in place of the match fields. */
  readonly expression?: string;
  readonly priority?: number;
  readonly tags?: readonly string[];
  readonly plugins?: readonly KongPlugin[];
}

export interface KongService {
  readonly id?: string;
  readonly name: string;
  readonly protocol: KongProtocol;
  readonly host: string;
  readonly port: number;
  readonly path?: string;
  readonly retries?: number;
  readonly connect_timeout?: number;
  readonly read_timeout?: number;
  readonly write_timeout?: number;
  readonly client_certificate?: { readonly id: string };
  readonly tls_verify?: boolean;
  readonly tls_verify_depth?: number;
  readonly ca_certificates?: readonly string[];
  readonly tags?: readonly string[];
  readonly routes?: readonly KongRoute[];
  readonly plugins?: readonly KongPlugin[];
}

export interface KongTarget {
  readonly target: string;
  readonly weight: number;
  readonly tags?: readonly string[];
}

export interface KongUpstream {
  readonly id?: string;
  readonly name: string;
  readonly algorithm?: string;
  readonly host_header?: string;
  readonly tags?: readonly string[];
  readonly targets?: readonly KongTarget[];
  /** KongUpstreamPolicy fields (hash_on, slots, healthchecks, …). */
  readonly [field: string]: unknown;
}

export interface KongSni {
  readonly name: string;
  readonly tags?: readonly string[];
}

export interface KongCertificate {
  readonly id: string;
  readonly cert: string;
  readonly key: string;
  readonly snis?: readonly KongSni[];
  readonly tags?: readonly string[];
}

export interface KongCACertificate {
  readonly id: string;
  readonly cert: string;
  readonly tags?: readonly string[];
}

export interface KongPlugin {
  readonly id?: string;
  readonly name: string;
  readonly instance_name?: string;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly protocols?: readonly KongProtocol[];
  readonly enabled?: boolean;
  readonly route?: string;
  readonly service?: string;
  readonly consumer?: string;
  readonly tags?: readonly string[];
}

/** A consumer with its credentials nested by collection (`keyauth_credentials`, `acls`, …). */
export interface KongConsumer {
  readonly username?: string;
  readonly custom_id?: string;
  readonly tags?: readonly string[];
  readonly [credentials: string]: unknown;
}

export interface KongConfig {
  readonly _format_version: "3.0";
  readonly services?: readonly KongService[];
  readonly upstreams?: readonly KongUpstream[];
  readonly certificates?: readonly KongCertificate[];
  readonly ca_certificates?: readonly KongCACertificate[];
  readonly plugins?: readonly KongPlugin[];
  readonly consumers?: readonly KongConsumer[];
}

/** The hash Kong's `GET /status` reports while it holds no configuration (kong-admin-api.md §5.1). */
export const EMPTY_CONFIG_HASH = "00000000000000000000000000000000";
