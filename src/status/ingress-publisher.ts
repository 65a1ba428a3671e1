/**
 * Decides which Ingresses get which `status.loadBalancer`, from the config Kong last accepted and the
 * published addresses, and hands that to the status writer (which writes only what the cluster does
 * not show yet). Incident c (incidents-and-gateway-api.md): every accepted apply — primary, fallback
 * or last-known-good — replaces the configured set atomically, and "nothing applied yet" is a state of
 * its own, distinct from "not configured".
 */
import type { Logger } from "pino";
import type { Service } from "../model/k8s.ts";
import type { GenerationRef, ObjectRef } from "../model/object-ref.ts";
import {
  resolvePublishAddresses,
  sameLoadBalancer,
  type LoadBalancerIngress,
  type PublishAddresses,
} from "./ingress-address.ts";
import { statusKey, type DesiredStatus } from "./mutator.ts";
import type { ProblemReporter } from "./problem-events.ts";
import type { StatusWriter } from "./writer.ts";

/** One empty address list for every excluded Ingress, so an unchanged one is recognised by identity. */
const NO_ADDRESSES: readonly LoadBalancerIngress[] = Object.freeze([]);

/** An object of ours that the accepted config leaves out, and why (for a Warning event). */
export interface ExcludedObject {
  readonly ref: GenerationRef;
  /** A KIC event reason, e.g. `KongConfigurationTranslationFailed`. */
  readonly reason: string;
  readonly message: string;
}

/** What the sync loop reports after Kong accepted a config. */
export interface AppliedConfigReport {
  /** Which build Kong accepted; for logs only, since every kind of apply counts the same. */
  readonly source: "primary" | "fallback" | "last-known-good";
  /** Objects that contribute to the accepted config. */
  readonly configured: readonly GenerationRef[];
  /** Objects of ours left out of it. */
  readonly excluded: readonly ExcludedObject[];
}

export interface IngressStatusPublisherOptions {
  readonly statuses: Pick<StatusWriter, "desire" | "release">;
  /** Gets the objects left out of each accepted config (source `apply`). */
  readonly problems: ProblemReporter;
  readonly logger: Logger;
  /** --update-status. */
  readonly updateStatus: boolean;
  /** --publish-status-address. */
  readonly statusAddresses: readonly string[];
  /** --publish-service. */
  readonly publishService?: { readonly namespace: string; readonly name: string };
}

function isIngress(ref: ObjectRef): boolean {
  return ref.kind === "Ingress" && ref.group === "networking.k8s.io";
}

function sameAddresses(a: PublishAddresses, b: PublishAddresses): boolean {
  if (a.kind === "ready" && b.kind === "ready") return sameLoadBalancer(a.ingress, b.ingress);
  return a.kind === "pending" && b.kind === "pending" && a.reason === b.reason;
}

export class IngressStatusPublisher {
  readonly #opts: IngressStatusPublisherOptions;
  readonly #logger: Logger;
  /** `undefined` until the first accepted apply: statuses are unknown, not empty. */
  #configured: readonly ObjectRef[] | undefined;
  #excluded: readonly ObjectRef[] = [];
  /** The keys handed to the writer last time, so those left out now can be released. */
  #desiredKeys: ReadonlyMap<string, DesiredStatus> = new Map();
  /**
   * The last desired status built per ref, with its key: a push changes one Ingress or a few, and the
   * others are handed on as the very same objects, which the writer recognises without comparing.
   */
  readonly #built = new WeakMap<
    ObjectRef,
    { readonly key: string; readonly desired: DesiredStatus }
  >();
  #addresses: PublishAddresses;
  /** The pending reason last logged, so every push does not repeat the same warning. */
  #warned: string | undefined;

  constructor(opts: IngressStatusPublisherOptions) {
    this.#opts = opts;
    this.#logger = opts.logger.child({ component: "ingress-status" });
    // With only --publish-status-address the addresses are known from the start.
    this.#addresses = resolvePublishAddresses(this.#addressOptions(undefined));
  }

  /** The current addresses, or why there are none (for logs and readiness detail). */
  get addresses(): PublishAddresses {
    return this.#addresses;
  }

  /** Kong accepted a config: publish addresses on what it contains, clear them on what it excludes. */
  onConfigApplied(report: AppliedConfigReport): void {
    this.#opts.problems.report(
      "apply",
      report.excluded.map(x => ({
        ref: x.ref,
        type: "Warning" as const,
        reason: x.reason,
        message: x.message,
      })),
    );
    this.#configured = report.configured.filter(isIngress);
    this.#excluded = report.excluded.map(x => x.ref).filter(isIngress);
    this.#logger.debug(
      {
        source: report.source,
        configured: this.#configured.length,
        excluded: this.#excluded.length,
      },
      "Publishing Ingress status for the accepted config",
    );
    this.resync();
  }

  /** The publish Service was added, changed or deleted (`undefined`). */
  onPublishServiceChanged(service: Service | undefined): void {
    const next = resolvePublishAddresses(this.#addressOptions(service));
    if (sameAddresses(this.#addresses, next)) return;
    this.#addresses = next;
    if (next.kind === "ready")
      this.#logger.info({ addresses: next.ingress }, "Publish addresses changed");
    this.resync();
  }

  /**
   * Hands every Ingress's status to the writer again; the writer skips those that did not change.
   * Ingresses no longer in the accepted config are released: their status stays as it is.
   */
  resync(): void {
    if (!this.#opts.updateStatus || this.#configured === undefined) return;
    const next = new Map<string, DesiredStatus>();
    const addresses = this.#addresses;
    if (addresses.kind === "pending") {
      if (this.#warned !== addresses.reason) {
        this.#logger.warn(
          { reason: addresses.reason },
          "Ingress status waits for publish addresses",
        );
      }
      this.#warned = addresses.reason;
    } else {
      this.#warned = undefined;
      for (const ref of this.#configured) this.#want(next, ref, addresses.ingress);
    }
    for (const ref of this.#excluded) this.#want(next, ref, NO_ADDRESSES);
    for (const key of this.#desiredKeys.keys())
      if (!next.has(key)) this.#opts.statuses.release(key);
    for (const [key, desired] of next) this.#opts.statuses.desire(desired, key);
    this.#desiredKeys = next;
  }

  #want(
    into: Map<string, DesiredStatus>,
    ref: ObjectRef,
    loadBalancer: readonly LoadBalancerIngress[],
  ): void {
    const built = this.#built.get(ref);
    if (built?.desired.kind === "Ingress" && built.desired.loadBalancer === loadBalancer) {
      into.set(built.key, built.desired);
      return;
    }
    const desired: DesiredStatus = {
      kind: "Ingress",
      namespace: ref.namespace,
      name: ref.name,
      ...(ref.uid === undefined ? {} : { uid: ref.uid }),
      loadBalancer,
    };
    const key = statusKey(desired);
    this.#built.set(ref, { key, desired });
    into.set(key, desired);
  }

  #addressOptions(service: Service | undefined): Parameters<typeof resolvePublishAddresses>[0] {
    return {
      statusAddresses: this.#opts.statusAddresses,
      ...(this.#opts.publishService === undefined
        ? {}
        : { publishService: this.#opts.publishService }),
      ...(service === undefined ? {} : { service }),
    };
  }
}
