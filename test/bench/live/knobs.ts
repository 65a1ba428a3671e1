/** The live benchmark's settings, read once from BENCH_* environment variables (docs/benchmarks.md). */

export interface LiveKnobs {
  /** Objects per cluster (about 3 per app): 1000 → 333 apps, 10000 → 3,333 apps. */
  readonly scales: readonly number[];
  readonly changes: number;
  /** Single EndpointSlice changes (a pod replaced) after the Ingress ones, with default flags. */
  readonly sliceChanges: number;
  /**
   * Single HTTPRoute changes after the EndpointSlice ones, with default flags. When set, the cluster is
   * the mixed one (synthetic-cluster.ts): the Gateway API CRDs, a GatewayClass, a Gateway and an
   * HTTPRoute for every fiftieth app beside the Ingress cluster.
   */
  readonly routeChanges: number;
  /** Gap between two single changes, drawn uniformly from [min, max] ms. */
  readonly changeGapMs: { readonly min: number; readonly max: number };
  readonly churnSeconds: number;
  readonly churnRate: number;
  readonly idleSeconds: number;
  readonly settleSeconds: number;
  readonly noiseSecrets: number;
  readonly noiseSecretKiB: number;
  /** Server-side applies in flight while the cluster is created. */
  readonly applyConcurrency: number;
  /** Longest wait for the first POST, for every Ingress's status, and for a marker to reach Kong. */
  readonly syncTimeoutSeconds: number;
  readonly seed: number;
  /**
   * The stand-in's `nginx_admin_client_max_body_size`. Kong's default is 10 MiB, which the 10k config
   * exceeds; the default here is that of a Kong configured for large configs.
   */
  readonly kongMaxBodyMiB: number;
  /** More `kongress run` flags for every controller start (e.g. `--log-level=warn`). */
  readonly controllerArgs: readonly string[];
  /** More Node options for every controller start (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
  readonly controllerNodeArgs: readonly string[];
  /** More environment for every controller start only, not the benchmark's own process (`K=V K2=V2`). */
  readonly controllerEnv: Readonly<Record<string, string>>;
  /**
   * Run `bin/kongress.js` from the checkout (Node strips the TypeScript types at start-up) instead of
   * from the image's layout (compiled JavaScript, no sources), which is how the image runs it.
   */
  readonly fromSources: boolean;
  /** The `bin/kongress.js` to run; set by the benchmark once it has built the image's layout. */
  readonly controllerBin?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function number(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name}=${raw}: expected a number ≥ 0`);
  return value;
}

function range(env: Env, name: string, fallback: string): { min: number; max: number } {
  const raw = env[name] ?? fallback;
  const [min = NaN, max = min] = raw.split("-").map(Number);
  if (!Number.isFinite(min) || !Number.isFinite(max) || min < 0 || max < min) {
    throw new Error(`${name}=${raw}: expected <min>-<max> in milliseconds`);
  }
  return { min, max };
}

function assignments(env: Env, name: string): Record<string, string> {
  const pairs = (env[name] ?? "").split(/\s+/).filter(a => a !== "");
  return Object.fromEntries(
    pairs.map(pair => {
      const eq = pair.indexOf("=");
      if (eq < 1) throw new Error(`${name}: ${pair}: expected NAME=value`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

/** Whether a part is on: anything but `0`, `false` or `no`. */
export function enabled(env: Env, name: string): boolean {
  return !["0", "false", "no"].includes((env[name] ?? "1").toLowerCase());
}

export function readLiveKnobs(env: Env): LiveKnobs {
  const scales = (env["BENCH_SCALES"] ?? "1000,10000")
    .split(",")
    .filter(s => s.trim() !== "")
    .map(Number);
  if (scales.some(s => !Number.isInteger(s) || s < 6)) {
    throw new Error(`BENCH_SCALES=${env["BENCH_SCALES"] ?? ""}: expected integers ≥ 6`);
  }
  return {
    scales,
    changes: number(env, "BENCH_CHANGES", 200),
    sliceChanges: number(env, "BENCH_SLICE_CHANGES", 100),
    routeChanges: number(env, "BENCH_ROUTE_CHANGES", 0),
    changeGapMs: range(env, "BENCH_CHANGE_GAP_MS", "1000-2000"),
    churnSeconds: number(env, "BENCH_CHURN_SECONDS", 60),
    churnRate: number(env, "BENCH_CHURN_RATE", 100),
    idleSeconds: number(env, "BENCH_IDLE_SECONDS", 60),
    settleSeconds: number(env, "BENCH_SETTLE_SECONDS", 10),
    noiseSecrets: number(env, "BENCH_NOISE_SECRETS", 2000),
    noiseSecretKiB: number(env, "BENCH_NOISE_SECRET_KIB", 256),
    applyConcurrency: Math.max(1, number(env, "BENCH_APPLY_CONCURRENCY", 24)),
    syncTimeoutSeconds: number(env, "BENCH_SYNC_TIMEOUT_SECONDS", 600),
    seed: number(env, "BENCH_SEED", 1),
    kongMaxBodyMiB: number(env, "BENCH_KONG_MAX_BODY_MIB", 64),
    fromSources: env["BENCH_FROM_SOURCES"] === "1",
    controllerArgs: (env["BENCH_CONTROLLER_ARGS"] ?? "").split(/\s+/).filter(a => a !== ""),
    controllerNodeArgs: (env["BENCH_CONTROLLER_NODE_ARGS"] ?? "")
      .split(/\s+/)
      .filter(a => a !== ""),
    controllerEnv: assignments(env, "BENCH_CONTROLLER_ENV"),
  };
}
