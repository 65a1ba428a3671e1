/**
 * A hostile tenant (issue 12 §2): one namespace whose Ingresses each sit at one per-object budget's
 * limit (budgets.ts defaults), plus the two inputs the security review measured, which are over budget
 * and must cost next to nothing. Every object stays inside Kubernetes' own limits (1.5 MiB per object,
 * 256 KiB of annotations), so a tenant can really apply them. Manifests as a user writes them.
 */
import type { EndpointSlice, Ingress, KubeObject, Service } from "../../src/model/k8s.ts";
import { DEFAULT_OBJECT_BUDGETS } from "../../src/translator/budgets.ts";
import { INGRESS_CLASS } from "./synthetic-cluster.ts";

export const HOSTILE_NAMESPACE = "tenant-hostile";
const BACKEND = "hostile-web";

export interface HostileScenario {
  readonly name: string;
  readonly description: string;
  /** Whether the budgets leave it out (the review's measured inputs). */
  readonly overBudget: boolean;
  readonly ingress: (copy: number, marker?: number) => Ingress;
}

function path(p: string, pathType = "Prefix") {
  return { path: p, pathType, backend: { service: { name: BACKEND, port: { number: 80 } } } };
}

function hostileIngress(
  name: string,
  spec: { rules: Ingress["spec"]["rules"]; annotations?: Record<string, string> },
): Ingress {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name,
      namespace: HOSTILE_NAMESPACE,
      ...(spec.annotations === undefined ? {} : { annotations: spec.annotations }),
    },
    spec: { ingressClassName: INGRESS_CLASS, rules: spec.rules ?? [] },
  };
}

/** `/bench-seq-<marker>` as an extra path, so an edit changes Kong's config. */
function markerPaths(marker: number | undefined) {
  return marker === undefined ? [] : [path(`/bench-seq-${marker}`, "Exact")];
}

const B = DEFAULT_OBJECT_BUDGETS;
/**
 * Exact paths per rule that keep (1 + aliases) × paths at or under the hosts × paths budget (a Prefix
 * path counts twice: Kong gets two paths for it, as KIC writes them).
 */
const ALIAS_PATHS = Math.floor(B.hostPaths / (1 + B.aliases));
const REGEX_PATHS = 250;
const REGEX_WORDS = 400;
const ANNOTATIONS = 1_500;

/** A 4 KB alternation: long, but linear for RE2 and for Kong's PCRE alike. */
function hugeRegex(copy: number, i: number): string {
  const words = Array.from({ length: REGEX_WORDS }, (_, w) => `w${copy}x${i}y${w}`);
  return `/~/r${i}/(${words.join("|")})/[0-9]+$`;
}

