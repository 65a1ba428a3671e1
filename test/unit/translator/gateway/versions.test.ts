/**
 * GatewayClass `SupportedVersion` from the installed CRDs' bundle versions: translated from a snapshot
 * the store's snapshot builder makes of parsed manifests, with the versions as the controller reads them.
 */
import { describe, expect, it } from "vitest";
import { parseKubeObject } from "../../../../src/model/parse.ts";
import { buildSnapshot } from "../../../../src/model/snapshot.ts";
import type { KubeObject } from "../../../../src/model/k8s.ts";
import type { GatewayApiBundles } from "../../../../src/translator/gateway/versions.ts";
import { unsupportedBecause } from "../../../../src/translator/gateway/versions.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../../src/translator/index.ts";

const G = "gateway.networking.k8s.io";

function parsed(raw: unknown): KubeObject {
  const result = parseKubeObject(raw);
  if (result.ok !== true) throw new Error(`fixture does not parse: ${JSON.stringify(result)}`);
  return result.object;
}

const snapshot = buildSnapshot(
  [
    {
      apiVersion: `${G}/v1`,
      kind: "GatewayClass",
      metadata: { name: "kong", generation: 4 },
      spec: { controllerName: "konghq.com/kic-gateway-controller" },
    },
  ].map(parsed),
);

function classConditions(bundles: GatewayApiBundles | undefined) {
  const result = translate(snapshot, {
    ...DEFAULT_TRANSLATE_OPTIONS,
    ...(bundles === undefined ? {} : { gatewayApiBundles: () => bundles }),
  });
  return result.gatewayApi.classes[0]?.conditions;
}

const known = (versions: Record<string, string | undefined>): GatewayApiBundles => ({
  state: "known",
  versions: new Map(Object.entries(versions)),
});

describe("GatewayClass SupportedVersion", () => {
  it("is True for a supported bundle, naming it, and the class stays Accepted", () => {
    expect(
      classConditions(known({ [`gateways.${G}`]: "v1.6.1", [`httproutes.${G}`]: "v1.6.1" })),
    ).toEqual([
      expect.objectContaining({ type: "Accepted", status: "True" }),
      {
        type: "SupportedVersion",
        status: "True",
        reason: "SupportedVersion",
        message: "the installed Gateway API CRDs are of bundle version v1.6.1",
      },
    ]);
  });

  it("is False/UnsupportedVersion for a newer or older release, naming the CRD; Accepted holds", () => {
    const conditions = classConditions(
      known({ [`gateways.${G}`]: "v1.7.0", [`httproutes.${G}`]: "v1.0.0" }),
    );
    expect(conditions?.[0]).toMatchObject({ type: "Accepted", status: "True" });
    expect(conditions?.[1]).toEqual({
      type: "SupportedVersion",
      status: "False",
      reason: "UnsupportedVersion",
      message:
        `CRD gateways.${G} has bundle version v1.7.0; supported are v1.1 to v1.6.x; ` +
        `CRD httproutes.${G} has bundle version v1.0.0; supported are v1.1 to v1.6.x`,
    });
  });

  it("is Unknown/Pending while the CRDs cannot be read, saying why", () => {
    expect(
      classConditions({ state: "unknown", message: "the CRDs cannot be read: forbidden" })?.[1],
    ).toEqual({
      type: "SupportedVersion",
      status: "Unknown",
      reason: "Pending",
      message:
        "the Gateway API CRDs' bundle version is not known: the CRDs cannot be read: forbidden",
    });
  });

  it("is not claimed offline, where no CRD is read", () => {
    expect(classConditions(undefined)?.map(c => c.type)).toEqual(["Accepted"]);
  });

  it.each([
    ["v1.1.0", undefined],
    ["v1.4.1", undefined],
    ["v1.6.0-rc.1", undefined],
    ["v1.6.9", undefined],
    ["v1.0.0", "has bundle version v1.0.0; supported are v1.1 to v1.6.x"],
    ["v2.0.0", "has bundle version v2.0.0; supported are v1.1 to v1.6.x"],
    ["main", "has bundle version main, which is not a release version"],
    [undefined, "carries no bundle-version annotation"],
  ])("bundle version %s: %s", (version, why) => {
    expect(unsupportedBecause(version)).toBe(why);
  });
});
