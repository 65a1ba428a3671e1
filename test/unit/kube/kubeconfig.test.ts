import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { KubeConfigError } from "../../../src/kube/errors.ts";
import { resolveClusterAccess, type ClusterAccess } from "../../../src/kube/kubeconfig.ts";

const certs = new URL("../../fixtures/certs/", import.meta.url);
const pem = (name: string): Buffer => readFileSync(new URL(name, certs));
const b64 = (name: string): string => pem(name).toString("base64");

const root = mkdtempSync(join(tmpdir(), "kongress-kubeconfig-"));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let dirs = 0;
/** A fresh directory with the PEM files and a token file next to where kubeconfigs are written. */
function workdir(): string {
  const dir = join(root, String(dirs++));
  mkdirSync(join(dir, "pki"), { recursive: true });
  writeFileSync(join(dir, "pki", "ca.crt"), pem("api.crt"));
  writeFileSync(join(dir, "pki", "client.crt"), pem("shop.crt"));
  writeFileSync(join(dir, "pki", "client.key"), pem("shop.key"));
  writeFileSync(join(dir, "token"), "file-token\n");
  return dir;
}

function write(dir: string, name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === "string" ? doc : stringify(doc));
  return path;
}

/** One cluster, one user, one context, current. */
function config(opts: { cluster?: object; user?: object | null; server?: string } = {}) {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "c",
        cluster: { server: opts.server ?? "https://kube.example:6443", ...opts.cluster },
      },
    ],
    users: opts.user === null ? [] : [{ name: "u", user: opts.user ?? {} }],
    contexts: [
      { name: "x", context: { cluster: "c", ...(opts.user === null ? {} : { user: "u" }) } },
    ],
    "current-context": "x",
  };
}

function load(doc: unknown): ClusterAccess {
  const dir = workdir();
  return resolveClusterAccess({ kubeconfig: write(dir, "config", doc), env: {} });
}

