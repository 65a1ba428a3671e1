import { describe, expect, it } from "vitest";
import {
  BUNDLE_VERSION_ANNOTATION,
  CrdBundleVersions,
  readCrdBundleVersions,
  type ServedKinds,
} from "../../../src/kube/discovery.ts";
import { KubeApiError } from "../../../src/kube/errors.ts";
import { KIND_DEFINITIONS, type KindName } from "../../../src/model/kinds.ts";
import { FakeKubeApi, type ListCall } from "./fakes.ts";

const optionalKinds = KIND_DEFINITIONS.filter(def => def.optional);
const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/";
const signal = new AbortController().signal;

const served = (kinds: readonly KindName[]): ServedKinds =>
  new Map(optionalKinds.map(k => [k.kind, kinds.includes(k.kind) ? "v1" : undefined]));

/** An API server whose CRDs carry `versions` (CRD name → bundle version; null: no annotation). */
function crdAnswer(versions: Record<string, string | null>) {
  return (call: ListCall): unknown => {
    const name = call.path.slice(CRDS.length);
    if (!(name in versions))
      throw new KubeApiError(404, { reason: "NotFound", message: `${name} not found` });
    const version = versions[name];
    return {
      kind: "PartialObjectMetadata",
      metadata: {
        name,
        annotations: version === null ? {} : { [BUNDLE_VERSION_ANNOTATION]: version },
      },
    };
  };
}

describe("readCrdBundleVersions", () => {
  it("gets the CRD of each served Gateway API kind by name, metadata only", async () => {
    const api = new FakeKubeApi();
    api.onList = crdAnswer({
      "gateways.gateway.networking.k8s.io": "v1.6.1",
      "httproutes.gateway.networking.k8s.io": null,
      "gatewayclasses.gateway.networking.k8s.io": "v1.6.1",
    });
    const found = await readCrdBundleVersions(
      api,
      optionalKinds,
      served(["GatewayClass", "Gateway", "HTTPRoute"]),
      signal,
    );
    expect([...found]).toEqual([
      ["gatewayclasses.gateway.networking.k8s.io", "v1.6.1"],
      ["gateways.gateway.networking.k8s.io", "v1.6.1"],
      ["httproutes.gateway.networking.k8s.io", undefined],
    ]);
    expect(api.lists.map(c => c.path).sort()).toEqual([
      `${CRDS}gatewayclasses.gateway.networking.k8s.io`,
      `${CRDS}gateways.gateway.networking.k8s.io`,
      `${CRDS}httproutes.gateway.networking.k8s.io`,
    ]);
    expect(api.lists.every(c => c.accept?.includes("as=PartialObjectMetadata") === true)).toBe(
      true,
    );
  });

  it("leaves out a CRD removed between discovery and the read", async () => {
    const api = new FakeKubeApi();
    api.onList = crdAnswer({ "gateways.gateway.networking.k8s.io": "v1.6.1" });
    const found = await readCrdBundleVersions(
      api,
      optionalKinds,
      served(["Gateway", "HTTPRoute"]),
      signal,
    );
    expect([...found.keys()]).toEqual(["gateways.gateway.networking.k8s.io"]);
  });
});

describe("CrdBundleVersions", () => {
  const forbidden = () => {
    throw new KubeApiError(403, { reason: "Forbidden", message: "cannot get resource" });
  };

  it("is unknown, with the reason, until a read succeeds; then a failed read keeps what was known", async () => {
    const bundles = new CrdBundleVersions();
    const api = new FakeKubeApi();
    const input = { api, kinds: optionalKinds, served: served(["Gateway"]), signal };
    expect(bundles.current()).toMatchObject({ state: "unknown" });

    api.onList = forbidden;
    expect(await bundles.refresh(input)).toBe(true);
    expect(bundles.current()).toEqual({
      state: "unknown",
      message: expect.stringContaining("cannot get resource") as unknown,
    });
    expect(bundles.changes).toBe(1);

    api.onList = crdAnswer({ "gateways.gateway.networking.k8s.io": "v1.6.1" });
    expect(await bundles.refresh(input)).toBe(true);
    expect(bundles.current()).toEqual({
      state: "known",
      versions: new Map([["gateways.gateway.networking.k8s.io", "v1.6.1"]]),
    });
    // The same answer again is no change; a failure now keeps it.
    expect(await bundles.refresh(input)).toBe(false);
    api.onList = forbidden;
    expect(await bundles.refresh(input)).toBe(false);
    expect(bundles.current()).toMatchObject({ state: "known" });
    expect(bundles.changes).toBe(2);

    // An upgraded CRD is a change.
    api.onList = crdAnswer({ "gateways.gateway.networking.k8s.io": "v1.7.0" });
    expect(await bundles.refresh(input)).toBe(true);
    expect(bundles.changes).toBe(3);
  });
});
