/**
 * The watch layer against a real kube-apiserver: reflectors, store, snapshots, the Secret fetcher and the
 * API server probe, wired as the controller wires them. The controller reaches the API server through a
 * TCP proxy that the tests cut, hang and restore; kubectl talks to the API server directly, as a user
 * would.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiServerProbe } from "../../src/kube/apiserver-probe.ts";
import { DEFAULT_WATCH_BACKOFF, type BackoffOptions } from "../../src/kube/backoff.ts";
import type { KubeApi, RequestOptions } from "../../src/kube/client.ts";
import { createKubeClients } from "../../src/kube/client.ts";
import { INGRESS_KINDS, SECRET, collectionPath, type WatchedKind } from "../../src/kube/kinds.ts";
import { KubeWatchers, type KubeWatchersOptions } from "../../src/kube/watchers.ts";
import type { Secret } from "../../src/model/k8s.ts";
import { parseSupportedObject } from "../../src/model/parse.ts";
import { SecretFetcher } from "../../src/store/secret-fetcher.ts";
import { Snapshotter } from "../../src/store/snapshot.ts";
import { Store } from "../../src/store/store.ts";
import { systemClock } from "../../src/util/clock.ts";
import { startKubeCluster, type KubeCluster } from "../support/kube/cluster.ts";
import { kubectlOk } from "../support/kube/kubectl.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { waitFor as waitUntil } from "../support/wait.ts";

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

// The first run on a fresh machine includes the cold build of kube-apiserver and etcd.
const coldStartTimeoutMs = 30 * 60_000;
const maxBackoffMs = 1000;
const logger = pino({ level: "silent" });

let cluster: KubeCluster;
let proxy: TcpProxy;
const controllers: Controller[] = [];

function report(line: string): void {
  process.stderr.write(`watch: ${line}\n`);
}

interface Controller {
  readonly store: Store;
  readonly watchers: KubeWatchers;
  readonly fetcher: SecretFetcher;
  readonly probe: ApiServerProbe;
  readonly snapshots: Snapshotter;
  /** As the controller's first cycle waits: every list done, and the needed Secrets fetched. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

function startController(
  opts: {
    watchNamespaces?: string[];
    wrap?: (api: KubeApi) => KubeApi;
    tuning?: KubeWatchersOptions["tuning"];
    /** Between retries; short by default, so that tests without the probe recover quickly too. */
    backoff?: BackoffOptions;
    /** Without the probe, each retry sits out its whole backoff (what the controller did before it). */
    withoutProbe?: boolean;
  } = {},
): Controller {
  const clients = createKubeClients({
    kubeconfig: cluster.kubeconfigPath,
    apiserverHost: `https://127.0.0.1:${proxy.port}`,
    requestTimeoutMs: 5_000,
  });
  const api = opts.wrap?.(clients.api) ?? clients.api;
  const probe = new ApiServerProbe({ health: clients.health, clock: systemClock, logger });
  const watchNamespaces = opts.watchNamespaces ?? [];
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    watchNamespaces,
    logger,
  });
  const backoff = opts.backoff ?? { initialMs: 100, maxMs: maxBackoffMs, factor: 2, jitter: 0.2 };
  const watchers = new KubeWatchers({
    api,
    sink: store,
    clock: systemClock,
    random: Math.random,
    logger,
    watchNamespaces,
    ...(opts.withoutProbe === true ? {} : { gate: probe }),
    tuning: { backoff, healthyAfterMs: 2_000, ...opts.tuning },
  });
  const fetcher = new SecretFetcher({
    api,
    store,
    clock: systemClock,
    random: Math.random,
    logger,
    backoff,
    ...(opts.withoutProbe === true ? {} : { gate: probe }),
  });
  watchers.start();
  fetcher.start();
  const controller: Controller = {
    store,
    watchers,
    fetcher,
    probe,
    snapshots: new Snapshotter(store),
    ready: async () => {
      await watchers.waitSynced();
      await fetcher.waitSettled(new AbortController().signal);
    },
    stop: async () => {
      await Promise.all([watchers.stop(), fetcher.stop()]);
      await clients.close();
    },
  };
  controllers.push(controller);
  return controller;
}

