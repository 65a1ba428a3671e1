/**
 * A shared cluster, end to end: a victim's Ingress (host, path, certificate) and, next to it, an
 * attacker's hostile objects applied with kubectl: an Ingress created before the victim's and edited
 * afterwards to take its host, a longer path, extra methods, a host alias, a wildcard, a TLS section
 * naming the victim's host with another Secret, a host-less rule and a default backend. The victim's
 * routes, certificate and address survive, also across a controller restart (the claim record is read
 * back from its ConfigMap), and each hostile object is told why with an Event.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { waitFor } from "../support/wait.ts";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  ensureNamespaces,
  eventsFor,
  ingressAddresses,
  kubectlJson,
  report,
  runController,
  STATUS_ADDRESS,
  type RunningController,
} from "./harness.ts";

const CERTS = join(import.meta.dirname, "..", "fixtures", "certs");
const b64 = (file: string): string => readFileSync(join(CERTS, file)).toString("base64");

let cluster: KubeCluster;
let kong: KongEmulator;

const ARGS = [`--publish-status-address=${STATUS_ADDRESS}`, "--any-host-namespaces=platform"];

function service(namespace: string, name: string): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  ports: [{ port: 80, protocol: TCP, targetPort: 8080 }]
`;
}

function secret(namespace: string, name: string, pair: "shop" | "api"): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: ${namespace} }
type: kubernetes.io/tls
data:
  tls.crt: ${b64(`${pair}.crt`)}
  tls.key: ${b64(`${pair}.key`)}
`;
}

interface IngressSpec {
  readonly namespace: string;
  readonly name: string;
  readonly rules: readonly { host?: string; path: string }[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly tls?: { secret: string; hosts: readonly string[] };
  readonly defaultBackend?: true;
}

function ingress(s: IngressSpec): string {
  const backend = `{ service: { name: web, port: { number: 80 } } }`;
  const annotations = Object.entries(s.annotations ?? {})
    .map(([k, v]) => `\n    ${k}: "${v}"`)
    .join("");
  const rules = s.rules
    .map(
      r => `    - ${r.host === undefined ? "" : `host: "${r.host}"\n      `}http:
        paths: [{ path: "${r.path}", pathType: Prefix, backend: ${backend} }]`,
    )
    .join("\n");
  const tls =
    s.tls === undefined
      ? ""
      : `  tls: [{ secretName: ${s.tls.secret}, hosts: [${s.tls.hosts.map(h => `"${h}"`).join(", ")}] }]\n`;
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${s.name}
  namespace: ${s.namespace}${annotations === "" ? "" : `\n  annotations:${annotations}`}
spec:
  ingressClassName: kong
${s.defaultBackend === true ? `  defaultBackend: ${backend}\n` : ""}${tls}  rules:
${rules}
`;
}

const VICTIM = ingress({
  namespace: "shop",
  name: "shop",
  rules: [{ host: "shop.example.com", path: "/api" }],
  tls: { secret: "shop-tls", hosts: ["shop.example.com"] },
});

const HOSTILE = [
  ingress({
    namespace: "evil",
    name: "legacy",
    rules: [
      { host: "evil.example.com", path: "/" },
      { host: "shop.example.com", path: "/api" },
      { host: "shop.example.com", path: "/api/checkout" },
    ],
  }),
  ingress({
    namespace: "evil",
    name: "by-method",
    rules: [{ host: "shop.example.com", path: "/api" }],
    annotations: { "konghq.com/methods": "GET,POST" },
  }),
  ingress({
    namespace: "evil",
    name: "aliased",
    rules: [{ host: "evil2.example.com", path: "/" }],
    annotations: { "konghq.com/host-aliases": "shop.example.com" },
  }),
  ingress({
    namespace: "evil",
    name: "wildcard",
    rules: [{ host: "*.example.com", path: "/" }],
  }),
  ingress({
    namespace: "evil",
    name: "tls-grab",
    rules: [{ host: "evil3.example.com", path: "/" }],
    tls: { secret: "evil-tls", hosts: ["evil3.example.com", "shop.example.com"] },
  }),
  ingress({
    namespace: "evil",
    name: "catch-all",
    rules: [{ path: "/" }],
    defaultBackend: true,
  }),
];

interface KongRoute {
  readonly name: string;
  readonly hosts?: readonly string[];
  readonly tags?: readonly string[];
}

interface KongConfigView {
  readonly services?: readonly { routes?: readonly KongRoute[] }[];
  readonly certificates?: readonly {
    readonly tags?: readonly string[];
    readonly snis?: readonly { name: string }[];
  }[];
}

function config(): KongConfigView {
  return kong.currentConfig() ?? {};
}

/** Routes on a host, with the namespace of the object each came from. */
function routesOn(host: string): string[] {
  return (config().services ?? [])
    .flatMap(s => s.routes ?? [])
    .filter(r => (r.hosts ?? []).includes(host))
    .map(r => `${r.name} (${namespaceTag(r.tags)})`)
    .sort();
}

