/**
 * What `--dump-config` serves under /debug/config/: the newest config a Kong node confirmed running,
 * the newest one Kong rejected, and what the fallback left out and why (KIC's diagnostics server).
 * Fed from the same translations and sender views as status; hashes are computed only here, and only
 * when dumps are enabled.
 */
import { encodeConfig } from "../kong/admin-client.ts";
import { refKey } from "../model/object-ref.ts";
import type { SenderView } from "../sender/gateway-state.ts";
import type { ConfigDump, ConfigDumpSource } from "../telemetry/health-server.ts";
import type { TranslationResult } from "../translator/types.ts";

export class ConfigDumps implements ConfigDumpSource {
  #latest: ConfigDump | undefined;
  #successful: ConfigDump | undefined;
  #failed: ConfigDump | undefined;
  #view: SenderView | undefined;

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
    return this.#successful;
  }

  failed(): ConfigDump | undefined {
    return this.#failed;
  }

  fallback(): unknown {
    const view = this.#view;
    if (view === undefined) return undefined;
    const degraded = view.gateways.filter(g => g.degraded !== undefined);
    if (degraded.length === 0 && view.rejectedObjects.length === 0) return undefined;
    return {
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
    };
  }
}