/** Polls until `done` holds, finely enough to measure latency; resolves with the elapsed milliseconds. */
async function waitFor(done: () => boolean, timeoutMs = 5_000): Promise<number> {
  return (await waitUntil("the watched change", done, { timeoutMs, intervalMs: 5 })).ms;
}

/** Runs kubectl; returns how long after it exited `done` held, and how long after it started. */
async function timed(
  args: string[],
  stdin: string | undefined,
  done: () => boolean,
): Promise<{ afterExit: number; sinceStart: number }> {
  const start = performance.now();
  await kubectlOk(cluster, args, stdin === undefined ? {} : { stdin });
  const exited = performance.now();
  await waitFor(done);
  const end = performance.now();
  return { afterExit: end - exited, sinceStart: end - start };
}

function apply(objects: unknown[]): Promise<string> {
  return kubectlOk(cluster, ["apply", "-f", "-"], {
    stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
  });
}

const labelsOf = (labels: Record<string, string> | undefined) =>
  labels === undefined ? {} : { labels };

const m = {
  namespace: (name: string) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
  ingressClass: (name: string, labels?: Record<string, string>) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name, ...labelsOf(labels) },
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  }),
  service: (ns: string, name: string, labels?: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns, ...labelsOf(labels) },
    spec: { ports: [{ port: 80, targetPort: 8080 }] },
  }),
  slice: (ns: string, name: string, service: string, labels?: Record<string, string>) => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace: ns,
      labels: { "kubernetes.io/service-name": service, ...labels },
    },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.1.0.1"], conditions: { ready: true } }],
    ports: [{ port: 8080, protocol: "TCP" }],
  }),
  secret: (ns: string, name: string, labels?: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ns, ...labelsOf(labels) },
    type: "Opaque",
    stringData: { "tls.crt": `cert of ${name}`, "tls.key": `key of ${name}` },
  }),
  ingress: (
    ns: string,
    name: string,
    spec: { service?: string; tlsSecret?: string; labels?: Record<string, string> } = {},
  ) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: ns, ...labelsOf(spec.labels) },
    spec: {
      ingressClassName: "kong",
      rules: [
        {
          host: `${name}.example`,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: spec.service ?? "web", port: { number: 80 } } },
              },
            ],
          },
        },
      ],
      ...(spec.tlsSecret === undefined
        ? {}
        : { tls: [{ hosts: [`${name}.example`], secretName: spec.tlsSecret }] }),
    },
  }),
};

/** One object of every kind in `ns` (the IngressClass is cluster-scoped, so it gets its own name). */
function oneOfEach(ns: string, classLabel: string, labels?: Record<string, string>) {
  return [
    {
      kind: "IngressClass" as const,
      ns: "",
      name: classLabel,
      raw: m.ingressClass(classLabel, labels),
    },
    {
      kind: "Ingress" as const,
      ns,
      name: "web",
      raw: m.ingress(ns, "web", { labels: labels ?? {} }),
    },
    { kind: "Service" as const, ns, name: "web", raw: m.service(ns, "web", labels) },
    { kind: "EndpointSlice" as const, ns, name: "web-1", raw: m.slice(ns, "web-1", "web", labels) },
    // Labelled, so the store keeps it whole even though no Ingress names it.
    {
      kind: "Secret" as const,
      ns,
      name: "ca",
      raw: m.secret(ns, "ca", { "konghq.com/ca-cert": "true", ...labels }),
    },
  ];
}

const resource: Record<string, string> = {
  IngressClass: "ingressclass",
  Ingress: "ingress",
  Service: "service",
  EndpointSlice: "endpointslice",
  Secret: "secret",
};

function held(store: Store, kind: WatchedKind, ns: string, name: string): boolean {
  return store
    .names(kind, ns === "" ? undefined : ns)
    .some(n => n.namespace === ns && n.name === name);
}