function namespaceTag(tags: readonly string[] | undefined): string {
  return (tags ?? []).find(t => t.startsWith("k8s-namespace:"))?.slice(14) ?? "";
}

/** The namespace of the Secret whose certificate serves `sni`. */
function certificateFor(sni: string): string | undefined {
  const cert = (config().certificates ?? []).find(c => (c.snis ?? []).some(s => s.name === sni));
  return cert === undefined ? undefined : namespaceTag(cert.tags);
}

async function recordedClaims(): Promise<string[]> {
  const cm = (await kubectlJson(cluster, [
    "get",
    "configmap",
    "kongress-host-claims",
    "-n",
    "default",
  ])) as { data?: Record<string, string> };
  const claims = JSON.parse(cm.data?.["claims.json"] ?? "[]") as {
    host: string;
    namespace: string;
  }[];
  return claims.map(c => `${c.host}=${c.namespace}`);
}

const VICTIM_ROUTE = "shop.shop.web.shop.example.com.80 (shop)";
/** Once evil's wildcard covers shop.example.com, the owner's host answers 404 on paths it does not route. */
const VICTIM_ROUTES = [VICTIM_ROUTE, "shop.host-catch-all.shop.example.com (shop)"].sort();

async function victimIntact(routes: readonly string[] = VICTIM_ROUTES): Promise<boolean> {
  const addresses = await ingressAddresses(cluster, "shop", "shop");
  return (
    JSON.stringify(routesOn("shop.example.com")) === JSON.stringify(routes) &&
    certificateFor("shop.example.com") === "shop" &&
    addresses.some(a => a.ip === STATUS_ADDRESS)
  );
}

beforeAll(async () => {
  cluster = await startKubeCluster();
  await ensureNamespaces(cluster, ["shop", "evil", "platform"]);
  kong = await startKongEmulator();
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await kong.stop();
  await cluster.stop();
}, 60_000);

describe("a shared cluster under hostile objects", () => {
  it("keeps the victim's routes, certificate and address; tells every hostile object", async () => {
    await apply(
      cluster,
      [
        `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: kong }
spec: { controller: ingress-controllers.konghq.com/kong }
`,
        service("shop", "web"),
        service("evil", "web"),
        secret("shop", "shop-tls", "shop"),
        secret("evil", "evil-tls", "api"),
        // Created before the victim's: under the oldest-creationTimestamp rule it would win any edit.
        ingress({
          namespace: "evil",
          name: "legacy",
          rules: [{ host: "evil.example.com", path: "/" }],
        }),
      ].join("---\n"),
    );
    // creationTimestamp has a resolution of one second: the victim's must be later.
    const legacy = (await kubectlJson(cluster, ["get", "ingress", "legacy", "-n", "evil"])) as {
      metadata: { creationTimestamp: string };
    };
    await waitFor(
      "a second later than the attacker's Ingress",
      () => new Date().toISOString().slice(0, 19) > legacy.metadata.creationTimestamp.slice(0, 19),
      { timeoutMs: 5_000 },
    );
    await apply(cluster, VICTIM);
    let run: RunningController = await runController({ cluster, kong, args: ARGS });
    try {
      await waitFor("the victim to be served", () => victimIntact([VICTIM_ROUTE]), {
        timeoutMs: 20_000,
      });
      await waitFor(
        "the claim record to hold shop.example.com for shop",
        async () => (await recordedClaims()).includes("shop.example.com=shop"),
        { timeoutMs: 10_000 },
      );

      await apply(cluster, HOSTILE.join("---\n"));
      await waitFor(
        "every hostile Ingress to be told",
        async () => {
          for (const name of ["legacy", "by-method", "aliased", "tls-grab", "catch-all"]) {
            const events = await eventsFor(cluster, "evil", name);
            const told = events.some(e =>
              /HostOwnedByOtherNamespace|host "shop\.example\.com" belongs to namespace shop|every host/.test(
                e.message,
              ),
            );
            if (!told) return false;
          }
          return true;
        },
        { timeoutMs: 20_000 },
      );
      expect(await victimIntact()).toBe(true);
      // The attacker keeps what is its own.
      expect(routesOn("evil.example.com")).toEqual(["evil.legacy.web.evil.example.com.80 (evil)"]);
      expect(certificateFor("evil3.example.com")).toBe("evil");
      expect(await ingressAddresses(cluster, "evil", "by-method")).toEqual([]);

      // A restart reads the record back: the edited old Ingress still does not win.
      await run.stop();
      run = await runController({ cluster, kong, args: ARGS });
      const after = await waitFor("the victim to be served after a restart", () => victimIntact(), {
        timeoutMs: 20_000,
      });
      report(`tenancy: victim intact ${String(after.ms)} ms after a restart`);
      expect(await recordedClaims()).toContain("shop.example.com=shop");
    } finally {
      await run.stop();
    }
  }, 120_000);
});
