/**
 * What `kongress translate` and `kongress validate` share: read the manifests, build a snapshot, run the
 * same translation the controller runs, and describe every note and problem as one line for stderr.
 */
import type { KongConfig } from "../kong/types.ts";
import { DEFAULT_KONG_VALIDATION_OPTIONS } from "../kong/validate/index.ts";
import type { AnyKongPlugin } from "../model/kong.ts";
import { escapeControl } from "../util/escape-control.ts";
import { isDns1123Subdomain } from "../config/parsers.ts";
import { DEFAULT_NAMESPACE, SUPPORTED_API_VERSIONS } from "../model/parse.ts";
import { isKindName, KINDS } from "../model/kinds.ts";
import { buildSnapshot } from "../model/snapshot.ts";
import { objectKey, type ObjectRef } from "../model/object-ref.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../translator/index.ts";
import type { WriterFlavor } from "../translator/kong-writer/index.ts";
import { DEFAULT_GATEWAY_CONTROLLER_NAME, type TranslationResult } from "../translator/types.ts";
import { UsageError } from "./command.ts";
import { statusProblems } from "./statuses.ts";
import {
  loadManifests,
  type InvalidObject,
  type LoadedObject,
  type LoadResult,
  type SkippedObject,
  type Source,
} from "./load-manifests.ts";

