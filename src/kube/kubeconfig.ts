/**
 * Where the API server is and how to authenticate to it, found the way controllers built on client-go
 * find it (controller-runtime's GetConfig): `--kubeconfig`; else the files in `$KUBECONFIG`; else the
 * in-cluster service account; else `~/.kube/config`. Start-up fails here, naming every place looked at,
 * rather than later with an unreachable default.
 *
 * The forms real kubeconfigs use are read here without a Kubernetes client library: server, CA (file
 * or data), insecure-skip-tls-verify, tls-server-name, client certificate and key (file or data),
 * token, tokenFile, username and password. A user with an `exec` or `auth-provider` section becomes a
 * "plugin" credential that credentials.ts hands to client-node, loaded only for such users.
 *
 * `$KUBECONFIG` is a list, merged as kubectl merges it: files that do not exist are skipped, the first
 * file to define a cluster, user or context name wins, and so does the first `current-context`.
 * Relative paths in a file are relative to that file's directory.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { KubeConfigError } from "./errors.ts";

/** Where a pod's service-account token, CA and namespace are mounted. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface TlsSettings {
  /** PEM; undefined trusts the system's roots. */
  readonly ca?: Buffer | undefined;
  /** Client certificate and key, PEM; both or neither. */
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  readonly insecureSkipVerify: boolean;
  /** The name the server certificate is checked against (and sent as SNI) instead of the URL's host. */
  readonly serverName?: string | undefined;
}

export type Credentials =
  | { readonly kind: "none" }
  | { readonly kind: "token"; readonly token: string }
  /** Read again now and then: a projected service-account token is rotated in place. */
  | { readonly kind: "token-file"; readonly path: string }
  | { readonly kind: "basic"; readonly username: string; readonly password: string }
  /** `exec` or `auth-provider`: a kubeconfig holding just this user, for client-node to run. */
  | { readonly kind: "plugin"; readonly kubeconfig: string };

/** Everything needed to reach one API server. */
export interface ClusterAccess {
  /** Where it came from, for logs: `kubeconfig /path (context x)` or `in-cluster service account`. */
  readonly source: string;
  /** The server URL without a trailing slash. */
  readonly server: string;
  readonly tls: TlsSettings;
  readonly credentials: Credentials;
}

export interface ResolveClusterAccessOptions {
  /** `--kubeconfig`: used alone when given, and must exist. */
  readonly kubeconfig?: string | undefined;
  /** Read for KUBECONFIG, KUBERNETES_SERVICE_HOST/PORT and HOME. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Tests point this at a directory of their own. */
  readonly serviceAccountDir?: string;
}

const clusterSchema = z.object({
  server: z.string().optional(),
  "certificate-authority": z.string().optional(),
  "certificate-authority-data": z.string().optional(),
  "insecure-skip-tls-verify": z.boolean().optional(),
  "tls-server-name": z.string().optional(),
  "proxy-url": z.string().optional(),
});

const userSchema = z.object({
  "client-certificate": z.string().optional(),
  "client-certificate-data": z.string().optional(),
  "client-key": z.string().optional(),
  "client-key-data": z.string().optional(),
  token: z.string().optional(),
  tokenFile: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  exec: z.record(z.string(), z.unknown()).optional(),
  "auth-provider": z.record(z.string(), z.unknown()).optional(),
  as: z.string().optional(),
  "as-groups": z.array(z.string()).optional(),
});

const fileSchema = z.object({
  clusters: z.array(z.object({ name: z.string(), cluster: clusterSchema })).nullish(),
  users: z.array(z.object({ name: z.string(), user: userSchema.nullish() })).nullish(),
  contexts: z
    .array(
      z.object({
        name: z.string(),
        context: z.object({ cluster: z.string(), user: z.string().nullish() }),
      }),
    )
    .nullish(),
  "current-context": z.string().nullish(),
});

type ClusterEntry = z.infer<typeof clusterSchema>;
type UserEntry = z.infer<typeof userSchema>;

/** A named entry and the file it came from (relative paths resolve against its directory). */
interface Sourced<T> {
  readonly value: T;
  readonly file: string;
}

interface MergedConfig {
  readonly clusters: Map<string, Sourced<ClusterEntry>>;
  readonly users: Map<string, Sourced<UserEntry>>;
  readonly contexts: Map<string, { cluster: string; user: string | undefined }>;
  currentContext: string | undefined;
}

