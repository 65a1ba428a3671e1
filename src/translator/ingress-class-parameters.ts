/**
 * KIC's IngressClassParameters (kic-conventions.md §2.1): the object our IngressClass's
 * `spec.parameters` names sets `serviceUpstream` and `enableLegacyRegexDetection` for every Ingress of
 * the class. A reference that cannot be followed is a problem on the IngressClass; defaults apply.
 */
import type { IngressClass, IngressClassParameters } from "../model/k8s.ts";
import type { ResultSink } from "./results.ts";
import type { Snapshot } from "./types.ts";

export const PARAMETERS_GROUP = "configuration.konghq.com";
export const PARAMETERS_KIND = "IngressClassParameters";

/** What the Ingresses of the class get from its parameters. */
export interface ClassSettings {
  readonly serviceUpstream: boolean;
  readonly legacyRegexDetection: boolean;
  /** The parameters object they came from: an Ingress that read it depends on it. */
  readonly source?: IngressClassParameters;
}

export const DEFAULT_CLASS_SETTINGS: ClassSettings = Object.freeze({
  serviceUpstream: false,
  legacyRegexDetection: false,
});

/**
 * The settings our IngressClass's parameters give, reporting a reference that leads nowhere.
 * `settingsOf` turns the parameters object into settings; the translator's memo gives the same settings
 * object for the same parameters object, so an Ingress translated with them can be reused.
 */
export function classSettings(
  ingressClass: IngressClass | undefined,
  snapshot: Snapshot,
  results: ResultSink,
  settingsOf: (parameters: IngressClassParameters) => ClassSettings = settingsFromParameters,
): ClassSettings {
  const ref = ingressClass?.spec.parameters;
  if (ingressClass === undefined || ref === undefined) return DEFAULT_CLASS_SETTINGS;
  // Parameters of other controllers (another group or kind) are not ours to read.
  if ((ref.apiGroup ?? "") !== PARAMETERS_GROUP || ref.kind !== PARAMETERS_KIND) {
    return DEFAULT_CLASS_SETTINGS;
  }
  if (
    ref.namespace === undefined ||
    ref.namespace === "" ||
    (ref.scope ?? "Namespace") !== "Namespace"
  ) {
    results.problem(
      ingressClass,
      "InvalidParameters",
      `spec.parameters: ${PARAMETERS_KIND} ${ref.name} needs scope Namespace and a namespace; defaults apply`,
    );
    return DEFAULT_CLASS_SETTINGS;
  }
  const found = snapshot.ingressClassParameters.find(
    p => p.metadata.name === ref.name && p.metadata.namespace === ref.namespace,
  );
  if (found === undefined) {
    results.problem(
      ingressClass,
      "ParametersNotFound",
      `spec.parameters: ${PARAMETERS_KIND} ${ref.namespace}/${ref.name} not found (or its CRD is not installed); defaults apply`,
    );
    return DEFAULT_CLASS_SETTINGS;
  }
  results.dependsOn(ingressClass, found);
  results.translated(found);
  return settingsOf(found);
}

export function settingsFromParameters(parameters: IngressClassParameters): ClassSettings {
  return {
    serviceUpstream: parameters.spec.serviceUpstream === true,
    legacyRegexDetection: parameters.spec.enableLegacyRegexDetection === true,
    source: parameters,
  };
}

/** Kong 2.x's test for a plain path (KIC's LegacyRegexPathExpression): anything else was a regex. */
const LEGACY_PLAIN_PATH = /^[a-zA-Z0-9.\-_~/%]*$/;

/**
 * `enableLegacyRegexDetection`: an ImplementationSpecific path that Kong 2.x would have read as a
 * regex gets the regex prefix, as KIC's migration aid does; Prefix and Exact paths are left alone.
 */
export function legacyRegexPath(
  path: string,
  pathType: string | undefined,
  regexPrefix: string,
): string {
  const implementationSpecific = pathType === undefined || pathType === "ImplementationSpecific";
  if (!implementationSpecific || path.startsWith(regexPrefix) || LEGACY_PLAIN_PATH.test(path)) {
    return path;
  }
  return regexPrefix + path;
}
