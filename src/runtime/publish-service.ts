/**
 * Watches the `--publish-service` Service, whose addresses go on Ingress status. It usually lives in
 * the controller's own namespace, outside `--watch-namespace`, and no Ingress references it, so the
 * store neither holds it nor reports its changes: it gets a reflector of its own.
 */
import type { Logger } from "pino";
import type { RetryGate } from "../kube/backoff.ts";
import type { KubeApi } from "../kube/client.ts";
import { SERVICE, type WatchedKind } from "../kube/kinds.ts";
import { Reflector, type ObjectName, type ReflectorSink } from "../kube/reflector.ts";
import type { Service } from "../model/k8s.ts";
import { parseSupportedObject } from "../model/parse.ts";
import type { Clock } from "../util/clock.ts";

export interface PublishServiceWatchOptions {
  readonly api: KubeApi;
  readonly service: { readonly namespace: string; readonly name: string };
  /** Called with the Service after every change, and with undefined once it is deleted. */
  readonly onChange: (service: Service | undefined) => void;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** Where retries wait (the API server probe shared with the other watchers). */
  readonly gate?: RetryGate;
}

/** A sink that keeps only the one Service and reports its changes. */
class OneServiceSink implements ReflectorSink {
  readonly #o: PublishServiceWatchOptions;
  #held: Service | undefined;

  constructor(options: PublishServiceWatchOptions) {
    this.#o = options;
  }

  upsert(_kind: WatchedKind, raw: unknown): void {
    const parsed = parseSupportedObject(raw);
    if (!parsed.ok || parsed.object.kind !== "Service") return;
    const service = parsed.object;
    if (service.metadata.name !== this.#o.service.name) return;
    if (service.metadata.resourceVersion === this.#held?.metadata.resourceVersion) return;
    this.#held = service;
    this.#o.onChange(service);
  }

  remove(_kind: WatchedKind, name: ObjectName): void {
    if (name.name !== this.#o.service.name || this.#held === undefined) return;
    this.#held = undefined;
    this.#o.onChange(undefined);
  }

  names(): readonly ObjectName[] {
    return this.#held === undefined ? [] : [this.#o.service];
  }
}

/** Lists and watches the Services of the publish Service's namespace, keeping only that one. */
export function watchPublishService(options: PublishServiceWatchOptions): Reflector {
  return new Reflector({
    api: options.api,
    scope: { kind: SERVICE, namespace: options.service.namespace },
    sink: new OneServiceSink(options),
    clock: options.clock,
    random: options.random,
    logger: options.logger.child({ publishService: true }),
    ...(options.gate === undefined ? {} : { gate: options.gate }),
  });
}