export const HOSTILE_SCENARIOS: readonly HostileScenario[] = [
  {
    name: "max-routes",
    description: `${B.routes} rules, each its own host and one path: ${B.routes} routes, ${B.routes} host claims`,
    overBudget: false,
    ingress: (copy, marker) =>
      hostileIngress(`max-routes-${copy}`, {
        rules: Array.from({ length: B.routes }, (_, i) => ({
          host: `r${i}.c${copy}.routes.hostile.example`,
          http: { paths: i === 0 ? [path("/"), ...markerPaths(marker)] : [path("/")] },
        })).slice(0, B.routes - (marker === undefined ? 0 : 1)),
      }),
  },
  {
    name: "wide-aliases",
    description: `${B.aliases} konghq.com/host-aliases on one rule of ${ALIAS_PATHS} paths: ${(1 + B.aliases) * ALIAS_PATHS} hosts × paths`,
    overBudget: false,
    ingress: (copy, marker) =>
      hostileIngress(`wide-aliases-${copy}`, {
        annotations: {
          "konghq.com/host-aliases": Array.from(
            { length: B.aliases },
            (_, i) => `a${i}.c${copy}.aliases.hostile.example`,
          ).join(","),
        },
        rules: [
          {
            host: `c${copy}.aliases.hostile.example`,
            http: {
              paths: [
                ...Array.from({ length: ALIAS_PATHS - (marker === undefined ? 0 : 1) }, (_, i) =>
                  path(`/p${i}`, "Exact"),
                ),
                ...markerPaths(marker),
              ],
            },
          },
        ],
      }),
  },
  {
    name: "huge-regexes",
    description: `${REGEX_PATHS} regex paths of ${hugeRegex(0, 0).length} bytes each, konghq.com/regex-priority set`,
    overBudget: false,
    ingress: (copy, marker) =>
      hostileIngress(`huge-regexes-${copy}`, {
        annotations: { "konghq.com/regex-priority": "2147483647" },
        rules: [
          {
            host: `c${copy}.regex.hostile.example`,
            http: {
              paths: [
                ...Array.from({ length: REGEX_PATHS }, (_, i) =>
                  path(hugeRegex(copy, i), "ImplementationSpecific"),
                ),
                ...markerPaths(marker),
              ],
            },
          },
        ],
      }),
  },
  {
    name: "many-annotations",
    description: `${ANNOTATIONS} annotations (about 200 KiB, under Kubernetes' 256 KiB), 100 of them unknown konghq.com/ keys`,
    overBudget: false,
    ingress: (copy, marker) =>
      hostileIngress(`many-annotations-${copy}`, {
        annotations: Object.fromEntries(
          Array.from({ length: ANNOTATIONS }, (_, i) => [
            i < 100 ? `konghq.com/unknown-${i}` : `tenant.example/key-${i}`,
            `value-${i}-${"x".repeat(120)}`,
          ]),
        ),
        rules: [
          {
            host: `c${copy}.annotations.hostile.example`,
            http: { paths: [path("/"), ...markerPaths(marker)] },
          },
        ],
      }),
  },
  {
    name: "review-aliases",
    description:
      "the review's 13,000 host-aliases on 400 rules, names shortened to fit Kubernetes' 256 KiB of annotations (over budget)",
    overBudget: true,
    ingress: (copy, marker) =>
      hostileIngress(`review-aliases-${copy}`, {
        annotations: {
          "konghq.com/host-aliases": Array.from(
            { length: 13_000 },
            // Short names: the annotations of one object must stay under 256 KiB.
            (_, i) => `a${i}.r${copy}.x`,
          ).join(","),
        },
        rules: Array.from({ length: 400 }, (_, i) => ({
          host: `r${i}.c${copy}.review.example`,
          http: { paths: i === 0 ? [path("/"), ...markerPaths(marker)] : [path("/")] },
        })),
      }),
  },
  {
    name: "review-rules",
    description: "the review's 1.48 MB Ingress: 9,000 rules (over budget)",
    overBudget: true,
    ingress: (copy, marker) =>
      hostileIngress(`review-rules-${copy}`, {
        rules: Array.from({ length: 9_000 }, (_, i) => ({
          host: `r${i}.c${copy}.rules.review.example`,
          http: {
            paths: [path(`/p${i}`), ...(i === 0 ? markerPaths(marker) : [])],
          },
        })),
      }),
  },
];

/** The hostile namespace's backend: a Service and its EndpointSlice. */
export function hostileBackend(): KubeObject[] {
  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: BACKEND, namespace: HOSTILE_NAMESPACE },
    spec: { ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
  };
  const slice: EndpointSlice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${BACKEND}-x`,
      namespace: HOSTILE_NAMESPACE,
      labels: { "kubernetes.io/service-name": BACKEND },
    },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: [{ addresses: ["10.250.0.1"], conditions: { ready: true } }],
  };
  return [service, slice];
}

/** The backend and `copies` Ingresses of every scenario (or of those named). */
export function hostileTenant(
  copies: number,
  scenarios: readonly HostileScenario[] = HOSTILE_SCENARIOS,
): KubeObject[] {
  const ingresses = scenarios.flatMap(s => Array.from({ length: copies }, (_, c) => s.ingress(c)));
  return [...hostileBackend(), ...ingresses];
}
