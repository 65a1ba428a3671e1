/**
 * Incident b end to end: API-server outages as controllers run with `bin/kongress.js run` live through
 * them. Each controller has its own Kong emulator and reaches the API server through its own TCP proxy,
 * which the tests cut, hang and restore while kubectl keeps talking to the API server directly (so that
 * changes can be made during an outage the controllers see). Every measured time is printed, and the
 * table of them at the end.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKongEmulator, type KongEmulator } from "../support/kong-emulator/index.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { waitFor } from "../support/wait.ts";
import {
  apply,
  CLUSTER_START_TIMEOUT_MS,
  ensureNamespaces,
  kongNames,
  namesIn,
  report,
} from "./harness.ts";
import { counterTotal, spawnController, type SpawnedController } from "./spawned.ts";

const NS = {
  long: "outage-long",
  flap: "outage-flap",
  start: "outage-start",
  syncTimeout: "outage-sync-timeout",
  tenMinutes: "outage-ten-minutes",
};
/** The outage the issue measured (13–17 s to recover before the probe), at full length. */
const LONG_OUTAGE_MS = 60_000;
/** `--time-scale` of the ten-minute scenarios: 10 min of controller time in 30 s. */
const TIME_SCALE = 20;
const TEN_MINUTES_REAL_MS = (10 * 60_000) / TIME_SCALE;
const RECOVERY_TARGET_MS = 5000;

let cluster: KubeCluster;
const measured: { scenario: string; requirement: string; samples: number[] }[] = [];

/** A Service with endpoints, and one Ingress per name routing to it. */
function manifest(ns: string, ingresses: readonly string[]): string {
  const base = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec: { ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: ${ns}, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: 8080, protocol: TCP }]
endpoints: [{ addresses: ["10.1.0.1"], conditions: { ready: true } }]
`;
  return [base, ...ingresses.map(name => ingress(ns, name))].join("---\n");
}

function ingress(ns: string, name: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: ${ns} }
spec:
  ingressClassName: kong
  rules:
    - host: ${name}.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`;
}

/** Whether `routes` has the route of Ingress `ns/name` (route names start with namespace.name.). */
const routed = (routes: readonly string[], ns: string, name: string): boolean =>
  routes.some(r => r.startsWith(`${ns}.${name}.`));

interface Replica {
  readonly kong: KongEmulator;
  readonly proxy: TcpProxy;
  readonly ctl: SpawnedController;
}

async function startReplicas(
  count: number,
  ns: string,
  opts: { readonly args?: readonly string[]; readonly cutFirst?: boolean } = {},
): Promise<Replica[]> {
  const target = new URL(cluster.server);
  return Promise.all(
    Array.from({ length: count }, async () => {
      const kong = await startKongEmulator();
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      if (opts.cutFirst === true) await proxy.cut();
      const ctl = await spawnController({
        cluster,
        kong,
        apiserverHost: `https://127.0.0.1:${String(proxy.port)}`,
        args: [`--watch-namespace=${ns}`, ...(opts.args ?? [])],
      });
      return { kong, proxy, ctl };
    }),
  );
}

async function stopReplicas(replicas: readonly Replica[]): Promise<(number | null)[]> {
  const codes = await Promise.all(replicas.map(r => r.ctl.stop()));
  await Promise.all(replicas.map(async r => Promise.all([r.kong.stop(), r.proxy.close()])));
  return codes;
}

const configPosts = (kong: KongEmulator): number =>
  kong.requests().filter(r => r.method === "POST" && r.path.startsWith("/config")).length;

async function readyWith(replicas: readonly Replica[], ns: string, names: readonly string[]) {
  await Promise.all(
    replicas.map(r =>
      waitFor(
        "/readyz 200 and every Ingress in Kong",
        async () =>
          (await r.ctl.get("/readyz")).status === 200 &&
          names.every(n => routed(kongNames(r.kong).routes, ns, n)),
        { timeoutMs: 30_000, intervalMs: 50 },
      ),
    ),
  );
}

interface Steady {
  readonly hash: string;
  readonly posts: number;
}

const steadyState = (replicas: readonly Replica[]): Steady[] =>
  replicas.map(r => ({ hash: r.kong.configHash(), posts: configPosts(r.kong) }));