/** The `parseArgs` options both offline commands take. */
export const COMMON_OPTIONS = {
  filename: { type: "string", short: "f", multiple: true },
  "ingress-class": { type: "string" },
  "gateway-api-controller-name": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Help lines for {@link COMMON_OPTIONS}. */
export const COMMON_OPTIONS_HELP = `  -f, --filename PATH       A manifest file, or a directory searched recursively for .yaml, .yml
                            and .json files. Repeatable. Multi-document YAML and kind: List are
                            accepted; objects without a namespace go to "default".
      --ingress-class NAME  The IngressClass this controller serves (default: ${DEFAULT_TRANSLATE_OPTIONS.ingressClass}).
      --gateway-api-controller-name NAME
                            GatewayClasses naming this controller are ours
                            (default: ${DEFAULT_GATEWAY_CONTROLLER_NAME}). Gateway listeners are
                            assumed served: offline there is no Kong to ask.`;

export interface CommonArgs {
  readonly files: readonly string[];
  readonly ingressClass: string;
  readonly gatewayControllerName: string;
  /** Kong's router_flavor to translate for (`--router-flavor`); default `traditional_compatible`. */
  readonly routerFlavor?: WriterFlavor;
  /** What certificates' dates are checked against (ms since the epoch); unset: not checked. */
  readonly now?: number;
}

/** Checks the shared options' values; throws `UsageError`. */
export function commonArgs(values: {
  filename?: string[] | undefined;
  "ingress-class"?: string | undefined;
  "gateway-api-controller-name"?: string | undefined;
}): CommonArgs {
  const files = values.filename ?? [];
  if (files.length === 0) throw new UsageError("at least one -f PATH is required");
  if (files.some(f => f === "")) throw new UsageError("-f needs a non-empty PATH");
  const ingressClass = values["ingress-class"] ?? DEFAULT_TRANSLATE_OPTIONS.ingressClass;
  if (!isDns1123Subdomain(ingressClass))
    throw new UsageError(
      `--ingress-class ${JSON.stringify(ingressClass)}: expected an IngressClass name (a DNS-1123 subdomain)`,
    );
  const gatewayControllerName =
    values["gateway-api-controller-name"] ?? DEFAULT_GATEWAY_CONTROLLER_NAME;
  if (gatewayControllerName === "")
    throw new UsageError("--gateway-api-controller-name needs a non-empty NAME");
  return { files, ingressClass, gatewayControllerName };
}

const flavor = (args: CommonArgs): WriterFlavor => args.routerFlavor ?? "traditional_compatible";

export interface OfflineRun {
  readonly result: TranslationResult;
  /** Notes first, then problems; each one line without a trailing newline. */
  readonly notes: readonly string[];
  readonly problems: readonly string[];
}

function objectName(kind: string, namespace: string | undefined, name: string | undefined): string {
  const shownName = name === undefined || name === "" ? "(unnamed)" : name;
  if (isKindName(kind) && !KINDS[kind].namespaced) return `${kind} ${shownName}`;
  const ns = namespace === undefined || namespace === "" ? DEFAULT_NAMESPACE : namespace;
  return `${kind} ${ns}/${shownName}`;
}

function at(source: Source): string {
  return `${source.file}:${source.line}`;
}

function skippedNote(s: SkippedObject): string {
  const name =
    s.name === "" ? "(unnamed)" : s.namespace === "" ? s.name : `${s.namespace}/${s.name}`;
  const handled = SUPPORTED_API_VERSIONS[s.kind];
  const why =
    handled === undefined
      ? "not a kind kongress translates"
      : `kongress reads ${s.kind} only as ${handled}`;
  return `note: ${at(s.source)}: ignoring ${s.apiVersion} ${s.kind} ${name} (${why})`;
}

function invalidProblem(i: InvalidObject): string {
  return `${objectName(i.kind, i.namespace, i.name)}: InvalidObject: ${i.reason} (${at(i.source)})`;
}

function refName(ref: ObjectRef): string {
  return objectName(ref.kind, ref.namespace, ref.name);
}

/** Later definitions of the same object replace earlier ones, as successive applies would; say so. */
function duplicateNotes(objects: readonly LoadedObject[]): string[] {
  const seen = new Map<string, Source>();
  const notes: string[] = [];
  for (const { object, source } of objects) {
    const key = objectKey(object);
    const earlier = seen.get(key);
    const name = objectName(object.kind, object.metadata.namespace, object.metadata.name);
    if (earlier !== undefined)
      notes.push(`note: ${at(source)}: ${name} replaces the one defined at ${at(earlier)}`);
    seen.set(key, source);
  }
  return notes;
}

function translationProblems(result: TranslationResult): string[] {
  return result.results.flatMap(r =>
    r.problems.map(p => `${refName(r.ref)}: ${p.reason}: ${p.message}`),
  );
}

function isPluginObject(object: LoadedObject["object"]): object is AnyKongPlugin {
  return object.kind === "KongPlugin" || object.kind === "KongClusterPlugin";
}

/**
 * Offline there is no Kong to say which plugins it has: a plugin object of a plugin Kong does not
 * bundle is sent as it is, and said to be unchecked, since our schemas know only Kong's bundled ones.
 */
function uncheckedPluginNotes(
  objects: readonly LoadedObject[],
  result: TranslationResult,
): string[] {
  const bundled = DEFAULT_KONG_VALIDATION_OPTIONS.enabledPlugins;
  const used = new Set(
    result.results
      .filter(r => r.outcome === "translated")
      .map(r => objectName(r.ref.kind, r.ref.namespace, r.ref.name)),
  );
  return objects.flatMap(({ object, source }) => {
    if (!isPluginObject(object) || bundled.has(object.plugin)) return [];
    const name = objectName(object.kind, object.metadata.namespace, object.metadata.name);
    if (!used.has(name)) return [];
    return [
      `note: ${at(source)}: ${name}: plugin ${object.plugin} is not one of Kong's bundled plugins: its config was not checked (the Kong it is sent to must have it enabled, and judges the config)`,
    ];
  });
}

/**
 * The plugins a Kong must have for `config`: Kong's bundled ones, and every other one the config uses
 * (offline, such a plugin is taken to be installed; see uncheckedPluginNotes).
 */
export function offlineKongPlugins(config: KongConfig): ReadonlySet<string> {
  const names = new Set(DEFAULT_KONG_VALIDATION_OPTIONS.enabledPlugins);
  const services = config.services ?? [];
  const lists = [
    config.plugins,
    ...services.map(s => s.plugins),
    ...services.flatMap(s => (s.routes ?? []).map(r => r.plugins)),
  ];
  for (const list of lists) for (const p of list ?? []) names.add(p.name);
  return names;
}

/** Translates already loaded manifests. */
export function translateLoaded(loaded: LoadResult, args: CommonArgs): OfflineRun {
  const snapshot = buildSnapshot(loaded.objects.map(o => o.object));
  const result = translate(snapshot, {
    ...DEFAULT_TRANSLATE_OPTIONS,
    ingressClass: args.ingressClass,
    gatewayControllerName: args.gatewayControllerName,
    ...(args.routerFlavor === undefined ? {} : { routerFlavor: () => flavor(args) }),
    ...(args.now === undefined ? {} : { now: args.now }),
  });
  return {
    result,
    notes: [
      ...loaded.skipped.map(skippedNote),
      ...duplicateNotes(loaded.objects),
      ...uncheckedPluginNotes(loaded.objects, result),
    ],
    problems: [
      ...loaded.invalid.map(invalidProblem),
      ...translationProblems(result),
      ...statusProblems(result.gatewayApi),
    ],
  };
}

/** Reads the manifests and translates them; throws `ManifestError` for unreadable or unparsable files. */
export async function loadAndTranslate(args: CommonArgs, cwd: string): Promise<OfflineRun> {
  return translateLoaded(await loadManifests(args.files, { cwd }), args);
}

/**
 * Writes each entry as exactly one line (inner line breaks become spaces, so one problem is always one
 * line for grep and CI logs), in a single write.
 */
export function writeLines(
  sink: { write(chunk: string): unknown },
  lines: readonly string[],
): void {
  if (lines.length > 0)
    sink.write(lines.map(l => `${escapeControl(l.replace(/\s*[\r\n]+\s*/g, " "))}\n`).join(""));
}
