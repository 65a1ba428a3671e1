/**
 * What the RBAC proof runs: one namespace per case holding the chart's RBAC objects (rendered by helm
 * for that namespace, optionally less one rule), a client certificate for the chart's ServiceAccount
 * user, the objects of a small scenario that exercises every right the controller has, and the
 * checks that say what the controller achieved. Every case has its own IngressClass and Gateway
 * controller name, so that cases running side by side never act on each other's objects.
 */
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { KongEmulator } from "../support/kong-emulator/index.ts";
import type { KubeCluster } from "../support/kube/cluster.ts";
import { kubectlTarget } from "../support/kube/kubectl.ts";
import { runCommand } from "../support/kube/run.ts";
import { renderChart } from "./helm.ts";

export const ELECTION_ID = "5b374a9e.konghq.com";
/** The host-claim record's ConfigMap: the flag's default, and the chart's. */
export const HOST_CLAIMS_CONFIGMAP = "kongress-host-claims";

export interface PolicyRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

interface RbacDoc {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  rules?: PolicyRule[];
}

const RBAC_KINDS = new Set([
  "ServiceAccount",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
]);

/** The chart's RBAC objects for a release named `name` in namespace `name`. */
export async function chartRbac(name: string): Promise<RbacDoc[]> {
  const rendered = await renderChart(3, undefined, [
    "--namespace",
    name,
    "--set",
    `fullnameOverride=${name}`,
  ]);
  return parseAllDocuments(rendered)
    .map(d => d.toJS() as RbacDoc | null)
    .filter((d): d is RbacDoc => d !== null && RBAC_KINDS.has(d.kind));
}

/** `Kind rule-index`: a name for one rule of the chart's ClusterRole or Role. */
export interface RuleRef {
  readonly kind: "ClusterRole" | "Role";
  readonly index: number;
  readonly rule: PolicyRule;
}

export function ruleLabel(ref: RuleRef): string {
  const { rule } = ref;
  const names = rule.resourceNames === undefined ? "" : ` (${rule.resourceNames.join(",")})`;
  return `${ref.kind}: ${(rule.resources ?? []).join(",")}${names} ${rule.verbs.join(",")}`;
}

export function rulesOf(docs: readonly RbacDoc[]): RuleRef[] {
  return docs.flatMap(doc =>
    doc.kind === "ClusterRole" || doc.kind === "Role"
      ? (doc.rules ?? []).map((rule, index) => ({ kind: doc.kind as RuleRef["kind"], index, rule }))
      : [],
  );
}

/** The docs with one rule of one role taken out. */
export function without(docs: readonly RbacDoc[], removed: RuleRef | undefined): RbacDoc[] {
  return docs.map(doc => {
    if (removed === undefined || doc.kind !== removed.kind) return doc;
    return { ...doc, rules: (doc.rules ?? []).filter((_, i) => i !== removed.index) };
  });
}

/**
 * A kubeconfig whose user is `system:serviceaccount:<ns>:<name>`, by a client certificate the test
 * cluster's CA signs: the API server authorizes it exactly as the ServiceAccount's token.
 */
export async function serviceAccountKubeconfig(
  cluster: KubeCluster,
  namespace: string,
  name: string,
): Promise<string> {
  const base = join(cluster.dir, `sa-${namespace}`);
  const user = `system:serviceaccount:${namespace}:${name}`;
  const steps: string[][] = [
    ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${base}.key`],
    [
      "req",
      "-new",
      "-key",
      `${base}.key`,
      "-subj",
      `/O=system:serviceaccounts/O=system:serviceaccounts:${namespace}/CN=${user}`,
      "-out",
      `${base}.csr`,
    ],
    [
      "x509",
      "-req",
      "-in",
      `${base}.csr`,
      "-CA",
      join(cluster.dir, "ca.crt"),
      "-CAkey",
      join(cluster.dir, "ca.key"),
      // Its own serial: cases sign side by side, and -CAcreateserial would race on one serial file.
      "-set_serial",
      `0x${createHash("sha256").update(user).digest("hex").slice(0, 16)}`,
      "-days",
      "1",
      "-extfile",
      join(cluster.dir, "client.ext"),
      "-out",
      `${base}.crt`,
    ],
  ];
  for (const args of steps) {
    const r = await runCommand("openssl", args, { cwd: cluster.dir, timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`openssl ${args[0] ?? ""} failed: ${r.stderr}`);
  }
  const b64 = async (path: string): Promise<string> => (await readFile(path)).toString("base64");
  const path = `${base}.kubeconfig`;
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster: { server: "${cluster.server}", certificate-authority-data: ${await b64(join(cluster.dir, "ca.crt"))} }
users:
  - name: sa
    user: { client-certificate-data: ${await b64(`${base}.crt`)}, client-key-data: ${await b64(`${base}.key`)} }
contexts:
  - name: sa
    context: { cluster: test, user: sa }
current-context: sa
`,
    { mode: 0o600 },
  );
  return path;
}