/** The outage changes nothing a user would see: alive, healthy, still Ready, Kong untouched. */
async function expectUnmoved(replicas: readonly Replica[], before: readonly Steady[]) {
  for (const [i, r] of replicas.entries()) {
    expect(r.ctl.running()).toBe(true);
    expect((await r.ctl.get("/healthz")).status).toBe(200);
    expect((await r.ctl.get("/readyz")).status).toBe(200);
    expect(r.kong.configHash()).toBe(before[i]?.hash);
    expect(configPosts(r.kong)).toBe(before[i]?.posts);
  }
}

/** Checks `expectUnmoved` every `everyMs` until `ms` have passed since `since`. */
async function holdUnmoved(
  replicas: readonly Replica[],
  before: readonly Steady[],
  opts: { since: number; ms: number; everyMs: number },
): Promise<number> {
  let checks = 0;
  while (Date.now() - opts.since < opts.ms) {
    await sleep(Math.min(opts.everyMs, Math.max(0, opts.ms - (Date.now() - opts.since))));
    await expectUnmoved(replicas, before);
    checks++;
  }
  return checks;
}

/** Per replica, the milliseconds from `since` until `done` holds for it. */
async function timesUntil(
  replicas: readonly Replica[],
  since: number,
  what: string,
  done: (r: Replica) => boolean | Promise<boolean>,
): Promise<number[]> {
  return Promise.all(
    replicas.map(async r => {
      await waitFor(what, () => done(r), { timeoutMs: 40_000, intervalMs: 10 });
      return Date.now() - since;
    }),
  );
}

function record(scenario: string, requirement: string, samples: readonly number[]): void {
  measured.push({ scenario, requirement, samples: [...samples] });
  report(`${scenario}: ${summary(samples)} (${samples.map(String).join(", ")} ms)`);
}

function summary(samples: readonly number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
  const ms = (n: number | undefined) => `${String(n)} ms`;
  return `min ${ms(sorted[0])} / median ${ms(median)} / max ${ms(sorted.at(-1))}`;
}

async function watchRestarts(r: Replica): Promise<number> {
  return counterTotal(await r.ctl.metrics(), "kongress_watch_restarts_total");
}

beforeAll(async () => {
  cluster = await startKubeCluster();
  await ensureNamespaces(cluster, Object.values(NS));
  await apply(
    cluster,
    `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: kong }
spec: { controller: ingress-controllers.konghq.com/kong }
`,
  );
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  report("incident b, measured (spawned bin/kongress.js run, 1 sample per replica and round):");
  report("| scenario | requirement | min / median / max | n |");
  for (const m of measured)
    report(`| ${m.scenario} | ${m.requirement} | ${summary(m.samples)} | ${m.samples.length} |`);
  await cluster.stop();
}, 60_000);

