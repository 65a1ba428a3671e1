/**
 * Turns the credentials found by kubeconfig.ts into the headers of each request. Only a user with an
 * `exec` or `auth-provider` section loads @kubernetes/client-node, on its first request: its import
 * costs about 80 MiB (the generated API models come with its KubeConfig), which no other user pays.
 */
import { readFile } from "node:fs/promises";
import type { Clock } from "../util/clock.ts";
import { KubeConfigError } from "./errors.ts";
import type { Credentials } from "./kubeconfig.ts";

/** Produces the authentication headers for the next request. */
export interface Authenticator {
  /** Rejects with KubeConfigError when no credentials can be had right now (the caller retries). */
  headers(): Promise<Readonly<Record<string, string>>>;
}

export interface AuthenticatorOptions {
  readonly clock: Pick<Clock, "now">;
  /** How long a token read from a file is used before the file is read again (client-go: 1 min). */
  readonly tokenFileRefreshMs?: number;
}

const DEFAULT_TOKEN_FILE_REFRESH_MS = 60_000;
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export function createAuthenticator(
  credentials: Credentials,
  opts: AuthenticatorOptions,
): Authenticator {
  switch (credentials.kind) {
    case "none":
      return { headers: () => Promise.resolve(NO_HEADERS) };
    case "token": {
      const headers = Object.freeze({ Authorization: `Bearer ${credentials.token}` });
      return { headers: () => Promise.resolve(headers) };
    }
    case "basic": {
      const pair = `${credentials.username}:${credentials.password}`;
      const headers = Object.freeze({
        Authorization: `Basic ${Buffer.from(pair).toString("base64")}`,
      });
      return { headers: () => Promise.resolve(headers) };
    }
    case "token-file":
      return new TokenFileAuthenticator(credentials.path, opts);
    case "plugin":
      return new PluginAuthenticator(credentials.kubeconfig);
  }
}

/** A bearer token read from a file, read again once it is older than the refresh period. */
class TokenFileAuthenticator implements Authenticator {
  readonly #path: string;
  readonly #clock: Pick<Clock, "now">;
  readonly #refreshMs: number;
  #token: { value: string; readAt: number } | undefined;
  #reading: Promise<string> | undefined;

  constructor(path: string, opts: AuthenticatorOptions) {
    this.#path = path;
    this.#clock = opts.clock;
    this.#refreshMs = opts.tokenFileRefreshMs ?? DEFAULT_TOKEN_FILE_REFRESH_MS;
  }

  async headers(): Promise<Readonly<Record<string, string>>> {
    const token = this.#token;
    const fresh = token !== undefined && this.#clock.now() - token.readAt < this.#refreshMs;
    const value = fresh ? token.value : await (this.#reading ??= this.#read());
    return { Authorization: `Bearer ${value}` };
  }

  async #read(): Promise<string> {
    try {
      const value = (await readFile(this.#path, "utf8")).trim();
      if (value === "") throw new Error("the file is empty");
      this.#token = { value, readAt: this.#clock.now() };
      return value;
    } catch (err) {
      // A token that was good a minute ago beats none: the kubelet rewrites the file atomically, so a
      // failed read is rare and passing; the next request tries again.
      if (this.#token !== undefined) return this.#token.value;
      const detail = err instanceof Error ? err.message : String(err);
      throw new KubeConfigError(`Cannot read the token file ${this.#path}: ${detail}`, {
        cause: err,
      });
    } finally {
      this.#reading = undefined;
    }
  }
}

/** What this file uses of client-node's KubeConfig. */
interface PluginConfig {
  loadFromString(text: string): void;
  applyToHTTPSOptions(opts: {
    headers?: Record<string, unknown>;
    cert?: unknown;
    key?: unknown;
  }): Promise<void>;
}

/** Runs the `exec` plugin or `auth-provider` through client-node, which caches what they return. */
class PluginAuthenticator implements Authenticator {
  readonly #kubeconfig: string;
  #config: Promise<PluginConfig> | undefined;

  constructor(kubeconfig: string) {
    this.#kubeconfig = kubeconfig;
  }

  async headers(): Promise<Readonly<Record<string, string>>> {
    this.#config ??= this.#load();
    const config = await this.#config;
    const opts: Parameters<PluginConfig["applyToHTTPSOptions"]>[0] = {};
    try {
      await config.applyToHTTPSOptions(opts);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new KubeConfigError(`The credential plugin failed: ${detail}`, { cause: err });
    }
    if (opts.cert !== undefined || opts.key !== undefined)
      throw new KubeConfigError(
        "The credential plugin returned a client certificate, which is not supported; only tokens are",
      );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(opts.headers ?? {}))
      if (typeof value === "string") headers[name] = value;
    return headers;
  }

  async #load(): Promise<PluginConfig> {
    const { KubeConfig } = await import("@kubernetes/client-node");
    const config: PluginConfig = new KubeConfig();
    config.loadFromString(this.#kubeconfig);
    return config;
  }
}
