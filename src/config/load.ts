import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type * as z from "zod";
import { ConfigInvalidError } from "../errors.ts";
import { deepFreeze } from "../util/deep-freeze.ts";
import { splitList } from "./parsers.ts";
import { IGNORED_KIC_FLAGS, isIgnoredKicBoolean, isIgnoredKicFlag } from "./kic-flags.ts";
import {
  configSchema,
  CROSS_FIELD_RULES,
  type CrossFieldRule,
  envNameOf,
  SETTINGS,
  type Config,
  type RawValue,
  type SettingKey,
  type SettingMeta,
} from "./schema.ts";

/** One bad setting: which flag or variable, and what is wrong with it. */
export interface SettingProblem {
  /** `--flag`, `CONTROLLER_FLAG` or both, whichever the value came from. */
  readonly setting: string;
  readonly message: string;
}

/** Start-up settings are invalid; `problems` lists every one, not just the first. */
export class ConfigSettingsInvalidError extends ConfigInvalidError {
  readonly problems: readonly SettingProblem[];

  constructor(problems: readonly SettingProblem[]) {
    const lines = problems.map(p => `  ${p.setting}: ${p.message}`);
    super(`invalid settings:\n${lines.join("\n")}`);
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  /** Arguments after `kongress run`. */
  readonly argv: readonly string[];
  /** The process environment; only `CONTROLLER_*` names are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a `*-file` setting; defaults to a UTF-8 read from disk. */
  readonly readFile?: (path: string) => string;
}

type Source = "flag" | "env" | "file";

interface Gathered {
  readonly raw: Partial<Record<SettingKey, RawValue>>;
  readonly sources: Partial<Record<SettingKey, Source>>;
  readonly problems: SettingProblem[];
  readonly ignored: string[];
}

const KEYS = Object.keys(SETTINGS) as SettingKey[];

function metaOf(key: SettingKey): SettingMeta {
  return SETTINGS[key];
}

function isBareBoolean(name: string): boolean {
  const key = KEYS.find(k => metaOf(k).flag === name);
  if (key !== undefined) return metaOf(key).shape === "boolean";
  return isIgnoredKicBoolean(name);
}

/** pflag lets a boolean be given bare (`--dump-config`); parseArgs needs an explicit value. */
function normaliseBooleans(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (arg === "--") {
      out.push(...argv.slice(out.length));
      break;
    }
    const bare = arg.startsWith("--") && !arg.includes("=") && isBareBoolean(arg.slice(2));
    out.push(bare ? `${arg}=true` : arg);
  }
  return out;
}

function parseOptions(): Record<string, { type: "string"; multiple: true }> {
  const names = KEYS.flatMap(k => {
    const m = metaOf(k);
    return m.fileVariant === true ? [m.flag, `${m.flag}-file`] : [m.flag];
  });
  const all = [...names, ...Object.keys(IGNORED_KIC_FLAGS)];
  return Object.fromEntries(all.map(n => [n, { type: "string", multiple: true }] as const));
}

