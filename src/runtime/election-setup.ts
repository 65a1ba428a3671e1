/**
 * Builds the controller's Election from its settings: the Lease's namespace and name, this process's
 * identity, and the timings; or a sole replica when election is switched off.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config/schema.ts";
import { ControllerError } from "../errors.ts";
import type { KubeApi } from "../kube/client.ts";
import { SERVICE_ACCOUNT_DIR } from "../kube/kubeconfig.ts";
import { kubeLeaseApi } from "../kube/lease.ts";
import { ALWAYS_PUSH, type PushGate } from "../sender/sender.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { Clock } from "../util/clock.ts";
import { LeaderElector, SoleReplica, type Election, type Leadership } from "./leader-election.ts";

/** Leader election is on, but nothing says which namespace its Lease lives in. */
export class ElectionNamespaceMissingError extends ControllerError {
  constructor() {
    super(
      "ERR_ELECTION_NAMESPACE_MISSING",
      "leader election needs a namespace for its Lease: set --election-namespace or $POD_NAMESPACE (in a pod it is the pod's namespace), or run a single replica with --force-leader-election=disabled",
    );
  }
}

export type ElectionConfig = Pick<
  Config,
  | "electionId"
  | "electionNamespace"
  | "forceLeaderElection"
  | "electionLeaseDurationMs"
  | "electionRenewDeadlineMs"
  | "electionRetryPeriodMs"
>;

export interface ElectionSetupOptions {
  readonly config: ElectionConfig;
  /** Read for POD_NAME and POD_NAMESPACE. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly api: Pick<KubeApi, "getJson" | "send">;
  readonly metrics: Pick<Metrics, "leaderElection">;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** Tests point the in-cluster namespace lookup elsewhere. */
  readonly serviceAccountDir?: string;
}

/** --election-namespace, else $POD_NAMESPACE, else the in-cluster service account's namespace. */
export function electionNamespace(
  config: Pick<Config, "electionNamespace">,
  env: Readonly<Record<string, string | undefined>>,
  serviceAccountDir: string = SERVICE_ACCOUNT_DIR,
): string | undefined {
  if (config.electionNamespace !== undefined) return config.electionNamespace;
  const fromEnv = env["POD_NAMESPACE"]?.trim();
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  try {
    const mounted = readFileSync(join(serviceAccountDir, "namespace"), "utf8").trim();
    return mounted === "" ? undefined : mounted;
  } catch {
    return undefined;
  }
}

/**
 * controller-runtime's identity, with the pod's name where the environment gives it: the name says
 * who leads, the random part keeps two processes under one name (a restart that reuses it, tests)
 * from both believing they hold the Lease.
 */
export function electionIdentity(env: Readonly<Record<string, string | undefined>>): string {
  const name = env["POD_NAME"]?.trim();
  return `${name === undefined || name === "" ? hostname() : name}_${randomUUID()}`;
}

/**
 * The Election `config` asks for; its leader metric (controller-runtime's
 * `leader_election_master_status{name}`) follows it. Throws ElectionNamespaceMissingError when
 * election is on and no namespace is known.
 */
export function createElection(opts: ElectionSetupOptions): Election {
  const { config, metrics } = opts;
  const gauge = (leading: boolean): void => {
    metrics.leaderElection.set({ name: config.electionId }, leading ? 1 : 0);
  };
  if (config.forceLeaderElection === "disabled") {
    gauge(true);
    return new SoleReplica();
  }
  const namespace = electionNamespace(config, opts.env, opts.serviceAccountDir);
  if (namespace === undefined) throw new ElectionNamespaceMissingError();
  const identity = electionIdentity(opts.env);
  const elector = new LeaderElector({
    lease: kubeLeaseApi(opts.api, { namespace, name: config.electionId }),
    identity,
    timing: {
      leaseDurationMs: config.electionLeaseDurationMs,
      renewDeadlineMs: config.electionRenewDeadlineMs,
      retryPeriodMs: config.electionRetryPeriodMs,
    },
    clock: opts.clock,
    random: opts.random,
    logger: opts.logger.child({ lease: `${namespace}/${config.electionId}` }),
  });
  gauge(false);
  elector.subscribe(gauge);
  return elector;
}

/**
 * Whether this replica may push: replicas that share their Kongs (--kong-admin-svc) leave pushing to
 * the leader, so two leaders' configs never race on one Kong; a replica with Kongs of its own (fixed
 * --kong-admin-url list, a sidecar) pushes whether or not it leads.
 */
export function pushGateOf(config: Pick<Config, "kongAdminSvc">, leadership: Leadership): PushGate {
  if (config.kongAdminSvc === undefined) return ALWAYS_PUSH;
  return {
    allowed: () => leadership.isLeader(),
    subscribe: listener =>
      leadership.subscribe(() => {
        listener();
      }),
  };
}
