/**
 * Every `kongress run` setting, in one table: flag name (KIC's where the meaning is the same,
 * kic-conventions.md §6.5), env name, type, default and description. The zod schema, the loader and
 * `--help` are all derived from this table, so they cannot drift apart.
 */
import * as z from "zod";
import {
  formatDuration,
  isDns1123Subdomain,
  isIpOrHostname,
  parseBindAddress,
  parseDuration,
  parseHeader,
  parseHostPattern,
  parseNamespacedName,
} from "./parsers.ts";

/** Help sections, in the order `--help` prints them. */
export const SECTIONS = [
  "Kong Admin API",
  "Kubernetes",
  "Status",
  "Sync",
  "Observability",
] as const;
export type Section = (typeof SECTIONS)[number];

/**
 * How a setting reads its raw input: `scalar` takes one value (the last one wins, as with pflag);
 * `list` collects repeated flags and comma-separated items; `boolean` may be given as a bare `--flag`.
 */
export type SettingShape = "scalar" | "list" | "boolean";

export interface SettingMeta {
  /** The long flag name without dashes; the env name is derived from it. */
  readonly flag: string;
  readonly section: Section;
  readonly shape: SettingShape;
  /** Placeholder shown in `--help`, e.g. `url`, `duration`. */
  readonly placeholder: string;
  readonly description: string;
  /** Also settable as `--<flag>-file <path>`: the file's content becomes the value at load time. */
  readonly fileVariant?: true;
  /** Never logged or dumped in clear text. */
  readonly sensitive?: true;
  /** Our own setting, not one of KIC's. */
  readonly ours?: true;
  /** The raw default, as a user would type it; absent for settings that are unset by default. */
  readonly defaultRaw?: string | readonly string[];
}

/** The raw input of one setting: a string, or a list of strings for `list` settings. */
export type RawValue = string | readonly string[];

interface Setting<S extends z.ZodType> extends SettingMeta {
  readonly schema: S;
}

function withDefault<T extends z.ZodType>(
  meta: Omit<SettingMeta, "defaultRaw">,
  type: T,
  defaultRaw: z.input<T> & RawValue,
): Setting<z.ZodPrefault<T>> {
  return { ...meta, defaultRaw, schema: type.prefault(defaultRaw) };
}

function unset<T extends z.ZodType>(
  meta: Omit<SettingMeta, "defaultRaw">,
  type: T,
): Setting<z.ZodOptional<T>> {
  return { ...meta, schema: type.optional() };
}

/**
 * Turns a parser that returns `undefined` on bad input into a schema with a readable message. The bad
 * input travels in the issue's `params.got`, so the loader can leave it out for a sensitive setting.
 */
function parsed<T>(parse: (s: string) => T | undefined, expected: string): z.ZodType<T, string> {
  return z.string().transform((s, ctx) => {
    const value = parse(s);
    if (value === undefined) {
      ctx.addIssue({ code: "custom", message: `expected ${expected}`, params: { got: s } });
      return z.NEVER;
    }
    return value;
  });
}

const bool = (): z.ZodType<boolean, string> =>
  z.stringbool({
    truthy: ["1", "t", "true"],
    falsy: ["0", "f", "false"],
    error: issue => `expected true or false, got ${JSON.stringify(issue.input)}`,
  });

const number = (opts: { min: number; integer?: boolean }): z.ZodType<number, string> =>
  parsed(
    s => {
      const n = s.trim() === "" ? Number.NaN : Number(s);
      const ok =
        Number.isFinite(n) && n >= opts.min && (opts.integer !== true || Number.isInteger(n));
      return ok ? n : undefined;
    },
    `${opts.integer === true ? "an integer" : "a number"} >= ${opts.min}`,
  );

const duration = (): z.ZodType<number, string> =>
  parsed(parseDuration, "a duration such as 500ms, 3s or 1m30s");

