/**
 * The trust boundary for Kubernetes objects, whether they come from the API server or a manifest file:
 * checks the shape translation relies on, keeps only the fields it reads (managedFields, last-applied
 * copies and unknown fields are dropped, which also bounds memory), and reports bad input as data.
 */
import { z } from "zod";
import { bool, int, metadata, str, stringMap } from "./schema-common.ts";
import { GATEWAY_API_SCHEMAS } from "./parse-gateway-api.ts";
import { KONG_SCHEMAS } from "./parse-kong.ts";
import {
  apiVersionFor,
  isKindName,
  KIND_DEFINITIONS,
  KINDS,
  type KindDefinition,
  type KindName,
  type KindObjects,
} from "./kinds.ts";
import { isRecord } from "../util/is-record.ts";

/** An object of a kind and API version that translation reads. */
export type SupportedObject = KindObjects[KindName];

/** The outcome of {@link parseKubeObject}. */
export type ParseResult =
  | { readonly ok: true; readonly object: SupportedObject }
  | {
      readonly ok: false;
      readonly kind?: string;
      readonly namespace?: string;
      readonly name?: string;
      /** Where and what, e.g. `spec.rules[0].http.paths[1].backend: expected service or resource`. */
      readonly reason: string;
    }
  | {
      readonly ok: "unsupported";
      readonly kind: string;
      readonly apiVersion: string;
      /** Empty when the object names none. */
      readonly namespace: string;
      /** Empty when the object names none. */
      readonly name: string;
    };

/** The namespace `kubectl apply` puts a namespaced object in when its manifest names none. */
export const DEFAULT_NAMESPACE = "default";

// A full copy of the object as last applied by kubectl: often its largest field, and never read.
const DROPPED_ANNOTATIONS: ReadonlySet<string> = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
]);

const backend = z
  .object({
    service: z
      .object({
        name: z.string().min(1, "must not be empty"),
        port: z.object({ number: int.nullish(), name: str.nullish() }).nullish(),
      })
      .nullish(),
    resource: z.object({ apiGroup: str.nullish(), kind: str, name: str }).nullish(),
  })
  .superRefine((b, ctx) => {
    const count = (b.service ? 1 : 0) + (b.resource ? 1 : 0);
    if (count === 0) ctx.addIssue({ code: "custom", message: "expected service or resource" });
    if (count === 2)
      ctx.addIssue({ code: "custom", message: "expected service or resource, not both" });
  });

const ingressSpec = z.object({
  ingressClassName: str.nullish(),
  defaultBackend: backend.nullish(),
  rules: z
    .array(
      z.object({
        host: str.nullish(),
        http: z
          .object({
            paths: z.array(
              z.object({ path: str.nullish(), pathType: str.nullish(), backend: backend }),
            ),
          })
          .nullish(),
      }),
    )
    .nullish(),
  tls: z.array(z.object({ hosts: z.array(str).nullish(), secretName: str.nullish() })).nullish(),
});

const ingressClassSpec = z.object({
  controller: str.nullish(),
  parameters: z
    .object({
      apiGroup: str.nullish(),
      kind: str,
      name: str,
      namespace: str.nullish(),
      scope: str.nullish(),
    })
    .nullish(),
});

const serviceSpec = z.object({
  type: str.nullish(),
  externalName: str.nullish(),
  clusterIP: str.nullish(),
  clusterIPs: z.array(str).nullish(),
  ports: z
    .array(
      z.object({
        name: str.nullish(),
        protocol: str.nullish(),
        port: int,
        targetPort: z.union([int, str], { error: "expected integer or string" }).nullish(),
        appProtocol: str.nullish(),
      }),
    )
    .nullish(),
});

const serviceStatus = z.object({
  loadBalancer: z
    .object({
      ingress: z.array(z.object({ ip: str.nullish(), hostname: str.nullish() })).nullish(),
    })
    .nullish(),
});

// Go's base64 decoder, which the API server uses for Secret data, skips line breaks.
const base64 = z
  .string()
  .transform(s => s.replace(/[\r\n]/g, ""))
  .refine(s => s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s), "expected base64");

const head = { apiVersion: str, metadata };

