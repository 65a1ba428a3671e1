/**
 * Schemas of the Gateway API kinds (gateway-api.ts), one per kind and shared by every version we read:
 * the fields translation and status use, each checked for the shape they rely on. The API server has
 * already applied the CRDs' own validation; manifests given to `kongress translate` have not.
 */
import { z } from "zod";
import type { KindName } from "./kinds.ts";
import { head, int, str, stringMap } from "./schema-common.ts";

const objectReference = z.object({
  group: str.nullish(),
  kind: str.nullish(),
  namespace: str.nullish(),
  name: z.string().min(1, "must not be empty"),
});

const parentReference = objectReference.extend({ sectionName: str.nullish(), port: int.nullish() });

const backendRef = objectReference.extend({ port: int.nullish(), weight: int.nullish() });

const labelSelector = z.object({
  matchLabels: stringMap.nullish(),
  matchExpressions: z
    .array(z.object({ key: str, operator: str, values: z.array(str).nullish() }))
    .nullish(),
});

const listener = z.object({
  name: z.string().min(1, "must not be empty"),
  hostname: str.nullish(),
  port: int,
  protocol: str,
  tls: z
    .object({
      mode: str.nullish(),
      certificateRefs: z.array(objectReference).nullish(),
      options: stringMap.nullish(),
    })
    .nullish(),
  allowedRoutes: z
    .object({
      namespaces: z.object({ from: str.nullish(), selector: labelSelector.nullish() }).nullish(),
      kinds: z.array(z.object({ group: str.nullish(), kind: str })).nullish(),
    })
    .nullish(),
});

const nameValue = z.object({ name: str, value: str });
const headerMatch = z.object({ type: str.nullish(), name: str, value: str });

const headerModifier = z.object({
  set: z.array(nameValue).nullish(),
  add: z.array(nameValue).nullish(),
  remove: z.array(str).nullish(),
});

const pathModifier = z.object({
  type: str,
  replaceFullPath: str.nullish(),
  replacePrefixMatch: str.nullish(),
});

const routeFilter = z.object({
  type: str,
  requestHeaderModifier: headerModifier.nullish(),
  responseHeaderModifier: headerModifier.nullish(),
  requestRedirect: z
    .object({
      scheme: str.nullish(),
      hostname: str.nullish(),
      path: pathModifier.nullish(),
      port: int.nullish(),
      statusCode: int.nullish(),
    })
    .nullish(),
  urlRewrite: z.object({ hostname: str.nullish(), path: pathModifier.nullish() }).nullish(),
  requestMirror: z.object({ backendRef }).nullish(),
  extensionRef: z.object({ group: str, kind: str, name: str }).nullish(),
});

const routeHead = {
  ...head,
  // Statuses are the status writer's (src/status/observed.ts); translation never reads them.
};

const parentRefs = z.array(parentReference).nullish();
const hostnames = z.array(str).nullish();

const httpRule = z.object({
  name: str.nullish(),
  matches: z
    .array(
      z.object({
        path: z.object({ type: str.nullish(), value: str.nullish() }).nullish(),
        headers: z.array(headerMatch).nullish(),
        queryParams: z.array(headerMatch).nullish(),
        method: str.nullish(),
      }),
    )
    .nullish(),
  filters: z.array(routeFilter).nullish(),
  backendRefs: z.array(backendRef.extend({ filters: z.array(routeFilter).nullish() })).nullish(),
  timeouts: z.object({ request: str.nullish(), backendRequest: str.nullish() }).nullish(),
});

const grpcRule = z.object({
  name: str.nullish(),
  matches: z
    .array(
      z.object({
        method: z
          .object({ type: str.nullish(), service: str.nullish(), method: str.nullish() })
          .nullish(),
        headers: z.array(headerMatch).nullish(),
      }),
    )
    .nullish(),
  filters: z.array(routeFilter).nullish(),
  backendRefs: z.array(backendRef).nullish(),
});

const streamRules = z.array(z.object({ name: str.nullish(), backendRefs: z.array(backendRef) }));

/** One schema per Gateway API kind, whatever its version. */
export const GATEWAY_API_SCHEMAS = {
  GatewayClass: z.object({
    ...head,
    kind: z.literal("GatewayClass"),
    spec: z.object({
      controllerName: z.string().min(1, "must not be empty"),
      description: str.nullish(),
      parametersRef: objectReference.nullish(),
    }),
  }),
  Gateway: z.object({
    ...head,
    kind: z.literal("Gateway"),
    spec: z.object({
      gatewayClassName: z.string().min(1, "must not be empty"),
      listeners: z.array(listener),
      addresses: z.array(z.object({ type: str.nullish(), value: str })).nullish(),
    }),
  }),
  HTTPRoute: z.object({
    ...routeHead,
    kind: z.literal("HTTPRoute"),
    spec: z.object({ parentRefs, hostnames, rules: z.array(httpRule).nullish() }),
  }),
  GRPCRoute: z.object({
    ...routeHead,
    kind: z.literal("GRPCRoute"),
    spec: z.object({ parentRefs, hostnames, rules: z.array(grpcRule).nullish() }),
  }),
  TCPRoute: z.object({
    ...routeHead,
    kind: z.literal("TCPRoute"),
    spec: z.object({ parentRefs, rules: streamRules }),
  }),
  UDPRoute: z.object({
    ...routeHead,
    kind: z.literal("UDPRoute"),
    spec: z.object({ parentRefs, rules: streamRules }),
  }),
  TLSRoute: z.object({
    ...routeHead,
    kind: z.literal("TLSRoute"),
    spec: z.object({ parentRefs, hostnames, rules: streamRules }),
  }),
  ReferenceGrant: z.object({
    ...head,
    kind: z.literal("ReferenceGrant"),
    spec: z.object({
      from: z.array(z.object({ group: str, kind: str, namespace: str })),
      to: z.array(z.object({ group: str, kind: str, name: str.nullish() })),
    }),
  }),
} as const satisfies Partial<Record<KindName, z.ZodType>>;
