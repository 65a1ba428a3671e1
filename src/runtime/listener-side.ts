/**
 * Which Gateway listeners Kong can serve, as translation needs it (incident d): listener discovery asks
 * every Kong that answers for its listens (`GET /`, on clients of its own so that a long push never
 * holds the question up), and the publish Service says which of its ports lead where. The answer may
 * be unknown (no Kong answers, they disagree): translation then reports listeners Pending, never
 * UnsupportedProtocol, and a change of the answer is a change of translation input like any object's.
 * The same answers say which router Kong runs (`router_flavor`), which decides how routes are written,
 * and which plugins it has, which decides which plugin objects can be sent at all.
 */
import type { Logger } from "pino";
import type { KongAdminApi } from "../kong/admin-client.ts";
import {
  isGatewayListenerProtocol,
  listenerProgrammability,
  type KongListenersView,
  type PublishService,
} from "../kong/listeners.ts";
import { flavorProblems, type KongRouterFlavor } from "../kong/router-flavor.ts";
import type { Service } from "../model/k8s.ts";
import type { GatewayState } from "../sender/gateway-state.ts";
import { ListenerDiscovery } from "../sender/listener-discovery.ts";
import type { Sender } from "../sender/sender.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { ListenerSupportOf } from "../translator/gateway/listeners.ts";
import type { Clock } from "../util/clock.ts";

export interface ListenerSideOptions {
  readonly sender: Pick<Sender, "subscribe" | "view">;
  /** A client of each Kong's Admin API by display URL, apart from the sender's. */
  readonly clientOf: (url: string) => KongAdminApi | undefined;
  /** `--publish-service`, when its ports are to be matched (see PublishService). */
  readonly publishService: string | undefined;
  readonly metrics: Pick<
    Metrics,
    "kongListenersState" | "routerFlavor" | "kongRouterFlavorMismatch"
  >;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  /** Told whenever the answer changes: translation input changed. */
  readonly onChange: () => void;
}

/** A Kong that answers: it runs a config of ours, or told us why not. */
function answers(g: GatewayState): boolean {
  if (g.phase === "synced") return true;
  if (g.phase === "failing") return g.code !== "ERR_KONG_UNREACHABLE";
  return g.hash !== undefined;
}

/** Gateway listeners served as `view` and `publish` say. */
export function supportFrom(view: KongListenersView, publish: PublishService): ListenerSupportOf {
  return listener => {
    // Other protocols are refused by translation itself, before Kong is asked.
    if (!isGatewayListenerProtocol(listener.protocol)) return { state: "programmable" };
    const answer = listenerProgrammability(view, publish, {
      port: listener.port,
      protocol: listener.protocol,
    });
    if ("pending" in answer) return { state: "pending", message: answer.message };
    if (answer.programmable) return { state: "programmable" };
    return { state: "unsupported", reason: answer.reason, message: answer.message };
  };
}

export class ListenerSide {
  readonly #opts: ListenerSideOptions;
  readonly #discovery: ListenerDiscovery;
  #ready: readonly string[] = [];
  #publish: PublishService;
  #version = 0;
  #support: ListenerSupportOf;
  #unsubscribe: (() => void) | undefined;

  constructor(opts: ListenerSideOptions) {
    this.#opts = opts;
    this.#publish =
      opts.publishService === undefined
        ? { kind: "none" }
        : { kind: "missing", name: opts.publishService };
    this.#discovery = new ListenerDiscovery({
      readyKongs: () =>
        this.#ready.flatMap(url => {
          const client = opts.clientOf(url);
          return client === undefined ? [] : [client];
        }),
      clock: opts.clock,
      logger: opts.logger,
      random: opts.random,
      stateGauge: opts.metrics.kongListenersState,
      flavorGauges: {
        flavor: opts.metrics.routerFlavor,
        mismatch: opts.metrics.kongRouterFlavorMismatch,
      },
    });
    this.#support = supportFrom(this.#discovery.view, this.#publish);
    this.#discovery.subscribe(() => {
      this.#changed();
    });
  }

  /** What translation asks about each Gateway listener now. */
  support(): ListenerSupportOf {
    return this.#support;
  }

  /** Kong's router flavour: translation writes routes for it (the last every Kong agreed on). */
  routerFlavor(): KongRouterFlavor {
    return this.#discovery.routerFlavor.flavor;
  }

  /**
   * The plugins every Kong that said has (the same array until that changes); undefined while none
   * has: translation then lets Kong judge plugins it does not know.
   */
  availablePlugins(): readonly string[] | undefined {
    return this.#discovery.availablePlugins;
  }

  /** One readiness reason per Kong whose router flavour differs from the others'. */
  flavorProblems(): string[] {
    return flavorProblems(this.#discovery.routerFlavor);
  }

  /**
   * Increases whenever {@link support}, {@link routerFlavor} or {@link availablePlugins} would answer
   * differently.
   */
  get version(): number {
    return this.#version;
  }

  get view(): KongListenersView {
    return this.#discovery.view;
  }

  /** The publish Service as the watch last saw it (undefined: not there). */
  publishServiceChanged(service: Service | undefined): void {
    const name = this.#opts.publishService;
    if (name === undefined) return;
    this.#publish =
      service === undefined
        ? { kind: "missing", name }
        : { kind: "service", name, ports: service.spec.ports ?? [] };
    this.#changed();
  }

  start(): void {
    this.#unsubscribe = this.#opts.sender.subscribe(view => {
      const ready = view.gateways.filter(answers).map(g => g.url);
      if (ready.join("\n") === this.#ready.join("\n")) return;
      this.#ready = ready;
      // REQ-D3: any change in the set of Kongs that answer asks again at once.
      this.#discovery.readyKongsChanged();
    });
    this.#discovery.start();
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.#discovery.stop();
  }

  #changed(): void {
    this.#support = supportFrom(this.#discovery.view, this.#publish);
    this.#version++;
    this.#opts.onChange();
  }
}
