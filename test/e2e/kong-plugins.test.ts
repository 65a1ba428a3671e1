/**
 * Kong's own kinds end to end: the chart's CRDs on a real API server, `kongress run` in-process and the
 * Kong emulator (which validates with Kong's schemas). A broken rate-limiting plugin on one Ingress
 * leaves every other Ingress configured and addressed, also after a restart; a deleted plugin leaves
 * Kong within a second; an Ingress whose plugin is missing is never served without it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUNDLED_PLUGINS } from "../../src/kong/validate/index.ts";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { installKongCrds } from "../support/kube/crds.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { waitFor } from "../support/wait.ts";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  cleanCluster,
  ensureNamespaces,
  eventsFor,
  ingressAddresses,
  kongClassAndWebService,
  kubectlJson,
  report,
  runController,
  STATUS_ADDRESS,
  type RunningController,
} from "./harness.ts";

const NS = "plugins";
let cluster: KubeCluster;
let kong: KongEmulator | undefined;
const running: RunningController[] = [];

async function start(): Promise<RunningController> {
  kong ??= await startKongEmulator();
  const run = await runController({ cluster, kong });
  running.push(run);
  return run;
}

interface PostedPlugin {
  readonly name: string;
  readonly route?: string;
  readonly tags?: readonly string[];
}

function plugins(config: unknown): PostedPlugin[] {
  return ((config ?? {}) as { plugins?: PostedPlugin[] }).plugins ?? [];
}

function routesOf(config: unknown): string[] {
  const services = ((config ?? {}) as { services?: { routes?: { name: string }[] }[] }).services;
  return (services ?? []).flatMap(s => (s.routes ?? []).map(r => r.name));
}

const ADDRESSED = [{ ip: STATUS_ADDRESS }];

function ingress(name: string, plugins?: string): string {
  const annotations =
    plugins === undefined ? "" : `, annotations: { konghq.com/plugins: "${plugins}" }`;
  return `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: ${NS}${annotations} }
spec:
  ingressClassName: kong
  rules:
    - host: ${name}.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`;
}

const BASE = kongClassAndWebService(NS);

async function addressed(name: string): Promise<boolean> {
  return JSON.stringify(await ingressAddresses(cluster, NS, name)) === JSON.stringify(ADDRESSED);
}

async function warned(name: string, reason: string): Promise<boolean> {
  return (await eventsFor(cluster, NS, name)).some(
    e => e.type === "Warning" && e.reason === reason,
  );
}

async function programmed(name: string): Promise<string> {
  const plugin = (await kubectlJson(cluster, ["get", "kongplugin", name, "-n", NS])) as {
    status?: { conditions?: { type: string; status: string; reason: string }[] };
  };
  const c = plugin.status?.conditions?.find(x => x.type === "Programmed");
  return c === undefined ? "none" : `${c.status}/${c.reason}`;
}

beforeAll(async () => {
  cluster = await startKubeCluster();
  await installKongCrds(cluster.kubeconfigPath);
  await ensureNamespaces(cluster, [NS]);
}, CLUSTER_START_TIMEOUT_MS);

afterEach(async () => {
  for (const run of running.splice(0)) await run.stop();
  await kong?.stop();
  kong = undefined;
  await kubectlOk(cluster, ["delete", "kongplugins,kongclusterplugins", "--all", "-A"]);
  await cleanCluster(cluster, [NS]);
});

afterAll(async () => {
  await cluster.stop();
}, 60_000);

describe("a broken rate-limiting plugin on one Ingress", () => {
  it("leaves every other Ingress configured and addressed, also after a controller restart", async () => {
    kong = await startKongEmulator();
    // `rejected`'s plugin passes the controller's checks but Kong refuses it (the fallback path);
    // `invalid`'s config names no limit, which Kong's rate-limiting schema refuses (caught before the push).
    kong.inject({ kind: "rejectTagged", tag: "k8s-name:rl-rejected" });
    await apply(
      cluster,
      `${BASE}---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: rl-invalid, namespace: ${NS} }
plugin: rate-limiting
config: { policy: local }
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: rl-rejected, namespace: ${NS} }
plugin: rate-limiting
config: { minute: 10, policy: local }
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: rl-good, namespace: ${NS} }
plugin: rate-limiting
config: { minute: 100, policy: local }
${ingress("invalid", "rl-invalid")}${ingress("rejected", "rl-rejected")}${ingress("limited", "rl-good")}${ingress("open")}`,
    );
    const first = await start();
    for (const name of ["limited", "open"])
      await waitFor(`${name} to get its address`, () => addressed(name));
    await waitFor("a translation Warning on invalid", () =>
      warned("invalid", "KongConfigurationTranslationFailed"),
    );
    await waitFor("an apply Warning on rejected", async () =>
      (await eventsFor(cluster, NS, "rejected")).some(e => e.type === "Warning"),
    );
    await first.stop();

    await kubectlOk(cluster, [
      ...["patch", "ingress", "limited", "-n", NS, "--subresource=status", "--type=merge"],
      ...["-p", '{"status":{"loadBalancer":{"ingress":null}}}'],
    ]);
    expect(await ingressAddresses(cluster, NS, "limited")).toEqual([]);
    const restarted = Date.now();
    await start();
    for (const name of ["limited", "open"])
      await waitFor(`${name} to get its address after the restart`, () => addressed(name), {
        timeoutMs: 5000,
      });
    report(
      `kong plugins: valid Ingresses addressed ${String(Date.now() - restarted)} ms after the restart`,
    );

    const config = kong.currentConfig();
    const routes = routesOf(config);
    expect(routes.some(r => r.includes(".limited."))).toBe(true);
    expect(routes.some(r => r.includes(".open."))).toBe(true);
    expect(routes.some(r => r.includes(".invalid.") || r.includes(".rejected."))).toBe(false);
    expect(plugins(config).map(p => p.tags?.find(t => t.startsWith("k8s-name:")))).toEqual([
      "k8s-name:rl-good",
    ]);
    expect(await ingressAddresses(cluster, NS, "invalid")).toEqual([]);
    expect(await ingressAddresses(cluster, NS, "rejected")).toEqual([]);

    // Programmed from the config Kong accepted: True where it runs, False/Invalid where it does not.
    await waitFor(
      "rl-good Programmed=True, rl-invalid and rl-rejected Programmed=False",
      async () => {
        const states = await Promise.all(["rl-good", "rl-invalid", "rl-rejected"].map(programmed));
        return (
          JSON.stringify(states) ===
          JSON.stringify(["True/Programmed", "False/Invalid", "False/Invalid"])
        );
      },
    );
  });
});

describe("plugin lifecycle", () => {
  it("a deleted KongPlugin leaves Kong within 1 s, and its Ingress is not served without it", async () => {
    await apply(
      cluster,
      `${BASE}---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: auth, namespace: ${NS} }
plugin: key-auth
---
apiVersion: configuration.konghq.com/v1
kind: KongClusterPlugin
metadata: { name: cors, labels: { global: "true" }, annotations: { kubernetes.io/ingress.class: kong } }
plugin: cors
${ingress("guarded", "auth")}${ingress("open")}`,
    );
    await start();
    const emulator = kong!;
    await waitFor("Kong to hold key-auth on guarded and the global cors", () => {
      const names = plugins(emulator.currentConfig()).map(p => p.name);
      return names.includes("key-auth") && names.includes("cors");
    });

    const deleted = Date.now();
    await kubectlOk(cluster, ["delete", "kongclusterplugin", "cors"]);
    const { ms: globalMs } = await waitFor(
      "the global cors plugin to leave Kong",
      () => !plugins(emulator.currentConfig()).some(p => p.name === "cors"),
      { timeoutMs: 1000, intervalMs: 10 },
    );
    report(
      `kong plugins: a deleted KongClusterPlugin left Kong ${String(globalMs)} ms after kubectl delete returned (${String(Date.now() - deleted)} ms with kubectl)`,
    );

    const accepted = emulator.accepted().length;
    await kubectlOk(cluster, ["delete", "kongplugin", "auth", "-n", NS]);
    const { ms } = await waitFor(
      "key-auth to leave Kong",
      () => !plugins(emulator.currentConfig()).some(p => p.name === "key-auth"),
      { timeoutMs: 1000, intervalMs: 10 },
    );
    report(`kong plugins: a deleted KongPlugin left Kong after ${String(ms)} ms`);
    // The Ingress that named it went in the same push: no accepted config ever had guarded without auth.
    for (const a of emulator.accepted().slice(accepted))
      expect(routesOf(a.body).some(r => r.includes(".guarded."))).toBe(false);
    expect(routesOf(emulator.currentConfig()).some(r => r.includes(".open."))).toBe(true);
    await waitFor("a Warning on guarded", () =>
      warned("guarded", "KongConfigurationTranslationFailed"),
    );
  });

  it("an Ingress naming a missing plugin is never served without it, and is once it exists", async () => {
    await apply(cluster, `${BASE}${ingress("guarded", "auth")}${ingress("open")}`);
    await start();
    const emulator = kong!;
    await waitFor("open to get its address", () => addressed("open"));
    await waitFor("a Warning on guarded", () =>
      warned("guarded", "KongConfigurationTranslationFailed"),
    );

    await apply(
      cluster,
      `apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: auth, namespace: ${NS} }
plugin: key-auth
`,
    );
    await waitFor("guarded to get its address", () => addressed("guarded"));
    const config = emulator.currentConfig();
    expect(
      plugins(config).some(p => p.name === "key-auth" && p.route?.includes(".guarded.") === true),
    ).toBe(true);
    // Every config Kong ever took: guarded's route only ever came with its key-auth plugin.
    for (const a of emulator.accepted()) {
      const served = routesOf(a.body).filter(r => r.includes(".guarded."));
      const guardedBy = plugins(a.body)
        .filter(p => p.name === "key-auth")
        .map(p => p.route);
      for (const route of served) expect(guardedBy).toContain(route);
    }
  });
});

describe("a credential Kong rejects", () => {
  it("leaves out only its consumer; the others stay configured and Programmed", async () => {
    kong = await startKongEmulator();
    kong.inject({ kind: "rejectTagged", tag: "k8s-name:bob-key" });
    const consumer = (name: string) => `---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata: { name: ${name}, namespace: ${NS}, annotations: { kubernetes.io/ingress.class: kong } }
username: ${name}
credentials: [${name}-key]
---
apiVersion: v1
kind: Secret
metadata: { name: ${name}-key, namespace: ${NS}, labels: { konghq.com/credential: key-auth } }
stringData: { key: ${name}-secret }
`;
    await apply(cluster, `${BASE}${ingress("open")}${consumer("alice")}${consumer("bob")}`);
    await start();
    const emulator = kong;
    const consumers = () =>
      (
        ((emulator.currentConfig() ?? {}) as { consumers?: { username: string }[] }).consumers ?? []
      ).map(c => c.username);
    await waitFor("alice in Kong, bob left out", () => JSON.stringify(consumers()) === '["alice"]');
    await waitFor("open to get its address", () => addressed("open"));
    const state = async (name: string): Promise<string> => {
      const obj = (await kubectlJson(cluster, ["get", "kongconsumer", name, "-n", NS])) as {
        status?: { conditions?: { type: string; status: string }[] };
      };
      return obj.status?.conditions?.find(c => c.type === "Programmed")?.status ?? "none";
    };
    await waitFor("alice Programmed=True, bob Programmed=False", async () => {
      const seen = `${await state("alice")}/${await state("bob")}`;
      if (process.env["KONGRESS_E2E_LOG"] === "debug") report(`Programmed alice/bob ${seen}`);
      return seen === "True/False";
    });
  });
});

describe("a plugin Kong does not bundle", () => {
  const custom = `${BASE}---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: team-header, namespace: ${NS} }
plugin: my-header
config: { header_name: X-Team }
${ingress("custom", "team-header")}${ingress("open")}`;

  it("is sent, unchecked, to a Kong that has it", async () => {
    kong = await startKongEmulator({ enabledPlugins: [...BUNDLED_PLUGINS, "my-header"] });
    await apply(cluster, custom);
    await start();
    const emulator = kong;
    await waitFor("custom to get its address", () => addressed("custom"));
    const config = emulator.currentConfig();
    expect(plugins(config).map(p => p.name)).toEqual(["my-header"]);
    expect(routesOf(config).some(r => r.includes(".custom."))).toBe(true);
  });

  it("is a problem on its users when Kong lacks it: they are never served, the others are", async () => {
    kong = await startKongEmulator();
    await apply(cluster, custom);
    await start();
    const emulator = kong;
    await waitFor("open to get its address", () => addressed("open"));
    await waitFor("a Warning on custom naming the missing plugin", async () =>
      (await eventsFor(cluster, NS, "custom")).some(
        e => e.type === "Warning" && e.message.includes("my-header, which Kong does not have"),
      ),
    );
    // Kong never took a config with the plugin (it refuses them whole), nor custom without it.
    for (const a of emulator.accepted()) {
      expect(plugins(a.body).some(p => p.name === "my-header")).toBe(false);
      expect(routesOf(a.body).some(r => r.includes(".custom."))).toBe(false);
    }
    expect(await addressed("custom")).toBe(false);
  });
});
