/**
 * Decides which Ingresses get which `status.loadBalancer`, from the config Kong last accepted and the
 * published addresses, and hands that to the status writer (which writes only what the cluster does
 * not show yet). Incident c (incidents-and-gateway-api.md): every accepted apply — primary, fallback
 * or last-known-good — replaces the configured set atomically, and "nothing applied yet" is a state of
 * its own, distinct from "not configured".
 */
import type { Logger } from "pino";
import type { Service } from "../model/k8s.ts";
import { refKey, type GenerationRef, type ObjectRef } from "../model/object-ref.ts";
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
  /**
   * Objects that contribute to the accepted config, keyed by `refKey`: the sender's own map, handed
   * on rather than copied (a copy of 10k entries per push is what status must not cost).
   */
  readonly configured: ReadonlyMap<string, GenerationRef>;
  /** Objects of ours left out of it, in key order. */
  readonly excluded: readonly ExcludedObject[];
  /** The report's number, counted by the feed that made it; what a later report's `changes` name. */
  readonly serial?: number;
  /** How this report differs from an earlier one, when known; absent: anything may differ. */
  readonly changes?: ReportChanges;
}

/**
 * A report that differs from report `since` only under `keys`: under every other key `configured`
 * holds the very same ref and `excluded` the very same entries (or none) as there, and `source` is the
 * same. A consumer that handled report `since` last may take only these keys; any other takes it all.
 */
export interface ReportChanges {
  readonly since: number;
  readonly keys: ReadonlySet<string>;
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

function isIngress(ref: ObjectRef | undefined): ref is ObjectRef {
  return ref?.kind === "Ingress" && ref.group === "networking.k8s.io";
}

/** The Ingresses a report leaves out, by key; a later entry under a key wins, as in the writer. */
function excludedIngresses(excluded: readonly ExcludedObject[]): Map<string, ObjectRef> {
  const out = new Map<string, ObjectRef>();
  for (const x of excluded) if (isIngress(x.ref)) out.set(refKey(x.ref), x.ref);
  return out;
}

function countIngresses(refs: ReadonlyMap<string, ObjectRef>): number {
  let count = 0;
  for (const ref of refs.values()) if (isIngress(ref)) count++;
  return count;
}

function sameAddresses(a: PublishAddresses, b: PublishAddresses): boolean {
  if (a.kind === "ready" && b.kind === "ready") return sameLoadBalancer(a.ingress, b.ingress);
  return a.kind === "pending" && b.kind === "pending" && a.reason === b.reason;
}

export class IngressStatusPublisher {
  readonly #opts: IngressStatusPublisherOptions;
  readonly #logger: Logger;
  /**
   * The accepted config's objects, of every kind (the report's map, not a filtered copy); `undefined`
   * until the first accepted apply: statuses are unknown, not empty.
   */
  #configured: ReadonlyMap<string, ObjectRef> | undefined;
  /** How many of those are Ingresses (for the log). */
  #configuredIngresses = 0;
  /** The Ingresses the accepted config leaves out, by key. */
  #excluded: ReadonlyMap<string, ObjectRef> = new Map();
  /** What the writer was handed, by key, so those left out now can be released. */
  #desiredKeys = new Map<string, DesiredStatus>();
  /** The serial of the report handled last: a report that names it as `since` is taken by its keys. */
  #serial: number | undefined;
  #fullPasses = 0;
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

  /** How many passes handed every Ingress to the writer; reports that follow the last one take fewer. */
  get fullPasses(): number {
    return this.#fullPasses;
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
    const previous = this.#configured;
    const changes = report.changes;
    const follows =
      previous !== undefined && changes !== undefined && changes.since === this.#serial;
    this.#serial = report.serial;
    this.#configured = report.configured;
    this.#excluded = excludedIngresses(report.excluded);
    if (follows) {
      for (const key of changes.keys)
        this.#configuredIngresses +=
          Number(isIngress(report.configured.get(key))) - Number(isIngress(previous.get(key)));
    } else {
      this.#configuredIngresses = countIngresses(report.configured);
    }
    this.#logger.debug(
      {
        source: report.source,
        configured: this.#configuredIngresses,
        excluded: this.#excluded.size,
      },
      "Publishing Ingress status for the accepted config",
    );
    // The addresses are the ones the last pass used: a change of theirs makes a full pass at once.
    if (follows) this.#resyncKeys(changes.keys);
    else this.resync();
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
    this.#fullPasses++;
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
      for (const ref of this.#configured.values())
        if (isIngress(ref)) this.#want(next, ref, addresses.ingress);
    }
    for (const ref of this.#excluded.values()) this.#want(next, ref, NO_ADDRESSES);
    for (const key of this.#desiredKeys.keys())
      if (!next.has(key)) this.#opts.statuses.release(key);
    for (const [key, desired] of next) this.#opts.statuses.desire(desired, key);
    this.#desiredKeys = next;
  }

  /**
   * What `resync` would change, found by the keys that changed alone: every other key's configured
   * ref and exclusion are the very objects of the last pass, so its status is the one handed then.
   */
  #resyncKeys(keys: Iterable<string>): void {
    if (!this.#opts.updateStatus) return;
    for (const key of keys) {
      const desired = this.#wantedUnder(key);
      if (desired !== undefined) {
        this.#desiredKeys.set(key, desired);
        this.#opts.statuses.desire(desired, key);
      } else if (this.#desiredKeys.delete(key)) {
        this.#opts.statuses.release(key);
      }
    }
  }

  /** What `resync` wants under `key`: an exclusion wins over the config, as it comes later there. */
  #wantedUnder(key: string): DesiredStatus | undefined {
    const excluded = this.#excluded.get(key);
    if (excluded !== undefined) return this.#desiredFor(excluded, NO_ADDRESSES).desired;
    const ref = this.#configured?.get(key);
    if (this.#addresses.kind !== "ready" || !isIngress(ref)) return undefined;
    return this.#desiredFor(ref, this.#addresses.ingress).desired;
  }

  #want(
    into: Map<string, DesiredStatus>,
    ref: ObjectRef,
    loadBalancer: readonly LoadBalancerIngress[],
  ): void {
    const { key, desired } = this.#desiredFor(ref, loadBalancer);
    into.set(key, desired);
  }

  #desiredFor(
    ref: ObjectRef,
    loadBalancer: readonly LoadBalancerIngress[],
  ): { readonly key: string; readonly desired: DesiredStatus } {
    const built = this.#built.get(ref);
    if (built?.desired.kind === "Ingress" && built.desired.loadBalancer === loadBalancer)
      return built;
    const desired: DesiredStatus = {
      kind: "Ingress",
      namespace: ref.namespace,
      name: ref.name,
      ...(ref.uid === undefined ? {} : { uid: ref.uid }),
      loadBalancer,
    };
    const entry = { key: statusKey(desired), desired };
    this.#built.set(ref, entry);
    return entry;
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
