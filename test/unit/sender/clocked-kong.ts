/**
 * A Kong node whose `POST /config` takes time on the manual clock (`loadMs`), or until the test releases
 * it (`hold`): what pacing and event-to-push latency are measured against.
 */
import type { EncodedConfig, KongAdminApi } from "../../../src/kong/admin-client.ts";
import type { PushOutcome, ReadOutcome } from "../../../src/kong/outcome.ts";
import type { ConfigDump, RootInfo, StatusInfo } from "../../../src/kong/responses.ts";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import type { Clock } from "../../../src/util/clock.ts";

export class ClockedKong implements KongAdminApi {
  readonly url: string;
  hash = EMPTY_CONFIG_HASH;
  /** How long each POST takes on the clock. */
  loadMs = 0;
  /** POSTs wait for `release()` instead of `loadMs`. */
  hold = false;
  inFlight = 0;
  maxInFlight = 0;
  /** Every POST: the hash sent, when it started and when it was answered (undefined while in flight). */
  readonly posts: { hash: string; startedAt: number; endedAt?: number }[] = [];
  readonly #clock: Clock;
  readonly #release: (() => void)[] = [];

  constructor(clock: Clock, url = "http://kong.test:8001") {
    this.#clock = clock;
    this.url = url;
  }

  root(): Promise<ReadOutcome<RootInfo>> {
    return Promise.resolve({
      ok: true,
      value: {
        version: "3.9.1",
        configuration: { database: "off", proxy_listeners: [], stream_listeners: [] },
      },
    });
  }

  status(): Promise<ReadOutcome<StatusInfo>> {
    return Promise.resolve({ ok: true, value: { configuration_hash: this.hash } });
  }

  config(): Promise<ReadOutcome<ConfigDump>> {
    return Promise.resolve({ ok: true, value: { config: "_format_version: '3.0'\n" } });
  }

  async postConfig(config: EncodedConfig, signal?: AbortSignal): Promise<PushOutcome> {
    const post: { hash: string; startedAt: number; endedAt?: number } = {
      hash: config.hash,
      startedAt: this.#clock.now(),
    };
    this.posts.push(post);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hold) await new Promise<void>(resolve => this.#release.push(resolve));
      else if (this.loadMs > 0) await this.#clock.sleep(this.loadMs, signal);
    } finally {
      this.inFlight--;
      post.endedAt = this.#clock.now();
    }
    if (this.hash === config.hash) return { kind: "unchanged" };
    this.hash = config.hash;
    return { kind: "applied", status: 201 };
  }

  /** Answers the oldest held POST. */
  release(): void {
    this.#release.shift()?.();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
