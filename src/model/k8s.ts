/**
 * The subset of Kubernetes objects that translation reads. Objects are plain JSON as the API server
 * (or a manifest file) gives them, parsed by `parse.ts`, and frozen inside a snapshot.
 */

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

export interface IngressClass extends KubeObject {
  readonly kind: "IngressClass";
  readonly spec: {
    readonly controller?: string;
    readonly parameters?: {
      readonly apiGroup?: string;
      readonly kind: string;
      readonly name: string;
      readonly namespace?: string;
      readonly scope?: string;
    };
  };
}

/**
 * KIC's IngressClassParameters (`configuration.konghq.com/v1alpha1`), named by our IngressClass's
 * `spec.parameters`: settings for every Ingress of the class.
 */
export interface IngressClassParameters extends KubeObject {
  readonly kind: "IngressClassParameters";
  readonly spec: {
    /** Every backend is reached through its Service's DNS name (as `service-upstream` on each). */
    readonly serviceUpstream?: boolean;
    /** Kong 2.x's rule: an ImplementationSpecific path with regex characters is a regex. */
    readonly enableLegacyRegexDetection?: boolean;
  };
}

export interface ServiceBackendPort {
  readonly number?: number;
  readonly name?: string;
}

export interface IngressBackend {
  readonly service?: { readonly name: string; readonly port?: ServiceBackendPort };
  readonly resource?: { readonly apiGroup?: string; readonly kind: string; readonly name: string };
}

export interface HTTPIngressPath {
  readonly path?: string;
  readonly pathType?: string;
  readonly backend: IngressBackend;
}

export interface IngressRule {
  readonly host?: string;
  readonly http?: { readonly paths: readonly HTTPIngressPath[] };
}

export interface IngressTLS {
  readonly hosts?: readonly string[];
  readonly secretName?: string;
}

export interface Ingress extends KubeObject {
  readonly kind: "Ingress";
  readonly spec: {
    readonly ingressClassName?: string;
    readonly defaultBackend?: IngressBackend;
    readonly rules?: readonly IngressRule[];
    readonly tls?: readonly IngressTLS[];
  };
}

export interface ServicePort {
  readonly name?: string;
  readonly protocol?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly appProtocol?: string;
}

export interface Service extends KubeObject {
  readonly kind: "Service";
  readonly spec: {
    readonly type?: string;
    readonly externalName?: string;
    readonly clusterIP?: string;
    readonly clusterIPs?: readonly string[];
    readonly ports?: readonly ServicePort[];
  };
  readonly status?: {
    readonly loadBalancer?: {
      readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string }[];
    };
  };
}

export interface EndpointPort {
  readonly name?: string;
  readonly protocol?: string;
  readonly port?: number;
}

export interface Endpoint {
  readonly addresses: readonly string[];
  readonly conditions?: {
    readonly ready?: boolean;
    readonly serving?: boolean;
    readonly terminating?: boolean;
  };
}

export interface EndpointSlice extends KubeObject {
  readonly kind: "EndpointSlice";
  readonly addressType?: string;
  readonly endpoints?: readonly Endpoint[];
  readonly ports?: readonly EndpointPort[];
}

export interface Secret extends KubeObject {
  readonly kind: "Secret";
  readonly type?: string;
  /** Base64-encoded values, as the API server returns them. `stringData` is folded in by the parser. */
  readonly data?: Readonly<Record<string, string>>;
}

/** Read only when labelled `konghq.com/configmap: "true"` (kinds.ts), for CA certificates. */
export interface ConfigMap extends KubeObject {
  readonly kind: "ConfigMap";
  /** Plain text values (`binaryData` is not read). */
  readonly data?: Readonly<Record<string, string>>;
}

/** KIC's `--configmap-label-selector` default: the label a ConfigMap needs to be read at all. */
export const CONFIGMAP_LABEL = "konghq.com/configmap";

/** Read for its labels (a Gateway listener may admit routes from namespaces by label). */
export interface Namespace extends KubeObject {
  readonly kind: "Namespace";
}

/** Label carrying the owning Service's name on an EndpointSlice. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