beforeAll(async () => {
  cluster = await startKubeCluster();
  const url = new URL(cluster.server);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
  await apply([
    ...["kw-empty", "kw-initial", "kw-events", "kw-cut", "kw-gone", "kw-ns-a", "kw-ns-b"].map(
      m.namespace,
    ),
    ...[
      "kw-secrets",
      "kw-meta",
      "kw-outage",
      "kw-long-cut",
      "kw-flap",
      "kw-hang",
      "kw-configmaps",
    ].map(m.namespace),
    m.ingressClass("kong"),
  ]);
}, coldStartTimeoutMs);

afterAll(async () => {
  await Promise.all(controllers.splice(0).map(c => c.stop()));
  await proxy.close();
  await cluster.stop();
}, 60_000);

describe("watch layer against a real kube-apiserver", () => {
  it("reaches synced in an empty namespace, and with only an unreferenced Secret (incident a)", async () => {
    const empty = startController({ watchNamespaces: ["kw-empty"] });
    const emptyMs = await waitFor(() => empty.watchers.hasSynced());
    expect(empty.snapshots.take()).toMatchObject({ ingresses: [], services: [], secrets: [] });
    await apply([m.secret("kw-empty", "unrelated")]);
    const other = startController({ watchNamespaces: ["kw-empty"] });
    const otherMs = await waitFor(() => other.watchers.hasSynced());
    expect(other.snapshots.take().secrets).toEqual([]);
    report(
      `synced: empty namespace ${emptyMs.toFixed(0)} ms, unreferenced Secret only ${otherMs.toFixed(0)} ms`,
    );
    await Promise.all([empty.stop(), other.stop()]);
  });

  it("lists and watches only ConfigMaps labelled konghq.com/configmap (KIC's selector)", async () => {
    const ns = "kw-configmaps";
    const configMap = (name: string, labels?: Record<string, string>) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: ns, ...labelsOf(labels) },
      data: { id: "c95972f4-946a-4a94-b12c-19cf56e6b285", cert: `cert of ${name}` },
    });
    await apply([
      configMap("labelled", { "konghq.com/configmap": "true" }),
      configMap("plain"),
      configMap("other-value", { "konghq.com/configmap": "false" }),
    ]);
    const c = startController({ watchNamespaces: [ns] });
    await c.ready();
    const names = () => c.snapshots.take().configMaps.map(o => o.metadata.name);
    expect(names()).toEqual(["labelled"]);
    // Labelled later: the watch delivers it; unlabelled: it leaves the store.
    await kubectlOk(cluster, [
      "label",
      "-n",
      ns,
      "configmap",
      "plain",
      "konghq.com/configmap=true",
    ]);
    await kubectlOk(cluster, ["label", "-n", ns, "configmap", "labelled", "konghq.com/configmap-"]);
    await waitFor(() => names().join() === "plain");
    expect(c.store.get("ConfigMap", ns, "plain")).toMatchObject({
      data: { cert: "cert of plain" },
    });
    await c.stop();
  });

  it("lists each kind at start, keeping only the referenced Secret's data", async () => {
    const ns = "kw-initial";
    await apply([
      m.service(ns, "web"),
      m.slice(ns, "web-1", "web"),
      m.secret(ns, "tls"),
      m.secret(ns, "unused"),
      m.ingress(ns, "web", { tlsSecret: "tls" }),
    ]);
    const c = startController({ watchNamespaces: [ns] });
    await c.ready();
    const snap = c.snapshots.take();
    const names = (list: readonly { metadata: { name: string } }[]) =>
      list.map(o => o.metadata.name);
    expect(names(snap.ingressClasses)).toContain("kong");
    expect(names(snap.ingresses)).toEqual(["web"]);
    expect(names(snap.services)).toEqual(["web"]);
    expect(names(snap.endpointSlices)).toEqual(["web-1"]);
    expect(names(snap.secrets)).toEqual(["tls"]);
    expect((snap.secrets[0] as Secret).data?.["tls.crt"]).toBe(
      Buffer.from("cert of tls").toString("base64"),
    );
    expect(held(c.store, "Secret", ns, "unused")).toBe(true);
    expect(c.store.get("Secret", ns, "unused")).toBeUndefined();
    expect(c.fetcher.fetched).toBe(1);
    expect(snap.hash).toMatch(/^[0-9a-f]{64}$/);
    await c.stop();
  });

  it("reflects an add, an update and a delete of each kind within 1 s", async () => {
    const ns = "kw-events";
    const c = startController();
    await c.watchers.waitSynced();
    const rows: string[] = [];
    for (const o of oneOfEach(ns, "kw-events-class")) {
      const add = await timed(["apply", "-f", "-"], JSON.stringify(o.raw), () =>
        held(c.store, o.kind, o.ns, o.name),
      );
      const updated = {
        ...o.raw,
        metadata: { ...o.raw.metadata, labels: { ...o.raw.metadata.labels, rev: "2" } },
      };
      const update = await timed(
        ["apply", "-f", "-"],
        JSON.stringify(updated),
        () => c.store.get(o.kind, o.ns, o.name)?.metadata.labels?.["rev"] === "2",
      );
      const nsArgs = o.ns === "" ? [] : ["-n", o.ns];
      const del = await timed(
        ["delete", resource[o.kind]!, o.name, ...nsArgs],
        undefined,
        () => !held(c.store, o.kind, o.ns, o.name),
      );
      for (const [what, t] of [
        ["add", add],
        ["update", update],
        ["delete", del],
      ] as const) {
        rows.push(
          `${o.kind} ${what}: ${t.afterExit.toFixed(0)} ms after kubectl exited (${t.sinceStart.toFixed(0)} ms after it started)`,
        );
        expect(t.afterExit).toBeLessThan(1000);
      }
    }
    for (const row of rows) report(row);
    await c.stop();
  });

  it("applies deletes made while the watch was cut, resuming from its resourceVersion (incident e)", async () => {
    const ns = "kw-cut";
    const objects = oneOfEach(ns, "kw-cut-class");
    await apply(objects.map(o => o.raw));
    // Records, per collection path, when the first request that succeeded after the restore started.
    const cut: { restoredAt?: number } = {};
    const reconnectedAt = new Map<string, number>();
    const served = async <T>(path: string, request: () => Promise<T>): Promise<T> => {
      const startedAt = performance.now();
      const result = await request();
      if (cut.restoredAt !== undefined && !reconnectedAt.has(path))
        reconnectedAt.set(path, startedAt);
      return result;
    };
    const c = startController({
      wrap: api => ({
        getJson: (path, o) => served(path, () => api.getJson(path, o)),
        getDocument: (path, o) => served(path, () => api.getDocument(path, o)),
        watch: (path, o) => served(path, () => api.watch(path, o)),
        send: (method, path, o) => api.send(method, path, o),
        close: () => api.close(),
      }),
    });
    await c.watchers.waitSynced();
    await waitFor(() => objects.every(o => held(c.store, o.kind, o.ns, o.name)));
    const listsBefore = c.watchers.health().reduce((n, h) => n + h.lists, 0);

    await proxy.cut();
    for (const o of objects) {
      await kubectlOk(cluster, [
        "delete",
        resource[o.kind]!,
        o.name,
        ...(o.ns === "" ? [] : ["-n", o.ns]),
      ]);
    }
    await apply([m.service(ns, "created-while-cut")]);
    // Long enough for every watcher to notice and back off: the cache must survive the outage.
    await new Promise(resolve => setTimeout(resolve, 1500));
    expect(objects.every(o => held(c.store, o.kind, o.ns, o.name))).toBe(true);
    expect(c.watchers.hasSynced()).toBe(true);

    const restoredAt = performance.now();
    cut.restoredAt = restoredAt;
    await proxy.restore();
    const goneAt = new Map<string, number>();
    await waitFor(() => {
      for (const o of objects)
        if (!goneAt.has(o.kind) && !held(c.store, o.kind, o.ns, o.name))
          goneAt.set(o.kind, performance.now());
      return goneAt.size === objects.length;
    });
    await waitFor(() => held(c.store, "Service", ns, "created-while-cut"));
    const rows = objects.map(o => {
      const info = INGRESS_KINDS.find(k => k.kind === o.kind)!;
      const reconnect = reconnectedAt.get(collectionPath(info)) ?? Number.NaN;
      return {
        kind: o.kind,
        afterRestore: goneAt.get(o.kind)! - restoredAt,
        afterReconnect: goneAt.get(o.kind)! - reconnect,
      };
    });
    const health = c.watchers.health();
    for (const r of rows)
      report(
        `${r.kind} deleted during a cut: gone ${r.afterReconnect.toFixed(0)} ms after its watcher reconnected (${r.afterRestore.toFixed(0)} ms after the restore)`,
      );
    const relists = health.reduce((n, h) => n + h.lists, 0) - listsBefore;
    report(`cut: relists ${relists}, restarts ${health.reduce((n, h) => n + h.restarts, 0)}`);
    for (const r of rows) {
      expect(r.afterReconnect).toBeLessThan(1000);
      // Reconnecting waits out at most one backoff delay.
      expect(r.afterRestore).toBeLessThan(maxBackoffMs + 1000);
    }
    expect(health.every(h => h.lastError === undefined)).toBe(true);
    // The API server still had every event since: the watches resumed, nothing was listed again.
    expect(relists).toBe(0);
    await c.stop();
  });

  it("relists after 410 Gone when resuming from a stale resourceVersion", async () => {
    const ns = "kw-gone";
    await apply([m.service(ns, "a"), m.service(ns, "b")]);
    const servicesPath = `/api/v1/namespaces/${ns}/services`;
    let gate: { reached: () => void; open: Promise<void> } | undefined;
    const watchedRvs: string[] = [];
    const wrap = (api: KubeApi): KubeApi => ({
      getJson: (path, o) => api.getJson(path, o),
      getDocument: (path, o) => api.getDocument(path, o),
      send: (method, path, o) => api.send(method, path, o),
      close: () => api.close(),
      watch: async (path: string, o: RequestOptions) => {
        let query = o.query;
        if (path === servicesPath && gate !== undefined) {
          const g = gate;
          gate = undefined;
          g.reached();
          await g.open;
          // As if we had been away long enough for our resourceVersion to be compacted.
          query = { ...query, resourceVersion: "1" };
        }
        if (path === servicesPath) watchedRvs.push(query?.["resourceVersion"] ?? "");
        return api.watch(path, { ...o, ...(query === undefined ? {} : { query }) });
      },
    });
    // Short server-side watch timeouts, so a re-watch (and the gate) comes quickly.
    const c = startController({
      watchNamespaces: [ns],
      wrap,
      tuning: { watchTimeoutSeconds: { min: 1, max: 2 } },
    });
    await c.watchers.waitSynced();
    const services = () => c.watchers.health().find(h => h.scope === `Service@${ns}`)!;
    const listsBefore = services().lists;
    let open: () => void = () => undefined;
    const reached = new Promise<void>(resolve => {
      gate = { reached: resolve, open: new Promise<void>(r => (open = r)) };
    });
    await reached;
    // Deleted while no watch is open: only the relist can tell.
    await kubectlOk(cluster, ["delete", "service", "a", "-n", ns]);
    const released = performance.now();
    open();
    await waitFor(() => !held(c.store, "Service", ns, "a"));
    const goneMs = performance.now() - released;
    report(
      `410 Gone: relisted and removed the missed delete ${goneMs.toFixed(0)} ms after resuming`,
    );
    expect(watchedRvs).toContain("1");
    expect(services().lists).toBe(listsBefore + 1);
    expect(services().restarts).toBe(0);
    expect(held(c.store, "Service", ns, "b")).toBe(true);
    expect(goneMs).toBeLessThan(1000);
    await apply([m.service(ns, "after")]);
    await waitFor(() => held(c.store, "Service", ns, "after"));
    await c.stop();
  });

  it("sees only the namespaces given by --watch-namespace", async () => {
    await apply([m.service("kw-ns-a", "in-a"), m.service("kw-ns-b", "in-b")]);
    const c = startController({ watchNamespaces: ["kw-ns-a"] });
    await c.watchers.waitSynced();
    await apply([m.service("kw-ns-b", "later-b"), m.service("kw-ns-a", "later-a")]);
    await waitFor(() => held(c.store, "Service", "kw-ns-a", "later-a"));
    expect(
      c.store
        .names("Service", undefined)
        .map(n => `${n.namespace}/${n.name}`)
        .sort(),
    ).toEqual(["kw-ns-a/in-a", "kw-ns-a/later-a"]);
    expect(c.watchers.health().map(h => h.scope)).toEqual([
      "IngressClass",
      "Ingress@kw-ns-a",
      "Service@kw-ns-a",
      "EndpointSlice@kw-ns-a",
      "Secret@kw-ns-a",
      "ConfigMap@kw-ns-a",
      // Cluster-scoped: a Gateway listener's namespace selector reads labels of any namespace.
      "Namespace",
    ]);
    await c.stop();
  });

  it("keeps referenced and labelled Secrets, and fetches one when it becomes referenced", async () => {
    const ns = "kw-secrets";
    await apply([
      m.secret(ns, "s1"),
      m.secret(ns, "s2"),
      m.secret(ns, "ca", { "konghq.com/ca-cert": "true" }),
      m.ingress(ns, "web", { tlsSecret: "s1" }),
    ]);
    const c = startController({ watchNamespaces: [ns] });
    await c.ready();
    const kept = () => c.snapshots.take().secrets.map(s => s.metadata.name);
    expect(kept()).toEqual(["ca", "s1"]);
    expect(c.fetcher.fetched).toBe(2);
    const t = await timed(
      ["apply", "-f", "-"],
      JSON.stringify(m.ingress(ns, "web", { tlsSecret: "s2" })),
      () => kept().join() === "ca,s2",
    );
    report(
      `a newly referenced Secret was fetched ${t.afterExit.toFixed(0)} ms after kubectl exited`,
    );
    expect(t.afterExit).toBeLessThan(1000);
    expect(c.fetcher.fetched).toBe(3);
    expect(c.store.get("Secret", ns, "s1")).toBeUndefined();
    expect((c.store.get("Secret", ns, "s2") as Secret).data?.["tls.key"]).toBe(
      Buffer.from("key of s2").toString("base64"),
    );
    await c.stop();
  });

  it("never receives an unreferenced Secret's data; fetches the referenced one and each change of it", async () => {
    const ns = "kw-meta";
    const releases = ["sh.helm.release.v1.a.v1", "sh.helm.release.v1.a.v2"];
    await apply([
      m.secret(ns, "tls"),
      ...releases.map(r => m.secret(ns, r)),
      m.ingress(ns, "web", { tlsSecret: "tls" }),
    ]);
    const secretsPath = collectionPath(SECRET, ns);
    // Every Secret that reached this process, and whether it came with its data.
    const received: string[] = [];
    const record = (how: string, obj: unknown): void => {
      const o = obj as { metadata?: { name?: string }; data?: unknown };
      received.push(`${how} ${o.metadata?.name ?? "?"}${o.data === undefined ? "" : " +data"}`);
    };
    const c = startController({
      watchNamespaces: [ns],
      wrap: api => ({
        getJson: async (path, o) => {
          const body = await api.getJson(path, o);
          if (path === secretsPath)
            for (const item of (body as { items?: unknown[] }).items ?? []) record("list", item);
          else if (path.startsWith(`${secretsPath}/`)) record("get", body);
          return body;
        },
        getDocument: (path, o) => api.getDocument(path, o),
        watch: async (path, o) => {
          const events = await api.watch(path, o);
          if (path !== secretsPath) return events;
          return (async function* () {
            for await (const e of events) {
              const event = e as { type: string; object: unknown };
              if (event.type !== "BOOKMARK") record(`watch ${event.type}`, event.object);
              yield e;
            }
          })();
        },
        send: (method, path, o) => api.send(method, path, o),
        close: () => api.close(),
      }),
    });
    await c.ready();
    expect(c.snapshots.take().secrets.map(x => x.metadata.name)).toEqual(["tls"]);
    expect(received.sort()).toEqual([
      "get tls +data",
      ...releases.map(r => `list ${r}`),
      "list tls",
    ]);
    received.length = 0;

    const renewed = Buffer.from("renewed cert").toString("base64");
    const t = await timed(
      ["apply", "-f", "-"],
      JSON.stringify({ ...m.secret(ns, "tls"), stringData: { "tls.crt": "renewed cert" } }),
      () => (c.store.get("Secret", ns, "tls") as Secret | undefined)?.data?.["tls.crt"] === renewed,
    );
    report(
      `a referenced Secret's new data reached the store ${t.afterExit.toFixed(0)} ms after kubectl exited`,
    );
    expect(t.afterExit).toBeLessThan(1000);
    const release = releases[0] ?? "";
    await apply([{ ...m.secret(ns, release), stringData: { release: "x".repeat(100_000) } }]);
    await waitFor(() => received.includes(`watch MODIFIED ${release}`));
    expect(received).toEqual(["watch MODIFIED tls", "get tls +data", `watch MODIFIED ${release}`]);
    expect(held(c.store, "Secret", ns, release)).toBe(true);
    expect(c.store.get("Secret", ns, release)).toBeUndefined();
    await c.stop();
  });

  it("resumes every watcher about a second after a long cut ends, however far its backoff had grown (probe)", async () => {
    const ns = "kw-long-cut";
    await apply([m.service(ns, "web"), m.ingress(ns, "gone-during-cut")]);
    // Production backoff (0.5 s doubling to 30 s), with the probe and, for comparison, without it.
    const c = startController({ watchNamespaces: [ns], backoff: DEFAULT_WATCH_BACKOFF });
    const old = startController({
      watchNamespaces: [ns],
      backoff: DEFAULT_WATCH_BACKOFF,
      withoutProbe: true,
    });
    await Promise.all([c.ready(), old.ready()]);
    const changed = (x: Controller) =>
      !held(x.store, "Ingress", ns, "gone-during-cut") &&
      held(x.store, "Service", ns, "created-during-cut");
    await proxy.cut();
    await kubectlOk(cluster, ["delete", "ingress", "gone-during-cut", "-n", ns]);
    await apply([m.service(ns, "created-during-cut")]);
    // 20 s of failures: every watcher's next retry is now 8 to 16 s away.
    await sleep(20_000);
    expect(c.probe.unreachable).toBe(true);
    expect(changed(c) || changed(old)).toBe(false);
    const restoredAt = performance.now();
    await proxy.restore();
    const sinceRestore = async (x: Controller) => {
      await waitFor(() => changed(x), 30_000);
      return performance.now() - restoredAt;
    };
    const [withProbe, without] = await Promise.all([sinceRestore(c), sinceRestore(old)]);
    report(
      `20 s cut, backoff 0.5-30 s: changes made during it applied ${withProbe.toFixed(0)} ms after the link came back with the probe (${c.probe.probes} probes), ${without.toFixed(0)} ms without it`,
    );
    expect(withProbe).toBeLessThan(2500);
    expect(c.watchers.health().every(h => h.lists === 1)).toBe(true);
    await Promise.all([c.stop(), old.stop()]);
  });

  it("keeps up with a flapping link: a delete made during the last of many short cuts applies at once", async () => {
    const ns = "kw-flap";
    await apply([m.service(ns, "web"), m.ingress(ns, "flap")]);
    const c = startController({ watchNamespaces: [ns], backoff: DEFAULT_WATCH_BACKOFF });
    await c.ready();
    for (let i = 0; i < 6; i++) {
      await proxy.cut();
      await sleep(2000);
      await proxy.restore();
      await sleep(2000);
    }
    await proxy.cut();
    await kubectlOk(cluster, ["delete", "ingress", "flap", "-n", ns]);
    await sleep(2000);
    expect(held(c.store, "Ingress", ns, "flap")).toBe(true);
    const restoredAt = performance.now();
    await proxy.restore();
    await waitFor(() => !held(c.store, "Ingress", ns, "flap"), 20_000);
    const ms = performance.now() - restoredAt;
    const restarts = c.watchers.health().reduce((n, h) => n + h.restarts, 0);
    report(
      `flapping link (7 cuts of 2 s, 2 s apart), backoff 0.5-30 s: a delete made during the last cut applied ${ms.toFixed(0)} ms after the link came back (${restarts} restarts)`,
    );
    expect(ms).toBeLessThan(2500);
    await c.stop();
  });

  it("rides out an API server that hangs (accepts, never answers), and resumes when it answers", async () => {
    const ns = "kw-hang";
    await apply([m.service(ns, "before")]);
    // Short server-side watch timeouts, so that the watchdog finds the silent watches dead soon.
    const c = startController({
      watchNamespaces: [ns],
      backoff: DEFAULT_WATCH_BACKOFF,
      tuning: { watchTimeoutSeconds: { min: 1, max: 2 }, stallGraceMs: 1000 },
    });
    await c.ready();
    const restarts = () => c.watchers.health().reduce((n, h) => n + h.restarts, 0);
    const restartsBefore = restarts();
    await proxy.hang();
    const hungAt = performance.now();
    let restoredAt: number | undefined;
    try {
      await apply([m.service(ns, "during-hang")]);
      // The watchdog finds the silent watches dead and restarts them; a probe sent while one waits to
      // retry gets no answer either. How long that takes depends on the backoff drawn and on the
      // machine's load, so it is waited for, not given a fixed time.
      await waitFor(() => c.probe.unreachable && restarts() > restartsBefore, 30_000);
      expect(c.watchers.health().every(h => h.synced)).toBe(true);
      expect(held(c.store, "Service", ns, "before")).toBe(true);
      expect(held(c.store, "Service", ns, "during-hang")).toBe(false);
      restoredAt = performance.now();
      await proxy.restore();
    } finally {
      // A failure above must not leave the API server hung for the tests after this one.
      if (restoredAt === undefined) await proxy.restore();
    }
    await waitFor(() => held(c.store, "Service", ns, "during-hang"), 10_000);
    const ms = performance.now() - restoredAt;
    report(
      `API server hung for ${((restoredAt - hungAt) / 1000).toFixed(1)} s: a Service created meanwhile seen ${ms.toFixed(0)} ms after it answered again`,
    );
    expect(ms).toBeLessThan(2500);
    await c.stop();
  });

  it("recovers with backoff, without crashing, after the API server was down", async () => {
    const ns = "kw-outage";
    await apply([m.service(ns, "before")]);
    const c = startController({ watchNamespaces: [ns] });
    await c.watchers.waitSynced();
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on("unhandledRejection", onUnhandled);
    try {
      await cluster.stopApiServer();
      await new Promise(resolve => setTimeout(resolve, 4000));
      const down = c.watchers.health();
      expect(down.every(h => h.synced)).toBe(true);
      expect(down.every(h => h.restarts > 0 && h.lastError !== undefined)).toBe(true);
      expect(held(c.store, "Service", ns, "before")).toBe(true);
      const restartsDown = down.reduce((n, h) => n + h.restarts, 0);

      const startedAt = performance.now();
      await cluster.startApiServer();
      const readyMs = performance.now() - startedAt;
      await apply([m.service(ns, "after")]);
      const seenMs = await waitFor(() => held(c.store, "Service", ns, "after"), 10_000);
      await waitFor(() => c.watchers.health().every(h => h.lastError === undefined), 5_000);
      report(
        `outage: ${restartsDown} restarts in 4 s down (backoff capped at ${maxBackoffMs} ms); ` +
          `apiserver ready after ${readyMs.toFixed(0)} ms; a new Service seen ${seenMs.toFixed(0)} ms after kubectl exited`,
      );
      expect(seenMs).toBeLessThan(maxBackoffMs + 1000);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    await c.stop();
  });
});