const nonEmpty = (): z.ZodType<string, string> => z.string().trim().min(1, "must not be empty");
const pem = (): z.ZodType<string, string> =>
  z.string().refine(s => s.includes("-----BEGIN "), "expected PEM-encoded data");
const httpUrl = (): z.ZodType<string, string> =>
  z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }));
const bindAddress = (): ReturnType<typeof parsed<{ host: string; port: number }>> =>
  parsed(parseBindAddress, "[host]:port");
const dnsSubdomain = (what: string): z.ZodType<string, string> =>
  z.string().refine(isDns1123Subdomain, `expected ${what} (a DNS-1123 subdomain)`);
const listOf = <T extends z.ZodType<unknown, string>>(item: T): z.ZodArray<T> => z.array(item);

const DEFAULT_KONG_ADMIN_URL = ["http://localhost:8001"];

/** client-go's JitterFactor, which its validation of the election timings uses too. */
const ELECTION_JITTER = 1.2;

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
/** KIC's levels: ours, and `panic`, which is logged as `fatal` (pino has no panic). */
const KIC_LOG_LEVELS = [...LOG_LEVELS, "panic"] as const;
const LOG_FORMATS = ["json", "text"] as const;

const KONG = "Kong Admin API";
const KUBE = "Kubernetes";
const STATUS = "Status";
const SYNC = "Sync";
const OBS = "Observability";