describe("incident b: the API server goes away", () => {
  it("a 60 s outage: nothing moves, and changes made meanwhile reach Kong within 5 s of the link coming back", async () => {
    const ns = NS.long;
    await apply(cluster, manifest(ns, ["keep", "dropme"]));
    const replicas = await startReplicas(3, ns);
    await readyWith(replicas, ns, ["keep", "dropme"]);
    const before = steadyState(replicas);
    const restartsBefore = await Promise.all(replicas.map(watchRestarts));

    await Promise.all(replicas.map(r => r.proxy.cut()));
    const cutAt = Date.now();
    await sleep(2000);
    await kubectlOk(cluster, ["delete", "ingress", "dropme", "-n", ns]);
    await apply(cluster, ingress(ns, "added"));
    const checks = await holdUnmoved(replicas, before, {
      since: cutAt,
      ms: LONG_OUTAGE_MS,
      everyMs: 5000,
    });
    const restarts = await Promise.all(
      replicas.map(async (r, i) => (await watchRestarts(r)) - (restartsBefore[i] ?? 0)),
    );
    const watchers = (await replicas[0]!.ctl.metrics())
      .split("\n")
      .filter(line => line.startsWith("kongress_watch_synced{")).length;
    // With the backoff doubling from 0.5 s, about 8 retries per watcher in 60 s means the last waits
    // were 16 to 30 s long (the cap); without a grown backoff there would be dozens each.
    report(
      `60 s outage: ${String(checks)} checks of each replica found it alive, healthy, Ready and Kong untouched; watch restarts per replica ${restarts.join(", ")} (${String(watchers)} watchers each)`,
    );
    expect(watchers).toBeGreaterThan(0);
    expect(Math.max(...restarts)).toBeLessThan(watchers * 12);

    const back = Date.now();
    await Promise.all(replicas.map(r => r.proxy.restore()));
    const times = await timesUntil(replicas, back, "the changes made during the outage", r => {
      const routes = kongNames(r.kong).routes;
      return routed(routes, ns, "added") && !routed(routes, ns, "dropme");
    });
    record("60 s link cut, changes made meanwhile → in Kong, from link back", "≤ 5 s", times);
    expect(Math.max(...times)).toBeLessThan(RECOVERY_TARGET_MS);
    expect(await stopReplicas(replicas)).toEqual([0, 0, 0]);
  }, 180_000);

  it("a flapping link: after cuts a few seconds apart, a delete made during the last one reaches Kong within 5 s", async () => {
    const ns = NS.flap;
    const rounds = ["flap-1", "flap-2"];
    await apply(cluster, manifest(ns, ["stay", ...rounds]));
    const replicas = await startReplicas(3, ns);
    await readyWith(replicas, ns, ["stay", ...rounds]);
    const samples: number[] = [];
    for (const doomed of rounds) {
      for (let cut = 0; cut < 5; cut++) {
        await Promise.all(replicas.map(r => r.proxy.cut()));
        await sleep(3000);
        await Promise.all(replicas.map(r => r.proxy.restore()));
        await sleep(2000);
      }
      await Promise.all(replicas.map(r => r.proxy.cut()));
      await kubectlOk(cluster, ["delete", "ingress", doomed, "-n", ns]);
      await sleep(3000);
      for (const r of replicas) expect(routed(kongNames(r.kong).routes, ns, doomed)).toBe(true);
      const back = Date.now();
      await Promise.all(replicas.map(r => r.proxy.restore()));
      samples.push(
        ...(await timesUntil(
          replicas,
          back,
          `${doomed} gone from Kong`,
          r => !routed(kongNames(r.kong).routes, ns, doomed),
        )),
      );
    }
    record(
      "flapping link (6 cuts of 3 s, 5 s apart), delete during the last → gone from Kong, from link back",
      "≤ 5 s",
      samples,
    );
    for (const r of replicas) expect(routed(kongNames(r.kong).routes, ns, "stay")).toBe(true);
    expect(Math.max(...samples)).toBeLessThan(RECOVERY_TARGET_MS);
    expect(await stopReplicas(replicas)).toEqual([0, 0, 0]);
  }, 240_000);

  it("started while the API server is unreachable: alive, not Ready, pushes nothing; Ready with the whole config once it answers", async () => {
    const ns = NS.start;
    const names = ["one", "two", "three"];
    await apply(cluster, manifest(ns, names));
    const replicas = await startReplicas(3, ns, { cutFirst: true });
    const started = Date.now();
    // Long enough for the backoff to reach 8-16 s, and no --cache-sync-timeout: by default the controller waits for ever.
    while (Date.now() - started < 20_000) {
      await sleep(2000);
      for (const r of replicas) {
        expect(r.ctl.running()).toBe(true);
        expect((await r.ctl.get("/healthz")).status).toBe(200);
        const ready = await r.ctl.get("/readyz");
        expect(ready.status).not.toBe(200);
        expect(ready.body).toContain("has not synced");
        expect(configPosts(r.kong)).toBe(0);
      }
    }
    const back = Date.now();
    await Promise.all(replicas.map(r => r.proxy.restore()));
    const [ready, config] = await Promise.all([
      timesUntil(
        replicas,
        back,
        "/readyz 200",
        async r => (await r.ctl.get("/readyz")).status === 200,
      ),
      timesUntil(replicas, back, "the whole config in Kong", r =>
        names.every(n => routed(kongNames(r.kong).routes, ns, n)),
      ),
    ]);
    record("started while unreachable (20 s) → Ready, from link back", "≤ 5 s", ready);
    record("started while unreachable (20 s) → config in Kong, from link back", "≤ 5 s", config);
    for (const r of replicas) {
      // The very first config Kong received was the whole one: nothing partial was ever pushed.
      const first = r.kong.accepted()[0];
      expect(names.every(n => routed(namesIn(first?.body).routes, ns, n))).toBe(true);
    }
    expect(Math.max(...ready, ...config)).toBeLessThan(RECOVERY_TARGET_MS);
    expect(await stopReplicas(replicas)).toEqual([0, 0, 0]);
  }, 120_000);

  it("with --cache-sync-timeout set, started while unreachable, it gives up (exit 1) when that passes", async () => {
    const [replica] = await startReplicas(1, NS.syncTimeout, {
      cutFirst: true,
      args: ["--cache-sync-timeout=3s"],
    });
    const r = replica!;
    const code = await r.ctl.exited;
    const fatal = r.ctl.logs().find(line => line["msg"] === "Controller gave up");
    report(`--cache-sync-timeout=3s while unreachable: exit ${String(code)}`);
    expect(code).toBe(1);
    expect(JSON.stringify(fatal)).toContain("did not complete within 3000 ms");
    expect(configPosts(r.kong)).toBe(0);
    await stopReplicas([r]);
  }, 60_000);
});

