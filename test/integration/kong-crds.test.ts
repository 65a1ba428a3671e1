/**
 * The chart's Kong CRDs on a real API server: they install, take the manifests KIC users have, and
 * reject at `kubectl apply` what Kong (or KIC) would reject, with KIC's messages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { installKongCrds } from "../support/kube/crds.ts";
import { kubectl, kubectlOk } from "../support/kube/kubectl.ts";

const coldStartTimeoutMs = 30 * 60_000;

const GROUP = "configuration.konghq.com";

function apply(cluster: KubeCluster, manifest: string) {
  return kubectl(cluster, ["apply", "-f", "-"], { stdin: manifest });
}

describe("Kong CRDs", () => {
  let cluster: KubeCluster;

  beforeAll(async () => {
    cluster = await startKubeCluster();
    await installKongCrds(cluster.kubeconfigPath);
  }, coldStartTimeoutMs);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  it("installs Kong's four kinds and IngressClassParameters at KIC's versions", async () => {
    const out = await kubectlOk(cluster, ["api-resources", `--api-group=${GROUP}`, "-o", "name"]);
    expect(out.split("\n").filter(Boolean).sort()).toEqual([
      `ingressclassparameterses.${GROUP}`,
      `kongclusterplugins.${GROUP}`,
      `kongconsumers.${GROUP}`,
      `kongplugins.${GROUP}`,
      `kongupstreampolicies.${GROUP}`,
    ]);
  });

  it("accepts KIC manifests unchanged", async () => {
    const result = await apply(
      cluster,
      `
apiVersion: ${GROUP}/v1
kind: KongPlugin
metadata: { name: rl, namespace: default }
plugin: rate-limiting
config: { minute: 5, policy: local }
protocols: [http, https]
---
apiVersion: ${GROUP}/v1
kind: KongClusterPlugin
metadata: { name: cors, labels: { global: "true" }, annotations: { kubernetes.io/ingress.class: kong } }
plugin: cors
configFrom: { secretKeyRef: { namespace: default, name: cors-config, key: config } }
---
apiVersion: ${GROUP}/v1
kind: KongConsumer
metadata: { name: alice, namespace: default, annotations: { kubernetes.io/ingress.class: kong } }
username: alice
credentials: [alice-key]
---
apiVersion: ${GROUP}/v1beta1
kind: KongUpstreamPolicy
metadata: { name: hashing, namespace: default }
spec:
  algorithm: consistent-hashing
  hashOn: { header: x-user }
  hashOnFallback: { input: ip }
  healthchecks:
    active: { type: http, httpPath: /healthz, healthy: { interval: 5, successes: 2 } }
    passive: { unhealthy: { httpFailures: 3 } }
`,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it.each([
    [
      "config with configFrom",
      `kind: KongPlugin
metadata: { name: both, namespace: default }
plugin: key-auth
config: { hide_credentials: true }
configFrom: { secretKeyRef: { name: s, key: k } }`,
      "Using both config and configFrom fields is not allowed.",
    ],
    [
      "configFrom with configPatches",
      `kind: KongPlugin
metadata: { name: patched, namespace: default }
plugin: key-auth
configFrom: { secretKeyRef: { name: s, key: k } }
configPatches: [{ path: /key_names, valueFrom: { secretKeyRef: { name: s, key: patch } } }]`,
      "Using both configFrom and configPatches fields is not allowed.",
    ],
    [
      "an unknown protocol",
      `kind: KongPlugin
metadata: { name: proto, namespace: default }
plugin: key-auth
protocols: [ftp]`,
      'Unsupported value: "ftp"',
    ],
    [
      "a consumer without username or custom_id",
      `kind: KongConsumer
metadata: { name: nobody, namespace: default }
credentials: [a]`,
      "Need to provide either username or custom_id",
    ],
  ])("rejects %s", async (_name, body, message) => {
    const result = await apply(cluster, `apiVersion: ${GROUP}/v1\n${body}\n`);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it.each([
    [
      "two hashOn inputs",
      `algorithm: consistent-hashing
  hashOn: { header: a, queryArg: b }`,
      "Only one of spec.hashOn.(input|cookie|header|uriCapture|queryArg) can be set.",
    ],
    [
      "hashOn without a hashing algorithm",
      `algorithm: round-robin
  hashOn: { input: ip }`,
      "spec.algorithm must be set to either 'consistent-hashing' or 'sticky-sessions' when spec.hashOn is set.",
    ],
    [
      "a passive healthcheck interval",
      `healthchecks: { passive: { healthy: { interval: 5 } } }`,
      "spec.healthchecks.passive.healthy.interval must not be set.",
    ],
    [
      "stickySessions with another algorithm",
      `algorithm: round-robin
  stickySessions: { cookie: session }`,
      "spec.algorithm must be 'sticky-sessions' when spec.stickySessions is set.",
    ],
    ["slots below 10", "slots: 5", "should be greater than or equal to 10"],
  ])("rejects a KongUpstreamPolicy with %s", async (_name, spec, message) => {
    const result = await apply(
      cluster,
      `apiVersion: ${GROUP}/v1beta1
kind: KongUpstreamPolicy
metadata: { name: bad, namespace: default }
spec:
  ${spec}
`,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it("keeps a KongPlugin's plugin immutable", async () => {
    const result = await apply(
      cluster,
      `apiVersion: ${GROUP}/v1
kind: KongPlugin
metadata: { name: rl, namespace: default }
plugin: cors
`,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("The plugin field is immutable");
  });
});