/** The settings table. Keys are the camelCase names the typed `Config` exposes. */
export const SETTINGS = {
  kongAdminUrl: withDefault(
    {
      flag: "kong-admin-url",
      section: KONG,
      shape: "list",
      placeholder: "url",
      description: "Kong Admin API URL; repeat or comma-separate to push to several Kong nodes.",
    },
    listOf(httpUrl()).min(1, "needs at least one URL"),
    DEFAULT_KONG_ADMIN_URL,
  ),
  kongAdminSvc: unset(
    {
      flag: "kong-admin-svc",
      section: KONG,
      shape: "scalar",
      placeholder: "namespace/name",
      description:
        "Gateway discovery: push to every Kong Admin API behind this Service (its EndpointSlices), instead of --kong-admin-url.",
    },
    parsed(parseNamespacedName, "namespace/name"),
  ),
  kongAdminSvcPortNames: withDefault(
    {
      flag: "kong-admin-svc-port-names",
      section: KONG,
      shape: "list",
      placeholder: "name",
      description:
        "Names of the Service's Admin API ports, in order of preference; HTTPS unless the port's appProtocol is http.",
    },
    listOf(nonEmpty()).min(1, "needs at least one port name"),
    ["admin-tls", "kong-admin-tls"],
  ),
  kongAdminToken: unset(
    {
      flag: "kong-admin-token",
      section: KONG,
      shape: "scalar",
      placeholder: "token",
      description: "Sent as the Kong-Admin-Token header (RBAC).",
      fileVariant: true,
      sensitive: true,
    },
    nonEmpty(),
  ),
  kongAdminHeader: withDefault(
    {
      flag: "kong-admin-header",
      section: KONG,
      shape: "list",
      placeholder: "name:value",
      description: "Extra header on every Admin API request; repeatable.",
      sensitive: true,
    },
    listOf(parsed(parseHeader, "name:value")),
    [],
  ),
  kongAdminTlsSkipVerify: withDefault(
    {
      flag: "kong-admin-tls-skip-verify",
      section: KONG,
      shape: "boolean",
      placeholder: "bool",
      description: "Do not verify the Admin API's TLS certificate.",
    },
    bool(),
    "false",
  ),
  kongAdminCaCert: unset(
    {
      flag: "kong-admin-ca-cert",
      section: KONG,
      shape: "scalar",
      placeholder: "pem",
      description: "CA certificate (PEM) that signs the Admin API's certificate.",
      fileVariant: true,
    },
    pem(),
  ),
  kongAdminTlsClientCert: unset(
    {
      flag: "kong-admin-tls-client-cert",
      section: KONG,
      shape: "scalar",
      placeholder: "pem",
      description: "Client certificate (PEM) for mTLS to the Admin API; needs the key too.",
      fileVariant: true,
    },
    pem(),
  ),
  kongAdminTlsClientKey: unset(
    {
      flag: "kong-admin-tls-client-key",
      section: KONG,
      shape: "scalar",
      placeholder: "pem",
      description: "Client private key (PEM) for mTLS to the Admin API.",
      fileVariant: true,
      sensitive: true,
    },
    pem(),
  ),
  kongAdminTlsServerName: unset(
    {
      flag: "kong-admin-tls-server-name",
      section: KONG,
      shape: "scalar",
      placeholder: "name",
      description: "SNI and name to verify in the Admin API's certificate.",
    },
    nonEmpty(),
  ),
  kongAdminInitRetries: withDefault(
    {
      flag: "kong-admin-init-retries",
      section: KONG,
      shape: "scalar",
      placeholder: "int",
      description: "Attempts to reach the Admin API at start-up before giving up.",
    },
    number({ min: 0, integer: true }),
    "60",
  ),
  kongAdminInitRetryDelayMs: withDefault(
    {
      flag: "kong-admin-init-retry-delay",
      section: KONG,
      shape: "scalar",
      placeholder: "duration",
      description: "Delay between those start-up attempts.",
    },
    duration(),
    "1s",
  ),
  proxyTimeoutSeconds: withDefault(
    {
      flag: "proxy-timeout-seconds",
      section: KONG,
      shape: "scalar",
      placeholder: "seconds",
      description: "Timeout of one Admin API request (a config push included).",
    },
    number({ min: 0.001 }),
    "30",
  ),
  kubeconfig: unset(
    {
      flag: "kubeconfig",
      section: KUBE,
      shape: "scalar",
      placeholder: "path",
      description:
        "Kubeconfig file; without it $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.",
    },
    nonEmpty(),
  ),
  apiserverHost: unset(
    {
      flag: "apiserver-host",
      section: KUBE,
      shape: "scalar",
      placeholder: "url",
      description: "Kubernetes API server URL, overriding the kubeconfig or in-cluster one.",
    },
    httpUrl(),
  ),
  watchNamespace: withDefault(
    {
      flag: "watch-namespace",
      section: KUBE,
      shape: "list",
      placeholder: "namespace",
      description: "Namespaces to watch; repeat or comma-separate. Empty means all namespaces.",
    },
    listOf(dnsSubdomain("a namespace")),
    [],
  ),
  ingressClass: withDefault(
    {
      flag: "ingress-class",
      section: KUBE,
      shape: "scalar",
      placeholder: "name",
      description: "The IngressClass this controller serves.",
    },
    dnsSubdomain("an IngressClass name"),
    "kong",
  ),
  gatewayApiControllerName: withDefault(
    {
      flag: "gateway-api-controller-name",
      section: KUBE,
      shape: "scalar",
      placeholder: "name",
      description: "GatewayClass spec.controllerName this controller serves.",
    },
    nonEmpty(),
    "konghq.com/kic-gateway-controller",
  ),
  clusterDomain: withDefault(
    {
      flag: "cluster-domain",
      section: KUBE,
      shape: "scalar",
      placeholder: "domain",
      description: "Cluster DNS domain appended to Service hostnames (e.g. cluster.local).",
    },
    z.string().refine(s => s === "" || isDns1123Subdomain(s), "expected a DNS domain"),
    "",
  ),
  enableDrainSupport: withDefault(
    {
      flag: "enable-drain-support",
      section: KUBE,
      shape: "boolean",
      placeholder: "bool",
      description:
        "Keep terminating endpoints as targets of weight 0, so connections to them drain (KIC's flag).",
    },
    bool(),
    "false",
  ),
  hostOwnership: withDefault(
    {
      flag: "host-ownership",
      section: KUBE,
      shape: "boolean",
      placeholder: "bool",
      description:
        "A host belongs to the namespace whose objects claimed it first; other namespaces are not routed for it (README: Running for many teams). false: KIC's behaviour.",
      ours: true,
    },
    bool(),
    "true",
  ),
  hostClaimsConfigmap: withDefault(
    {
      flag: "host-claims-configmap",
      section: KUBE,
      shape: "scalar",
      placeholder: "name",
      description:
        "ConfigMap in the controller's namespace (that of --election-namespace) recording when each host claim was first observed.",
      ours: true,
    },
    dnsSubdomain("a ConfigMap name"),
    "kongress-host-claims",
  ),
  hostClaimReleaseAfterMs: withDefault(
    {
      flag: "host-claim-release-after",
      section: KUBE,
      shape: "scalar",
      placeholder: "duration",
      description:
        "How long a namespace keeps the date of a host claim after its last object claiming the host is gone (a redeploy).",
      ours: true,
    },
    duration(),
    "10m",
  ),
  anyHostNamespaces: unset(
    {
      flag: "any-host-namespaces",
      section: KUBE,
      shape: "list",
      placeholder: "namespace",
      description:
        "Namespaces whose rules without a host and default backends are routed (they match every host); unset: every namespace.",
      ours: true,
    },
    listOf(dnsSubdomain("a namespace")),
  ),
  hostNamespaces: unset(
    {
      flag: "host-namespaces",
      section: KUBE,
      shape: "list",
      placeholder: "namespace=host",
      description:
        "Checked before first claims: a host one of these patterns covers (exact, or *.domain) may be used only by the namespaces listed for it, e.g. team-a=*.a.example.com.",
      ours: true,
    },
    listOf(
      parsed(s => {
        const at = s.indexOf("=");
        const namespace = s.slice(0, at).trim();
        const pattern = parseHostPattern(s.slice(at + 1));
        return at > 0 && isDns1123Subdomain(namespace) && pattern !== undefined
          ? { namespace, pattern }
          : undefined;
      }, "namespace=host or namespace=*.domain (a DNS-1123 host name, or *. and one)"),
    ),
  ),
  externalNameServices: withDefault(
    {
      flag: "external-name-services",
      section: KUBE,
      shape: "scalar",
      placeholder: "allow|refuse",
      description:
        "Whether backends may be ExternalName Services, which point Kong at any name (another namespace's Service, a metadata address).",
      ours: true,
    },
    z.enum(["allow", "refuse"]),
    "allow",
  ),
  externalNameTargets: unset(
    {
      flag: "external-name-targets",
      section: KUBE,
      shape: "list",
      placeholder: "host",
      description:
        "When set, the only targets ExternalName Services may name: host names, or *.suffix for every name under a domain.",
      ours: true,
    },
    listOf(parsed(parseHostPattern, "a host name, or *. and one (*.example.com)")),
  ),
  maxRoutesPerObject: withDefault(
    {
      flag: "max-routes-per-object",
      section: KUBE,
      shape: "scalar",
      placeholder: "n",
      description: "Kong routes one object may produce; an object over it is left out as broken.",
      ours: true,
    },
    number({ min: 1, integer: true }),
    "2000",
  ),
  maxHostPathsPerObject: withDefault(
    {
      flag: "max-host-paths-per-object",
      section: KUBE,
      shape: "scalar",
      placeholder: "n",
      description:
        "Hosts × paths over one object's routes; an object over it is left out as broken.",
      ours: true,
    },
    number({ min: 1, integer: true }),
    "20000",
  ),
  maxHostAliasesPerObject: withDefault(
    {
      flag: "max-host-aliases-per-object",
      section: KUBE,
      shape: "scalar",
      placeholder: "n",
      description:
        "konghq.com/host-aliases entries on one object; an object over it is left out as broken.",
      ours: true,
    },
    number({ min: 1, integer: true }),
    "1000",
  ),
  maxConfigBytesPerObject: withDefault(
    {
      flag: "max-config-bytes-per-object",
      section: KUBE,
      shape: "scalar",
      placeholder: "n",
      description:
        "Estimated config bytes of one object's routes; an object over it is left out as broken.",
      ours: true,
    },
    number({ min: 1, integer: true }),
    "4194304",
  ),
  maxConfigBytes: withDefault(
    {
      flag: "max-config-bytes",
      section: KUBE,
      shape: "scalar",
      placeholder: "n",
      description:
        "A config over this many bytes is not sent: its largest objects are left out (Kong's default body limit, 10 MiB; also what a 413 answer leads to).",
      ours: true,
    },
    number({ min: 1, integer: true }),
    "10485760",
  ),
  cacheSyncTimeoutMs: withDefault(
    {
      flag: "cache-sync-timeout",
      section: KUBE,
      shape: "scalar",
      placeholder: "duration",
      description:
        "How long the first list of every watched kind may take before start-up fails; 0 (the default) waits for ever, alive and not Ready.",
    },
    duration(),
    // KIC's 0 means controller-runtime's 2 minutes, after which a replica started during an API-server
    // outage exits and crash-loops (incident b); ours waits, alive and not Ready, unless asked not to.
    "0s",
  ),
  electionId: withDefault(
    {
      flag: "election-id",
      section: KUBE,
      shape: "scalar",
      placeholder: "name",
      description: "Name of the Lease used for leader election.",
    },
    dnsSubdomain("a Lease name"),
    "5b374a9e.konghq.com",
  ),
  electionNamespace: unset(
    {
      flag: "election-namespace",
      section: KUBE,
      shape: "scalar",
      placeholder: "namespace",
      description:
        "Namespace of that Lease; defaults to $POD_NAMESPACE, else the namespace of the in-cluster service account. Outside a cluster it must be given while leader election is on.",
    },
    dnsSubdomain("a namespace"),
  ),
  // KIC decides by itself when this is unset (off for DB-less Kongs without --kong-admin-svc). Here the
  // Lease also keeps status writes and Events to one replica, so unset means enabled.
  forceLeaderElection: unset(
    {
      flag: "force-leader-election",
      section: KUBE,
      shape: "scalar",
      placeholder: "enabled|disabled",
      description:
        "Leader election on the Lease: only the leader writes statuses and Events, every replica keeps its caches warm. Unset means enabled; disabled suits a single replica.",
    },
    z.enum(["enabled", "disabled"]),
  ),
  electionLeaseDurationMs: withDefault(
    {
      flag: "election-lease-duration",
      section: KUBE,
      shape: "scalar",
      placeholder: "duration",
      description:
        "How long a Lease that is not renewed keeps its holder before another replica may take it (whole seconds).",
      ours: true,
    },
    duration().refine(
      ms => ms >= 1000 && ms % 1000 === 0,
      "expected whole seconds, at least 1s (a Lease counts in seconds)",
    ),
    "15s",
  ),
  electionRenewDeadlineMs: withDefault(
    {
      flag: "election-renew-deadline",
      section: KUBE,
      shape: "scalar",
      placeholder: "duration",
      description:
        "Sets the leader's pace: it renews every half renew deadline (at least every retry period), and steps down (and campaigns again) when it has not renewed by retry period + renew deadline after its last renewal began; that sum must be shorter than the lease duration.",
      ours: true,
    },
    duration().refine(ms => ms > 0, "must be longer than 0"),
    "10s",
  ),
  electionRetryPeriodMs: withDefault(
    {
      flag: "election-retry-period",
      section: KUBE,
      shape: "scalar",
      placeholder: "duration",
      description:
        "The wait between two attempts to acquire the Lease, and between retries of a failed renewal.",
      ours: true,
    },
    duration().refine(ms => ms > 0, "must be longer than 0"),
    "2s",
  ),
  updateStatus: withDefault(
    {
      flag: "update-status",
      section: STATUS,
      shape: "boolean",
      placeholder: "bool",
      description:
        "Write status.loadBalancer on configured Ingresses; needs --publish-service or --publish-status-address.",
    },
    bool(),
    "true",
  ),
  publishService: unset(
    {
      flag: "publish-service",
      section: STATUS,
      shape: "scalar",
      placeholder: "namespace/name",
      description:
        "Service whose addresses (LoadBalancer ingress, else cluster IPs) are published on Ingresses.",
    },
    parsed(parseNamespacedName, "namespace/name"),
  ),
  publishStatusAddress: withDefault(
    {
      flag: "publish-status-address",
      section: STATUS,
      shape: "list",
      placeholder: "address",
      description:
        "IPs or hostnames to publish instead of the Service's; repeat or comma-separate.",
    },
    listOf(z.string().refine(isIpOrHostname, "expected an IP address or a DNS hostname")),
    [],
  ),
  emitKubernetesEvents: withDefault(
    {
      flag: "emit-kubernetes-events",
      section: STATUS,
      shape: "boolean",
      placeholder: "bool",
      description: "Record translation and apply failures as Kubernetes Events on the objects.",
    },
    bool(),
    "true",
  ),
  statusMaxBackoffMs: withDefault(
    {
      flag: "status-max-backoff",
      section: STATUS,
      shape: "scalar",
      placeholder: "duration",
      description: "Longest delay before a failed status write is retried.",
      ours: true,
    },
    duration(),
    "30s",
  ),
  syncHoldoffMs: withDefault(
    {
      flag: "sync-holdoff",
      section: SYNC,
      shape: "scalar",
      placeholder: "duration",
      description:
        "A change after this long without a rebuild is rebuilt at once; later ones are batched until this long after the last.",
      ours: true,
    },
    duration(),
    "100ms",
  ),
  syncMaxDelayMs: withDefault(
    {
      flag: "sync-max-delay",
      section: SYNC,
      shape: "scalar",
      placeholder: "duration",
      description: "Longest a batched change waits under constant churn.",
      ours: true,
    },
    duration(),
    "500ms",
  ),
  // V8 keeps the heap a burst of translations grew, idle or not (runtime/idle-memory.ts).
  idleMemoryReleaseMs: withDefault(
    {
      flag: "idle-memory-release",
      section: SYNC,
      shape: "scalar",
      placeholder: "duration",
      description:
        "After this long without a rebuild, let V8 give unused heap memory back (the first changes after it regrow the heap, at a little CPU); 0s: never.",
      ours: true,
    },
    duration(),
    "30s",
  ),
  // KIC pushes every --proxy-sync-seconds (3 s by default), so every change waits for the ticker. We push
  // on change and pace each Kong by its own load time (sender/pacing.ts); the flag stays for KIC's users
  // as the longest that pacing may hold a push back.
  proxySyncSeconds: unset(
    {
      flag: "proxy-sync-seconds",
      section: SYNC,
      shape: "scalar",
      placeholder: "seconds",
      description:
        "Longest a push waits after the same Kong's last config load. Unset: adaptive, 2 × that load's duration, within 0.25 s to 3 s (a push after a quiet period goes out at once); 0: push as soon as a config is ready. KIC instead pushes on a fixed 3 s period.",
    },
    number({ min: 0 }),
  ),
  termDelayMs: withDefault(
    {
      flag: "term-delay",
      section: SYNC,
      shape: "scalar",
      placeholder: "duration",
      description: "Wait this long after SIGTERM before shutting down.",
    },
    duration(),
    "0s",
  ),
  timeScale: withDefault(
    {
      flag: "time-scale",
      section: SYNC,
      shape: "scalar",
      placeholder: "factor",
      description:
        "Run every timer of the controller (backoffs, probes, deadlines, holdoffs, watchdogs) this many times faster than real time. For tests of minutes-long outages; leave it at 1.",
      ours: true,
    },
    number({ min: 1 }),
    "1",
  ),
  healthProbeBindAddress: withDefault(
    {
      flag: "health-probe-bind-address",
      section: OBS,
      shape: "scalar",
      placeholder: "[host]:port",
      description: "Where /healthz and /readyz are served.",
    },
    bindAddress(),
    ":10254",
  ),
  metricsBindAddress: withDefault(
    {
      flag: "metrics-bind-address",
      section: OBS,
      shape: "scalar",
      placeholder: "[host]:port",
      description: "Where /metrics is served.",
    },
    bindAddress(),
    ":10255",
  ),
  diagnosticServerPort: withDefault(
    {
      flag: "diagnostic-server-port",
      section: OBS,
      shape: "scalar",
      placeholder: "port",
      description: "Port of /debug/config/*, served only with --dump-config.",
    },
    number({ min: 1, integer: true }).refine(n => n <= 65_535, "expected a port number"),
    "10256",
  ),
  dumpConfig: withDefault(
    {
      flag: "dump-config",
      section: OBS,
      shape: "boolean",
      placeholder: "bool",
      description: "Serve the last successful, failed and fallback configs under /debug/config/.",
    },
    bool(),
    "false",
  ),
  dumpSensitiveConfig: withDefault(
    {
      flag: "dump-sensitive-config",
      section: OBS,
      shape: "boolean",
      placeholder: "bool",
      description: "Include certificate keys and credentials in those dumps.",
    },
    bool(),
    "false",
  ),
  logLevel: withDefault(
    {
      flag: "log-level",
      section: OBS,
      shape: "scalar",
      placeholder: KIC_LOG_LEVELS.join("|"),
      description: "Lowest level logged.",
    },
    z.enum(KIC_LOG_LEVELS).transform(level => (level === "panic" ? "fatal" : level)),
    "info",
  ),
  logFormat: withDefault(
    {
      flag: "log-format",
      section: OBS,
      shape: "scalar",
      placeholder: LOG_FORMATS.join("|"),
      // KIC's default, so a KIC values file that sets nothing logs alike.
      description: "text: human-readable lines; json: one JSON object per line, for log pipelines.",
    },
    z.enum(LOG_FORMATS),
    "text",
  ),
};