/** Reads argv into `flag name → values`, reporting unknown flags, stray arguments and missing values. */
function readFlags(argv: readonly string[], problems: SettingProblem[]): Map<string, string[]> {
  const options = parseOptions();
  const { tokens } = parseArgs({
    args: normaliseBooleans(argv),
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags = new Map<string, string[]>();
  for (const token of tokens) {
    if (token.kind === "positional") {
      // Never echoed: after a mistyped flag (`--kong-admin-tokn SECRET`) the value is a secret.
      problems.push({
        setting: "argument",
        message: "unexpected argument (its value is not shown: it may belong to a mistyped flag)",
      });
      continue;
    }
    if (token.kind !== "option" || token.name === "help" || token.name === "h") continue;
    const known = Object.hasOwn(options, token.name) || isIgnoredKicFlag(token.name);
    const value = token.value;
    if (!known) {
      problems.push({ setting: token.rawName, message: "unknown flag" });
    } else if (value === undefined || (!token.inlineValue && value.startsWith("--"))) {
      // parseArgs in non-strict mode swallows the next flag as a value; pflag would refuse it.
      problems.push({ setting: token.rawName, message: "needs a value" });
    } else {
      flags.set(token.name, [...(flags.get(token.name) ?? []), value]);
    }
  }
  return flags;
}

function rawFrom(meta: SettingMeta, values: readonly string[]): RawValue {
  return meta.shape === "list" ? splitList(values) : (values.at(-1) ?? "");
}

interface ResolveContext {
  readonly flags: Map<string, string[]>;
  readonly env: LoadConfigOptions["env"];
  readonly readFile: (path: string) => string;
  readonly out: Gathered;
}

function readFileSetting(ctx: ResolveContext, key: SettingKey, label: string, path: string): void {
  try {
    const content = ctx.readFile(path);
    // A token file usually ends with a newline that is not part of the token.
    ctx.out.raw[key] = metaOf(key).placeholder === "pem" ? content : content.trim();
    ctx.out.sources[key] = "file";
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    ctx.out.problems.push({ setting: label, message: `cannot read ${path}: ${reason}` });
  }
}

/** Precedence: flag, then env var, then the schema default. A `*-file` variant counts as its flag. */
function resolveSetting(ctx: ResolveContext, key: SettingKey): void {
  const meta = metaOf(key);
  const flagValues = ctx.flags.get(meta.flag);
  const envValue = ctx.env[envNameOf(meta.flag)];
  const fileFlag = `${meta.flag}-file`;
  const fileValues = meta.fileVariant === true ? ctx.flags.get(fileFlag) : undefined;
  const fileEnv = meta.fileVariant === true ? ctx.env[envNameOf(fileFlag)] : undefined;

  if (flagValues !== undefined && fileValues !== undefined) {
    ctx.out.problems.push({ setting: `--${meta.flag}`, message: `conflicts with --${fileFlag}` });
  } else if (flagValues !== undefined) {
    ctx.out.raw[key] = rawFrom(meta, flagValues);
    ctx.out.sources[key] = "flag";
  } else if (fileValues !== undefined) {
    readFileSetting(ctx, key, `--${fileFlag}`, fileValues.at(-1) ?? "");
  } else if (envValue !== undefined && fileEnv !== undefined) {
    const message = `conflicts with ${envNameOf(fileFlag)}`;
    ctx.out.problems.push({ setting: envNameOf(meta.flag), message });
  } else if (envValue !== undefined) {
    ctx.out.raw[key] = rawFrom(meta, [envValue]);
    ctx.out.sources[key] = "env";
  } else if (fileEnv !== undefined) {
    readFileSetting(ctx, key, envNameOf(fileFlag), fileEnv);
  }
}

function knownEnvNames(): Set<string> {
  const names = KEYS.flatMap(k => {
    const m = metaOf(k);
    return m.fileVariant === true ? [m.flag, `${m.flag}-file`] : [m.flag];
  });
  return new Set(names.map(envNameOf));
}

function collectIgnored(flags: Map<string, string[]>, env: LoadConfigOptions["env"]): string[] {
  const known = knownEnvNames();
  const fromFlags = [...flags.keys()].filter(isIgnoredKicFlag).map(n => `--${n}`);
  const fromEnv = Object.keys(env).filter(n => n.startsWith("CONTROLLER_") && !known.has(n));
  return [...fromFlags, ...fromEnv].sort();
}

function labelOf(key: SettingKey, source: Source | undefined): string {
  const meta = metaOf(key);
  if (source === "env") return envNameOf(meta.flag);
  if (source === "file") return `--${meta.flag}-file`;
  return `--${meta.flag}`;
}

function gather(opts: LoadConfigOptions): Gathered {
  const problems: SettingProblem[] = [];
  const flags = readFlags(opts.argv, problems);
  const out: Gathered = {
    raw: {},
    sources: {},
    problems,
    ignored: collectIgnored(flags, opts.env),
  };
  const readFile = opts.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  const ctx: ResolveContext = { flags, env: opts.env, readFile, out };
  for (const key of KEYS) resolveSetting(ctx, key);
  return out;
}

/**
 * Builds the `kongress run` config from argv and env (flags > env > defaults), validates every setting
 * against the schema, and returns it deep-frozen. Throws `ConfigSettingsInvalidError` naming every bad
 * setting at once, so an operator fixes a manifest in one round.
 */
export function loadConfig(opts: LoadConfigOptions): Config {
  const gathered = gather(opts);
  const result = configSchema.safeParse(gathered.raw);
  if (result.success && gathered.problems.length === 0) {
    return deepFreeze({ ...result.data, ignoredSettings: gathered.ignored });
  }
  throw new ConfigSettingsInvalidError([...gathered.problems, ...settingProblems(gathered)]);
}

/** `, got "…"` for a value a parser refused, unless the setting is sensitive (a token, a header). */
function badValue(key: SettingKey, issue: z.core.$ZodIssue): string {
  const got: unknown = issue.code === "custom" ? issue.params?.["got"] : undefined;
  if (typeof got !== "string" || metaOf(key).sensitive === true) return "";
  return `, got ${JSON.stringify(got)}`;
}

/**
 * Validates each setting on its own, then every cross-field rule whose settings are all valid: zod
 * skips an object's refinements once a field fails, but an operator should see every problem at once.
 */
function settingProblems(gathered: Gathered): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const parsed: Partial<Record<SettingKey, unknown>> = {};
  const push = (key: SettingKey, message: string): void => {
    problems.push({ setting: labelOf(key, gathered.sources[key]), message });
  };
  for (const key of KEYS) {
    const result = SETTINGS[key].schema.safeParse(gathered.raw[key]);
    if (result.success) {
      parsed[key] = result.data;
      continue;
    }
    for (const issue of result.error.issues) {
      const item = issue.path.length > 0 ? ` (item ${String(issue.path[0])})` : "";
      push(key, issue.message + badValue(key, issue) + item);
    }
  }
  for (const rule of CROSS_FIELD_RULES) {
    if (!rule.keys.every(k => Object.hasOwn(parsed, k))) continue;
    const problem = rule.check(parsed as Parameters<CrossFieldRule["check"]>[0]);
    if (problem !== undefined) push(problem.blame, problem.message);
  }
  return problems;
}
