/**
 * GatewayClass `SupportedVersion`: whether the installed Gateway API CRDs come from a release this
 * controller supports, read from the `gateway.networking.k8s.io/bundle-version` annotation each CRD
 * of a release carries. The versions come from outside (the controller reads the CRDs; offline there
 * are none, and then nothing is claimed), so translation stays a function of its inputs.
 *
 * Supported: v1.1 (the first release with GRPCRoute v1) through v1.6 (the release this controller is
 * built and tested against). A newer release may carry fields we would silently ignore, so it is
 * reported as unsupported too, as the spec asks; the class stays Accepted and everything we understand
 * keeps working.
 */
import { condition, type ConditionSpec } from "./conditions.ts";

/** What the controller knows of the installed CRDs (kube/discovery.ts `CrdBundles`). */
export type GatewayApiBundles =
  | { readonly state: "known"; readonly versions: ReadonlyMap<string, string | undefined> }
  | { readonly state: "unknown"; readonly message: string };

export const OLDEST_SUPPORTED_BUNDLE: readonly [number, number] = [1, 1];
export const NEWEST_SUPPORTED_BUNDLE: readonly [number, number] = [1, 6];

const SEMVER = /^v(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/;

/** Orders releases by major, then minor version. */
const rank = ([major, minor]: readonly [number, number]): number => major * 10_000 + minor;

const label = ([major, minor]: readonly [number, number]): string => `v${major}.${minor}`;

/** Why `version` is not supported, or undefined when it is. */
export function unsupportedBecause(version: string | undefined): string | undefined {
  if (version === undefined) return "carries no bundle-version annotation";
  const m = SEMVER.exec(version);
  if (m === null) return `has bundle version ${version}, which is not a release version`;
  const release = rank([Number(m[1]), Number(m[2])]);
  if (release >= rank(OLDEST_SUPPORTED_BUNDLE) && release <= rank(NEWEST_SUPPORTED_BUNDLE))
    return undefined;
  const range = `${label(OLDEST_SUPPORTED_BUNDLE)} to ${label(NEWEST_SUPPORTED_BUNDLE)}.x`;
  return `has bundle version ${version}; supported are ${range}`;
}

/** The `SupportedVersion` condition for `bundles`; none offline (nothing is known to claim). */
export function supportedVersionCondition(
  bundles: GatewayApiBundles | undefined,
): ConditionSpec | undefined {
  if (bundles === undefined) return undefined;
  if (bundles.state === "unknown")
    return condition(
      "SupportedVersion",
      "Unknown",
      "Pending",
      `the Gateway API CRDs' bundle version is not known: ${bundles.message}`,
    );
  const problems: string[] = [];
  for (const [crd, version] of bundles.versions) {
    const why = unsupportedBecause(version);
    if (why !== undefined) problems.push(`CRD ${crd} ${why}`);
  }
  if (problems.length > 0)
    return condition("SupportedVersion", "False", "UnsupportedVersion", problems.join("; "));
  const versions = [...new Set(bundles.versions.values())].sort();
  return condition(
    "SupportedVersion",
    "True",
    "SupportedVersion",
    versions.length === 0
      ? "no Gateway API CRD is installed"
      : `the installed Gateway API CRDs are of bundle version ${versions.join(", ")}`,
  );
}
