/**
 * The host-claim record (README "Running for many teams"): when each namespace's claim on a host was
 * first observed, kept in a ConfigMap of the controller's own namespace (`--host-claims-configmap`).
 * Tenants can edit their objects, annotations and all, but not the controller's namespace, so the
 * record is the one date of a claim they cannot move; it survives restarts and fail-overs.
 *
 * Every replica keeps the record in memory from its translations; only the leader writes it, and
 * re-reads it at the start of each term (a follower merges what the previous leader wrote, the
 * earlier date of a claim winning). A claim that disappears keeps its date for `--host-claim-release-
 * after`, so an object deleted and re-created (a redeploy) does not lose its hosts to a waiting claim.
 */
import type { Logger } from "pino";
import type { Config } from "../config/schema.ts";
import { Gauge } from "prom-client";
import type { Registry } from "prom-client";
import type { KubeApi } from "../kube/client.ts";
import { KubeApiError } from "../kube/errors.ts";
import type { HostClaim, RecordedClaim } from "../translator/ownership.ts";
import type { TenancyReport, TranslateOptions } from "../translator/types.ts";
import type { Clock } from "../util/clock.ts";
import { electionNamespace } from "./election-setup.ts";
import { untilAborted } from "./leader-election.ts";

/** A recorded claim, and since when no object claims it (it is released after the grace). */
export interface StoredClaim extends RecordedClaim {
  readonly absentSince?: string;
}

const DATA_KEY = "claims.json";
/** How long a write the API server refused waits before it is tried again (unless the claims change). */
const REFUSED_RETRY_MS = 5 * 60_000;

export interface HostClaimRecordOptions {
  /** Where the record lives; none: memory only (no namespace known), with a start-up warning. */
  readonly store?: {
    readonly api: Pick<KubeApi, "getJson" | "send">;
    readonly namespace: string;
    readonly name: string;
  };
  readonly releaseAfterMs: number;
  /** `--any-host-namespaces` given: then several namespaces routing any host is by design. */
  readonly anyHostRestricted: boolean;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called when a stored record changed the dates (a translation of unchanged objects may differ). */
  readonly onChange?: () => void;
}

function keyOf(c: HostClaim): string {
  return `${c.host}\u0000${c.namespace}`;
}

/** Parses the ConfigMap's record; entries that do not parse are dropped (they claim nothing). */
export function parseRecord(value: unknown): StoredClaim[] {
  const text = (value as { data?: Record<string, unknown> } | undefined)?.data?.[DATA_KEY];
  if (typeof text !== "string") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(
    (e): e is StoredClaim =>
      typeof e === "object" &&
      e !== null &&
      typeof (e as StoredClaim).host === "string" &&
      typeof (e as StoredClaim).namespace === "string" &&
      typeof (e as StoredClaim).since === "string",
  );
}

export class HostClaimRecord {
  readonly #o: HostClaimRecordOptions;
  readonly #log: Logger;
  readonly #claims = new Map<string, StoredClaim>();
  /** What translations read: rebuilt only when the record changes. */
  #view: readonly RecordedClaim[] = [];
  #resourceVersion: string | undefined;
  #dirty = false;
  #failures = 0;
  /** The last refusal logged (status and reason), so a refusal repeated by every change is said once. */
  #refused = "";
  /** A retry of a refused write is scheduled. */
  #refusedRetry = false;
  #wake: (() => void) | undefined;
  readonly #anyHostGauge: Gauge;
  #anyHostWarned = "";
  #mergeChanges = 0;

