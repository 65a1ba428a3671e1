/**
 * A Kong node's `GET /` as undici's MockAgent answers it, with listener entries exactly as Kong renders
 * them (the emulator's `listenersValue`), for listener discovery driven through the real Admin client.
 */
import type { MockAgent } from "undici";
import {
  DEFAULT_PROXY_LISTENERS,
  listenersValue,
  type ListenerSpec,
} from "../../support/kong-emulator/listeners.ts";

/** How the node answers the next `GET /`. */
export type RootBehaviour =
  | { readonly kind: "answer" }
  /** Connection refused: the pod is gone or restarting. */
  | { readonly kind: "down" }
  /** Accepts and never answers until the request is abandoned. */
  | { readonly kind: "hang" }
  | { readonly kind: "status"; readonly status: number; readonly body: unknown }
  /** Answers 200 with these keys merged into `configuration` (`undefined` removes a key). */
  | { readonly kind: "configuration"; readonly configuration: Record<string, unknown> };

export class ListenerKong {
  readonly origin: string;
  proxy: readonly ListenerSpec[] = DEFAULT_PROXY_LISTENERS;
  stream: readonly ListenerSpec[] = [];
  behaviour: RootBehaviour = { kind: "answer" };
  /** How many `GET /` reached the node. */
  asked = 0;

  constructor(agent: MockAgent, origin: string) {
    this.origin = origin;
    agent
      .get(origin)
      .intercept({ path: "/", method: "GET" })
      // undici hands the request's options to the callback, the abort signal included.
      .reply(opts => this.#reply((opts as { signal?: unknown }).signal))
      .persist();
  }

  #reply(signal: unknown): { statusCode: number; data: string } | Promise<never> {
    this.asked++;
    const behaviour = this.behaviour;
    switch (behaviour.kind) {
      case "down":
        throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      case "hang":
        return hangUntilAborted(signal);
      case "status":
        return { statusCode: behaviour.status, data: JSON.stringify(behaviour.body) };
      case "configuration":
        return { statusCode: 200, data: JSON.stringify(this.#root(behaviour.configuration)) };
      case "answer":
        return { statusCode: 200, data: JSON.stringify(this.#root({})) };
    }
  }

  #root(overrides: Record<string, unknown>): Record<string, unknown> {
    const configuration: Record<string, unknown> = {
      database: "off",
      role: "traditional",
      router_flavor: "traditional_compatible",
      proxy_listeners: listenersValue(this.proxy, "http"),
      stream_listeners: listenersValue(this.stream, "stream"),
    };
    for (const [key, value] of Object.entries(overrides)) {
      if (value === undefined) Reflect.deleteProperty(configuration, key);
      else configuration[key] = value;
    }
    return {
      tagline: "Welcome to kong",
      version: "3.9.1",
      node_id: "6f0a3c52-1d2e-4d43-9a0b-2b0b3e9c6d11",
      configuration,
    };
  }
}

function hangUntilAborted(signal: unknown): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (!(signal instanceof AbortSignal)) return;
    signal.addEventListener("abort", () => {
      reject(signal.reason as Error);
    });
  });
}
