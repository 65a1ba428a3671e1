/**
 * Schemas of Kong's own kinds (kong.ts): the fields translation reads, each checked for the shape it
 * relies on. The CRDs (charts/kongress/crds/) reject most bad input at `kubectl apply`; manifests given
 * to `kongress translate` have not been through them.
 */
import { z } from "zod";
import type { KindName } from "./kinds.ts";
import { bool, head, int, str } from "./schema-common.ts";

const nonEmpty = z.string().min(1, "must not be empty");

const secretKeyRef = z.object({ namespace: str.nullish(), name: nonEmpty, key: nonEmpty });

const phaseLists = z.record(z.string(), z.array(str));

const pluginFields = {
  ...head,
  plugin: nonEmpty,
  config: z.record(z.string(), z.unknown()).nullish(),
  configFrom: z.object({ secretKeyRef }).nullish(),
  configPatches: z.array(z.object({ path: str, valueFrom: z.object({ secretKeyRef }) })).nullish(),
  disabled: bool.nullish(),
  protocols: z.array(str).nullish(),
  ordering: z.object({ before: phaseLists.nullish(), after: phaseLists.nullish() }).nullish(),
  instance_name: str.nullish(),
  consumerRef: str.nullish(),
};

const hashOn = z.object({
  input: str.nullish(),
  header: str.nullish(),
  cookie: str.nullish(),
  cookiePath: str.nullish(),
  queryArg: str.nullish(),
  uriCapture: str.nullish(),
});

const healthStatus = z.object({
  httpStatuses: z.array(int).nullish(),
  interval: int.nullish(),
  successes: int.nullish(),
  httpFailures: int.nullish(),
  tcpFailures: int.nullish(),
  timeouts: int.nullish(),
});

const upstreamPolicySpec = z.object({
  algorithm: str.nullish(),
  slots: int.nullish(),
  hashOn: hashOn.nullish(),
  hashOnFallback: hashOn.nullish(),
  healthchecks: z
    .object({
      threshold: int.nullish(),
      active: z
        .object({
          type: str.nullish(),
          concurrency: int.nullish(),
          httpPath: str.nullish(),
          httpsSni: str.nullish(),
          httpsVerifyCertificate: bool.nullish(),
          timeout: int.nullish(),
          headers: z.record(z.string(), z.array(str)).nullish(),
          healthy: healthStatus.nullish(),
          unhealthy: healthStatus.nullish(),
        })
        .nullish(),
      passive: z
        .object({
          type: str.nullish(),
          healthy: healthStatus.nullish(),
          unhealthy: healthStatus.nullish(),
        })
        .nullish(),
    })
    .nullish(),
  stickySessions: z.object({ cookie: nonEmpty, cookiePath: str.nullish() }).nullish(),
});

/** One schema per Kong kind. */
export const KONG_SCHEMAS = {
  KongPlugin: z.object({ ...pluginFields, kind: z.literal("KongPlugin") }),
  KongClusterPlugin: z.object({ ...pluginFields, kind: z.literal("KongClusterPlugin") }),
  KongConsumer: z.object({
    ...head,
    kind: z.literal("KongConsumer"),
    username: str.nullish(),
    custom_id: str.nullish(),
    credentials: z.array(str).nullish(),
    consumerGroups: z.array(str).nullish(),
    spec: z.object({ controlPlaneRef: z.object({ type: str.nullish() }).nullish() }).nullish(),
  }),
  KongUpstreamPolicy: z.object({
    ...head,
    kind: z.literal("KongUpstreamPolicy"),
    spec: upstreamPolicySpec,
  }),
} as const satisfies Partial<Record<KindName, z.ZodType>>;