  constructor(options: HostClaimRecordOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: "host-claims" });
    this.#anyHostGauge = new Gauge({
      name: "kongress_any_host_namespaces",
      help: "Namespaces whose routes match every host (host-less rules, default backends).",
      registers: [options.registry],
    });
  }

  /** The record as the translator reads it. */
  current(): readonly RecordedClaim[] {
    return this.#view;
  }

  /**
   * Counts changes merged from the stored record, so that an unchanged snapshot is translated again
   * after one. Claims a translation observes are not counted: that translation already had them.
   */
  get changes(): number {
    return this.#mergeChanges;
  }

  /**
   * Reads the stored record before the first translation; claims it holds keep their dates. Failing
   * (no rights, API server gone), the controller starts with what it has and says so.
   */
  async load(signal: AbortSignal): Promise<void> {
    const store = this.#o.store;
    if (store === undefined) return;
    try {
      const stored = await store.api.getJson(this.#path(), { signal });
      this.#resourceVersion = (stored as { metadata?: { resourceVersion?: string } }).metadata
        ?.resourceVersion;
      this.#merge(parseRecord(stored));
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) {
        // Deleted (or never written): the next write creates it rather than replacing what is gone.
        this.#resourceVersion = undefined;
        return;
      }
      // A stop during start-up: nothing will be translated with what this read would have found.
      if (signal.aborted) return;
      this.#log.error(
        { err },
        "Host-claim record not read: claims first observed before this start are dated now",
      );
    }
  }

  /** A translation's claims: new ones are dated now, absent ones released after the grace. */
  observe(report: TenancyReport | undefined): void {
    if (report === undefined) return;
    this.#anyHost(report.anyHostNamespaces);
    const now = new Date(this.#o.clock.now()).toISOString();
    const present = new Set<string>();
    let changed = false;
    for (const claim of report.claims) {
      const key = keyOf(claim);
      present.add(key);
      const known = this.#claims.get(key);
      if (known === undefined) {
        this.#claims.set(key, { host: claim.host, namespace: claim.namespace, since: now });
        changed = true;
      } else if (known.absentSince !== undefined) {
        this.#claims.set(key, { host: known.host, namespace: known.namespace, since: known.since });
        changed = true;
      }
    }
    changed = this.#release(present, now) || changed;
    if (changed) this.#changed();
  }

  /** Writes the record while `signal` lasts (leader-only): at once, then after every change. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#o.store === undefined) return untilAborted(signal);
    await this.load(signal);
    this.#dirty = true;
    while (!signal.aborted) {
      if (!this.#takeDirty()) {
        await this.#nextChange(signal);
        continue;
      }
      await this.#write(signal);
    }
  }

  /** Whether a change waits to be written; clears the mark. */
  #takeDirty(): boolean {
    const dirty = this.#dirty;
    this.#dirty = false;
    return dirty;
  }

  #nextChange(signal: AbortSignal): Promise<void> {
    return new Promise<void>(resolve => {
      const done = (): void => {
        this.#wake = undefined;
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#wake = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }

  #release(present: ReadonlySet<string>, now: string): boolean {
    let changed = false;
    const nowMs = this.#o.clock.now();
    for (const [key, claim] of this.#claims) {
      if (present.has(key)) continue;
      if (claim.absentSince === undefined) {
        this.#claims.set(key, { ...claim, absentSince: now });
        changed = true;
      } else if (nowMs - Date.parse(claim.absentSince) >= this.#o.releaseAfterMs) {
        this.#claims.delete(key);
        changed = true;
      }
    }
    return changed;
  }

  #anyHost(namespaces: readonly string[]): void {
    this.#anyHostGauge.set(namespaces.length);
    const key = namespaces.join(",");
    if (this.#o.anyHostRestricted || namespaces.length < 2 || key === this.#anyHostWarned) return;
    this.#anyHostWarned = key;
    this.#log.warn(
      { namespaces },
      "Several namespaces route every host (host-less rules or default backends); restrict them with --any-host-namespaces",
    );
  }

  /** Merges a stored record: the earlier date of a claim wins. */
  #merge(stored: readonly StoredClaim[]): void {
    let changed = false;
    for (const claim of stored) {
      const key = keyOf(claim);
      const known = this.#claims.get(key);
      if (known === undefined || claim.since < known.since) {
        this.#claims.set(key, known === undefined ? claim : { ...known, since: claim.since });
        changed = true;
      }
    }
    if (!changed) return;
    this.#changed();
    this.#mergeChanges++;
    this.#o.onChange?.();
  }

  #changed(): void {
    // Absent claims stay in view: a namespace that claims again within the grace keeps its date.
    this.#view = [...this.#claims.values()].map(c => ({
      host: c.host,
      namespace: c.namespace,
      since: c.since,
    }));
    this.#dirty = true;
    this.#wake?.();
  }

  #path(): string {
    const store = this.#o.store;
    return `/api/v1/namespaces/${store?.namespace ?? ""}/configmaps/${store?.name ?? ""}`;
  }

  async #write(signal: AbortSignal): Promise<void> {
    const store = this.#o.store;
    if (store === undefined) return;
    const claims = [...this.#claims.values()].sort((a, b) =>
      keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0,
    );
    const body = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: store.name,
        namespace: store.namespace,
        ...(this.#resourceVersion === undefined ? {} : { resourceVersion: this.#resourceVersion }),
      },
      data: { [DATA_KEY]: JSON.stringify(claims) },
    };
    try {
      const written =
        this.#resourceVersion === undefined
          ? await store.api.send("POST", `/api/v1/namespaces/${store.namespace}/configmaps`, {
              signal,
              body,
            })
          : await store.api.send("PUT", this.#path(), { signal, body });
      this.#failures = 0;
      this.#refused = "";
      this.#resourceVersion = (written as { metadata?: { resourceVersion?: string } } | undefined)
        ?.metadata?.resourceVersion;
    } catch (err) {
      if (!signal.aborted) await this.#writeFailed(err, signal);
    }
  }

  /**
   * A refusal (403, 422) is written again only later: RBAC or an admission policy may be mended
   * meanwhile, and a record never written would date every claim anew at the next start.
   */
  #retryRefusedLater(signal: AbortSignal): void {
    if (this.#refusedRetry) return;
    this.#refusedRetry = true;
    void this.#o.clock.sleep(REFUSED_RETRY_MS, signal).then(
      () => {
        this.#refusedRetry = false;
        this.#dirty = true;
        this.#wake?.();
      },
      () => undefined,
    );
  }

  /**
   * A conflict is merged and written again, a passing fault (5xx, 429, no answer) retried after a
   * back-off; any other refusal (403, 422, 413) would only repeat itself at once, so it is said once
   * and written again at the next change or after {@link REFUSED_RETRY_MS}.
   */
  async #writeFailed(err: unknown, signal: AbortSignal): Promise<void> {
    const status = err instanceof KubeApiError ? err.statusCode : undefined;
    if (status === 404 && this.#resourceVersion !== undefined) {
      // Deleted under us: create it again at once.
      this.#resourceVersion = undefined;
      this.#dirty = true;
      return;
    }
    const passing = status === undefined || status === 409 || status === 429 || status >= 500;
    if (!passing) {
      const refusal = `${String(status)} ${(err as KubeApiError).reason}`;
      if (refusal !== this.#refused)
        this.#log.error(
          { err, status, reason: (err as KubeApiError).reason },
          "Host-claim record refused by the API server; tried again when the claims change, or in 5 minutes",
        );
      this.#refused = refusal;
      this.#retryRefusedLater(signal);
      return;
    }
    this.#log.warn({ err }, "Host-claim record not written; trying again");
    const delayMs = Math.min(30_000, 500 * 2 ** this.#failures++);
    await this.#o.clock.sleep(delayMs, signal).catch(() => undefined);
    // 409 (another writer, or it exists already): read it and merge before writing again.
    if (status === 409) await this.load(signal);
    this.#dirty = true;
  }
}

