/**
 * KIC's flags that `kongress run` accepts so that KIC's manifests and values files keep working, but
 * that change nothing here, each with the reason. Every other KIC flag is a setting of schema.ts. At
 * start-up each one given (as a flag or as `CONTROLLER_<FLAG>`) is named in its own warning, and
 * `--help` lists them apart from the settings.
 */

export interface FlagWithoutEffect {
  /** Whether it may be given bare (`--profiling`), as pflag lets booleans be. */
  readonly boolean: boolean;
  /** Why it has no effect here, for `--help` and the start-up warning. */
  readonly why: string;
}

const KONNECT = "Konnect is not supported; the config goes to the Kong Admin APIs only";
const WEBHOOK = "kongress runs no admission webhook: `kongress validate` checks manifests in CI";

export const IGNORED_KIC_FLAGS: Readonly<Record<string, FlagWithoutEffect>> = {
  "anonymous-reports": { boolean: true, why: "kongress sends no usage reports" },
  profiling: { boolean: true, why: "no pprof endpoints (a Node process)" },
  "feature-gates": {
    boolean: false,
    why: "no feature gates: Kong derives the ids FillIDs fills in, fallback is always per object, the rest is not built",
  },
  "kong-admin-concurrency": {
    boolean: false,
    why: "DB mode only; kongress pushes DB-less configs",
  },
  "kong-admin-filter-tag": { boolean: false, why: "DB mode only; kongress pushes DB-less configs" },
  "kong-workspace": {
    boolean: false,
    why: "workspaces are Kong Enterprise's; DB-less Kong has none",
  },
  "skip-ca-certificates": {
    boolean: true,
    why: "the CA certificates Services name (konghq.com/ca-certificates-*) are always sent",
  },
  "sync-period": {
    boolean: false,
    why: "no periodic resync: watches resume from where they were, and relist on 410",
  },
  "init-cache-sync-duration": {
    boolean: false,
    why: "the first config waits for every watcher's first list, not for a fixed delay",
  },
  "apiserver-qps": { boolean: false, why: "no client-side rate limit on API-server requests" },
  "apiserver-burst": { boolean: false, why: "no client-side rate limit on API-server requests" },
  "update-status-queue-buffer-size": {
    boolean: false,
    why: "the status writer coalesces per object and has no bounded queue",
  },
  "enable-reverse-sync": {
    boolean: true,
    why: "a config Kong already runs is never pushed again; a Kong that lost it gets it back",
  },
  "publish-service-udp": { boolean: false, why: "UDP addresses are not published yet" },
  "publish-status-address-udp": { boolean: false, why: "UDP addresses are not published yet" },
  "metrics-access-filter": { boolean: false, why: "/metrics is served without an access filter" },
  "use-last-valid-config-for-fallback": {
    boolean: true,
    why: "a rejected object is left out; its last valid version is not backfilled",
  },
  "combined-services-from-different-httproutes": {
    boolean: true,
    why: "Kong services are not shared across HTTPRoutes (KIC's default)",
  },
  "gateway-discovery-readiness-check-interval": {
    boolean: false,
    why: "a discovered Kong is pushed to as soon as it appears; its failures back off on their own",
  },
  "gateway-discovery-readiness-check-timeout": {
    boolean: false,
    why: "a discovered Kong is pushed to as soon as it appears; its failures back off on their own",
  },
  "gateway-discovery-dns-strategy": {
    boolean: false,
    why: "discovered Kongs are reached by endpoint IP, with SNI pod.<service>.<namespace>.svc",
  },
  "secret-label-selector": {
    boolean: false,
    why: "Secrets are watched as metadata only and only referenced ones are read",
  },
  "configmap-label-selector": {
    boolean: false,
    why: 'only ConfigMaps labelled konghq.com/configmap: "true" are read (KIC\'s default)',
  },
  "gateway-to-reconcile": { boolean: false, why: "every Gateway of our GatewayClasses is served" },
  "admission-webhook-listen": { boolean: false, why: WEBHOOK },
  "admission-webhook-cert": { boolean: false, why: WEBHOOK },
  "admission-webhook-cert-file": { boolean: false, why: WEBHOOK },
  "admission-webhook-key": { boolean: false, why: WEBHOOK },
  "admission-webhook-key-file": { boolean: false, why: WEBHOOK },
  "konnect-sync-enabled": { boolean: true, why: KONNECT },
  "konnect-licensing-enabled": { boolean: true, why: KONNECT },
  "konnect-disable-consumers-sync": { boolean: true, why: KONNECT },
  "konnect-address": { boolean: false, why: KONNECT },
  "konnect-control-plane-id": { boolean: false, why: KONNECT },
  "konnect-runtime-group-id": { boolean: false, why: KONNECT },
  "konnect-tls-client-cert": { boolean: false, why: KONNECT },
  "konnect-tls-client-cert-file": { boolean: false, why: KONNECT },
  "konnect-tls-client-key": { boolean: false, why: KONNECT },
  "konnect-tls-client-key-file": { boolean: false, why: KONNECT },
  "konnect-refresh-node-period": { boolean: false, why: KONNECT },
  "konnect-initial-connection-retry-delay": { boolean: false, why: KONNECT },
  "konnect-upload-config-period": { boolean: false, why: KONNECT },
};

/** KIC's per-kind controller switches (`--enable-controller-ingress-networkingv1=false`, …). */
export const IGNORED_KIC_PREFIX = "enable-controller-";
const PREFIX_WHY = "per-kind switches are not supported: every kind whose API is served is watched";

/** Whether `name` (a flag without dashes) is a KIC flag accepted without effect. */
export function isIgnoredKicFlag(name: string): boolean {
  return Object.hasOwn(IGNORED_KIC_FLAGS, name) || name.startsWith(IGNORED_KIC_PREFIX);
}

/** Whether `name` is a KIC boolean flag accepted without effect (it may be given bare). */
export function isIgnoredKicBoolean(name: string): boolean {
  return name.startsWith(IGNORED_KIC_PREFIX) || IGNORED_KIC_FLAGS[name]?.boolean === true;
}

/** `CONTROLLER_KONG_WORKSPACE` → `kong-workspace`. */
function flagOfEnv(setting: string): string {
  return setting
    .replace(/^CONTROLLER_/, "")
    .toLowerCase()
    .replaceAll("_", "-");
}

/** Why a setting of `Config.ignoredSettings` (`--flag` or `CONTROLLER_…`) has no effect. */
export function whyIgnored(setting: string): string {
  const flag = setting.startsWith("--") ? setting.slice(2) : flagOfEnv(setting);
  if (flag.startsWith(IGNORED_KIC_PREFIX)) return PREFIX_WHY;
  return IGNORED_KIC_FLAGS[flag]?.why ?? "not a setting of kongress or KIC";
}

/** The part of a logger the warnings need (pino's signature). */
export interface WarningLog {
  warn(fields: object, message: string): void;
}

/** One warning per ignored setting, naming it and saying why it changes nothing. */
export function warnIgnoredSettings(log: WarningLog, settings: readonly string[]): void {
  for (const setting of settings) {
    log.warn({ setting, reason: whyIgnored(setting) }, "Setting has no effect in kongress");
  }
}