const CORE_SCHEMAS = {
  Ingress: z.object({
    ...head,
    kind: z.literal("Ingress"),
    spec: ingressSpec.nullish(),
  }),
  IngressClass: z.object({
    ...head,
    kind: z.literal("IngressClass"),
    spec: ingressClassSpec.nullish(),
  }),
  Service: z.object({
    ...head,
    kind: z.literal("Service"),
    spec: serviceSpec.nullish(),
    status: serviceStatus.nullish(),
  }),
  EndpointSlice: z.object({
    ...head,
    kind: z.literal("EndpointSlice"),
    addressType: str.nullish(),
    endpoints: z
      .array(
        z.object({
          addresses: z.array(str),
          conditions: z
            .object({ ready: bool.nullish(), serving: bool.nullish(), terminating: bool.nullish() })
            .nullish(),
        }),
      )
      .nullish(),
    ports: z
      .array(z.object({ name: str.nullish(), protocol: str.nullish(), port: int.nullish() }))
      .nullish(),
  }),
  Secret: z.object({
    ...head,
    kind: z.literal("Secret"),
    type: str.nullish(),
    data: z.record(z.string(), base64).nullish(),
    stringData: stringMap.nullish(),
  }),
  ConfigMap: z.object({
    ...head,
    kind: z.literal("ConfigMap"),
    data: stringMap.nullish(),
  }),
  Namespace: z.object({ ...head, kind: z.literal("Namespace") }),
  IngressClassParameters: z.object({
    ...head,
    kind: z.literal("IngressClassParameters"),
    spec: z
      .object({ serviceUpstream: bool.nullish(), enableLegacyRegexDetection: bool.nullish() })
      .nullish(),
  }),
} as const;

/** One schema per registered kind, whatever its version. */
const SCHEMAS: Readonly<Record<KindName, z.ZodType>> = {
  ...CORE_SCHEMAS,
  ...GATEWAY_API_SCHEMAS,
  ...KONG_SCHEMAS,
};

/** `apiVersion kind` of every version of every kind we read. */
const ACCEPTED: ReadonlyMap<string, KindDefinition> = new Map(
  KIND_DEFINITIONS.flatMap(def =>
    def.versions.map(v => [`${apiVersionFor(def.group, v)} ${def.kind}`, def] as const),
  ),
);

/** The API versions each kind is read at, by kind (`networking.k8s.io/v1`; `a/v1 or a/v1beta1`). */
export const SUPPORTED_API_VERSIONS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    KIND_DEFINITIONS.map(def => [
      def.kind,
      def.versions.map(v => apiVersionFor(def.group, v)).join(" or "),
    ]),
  ),
);