/** Host ownership and budget settings for the translator (the caller adds the claim record). */
export function tenancyOptions(config: Config): Partial<TranslateOptions> {
  return {
    hostOwnership: config.hostOwnership,
    ...(config.anyHostNamespaces === undefined
      ? {}
      : { anyHostNamespaces: config.anyHostNamespaces }),
    ...(config.hostNamespaces === undefined ? {} : { hostNamespaces: config.hostNamespaces }),
    externalNameServices: config.externalNameServices,
    ...(config.externalNameTargets === undefined
      ? {}
      : { externalNameTargets: config.externalNameTargets }),
    objectBudgets: {
      routes: config.maxRoutesPerObject,
      hostPaths: config.maxHostPathsPerObject,
      aliases: config.maxHostAliasesPerObject,
      bytes: config.maxConfigBytesPerObject,
    },
  };
}

/** The host-claim record, stored in the controller's namespace when one is known. */
export function createHostClaimRecord(opts: {
  readonly config: Config;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly api: Pick<KubeApi, "getJson" | "send">;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onChange?: () => void;
}): HostClaimRecord {
  const { config } = opts;
  const namespace = electionNamespace(config, opts.env ?? {});
  if (namespace === undefined && config.hostOwnership)
    opts.logger.warn(
      "No namespace for the host-claim record (--election-namespace): claims are kept in memory only, so after a restart the oldest object claiming a host wins it",
    );
  if (config.anyHostNamespaces === undefined)
    opts.logger.warn(
      "--any-host-namespaces is unset: every namespace may route rules without a host and default backends, which match every host",
    );
  return new HostClaimRecord({
    ...(namespace === undefined || !config.hostOwnership
      ? {}
      : { store: { api: opts.api, namespace, name: config.hostClaimsConfigmap } }),
    releaseAfterMs: config.hostClaimReleaseAfterMs,
    anyHostRestricted: config.anyHostNamespaces !== undefined,
    registry: opts.registry,
    clock: opts.clock,
    logger: opts.logger,
    ...(opts.onChange === undefined ? {} : { onChange: opts.onChange }),
  });
}