export const ROUTE_KINDS = ["HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute"] as const;

function ingress(ns: string, name: string, host: string, annotations = ""): string {
  return `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: ${ns}${annotations} }
spec:
  ingressClassName: ${ns}
  rules:
    - host: ${host}
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`;
}

/** The Kong id of the scenario's CA certificate (its ConfigMap's `id`). */
export const UPSTREAM_CA_ID = "c95972f4-946a-4a94-b12c-19cf56e6b285";

/**
 * The objects of one case: Ingresses (one with TLS and a path to a Service verifying its pods with a
 * CA from a labelled ConfigMap, one with a dangling backend, one with a KongPlugin and a
 * KongClusterPlugin), a KongConsumer, and Gateway API. The KongClusterPlugin is named after the
 * case: it is cluster-wide, like the GatewayClass and the IngressClass. The self-signed certificate
 * is a CA (`openssl req -x509` marks it so), so it serves as the ConfigMap's CA too.
 */
export function scenarioManifest(ns: string, tls: { cert: string; key: string }): string {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const route = (kind: string, spec: string): string => `---
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: { name: ${kind.toLowerCase()}, namespace: ${ns} }
spec:
  parentRefs: [{ name: gw }]
${spec}`;
  return `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: ${ns} }
spec: { controller: ingress-controllers.konghq.com/kong }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec: { ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: upstream-ca, namespace: ${ns}, labels: { konghq.com/configmap: "true" } }
data:
  id: ${UPSTREAM_CA_ID}
  cert: ${JSON.stringify(tls.cert)}
---
apiVersion: v1
kind: Service
metadata:
  name: verified
  namespace: ${ns}
  annotations:
    konghq.com/protocol: https
    konghq.com/tls-verify: "true"
    konghq.com/ca-certificates-configmaps: upstream-ca
spec: { ports: [{ name: https, port: 443 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: ${ns}, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: 8080, protocol: TCP }]
endpoints: [{ addresses: ["10.244.0.10"], conditions: { ready: true } }]
---
apiVersion: v1
kind: Secret
metadata: { name: web-tls, namespace: ${ns} }
type: kubernetes.io/tls
data: { tls.crt: ${b64(tls.cert)}, tls.key: ${b64(tls.key)} }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web, namespace: ${ns} }
spec:
  ingressClassName: ${ns}
  tls: [{ hosts: [web.example.com], secretName: web-tls }]
  rules:
    - host: web.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
          - { path: /verified, pathType: Prefix, backend: { service: { name: verified, port: { number: 443 } } } }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: dangling, namespace: ${ns} }
spec:
  ingressClassName: ${ns}
  rules:
    - http:
        paths:
          - { path: /gone, pathType: Prefix, backend: { service: { name: nowhere, port: { number: 80 } } } }
${ingress(ns, "plugged", "plugged.example.com", `, annotations: { konghq.com/plugins: "correlation, ${ns}" }`)}---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: correlation, namespace: ${ns} }
plugin: correlation-id
config: { header_name: X-Request-ID }
---
apiVersion: configuration.konghq.com/v1
kind: KongClusterPlugin
metadata: { name: ${ns} }
plugin: cors
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata: { name: user, namespace: ${ns}, annotations: { kubernetes.io/ingress.class: ${ns} } }
username: user
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: ${ns} }
spec: { controllerName: example.com/${ns} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: ${ns} }
spec:
  gatewayClassName: ${ns}
  listeners:
    - { name: http, port: 80, protocol: HTTP }
${route("HTTPRoute", "  rules: [{ backendRefs: [{ name: web, port: 80 }] }]\n")}${route(
    "GRPCRoute",
    "  rules: [{ backendRefs: [{ name: web, port: 80 }] }]\n",
  )}${route("TCPRoute", "  rules: [{ backendRefs: [{ name: web, port: 80 }] }]\n")}${route(
    "UDPRoute",
    "  rules: [{ backendRefs: [{ name: web, port: 80 }] }]\n",
  )}${route(
    "TLSRoute",
    "  hostnames: [tls.example.com]\n  rules: [{ backendRefs: [{ name: web, port: 80 }] }]\n",
  )}`;
}