describe(`incident b: ten minutes without the API server (--time-scale=${String(TIME_SCALE)})`, () => {
  let replicas: Replica[];
  const ns = NS.tenMinutes;

  beforeAll(async () => {
    await apply(cluster, manifest(ns, ["steady"]));
    replicas = await startReplicas(2, ns, { args: [`--time-scale=${String(TIME_SCALE)}`] });
    await readyWith(replicas, ns, ["steady"]);
  }, 60_000);

  // Each stop is bounded by the CLI's 15 s grace; the Kongs and proxies stop after the replicas.
  afterAll(async () => {
    expect(await stopReplicas(replicas)).toEqual([0, 0]);
  }, 120_000);

  it("the API server process stopped: nothing exits, turns unhealthy or unready, and Kong is never pushed to", async () => {
    const before = steadyState(replicas);
    await cluster.stopApiServer();
    const down = Date.now();
    const checks = await holdUnmoved(replicas, before, {
      since: down,
      ms: TEN_MINUTES_REAL_MS,
      everyMs: 1000,
    });
    await cluster.startApiServer();
    report(
      `stopped API server, 10 min at ×${String(TIME_SCALE)}: ${String(checks)} checks per replica, all alive, healthy, Ready, Kong untouched`,
    );
    await apply(cluster, ingress(ns, "after-stop"));
    const applied = Date.now();
    const times = await timesUntil(replicas, applied, "the Ingress applied after the restart", r =>
      routed(kongNames(r.kong).routes, ns, "after-stop"),
    );
    record(
      `API server stopped 10 min (×${String(TIME_SCALE)}) → a change applied once it is back, in Kong`,
      "≤ 5 s",
      times,
    );
    for (const r of replicas) expect(routed(kongNames(r.kong).routes, ns, "steady")).toBe(true);
    expect(Math.max(...times)).toBeLessThan(RECOVERY_TARGET_MS);
  }, 120_000);

  it("the API server hung (connections accepted, never answered): the same, and a change made meanwhile arrives once it answers", async () => {
    const before = steadyState(replicas);
    await Promise.all(replicas.map(r => r.proxy.hang()));
    const hung = Date.now();
    await apply(cluster, ingress(ns, "during-hang"));
    const checks = await holdUnmoved(replicas, before, {
      since: hung,
      ms: TEN_MINUTES_REAL_MS,
      everyMs: 1000,
    });
    report(
      `hung API server, 10 min at ×${String(TIME_SCALE)}: ${String(checks)} checks per replica, all alive, healthy, Ready, Kong untouched`,
    );
    const back = Date.now();
    await Promise.all(replicas.map(r => r.proxy.restore()));
    const times = await timesUntil(replicas, back, "the Ingress applied during the hang", r =>
      routed(kongNames(r.kong).routes, ns, "during-hang"),
    );
    record(
      `API server hung 10 min (×${String(TIME_SCALE)}) → a change made meanwhile, in Kong, from answers again`,
      "≤ 5 s",
      times,
    );
    expect(Math.max(...times)).toBeLessThan(RECOVERY_TARGET_MS);
  }, 120_000);
});