function loadError(doc: unknown): string {
  try {
    load(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(KubeConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a KubeConfigError");
}

describe("resolveClusterAccess: credentials", () => {
  it.each([
    { form: "token", user: { token: "abc" }, expected: { kind: "token", token: "abc" } },
    {
      form: "token over tokenFile",
      user: { token: "abc", tokenFile: "token" },
      expected: { kind: "token", token: "abc" },
    },
    {
      form: "username and password",
      user: { username: "admin", password: "pw" },
      expected: { kind: "basic", username: "admin", password: "pw" },
    },
    { form: "an empty user", user: {}, expected: { kind: "none" } },
    { form: "no user at all", user: null, expected: { kind: "none" } },
  ])("$form", ({ user, expected }) => {
    expect(load(config({ user })).credentials).toEqual(expected);
  });

  it("a tokenFile, relative to the kubeconfig's directory", () => {
    const dir = workdir();
    const path = write(dir, "config", config({ user: { tokenFile: "token" } }));
    const access = resolveClusterAccess({ kubeconfig: path, env: {} });
    expect(access.credentials).toEqual({ kind: "token-file", path: join(dir, "token") });
  });

  it.each([
    {
      form: "inline data",
      user: { "client-certificate-data": b64("shop.crt"), "client-key-data": b64("shop.key") },
    },
    {
      form: "relative files",
      user: { "client-certificate": "pki/client.crt", "client-key": "pki/client.key" },
    },
  ])("a client certificate and key as $form", ({ user }) => {
    const access = load(config({ user }));
    expect(access.tls.cert?.equals(pem("shop.crt"))).toBe(true);
    expect(access.tls.key?.equals(pem("shop.key"))).toBe(true);
    expect(access.credentials).toEqual({ kind: "none" });
  });

  it.each([
    {
      form: "exec",
      user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "bin/get-token" } },
    },
    { form: "auth-provider", user: { "auth-provider": { name: "oidc", config: {} } } },
  ])("an $form user becomes a plugin credential for client-node", ({ user }) => {
    const dir = workdir();
    const path = write(dir, "config", config({ user }));
    const { credentials } = resolveClusterAccess({ kubeconfig: path, env: {} });
    expect(credentials.kind).toBe("plugin");
    const copy = JSON.parse(credentials.kind === "plugin" ? credentials.kubeconfig : "{}") as {
      clusters: unknown;
      users: unknown;
    };
    expect(copy.clusters).toEqual([
      { name: "cluster", cluster: { server: "https://kube.example:6443" } },
    ]);
    // A relative exec command runs from the kubeconfig's directory, as kubectl runs it.
    const expectedUser =
      "exec" in user ? { exec: { ...user.exec, command: join(dir, "bin/get-token") } } : user;
    expect(copy.users).toEqual([{ name: "user", user: expectedUser }]);
  });
});

describe("resolveClusterAccess: clusters", () => {
  it.each([
    {
      form: "certificate-authority-data",
      cluster: { "certificate-authority-data": b64("api.crt") },
      ca: true,
      insecure: false,
    },
    {
      form: "a relative certificate-authority file",
      cluster: { "certificate-authority": "pki/ca.crt" },
      ca: true,
      insecure: false,
    },
    {
      form: "insecure-skip-tls-verify",
      cluster: { "insecure-skip-tls-verify": true },
      ca: false,
      insecure: true,
    },
    { form: "the system's roots", cluster: {}, ca: false, insecure: false },
  ])("$form", ({ cluster, ca, insecure }) => {
    const { tls } = load(config({ cluster }));
    expect(tls.ca?.equals(pem("api.crt")) ?? false).toBe(ca);
    expect(tls.insecureSkipVerify).toBe(insecure);
  });

  it("tls-server-name, and a server URL without its trailing slash", () => {
    const access = load(
      config({
        server: "https://10.0.0.1:6443/prefix/",
        cluster: { "tls-server-name": "kube.internal" },
      }),
    );
    expect(access.server).toBe("https://10.0.0.1:6443/prefix");
    expect(access.tls.serverName).toBe("kube.internal");
  });

  it("names the file and context it came from", () => {
    const dir = workdir();
    const path = write(dir, "config", config({ user: { token: "t" } }));
    expect(resolveClusterAccess({ kubeconfig: path, env: {} }).source).toBe(
      `kubeconfig ${path} (context x)`,
    );
  });
});

describe("resolveClusterAccess: invalid kubeconfigs fail with what is wrong", () => {
  const base = config();
  it.each([
    { problem: "not YAML", doc: "clusters: [", message: "cannot read it" },
    { problem: "not a kubeconfig", doc: { clusters: "many" }, message: "clusters:" },
    {
      problem: "no current-context",
      doc: { ...base, "current-context": "" },
      message: "no current-context",
    },
    {
      problem: "an unknown context",
      doc: { ...base, "current-context": "y" },
      message: 'context "y"',
    },
    {
      problem: "an unknown cluster",
      doc: { ...base, contexts: [{ name: "x", context: { cluster: "nope", user: "u" } }] },
      message: 'cluster "nope" is not defined',
    },
    {
      problem: "an unknown user",
      doc: { ...base, contexts: [{ name: "x", context: { cluster: "c", user: "nope" } }] },
      message: 'user "nope" is not defined',
    },
    { problem: "no server", doc: config({ server: "" }), message: "has no server" },
    {
      problem: "a server that is no URL",
      doc: config({ server: "https://kube example" }),
      message: "not a URL",
    },
    {
      problem: "a server that is not http(s)",
      doc: config({ server: "ftp://kube" }),
      message: "neither http",
    },
    {
      problem: "a proxy-url",
      doc: config({ cluster: { "proxy-url": "http://proxy:3128" } }),
      message: "proxy-url is not supported",
    },
    {
      problem: "a CA and insecure-skip-tls-verify",
      doc: config({
        cluster: { "insecure-skip-tls-verify": true, "certificate-authority-data": b64("api.crt") },
      }),
      message: "both insecure-skip-tls-verify and a certificate-authority",
    },
    {
      problem: "CA data that is not PEM",
      doc: config({ cluster: { "certificate-authority-data": "bm90IGEgY2VydA==" } }),
      message: "certificate-authority-data is not base64-encoded PEM",
    },
    {
      problem: "a missing CA file",
      doc: config({ cluster: { "certificate-authority": "pki/nope.crt" } }),
      message: "pki/nope.crt: cannot read it",
    },
    {
      problem: "a certificate without its key",
      doc: config({ user: { "client-certificate-data": b64("shop.crt") } }),
      message: "not both",
    },
    {
      problem: "a token and a password",
      doc: config({ user: { token: "t", username: "u", password: "p" } }),
      message: "both a token and a username/password",
    },
    {
      problem: "a missing tokenFile",
      doc: config({ user: { tokenFile: "nope" } }),
      message: "does not exist",
    },
    {
      problem: "impersonation",
      doc: config({ user: { token: "t", as: "bob" } }),
      message: "impersonation",
    },
  ])("$problem", ({ doc, message }) => {
    expect(loadError(doc)).toContain(message);
  });

  it("--kubeconfig naming a file that does not exist", () => {
    expect(() => resolveClusterAccess({ kubeconfig: join(root, "nope"), env: {} })).toThrow(
      /--kubeconfig .*nope: the file does not exist/,
    );
  });
});

describe("resolveClusterAccess: where credentials are looked for", () => {
  /** A service-account mount, a home with ~/.kube/config, and two kubeconfigs, each naming its server. */
  function world() {
    const dir = workdir();
    const sa = join(dir, "serviceaccount");
    mkdirSync(sa);
    writeFileSync(join(sa, "token"), "sa-token");
    writeFileSync(join(sa, "ca.crt"), pem("api.crt"));
    mkdirSync(join(dir, "home", ".kube"), { recursive: true });
    write(dir, "home/.kube/config", config({ server: "https://home:6443" }));
    const flag = write(dir, "flag", config({ server: "https://flag:6443" }));
    const env = write(dir, "env", config({ server: "https://env:6443" }));
    const inCluster = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
    const resolveIn = (opts: { kubeconfig?: string; env: Record<string, string> }) =>
      resolveClusterAccess({ ...opts, serviceAccountDir: sa });
    return { dir, sa, flag, env, inCluster, home: join(dir, "home"), resolveIn };
  }

  it.each([
    {
      given: "everything",
      flag: true,
      kubeconfigEnv: true,
      inCluster: true,
      server: "https://flag:6443",
    },
    {
      given: "$KUBECONFIG, in-cluster and home",
      flag: false,
      kubeconfigEnv: true,
      inCluster: true,
      server: "https://env:6443",
    },
    {
      given: "in-cluster and home",
      flag: false,
      kubeconfigEnv: false,
      inCluster: true,
      server: "https://10.96.0.1:443",
    },
    {
      given: "only home",
      flag: false,
      kubeconfigEnv: false,
      inCluster: false,
      server: "https://home:6443",
    },
  ])("with $given: $server", ({ flag, kubeconfigEnv, inCluster, server }) => {
    const w = world();
    const access = w.resolveIn({
      ...(flag ? { kubeconfig: w.flag } : {}),
      env: {
        HOME: w.home,
        ...(kubeconfigEnv ? { KUBECONFIG: w.env } : {}),
        ...(inCluster ? w.inCluster : {}),
      },
    });
    expect(access.server).toBe(server);
  });

  it("uses the service account's token file (read again later) and CA in a pod", () => {
    const w = world();
    const access = w.resolveIn({ env: { ...w.inCluster, HOME: w.home } });
    expect(access).toMatchObject({
      source: "in-cluster service account",
      credentials: { kind: "token-file", path: join(w.sa, "token") },
      tls: { insecureSkipVerify: false },
    });
    expect(access.tls.ca?.equals(pem("api.crt"))).toBe(true);
  });

  it("brackets an IPv6 service host", () => {
    const w = world();
    const env = { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" };
    expect(w.resolveIn({ env }).server).toBe("https://[fd00::1]:443");
  });

  it("skips in-cluster when no token is mounted, and $KUBECONFIG when none of its files exists", () => {
    const w = world();
    rmSync(join(w.sa, "token"));
    const env = { ...w.inCluster, HOME: w.home, KUBECONFIG: join(w.dir, "missing") };
    expect(w.resolveIn({ env }).server).toBe("https://home:6443");
  });

  it("fails naming everything it tried when there are no credentials anywhere", () => {
    const w = world();
    rmSync(join(w.sa, "token"));
    const home = join(w.dir, "empty-home");
    const err = (() => {
      try {
        w.resolveIn({ env: { HOME: home, KUBECONFIG: join(w.dir, "missing") } });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(KubeConfigError);
    expect(err?.message).toContain("--kubeconfig: not given");
    expect(err?.message).toContain(`$KUBECONFIG: no such file ${join(w.dir, "missing")}`);
    expect(err?.message).toContain("in-cluster service account: KUBERNETES_SERVICE_HOST");
    expect(err?.message).toContain(`${join(home, ".kube", "config")}: does not exist`);
  });

  it("merges the $KUBECONFIG list as kubectl does: first name and first current-context win", () => {
    const w = world();
    const first = write(w.dir, "first", {
      clusters: [{ name: "shared", cluster: { server: "https://first:6443" } }],
      users: [{ name: "me", user: { tokenFile: "token" } }],
      "current-context": "from-second",
    });
    mkdirSync(join(w.dir, "second"));
    writeFileSync(join(w.dir, "second", "token"), "t");
    const second = write(w.dir, "second/config", {
      clusters: [{ name: "shared", cluster: { server: "https://second:6443" } }],
      users: [{ name: "me", user: { token: "ignored" } }],
      contexts: [{ name: "from-second", context: { cluster: "shared", user: "me" } }],
      "current-context": "ignored",
    });
    const list = [join(w.dir, "missing"), first, second].join(":");
    const access = w.resolveIn({ env: { KUBECONFIG: list } });
    expect(access.server).toBe("https://first:6443");
    expect(access.credentials).toEqual({ kind: "token-file", path: join(w.dir, "token") });
    expect(access.source).toBe(`kubeconfig ${first}, ${second} (context from-second)`);
  });
});