/** What the restart brings: a new host, whose claim the restarted controller adds to the record. */
export function restartManifest(ns: string): string {
  return ingress(ns, "later", "later.example.com");
}

interface Condition {
  readonly type: string;
  readonly status: string;
}

interface ListedObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: { readonly holderIdentity?: string };
  readonly status?: {
    readonly conditions?: readonly Condition[];
    readonly loadBalancer?: { readonly ingress?: readonly unknown[] };
    readonly parents?: readonly { readonly controllerName: string }[];
  };
  readonly involvedObject?: { readonly name: string };
  readonly count?: number;
  readonly data?: Readonly<Record<string, string>>;
}

/** What the API server shows, for every case at once (one kubectl call per poll). */
export async function clusterView(cluster: KubeCluster): Promise<ListedObject[]> {
  const r = await runCommand(
    "kubectl",
    [
      ...kubectlTarget(cluster.kubeconfigPath),
      "get",
      "ingresses,gatewayclasses,gateways,httproutes,grpcroutes,tcproutes,udproutes,tlsroutes,leases,events,configmaps,kongplugins,kongclusterplugins,kongconsumers",
      "-A",
      "-o",
      "json",
    ],
    { timeoutMs: 60_000 },
  );
  if (r.code !== 0) throw new Error(`kubectl get failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { items: ListedObject[] }).items;
}

export type CheckName =
  | "ready"
  | "leader"
  | "kong has the TLS route"
  | "kong has the ConfigMap's CA"
  | "Ingress address"
  | "Event on the dangling Ingress"
  | "Event bumped after a restart"
  | "GatewayClass Accepted"
  | "GatewayClass SupportedVersion"
  | "Gateway Programmed"
  | `${(typeof ROUTE_KINDS)[number]} parent status`
  | `${(typeof KONG_KINDS)[number]} Programmed`
  | "host-claim record created"
  | "host-claim record updated after a restart";

/** The Kong kinds the controller writes `Programmed` on, and their objects in the scenario. */
export const KONG_KINDS = ["KongPlugin", "KongClusterPlugin", "KongConsumer"] as const;

export interface CaseState {
  readonly ns: string;
  readonly ready: boolean;
  readonly kong: KongEmulator;
}

function hasTrueCondition(o: ListedObject | undefined, type: string): boolean {
  return o?.status?.conditions?.some(c => c.type === type && c.status === "True") === true;
}

/** The checks one case passes, from the cluster's view and its Kong. */
export function passedChecks(view: readonly ListedObject[], state: CaseState): Set<CheckName> {
  const { ns } = state;
  const find = (kind: string, name: string, namespace: string | null = ns) =>
    view.find(
      o =>
        o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? null) === namespace,
    );
  const passed = new Set<CheckName>();
  if (state.ready) passed.add("ready");
  if ((find("Lease", ELECTION_ID)?.spec?.holderIdentity ?? "") !== "") passed.add("leader");
  const config = state.kong.currentConfig() as {
    certificates?: readonly { snis?: readonly { name: string }[] }[];
    ca_certificates?: readonly { id?: string }[];
  } | null;
  if (config?.certificates?.some(c => c.snis?.some(s => s.name === "web.example.com")) === true)
    passed.add("kong has the TLS route");
  if (config?.ca_certificates?.some(c => c.id === UPSTREAM_CA_ID) === true)
    passed.add("kong has the ConfigMap's CA");
  if ((find("Ingress", "web")?.status?.loadBalancer?.ingress?.length ?? 0) > 0)
    passed.add("Ingress address");
  const events = view.filter(
    o => o.kind === "Event" && o.metadata.namespace === ns && o.involvedObject?.name === "dangling",
  );
  if (events.length > 0) passed.add("Event on the dangling Ingress");
  if (events.some(e => (e.count ?? 1) >= 2)) passed.add("Event bumped after a restart");
  const gatewayClass = find("GatewayClass", ns, null);
  if (hasTrueCondition(gatewayClass, "Accepted")) passed.add("GatewayClass Accepted");
  if (hasTrueCondition(gatewayClass, "SupportedVersion"))
    passed.add("GatewayClass SupportedVersion");
  if (hasTrueCondition(find("Gateway", "gw"), "Programmed")) passed.add("Gateway Programmed");
  for (const kind of ROUTE_KINDS) {
    const parents = find(kind, kind.toLowerCase())?.status?.parents ?? [];
    if (parents.some(p => p.controllerName === `example.com/${ns}`))
      passed.add(`${kind} parent status`);
  }
  const kongObjects: Record<(typeof KONG_KINDS)[number], ListedObject | undefined> = {
    KongPlugin: find("KongPlugin", "correlation"),
    KongClusterPlugin: find("KongClusterPlugin", ns, null),
    KongConsumer: find("KongConsumer", "user"),
  };
  for (const kind of KONG_KINDS)
    if (hasTrueCondition(kongObjects[kind], "Programmed")) passed.add(`${kind} Programmed`);
  const record = find("ConfigMap", HOST_CLAIMS_CONFIGMAP);
  if (record !== undefined) passed.add("host-claim record created");
  if (claimedHosts(record, ns).has("later.example.com"))
    passed.add("host-claim record updated after a restart");
  return passed;
}

/** The hosts the host-claim record gives to `ns`. */
function claimedHosts(record: ListedObject | undefined, ns: string): Set<string> {
  const text = record?.data?.["claims.json"];
  if (text === undefined) return new Set();
  const claims = JSON.parse(text) as readonly { host: string; namespace: string }[];
  return new Set(claims.filter(c => c.namespace === ns).map(c => c.host));
}

export const FIRST_RUN_CHECKS: readonly CheckName[] = [
  "ready",
  "leader",
  "kong has the TLS route",
  "kong has the ConfigMap's CA",
  "Ingress address",
  "Event on the dangling Ingress",
  "GatewayClass Accepted",
  "GatewayClass SupportedVersion",
  "Gateway Programmed",
  ...ROUTE_KINDS.map(k => `${k} parent status` as const),
  ...KONG_KINDS.map(k => `${k} Programmed` as const),
  "host-claim record created",
];

/** What only a restarted controller shows (the restart brings restartManifest's objects). */
export const AFTER_RESTART_CHECKS: readonly CheckName[] = [
  "Event bumped after a restart",
  "host-claim record updated after a restart",
];

/** Checks that another one's rule also takes away: the same status write carries both. */
const ALSO_NEEDS: Partial<Record<CheckName, CheckName>> = {
  "GatewayClass SupportedVersion": "GatewayClass Accepted",
};

/**
 * What must still work without the rule that `needed` stands for: proof that the run failed for
 * that rule and not for anything else. A controller that cannot list a kind never gets Ready, and
 * pushes and writes nothing; one that cannot hold the Lease is Ready and configures Kong, but writes
 * no status or Event (only the leader does); every other rule takes away that one thing alone.
 */
export function stillWorkingWithout(needed: CheckName): CheckName[] {
  if (needed === "ready") return [];
  if (needed === "leader")
    return ["ready", "kong has the TLS route", "kong has the ConfigMap's CA"];
  return FIRST_RUN_CHECKS.filter(c => c !== needed && ALSO_NEEDS[c] !== needed);
}

/** The check that must fail without a rule: what that rule lets the controller do. */
export function checkNeeding(rule: PolicyRule): CheckName {
  const resource = rule.resources?.[0] ?? "";
  const statusOf: Record<string, CheckName> = {
    "ingresses/status": "Ingress address",
    "gatewayclasses/status": "GatewayClass Accepted",
    "gateways/status": "Gateway Programmed",
    ...Object.fromEntries(
      ROUTE_KINDS.map(k => [`${k.toLowerCase()}s/status`, `${k} parent status` as CheckName]),
    ),
    ...Object.fromEntries(
      KONG_KINDS.map(k => [`${k.toLowerCase()}s/status`, `${k} Programmed` as CheckName]),
    ),
  };
  const check = statusOf[resource];
  if (check !== undefined) return check;
  if (resource === "events")
    return rule.verbs.includes("create")
      ? "Event on the dangling Ingress"
      : "Event bumped after a restart";
  if (resource === "leases") return "leader";
  if (resource === "customresourcedefinitions") return "GatewayClass SupportedVersion";
  // Listed and watched cluster-wide (the labelled CA ConfigMaps): a kind read before ready. The
  // Role's rules in the release namespace are for the host-claim record: created on the first run;
  // the restarted controller must read it back (without, its create meets the record there already)
  // and replace it.
  if (resource === "configmaps" && !rule.verbs.includes("list"))
    return rule.verbs.includes("create")
      ? "host-claim record created"
      : "host-claim record updated after a restart";
  // Every kind the controller reads must be listed before it is ready.
  if (rule.verbs.includes("list")) return "ready";
  throw new Error(`no check says what ${JSON.stringify(rule)} is for`);
}