/** Kinds that need a `spec` object even when the manifest leaves it out. */
const NEEDS_SPEC: ReadonlySet<string> = new Set([
  "Ingress",
  "IngressClass",
  "IngressClassParameters",
  "Service",
]);

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function errorMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== "invalid_type") return undefined;
  if (issue.input === undefined) return "required";
  const expected = issue.expected === "int" ? "integer" : issue.expected;
  return `expected ${expected}, got ${typeName(issue.input)}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && /^[A-Za-z_$][\w$]*$/.test(segment))
      out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues
    .slice(0, 3)
    .map(i => (i.path.length === 0 ? i.message : `${formatPath(i.path)}: ${i.message}`));
  const more = issues.length > 3 ? `; and ${issues.length - 3} more` : "";
  return shown.join("; ") + more;
}

/** Removes null and undefined object members, recursively, from parser output (never from raw input). */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(compact);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value))
    if (child !== null && child !== undefined) out[key] = compact(child);
  return out;
}

interface Identity {
  kind?: string;
  apiVersion?: string;
  namespace?: string;
  name?: string;
}

function identityOf(raw: Record<string, unknown>): Identity {
  const id: Identity = {};
  const meta = raw["metadata"];
  if (typeof raw["kind"] === "string" && raw["kind"] !== "") id.kind = raw["kind"];
  if (typeof raw["apiVersion"] === "string" && raw["apiVersion"] !== "")
    id.apiVersion = raw["apiVersion"];
  if (isRecord(meta) && typeof meta["namespace"] === "string") id.namespace = meta["namespace"];
  if (isRecord(meta) && typeof meta["name"] === "string") id.name = meta["name"];
  return id;
}

function failure(id: Identity, reason: string): ParseResult {
  return {
    ok: false,
    ...(id.kind === undefined ? {} : { kind: id.kind }),
    ...(id.namespace === undefined ? {} : { namespace: id.namespace }),
    ...(id.name === undefined ? {} : { name: id.name }),
    reason,
  };
}

function normaliseMetadata(kind: string, meta: Record<string, unknown>): Record<string, unknown> {
  const out = { ...meta };
  if (isKindName(kind) && !KINDS[kind].namespaced) delete out["namespace"];
  else if (typeof out["namespace"] !== "string" || out["namespace"] === "")
    out["namespace"] = DEFAULT_NAMESPACE;
  const annotations = out["annotations"];
  if (isRecord(annotations))
    out["annotations"] = Object.fromEntries(
      Object.entries(annotations).filter(([k]) => !DROPPED_ANNOTATIONS.has(k)),
    );
  return out;
}

/** Folds `stringData` into base64 `data`, where it wins on equal keys as it does in the API server. */
function foldStringData(secret: Record<string, unknown>): Record<string, unknown> {
  const { stringData, ...rest } = secret;
  if (!isRecord(stringData)) return rest;
  const data: Record<string, unknown> = isRecord(rest["data"]) ? { ...rest["data"] } : {};
  for (const [key, value] of Object.entries(stringData))
    data[key] = Buffer.from(String(value), "utf8").toString("base64");
  return { ...rest, data };
}

function normalise(parsed: Record<string, unknown>): SupportedObject {
  const kind = String(parsed["kind"]);
  let out: Record<string, unknown> = {
    ...parsed,
    metadata: normaliseMetadata(kind, parsed["metadata"] as Record<string, unknown>),
  };
  if (NEEDS_SPEC.has(kind) && out["spec"] === undefined) out["spec"] = {};
  if (kind === "Secret") out = foldStringData(out);
  // The schemas mirror the k8s.ts types field for field; `compact` removed the nulls they allow.
  return out as unknown as SupportedObject;
}

/**
 * Checks one raw object (API server JSON or a manifest document). Valid objects of the kinds we handle
 * come back trimmed to what translation reads, with namespaced objects that name no namespace placed in
 * `default` (as `kubectl apply` does) and Secret `stringData` folded into `data`. Other kinds and API
 * versions are `unsupported`, not errors. Never throws; the input is not modified.
 */
export function parseKubeObject(raw: unknown): ParseResult {
  if (!isRecord(raw)) return { ok: false, reason: `expected an object, got ${typeName(raw)}` };
  const id = identityOf(raw);
  if (id.apiVersion === undefined) return failure(id, "apiVersion: expected a non-empty string");
  if (id.kind === undefined) return failure(id, "kind: expected a non-empty string");
  const key = `${id.apiVersion} ${id.kind}`;
  const def = ACCEPTED.get(key);
  if (def === undefined)
    return {
      ok: "unsupported",
      kind: id.kind,
      apiVersion: id.apiVersion,
      namespace: id.namespace ?? "",
      name: id.name ?? "",
    };
  const result = SCHEMAS[def.kind].safeParse(raw, {
    reportInput: true,
    error: errorMessage,
  });
  if (!result.success) return failure(id, formatIssues(result.error.issues));
  return { ok: true, object: normalise(compact(result.data) as Record<string, unknown>) };
}

/**
 * {@link parseKubeObject} for callers that only ever see the kinds we handle (the watch layer): an
 * unsupported kind or API version is reported as an invalid object.
 */
export function parseSupportedObject(
  raw: unknown,
): { ok: true; object: SupportedObject } | { ok: false; reason: string } {
  const parsed = parseKubeObject(raw);
  if (parsed.ok === "unsupported")
    return { ok: false, reason: `unsupported: ${parsed.apiVersion} ${parsed.kind}` };
  if (parsed.ok) return { ok: true, object: parsed.object };
  return { ok: false, reason: parsed.reason };
}