export type SettingKey = keyof typeof SETTINGS;

type Shape = { [K in SettingKey]: (typeof SETTINGS)[K]["schema"] };

function shapeOf(settings: typeof SETTINGS): Shape {
  const entries = Object.entries(settings).map(([key, s]) => [key, s.schema] as const);
  return Object.fromEntries(entries) as Shape;
}

type Parsed = z.output<z.ZodObject<Shape>>;

/** A rule spanning settings. It runs only when every setting in `keys` parsed, and names `blame`. */
export interface CrossFieldRule {
  readonly keys: readonly SettingKey[];
  check(c: Parsed): { readonly blame: SettingKey; readonly message: string } | undefined;
}

export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  {
    // KIC refuses to start in this case too (kic-conventions.md §5.1).
    keys: ["updateStatus", "publishService", "publishStatusAddress"],
    check: c =>
      c.updateStatus && c.publishService === undefined && c.publishStatusAddress.length === 0
        ? {
            blame: "updateStatus",
            message:
              "status updates are enabled but there is no way to find the data-plane addresses: set --publish-service or --publish-status-address, or --update-status=false",
          }
        : undefined,
  },
  {
    keys: ["kongAdminTlsClientCert", "kongAdminTlsClientKey"],
    check: c =>
      (c.kongAdminTlsClientCert === undefined) === (c.kongAdminTlsClientKey === undefined)
        ? undefined
        : {
            blame:
              c.kongAdminTlsClientCert === undefined
                ? "kongAdminTlsClientCert"
                : "kongAdminTlsClientKey",
            message: "a client certificate and its key must be given together",
          },
  },
  {
    // Two sources of Kongs would leave it unclear which set gets our config. KIC lets the Service win
    // and ignores the URLs without a word; we refuse, so nobody pushes to a set they did not mean. The
    // default URL is no choice: it stays silent.
    keys: ["kongAdminSvc", "kongAdminUrl"],
    check: c =>
      c.kongAdminSvc !== undefined &&
      JSON.stringify(c.kongAdminUrl) !== JSON.stringify(DEFAULT_KONG_ADMIN_URL)
        ? {
            blame: "kongAdminUrl",
            message:
              "cannot be combined with --kong-admin-svc: the Service's endpoints are the Kongs to push to; drop one of them",
          }
        : undefined,
  },
  {
    // client-go's validation: a leader must step down before its Lease can expire under it.
    keys: ["electionLeaseDurationMs", "electionRenewDeadlineMs"],
    check: c =>
      c.electionRenewDeadlineMs >= c.electionLeaseDurationMs
        ? {
            blame: "electionRenewDeadlineMs",
            message: `must be shorter than --election-lease-duration (${formatDuration(c.electionLeaseDurationMs)})`,
          }
        : undefined,
  },
  {
    // A leader that cannot renew steps down retry period + renew deadline after its last renewal
    // began (src/runtime/leader-election.ts); another replica may take over a lease duration after
    // it saw that renewal. Reported only when the two rules above hold, which it then sharpens.
    keys: ["electionLeaseDurationMs", "electionRenewDeadlineMs", "electionRetryPeriodMs"],
    check: c =>
      c.electionRenewDeadlineMs < c.electionLeaseDurationMs &&
      c.electionRenewDeadlineMs > ELECTION_JITTER * c.electionRetryPeriodMs &&
      c.electionRetryPeriodMs + c.electionRenewDeadlineMs >= c.electionLeaseDurationMs
        ? {
            blame: "electionRenewDeadlineMs",
            message: `plus --election-retry-period (${formatDuration(c.electionRetryPeriodMs)}) must be shorter than --election-lease-duration (${formatDuration(c.electionLeaseDurationMs)}): a leader that cannot renew steps down that long after its last renewal, and another replica may take over a lease duration after it`,
          }
        : undefined,
  },
  {
    keys: ["electionRenewDeadlineMs", "electionRetryPeriodMs"],
    check: c =>
      c.electionRenewDeadlineMs <= ELECTION_JITTER * c.electionRetryPeriodMs
        ? {
            blame: "electionRetryPeriodMs",
            message: `must be shorter than --election-renew-deadline (${formatDuration(c.electionRenewDeadlineMs)}) divided by ${ELECTION_JITTER}`,
          }
        : undefined,
  },
  {
    keys: ["syncHoldoffMs", "syncMaxDelayMs"],
    check: c =>
      c.syncHoldoffMs > c.syncMaxDelayMs
        ? {
            blame: "syncMaxDelayMs",
            message: `must not be shorter than --sync-holdoff (${formatDuration(c.syncHoldoffMs)})`,
          }
        : undefined,
  },
];

function crossFieldRules(c: Parsed, ctx: z.RefinementCtx): void {
  for (const rule of CROSS_FIELD_RULES) {
    const problem = rule.check(c);
    if (problem !== undefined) {
      ctx.addIssue({ code: "custom", path: [problem.blame], message: problem.message });
    }
  }
}

/**
 * The one schema for `kongress run`. Input: raw strings (lists for `list` settings) keyed like
 * `SETTINGS`; output: typed values with defaults applied. `configSchema.parse({})` is the default config
 * apart from the cross-field rules, which need a publish address when status updates are on.
 */
export const configSchema = z.object(shapeOf(SETTINGS)).superRefine(crossFieldRules);

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The validated, deep-frozen settings of `kongress run`. */
export type Config = DeepReadonly<z.output<typeof configSchema>> & {
  /** KIC flags and `CONTROLLER_*` variables that were given but have no effect; logged as a warning. */
  readonly ignoredSettings: readonly string[];
};

/** `kong-admin-url` → `CONTROLLER_KONG_ADMIN_URL`, KIC's binding. */
export function envNameOf(flag: string): string {
  return `CONTROLLER_${flag.toUpperCase().replaceAll("-", "_")}`;
}