/** Finds the credentials, or throws KubeConfigError saying what was tried. */
export function resolveClusterAccess(opts: ResolveClusterAccessOptions): ClusterAccess {
  if (opts.kubeconfig !== undefined) {
    if (!existsSync(opts.kubeconfig))
      throw new KubeConfigError(`--kubeconfig ${opts.kubeconfig}: the file does not exist`);
    return fromFiles([opts.kubeconfig]);
  }
  const tried = ["--kubeconfig: not given"];
  const listed = (opts.env["KUBECONFIG"] ?? "").split(delimiter).filter(p => p !== "");
  const existing = listed.filter(p => existsSync(p));
  if (existing.length > 0) return fromFiles(existing);
  tried.push(
    listed.length === 0 ? "$KUBECONFIG: not set" : `$KUBECONFIG: no such file ${listed.join(", ")}`,
  );
  const inCluster = inClusterAccess(opts.env, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  if (typeof inCluster !== "string") return inCluster;
  tried.push(`in-cluster service account: ${inCluster}`);
  const home = opts.env["HOME"] ?? homedir();
  const defaultPath = join(home, ".kube", "config");
  if (existsSync(defaultPath)) return fromFiles([defaultPath]);
  tried.push(`${defaultPath}: does not exist`);
  throw new KubeConfigError(
    `No Kubernetes credentials found. Tried ${tried.join("; ")}. Pass --kubeconfig, set KUBECONFIG, or run in a pod with a service account.`,
  );
}

/** The pod's own service account; a string says why it is not available. */
function inClusterAccess(
  env: Readonly<Record<string, string | undefined>>,
  dir: string,
): ClusterAccess | string {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  if (host === undefined || host === "" || port === undefined || port === "")
    return "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not in a pod)";
  const tokenPath = join(dir, "token");
  if (!existsSync(tokenPath))
    return `${tokenPath} does not exist (no service-account token mounted)`;
  const caPath = join(dir, "ca.crt");
  return {
    source: "in-cluster service account",
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    // Without the CA file the system's roots are used, as client-go does.
    tls: {
      ca: existsSync(caPath) ? readPem(caPath, "the service-account CA") : undefined,
      insecureSkipVerify: false,
    },
    credentials: { kind: "token-file", path: tokenPath },
  };
}

function fromFiles(paths: readonly string[]): ClusterAccess {
  const merged: MergedConfig = {
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    currentContext: undefined,
  };
  for (const path of paths) mergeFile(merged, path);
  const files = paths.join(", ");
  const contextName = merged.currentContext;
  if (contextName === undefined || contextName === "")
    throw new KubeConfigError(`kubeconfig ${files}: no current-context is set`);
  const context = merged.contexts.get(contextName);
  if (context === undefined)
    throw new KubeConfigError(`kubeconfig ${files}: context "${contextName}" is not defined`);
  const where = `kubeconfig ${files} (context ${contextName})`;
  const cluster = merged.clusters.get(context.cluster);
  if (cluster === undefined)
    throw new KubeConfigError(`${where}: cluster "${context.cluster}" is not defined`);
  const user = context.user === undefined ? undefined : merged.users.get(context.user);
  if (context.user !== undefined && user === undefined)
    throw new KubeConfigError(`${where}: user "${context.user}" is not defined`);
  try {
    const server = serverOf(cluster.value);
    return {
      source: where,
      server,
      tls: { ...clusterTls(cluster), ...(user === undefined ? {} : clientCertificate(user)) },
      credentials: user === undefined ? { kind: "none" } : credentialsOf(user, server),
    };
  } catch (err) {
    if (err instanceof KubeConfigError)
      throw new KubeConfigError(`${where}: ${err.message}`, { cause: err });
    throw err;
  }
}

function mergeFile(merged: MergedConfig, path: string): void {
  const config = readConfigFile(path);
  const file = resolve(path);
  for (const c of config.clusters ?? [])
    firstWins(merged.clusters, c.name, { value: c.cluster, file });
  for (const u of config.users ?? [])
    firstWins(merged.users, u.name, { value: u.user ?? {}, file });
  for (const c of config.contexts ?? []) {
    const user = c.context.user ?? "";
    firstWins(merged.contexts, c.name, {
      cluster: c.context.cluster,
      user: user === "" ? undefined : user,
    });
  }
  const current = config["current-context"] ?? "";
  if (merged.currentContext === undefined && current !== "") merged.currentContext = current;
}

/** kubectl's merge rule: the first file to define a name wins. */
function firstWins<T>(map: Map<string, T>, name: string, value: T): void {
  if (!map.has(name)) map.set(name, value);
}

function readConfigFile(path: string): z.infer<typeof fileSchema> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, "utf8")) ?? {};
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${path}: cannot read it: ${messageOf(err)}`, {
      cause: err,
    });
  }
  const parsed = fileSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
  throw new KubeConfigError(`kubeconfig ${path}: ${at}${issue?.message ?? "invalid"}`);
}

function serverOf(cluster: ClusterEntry): string {
  const server = cluster.server ?? "";
  if (server === "") throw new KubeConfigError("the cluster has no server");
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeConfigError(`the cluster's server "${server}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new KubeConfigError(`the cluster's server "${server}" is neither http nor https`);
  if (cluster["proxy-url"] !== undefined)
    throw new KubeConfigError("the cluster's proxy-url is not supported");
  return server.replace(/\/+$/, "");
}

function clusterTls(cluster: Sourced<ClusterEntry>): TlsSettings {
  const c = cluster.value;
  const insecureSkipVerify = c["insecure-skip-tls-verify"] === true;
  const ca = pemOf(cluster.file, "certificate-authority", {
    data: c["certificate-authority-data"],
    path: c["certificate-authority"],
  });
  // kubectl refuses this pair too: trusting a CA and trusting anything contradict each other.
  if (insecureSkipVerify && ca !== undefined)
    throw new KubeConfigError(
      "the cluster sets both insecure-skip-tls-verify and a certificate-authority",
    );
  const serverName = c["tls-server-name"];
  return { ca, insecureSkipVerify, ...(serverName ? { serverName } : {}) };
}

function clientCertificate(user: Sourced<UserEntry>): Pick<TlsSettings, "cert" | "key"> {
  const u = user.value;
  const cert = pemOf(user.file, "client-certificate", {
    data: u["client-certificate-data"],
    path: u["client-certificate"],
  });
  const key = pemOf(user.file, "client-key", { data: u["client-key-data"], path: u["client-key"] });
  if ((cert === undefined) !== (key === undefined))
    throw new KubeConfigError("the user has a client certificate or key, but not both");
  return cert === undefined ? {} : { cert, key };
}

function credentialsOf(user: Sourced<UserEntry>, server: string): Credentials {
  const u = user.value;
  if (u.as !== undefined || u["as-groups"] !== undefined)
    throw new KubeConfigError("impersonation (as, as-groups) is not supported");
  if (u.exec !== undefined || u["auth-provider"] !== undefined)
    return { kind: "plugin", kubeconfig: pluginKubeconfig(user, server) };
  const token = tokenCredentials(user);
  const basic = nonEmpty(u.username) || nonEmpty(u.password);
  if (token !== undefined && basic)
    throw new KubeConfigError("the user sets both a token and a username/password");
  if (token !== undefined) return token;
  if (basic) return { kind: "basic", username: u.username ?? "", password: u.password ?? "" };
  return { kind: "none" };
}

/** `token` wins over `tokenFile`, as in client-go. */
function tokenCredentials(user: Sourced<UserEntry>): Credentials | undefined {
  const { token, tokenFile } = user.value;
  if (token !== undefined && token !== "") return { kind: "token", token };
  if (tokenFile === undefined || tokenFile === "") return undefined;
  const path = relativeTo(user.file, tokenFile);
  if (!existsSync(path)) throw new KubeConfigError(`tokenFile ${path} does not exist`);
  return { kind: "token-file", path };
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== "";
}

/**
 * A kubeconfig of this one user for client-node. kubectl runs an exec command given as a relative path
 * containing a separator relative to the kubeconfig's directory; the copy says so with an absolute path.
 */
function pluginKubeconfig(user: Sourced<UserEntry>, server: string): string {
  const { exec } = user.value;
  const command = exec?.["command"];
  const execCopy =
    exec !== undefined && typeof command === "string" && command.includes(sep)
      ? { ...exec, command: relativeTo(user.file, command) }
      : exec;
  const raw = {
    ...(execCopy === undefined ? {} : { exec: execCopy }),
    ...(user.value["auth-provider"] === undefined
      ? {}
      : { "auth-provider": user.value["auth-provider"] }),
  };
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "cluster", cluster: { server } }],
    users: [{ name: "user", user: raw }],
    contexts: [{ name: "context", context: { cluster: "cluster", user: "user" } }],
    "current-context": "context",
  });
}

/** Inline base64 data wins over a file, as in client-go. */
function pemOf(
  file: string,
  field: string,
  source: { data: string | undefined; path: string | undefined },
): Buffer | undefined {
  if (source.data !== undefined && source.data !== "") {
    const pem = Buffer.from(source.data, "base64");
    if (!pem.toString("latin1").includes("-----BEGIN "))
      throw new KubeConfigError(`${field}-data is not base64-encoded PEM`);
    return pem;
  }
  if (source.path === undefined || source.path === "") return undefined;
  return readPem(relativeTo(file, source.path), field);
}

function readPem(path: string, what: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    throw new KubeConfigError(`${what} ${path}: cannot read it: ${messageOf(err)}`, {
      cause: err,
    });
  }
  if (!pem.toString("latin1").includes("-----BEGIN "))
    throw new KubeConfigError(`${what} ${path} is not PEM`);
  return pem;
}

function relativeTo(file: string, path: string): string {
  return isAbsolute(path) ? path : join(dirname(file), path);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
