/**
 * The subset of Gateway API objects (gateway.networking.k8s.io) that translation and status read, as
 * `parse.ts` returns them: every version users still have (v1, v1beta1, v1alpha2, v1alpha3) parses to
 * these shapes, and `apiVersion` keeps the version the object came in.
 */
import type { KubeObject } from "./k8s.ts";

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** A condition as Kubernetes API conventions define it (metav1.Condition). */
export interface Condition {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime: string;
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

/** A reference from a route to the Gateway (or listener) it attaches to. */
export interface ParentReference {
  readonly group?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name: string;
  readonly sectionName?: string;
  readonly port?: number;
}

/** A reference to an object in another (or the same) namespace: a certificate, a backend, a plugin. */
export interface ObjectReference {
  readonly group?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name: string;
}

export interface BackendRef extends ObjectReference {
  readonly port?: number;
  /** Absent means 1; 0 takes the backend out of rotation. */
  readonly weight?: number;
}

export interface GatewayClass extends KubeObject {
  readonly kind: "GatewayClass";
  readonly spec: {
    readonly controllerName: string;
    readonly description?: string;
    readonly parametersRef?: ObjectReference;
  };
  readonly status?: { readonly conditions?: readonly Condition[] };
}

export interface GatewayTLSConfig {
  /** `Terminate` (the default) or `Passthrough`. */
  readonly mode?: string;
  readonly certificateRefs?: readonly ObjectReference[];
  readonly options?: Readonly<Record<string, string>>;
}

export interface AllowedRoutes {
  readonly namespaces?: { readonly from?: string; readonly selector?: LabelSelector };
  readonly kinds?: readonly { readonly group?: string; readonly kind: string }[];
}

export interface Listener {
  readonly name: string;
  readonly hostname?: string;
  readonly port: number;
  readonly protocol: string;
  readonly tls?: GatewayTLSConfig;
  readonly allowedRoutes?: AllowedRoutes;
}

export interface ListenerStatus {
  readonly name: string;
  readonly supportedKinds?: readonly { readonly group?: string; readonly kind: string }[];
  readonly attachedRoutes: number;
  readonly conditions?: readonly Condition[];
}

export interface Gateway extends KubeObject {
  readonly kind: "Gateway";
  readonly spec: {
    readonly gatewayClassName: string;
    readonly listeners: readonly Listener[];
    readonly addresses?: readonly { readonly type?: string; readonly value: string }[];
  };
  readonly status?: {
    readonly addresses?: readonly { readonly type?: string; readonly value: string }[];
    readonly conditions?: readonly Condition[];
    readonly listeners?: readonly ListenerStatus[];
  };
}

export interface HTTPHeaderMatch {
  /** `Exact` (the default) or `RegularExpression`. */
  readonly type?: string;
  readonly name: string;
  readonly value: string;
}

export interface HTTPRouteMatch {
  readonly path?: { readonly type?: string; readonly value?: string };
  readonly headers?: readonly HTTPHeaderMatch[];
  readonly queryParams?: readonly HTTPHeaderMatch[];
  readonly method?: string;
}

export interface HTTPHeaderModifier {
  readonly set?: readonly { readonly name: string; readonly value: string }[];
  readonly add?: readonly { readonly name: string; readonly value: string }[];
  readonly remove?: readonly string[];
}

export interface HTTPPathModifier {
  /** `ReplaceFullPath` or `ReplacePrefixMatch`. */
  readonly type: string;
  readonly replaceFullPath?: string;
  readonly replacePrefixMatch?: string;
}

export interface HTTPRouteFilter {
  readonly type: string;
  readonly requestHeaderModifier?: HTTPHeaderModifier;
  readonly responseHeaderModifier?: HTTPHeaderModifier;
  readonly requestRedirect?: {
    readonly scheme?: string;
    readonly hostname?: string;
    readonly path?: HTTPPathModifier;
    readonly port?: number;
    readonly statusCode?: number;
  };
  readonly urlRewrite?: { readonly hostname?: string; readonly path?: HTTPPathModifier };
  readonly requestMirror?: { readonly backendRef: BackendRef };
  readonly extensionRef?: { readonly group: string; readonly kind: string; readonly name: string };
}

export interface HTTPRouteRule {
  readonly name?: string;
  readonly matches?: readonly HTTPRouteMatch[];
  readonly filters?: readonly HTTPRouteFilter[];
  readonly backendRefs?: readonly (BackendRef & {
    readonly filters?: readonly HTTPRouteFilter[];
  })[];
  readonly timeouts?: { readonly request?: string; readonly backendRequest?: string };
}

export interface RouteParentStatus {
  readonly parentRef: ParentReference;
  readonly controllerName: string;
  readonly conditions?: readonly Condition[];
}

export interface RouteStatus {
  readonly parents?: readonly RouteParentStatus[];
}

interface RouteCommon extends KubeObject {
  readonly status?: RouteStatus;
}

export interface HTTPRoute extends RouteCommon {
  readonly kind: "HTTPRoute";
  readonly spec: {
    readonly parentRefs?: readonly ParentReference[];
    readonly hostnames?: readonly string[];
    readonly rules?: readonly HTTPRouteRule[];
  };
}

export interface GRPCRouteMatch {
  readonly method?: { readonly type?: string; readonly service?: string; readonly method?: string };
  readonly headers?: readonly HTTPHeaderMatch[];
}

export interface GRPCRoute extends RouteCommon {
  readonly kind: "GRPCRoute";
  readonly spec: {
    readonly parentRefs?: readonly ParentReference[];
    readonly hostnames?: readonly string[];
    readonly rules?: readonly {
      readonly name?: string;
      readonly matches?: readonly GRPCRouteMatch[];
      readonly filters?: readonly HTTPRouteFilter[];
      readonly backendRefs?: readonly BackendRef[];
    }[];
  };
}

/** A rule of a TCPRoute, UDPRoute or TLSRoute: backends only. */
export interface StreamRouteRule {
  readonly name?: string;
  readonly backendRefs?: readonly BackendRef[];
}

export interface TCPRoute extends RouteCommon {
  readonly kind: "TCPRoute";
  readonly spec: {
    readonly parentRefs?: readonly ParentReference[];
    readonly rules: readonly StreamRouteRule[];
  };
}

export interface UDPRoute extends RouteCommon {
  readonly kind: "UDPRoute";
  readonly spec: {
    readonly parentRefs?: readonly ParentReference[];
    readonly rules: readonly StreamRouteRule[];
  };
}

export interface TLSRoute extends RouteCommon {
  readonly kind: "TLSRoute";
  readonly spec: {
    readonly parentRefs?: readonly ParentReference[];
    readonly hostnames?: readonly string[];
    readonly rules: readonly StreamRouteRule[];
  };
}

export interface ReferenceGrant extends KubeObject {
  readonly kind: "ReferenceGrant";
  readonly spec: {
    readonly from: readonly {
      readonly group: string;
      readonly kind: string;
      readonly namespace: string;
    }[];
    readonly to: readonly {
      readonly group: string;
      readonly kind: string;
      readonly name?: string;
    }[];
  };
}

/** Every Gateway API route kind. */
export type GatewayRoute = HTTPRoute | GRPCRoute | TCPRoute | UDPRoute | TLSRoute;
