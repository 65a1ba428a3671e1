/**
 * What `--dump-config` serves under /debug/config/: the newest config a Kong node confirmed running,
 * the newest one Kong rejected, and what the fallback left out and why (KIC's diagnostics server).
 * Fed from the same translations and sender views as status; hashes are computed only here, and only
 * when dumps are enabled. Unless --dump-sensitive-config is set, every dump is redacted here, and only
 * here: configs by their structure (src/kong/redact.ts), and every string of the fallback report loses
 * the secret values Kong's messages may quote and any PEM private key.
 */
import { encodeConfig } from "../kong/admin-client.ts";
import { redactConfig, scrubDeep, secretValues } from "../kong/redact.ts";
import { refKey } from "../model/object-ref.ts";
import type { SenderView } from "../sender/gateway-state.ts";
import type { ConfigDump, ConfigDumpSource } from "../telemetry/health-server.ts";
import type { TranslationResult } from "../translator/types.ts";

export interface ConfigDumpsOptions {
  /** --dump-sensitive-config: serve credentials, keys and Secret-fed plugin config as they are. */
  readonly sensitive: boolean;
}

export class ConfigDumps implements ConfigDumpSource {
  readonly #sensitive: boolean;
  /** Redacted copies, made when a dump is first asked for. */
  readonly #redacted = new WeakMap<ConfigDump, ConfigDump>();
  #latest: ConfigDump | undefined;
  #successful: ConfigDump | undefined;
  #failed: ConfigDump | undefined;
  #view: SenderView | undefined;

  constructor(options: ConfigDumpsOptions = { sensitive: false }) {
    this.#sensitive = options.sensitive;
  }

  /** A new translation went to the sender. */
  translated(result: TranslationResult): void {
    this.#latest = { hash: encodeConfig(result.config).hash, config: result.config };
    if (this.#view !== undefined) this.viewChanged(this.#view);
  }

  /** The sender's view changed. */
  viewChanged(view: SenderView): void {
    this.#view = view;
    const latest = this.#latest;
    if (latest === undefined) return;
    if (view.gateways.some(g => g.phase === "synced" && g.hash === latest.hash)) {
      this.#successful = latest;
    }
    const refused = view.gateways.some(g => g.degraded !== undefined);
    if (view.rejectedObjects.length > 0 || (refused && this.#successful !== latest)) {
      this.#failed = latest;
    }
  }

  successful(): ConfigDump | undefined {
    return this.#served(this.#successful);
  }

  failed(): ConfigDump | undefined {
    return this.#served(this.#failed);
  }

  #served(dump: ConfigDump | undefined): ConfigDump | undefined {
    if (dump === undefined || this.#sensitive) return dump;
    let redacted = this.#redacted.get(dump);
    if (redacted === undefined) {
      redacted = { hash: dump.hash, config: redactConfig(dump.config) };
      this.#redacted.set(dump, redacted);
    }
    return redacted;
  }

  /** Kong's messages about a config may quote its secrets (`... key set to '<key>'`). */
  #scrub<T>(report: T): T {
    if (this.#sensitive) return report;
    const secrets = new Set<string>();
    for (const dump of [this.#latest, this.#successful, this.#failed]) {
      for (const value of secretValues(dump?.config)) secrets.add(value);
    }
    return scrubDeep(report, secrets) as T;
  }

  fallback(): unknown {
    const view = this.#view;
    if (view === undefined) return undefined;
    const degraded = view.gateways.filter(g => g.degraded !== undefined);
    if (degraded.length === 0 && view.rejectedObjects.length === 0) return undefined;
    return this.#scrub({
      gateways: degraded.map(g => ({
        url: g.url,
        runs: g.config,
        hash: g.hash,
        reason: g.degraded,
      })),
      rejectedObjects: view.rejectedObjects.map(f => ({
        object: refKey(f.ref),
        messages: f.messages,
      })),
    });
  }
}
