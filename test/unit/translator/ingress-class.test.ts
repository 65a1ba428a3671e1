/**
 * Which Ingresses are ours (KIC's precedence, kic-conventions.md §2.1), including after our IngressClass
 * is deleted: an Ingress that names the class keeps being ours, as in KIC, whose Ingress reconciler
 * looks the IngressClass up only to learn whether it is the default.
 */
import { describe, expect, it } from "vitest";
import type { Ingress, IngressClass } from "../../../src/model/k8s.ts";
import {
  DEFAULT_CLASS_ANNOTATION,
  INGRESS_CLASS_ANNOTATION,
  KONG_INGRESS_CONTROLLER,
  matchIngressClass,
} from "../../../src/translator/ingress-class.ts";

function ingressClass(opts: { isDefault?: boolean; controller?: string } = {}): IngressClass {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: {
      name: "kong",
      ...(opts.isDefault === true ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } } : {}),
    },
    spec: { controller: opts.controller ?? KONG_INGRESS_CONTROLLER },
  };
}

function ingress(opts: { className?: string; annotation?: string }): Ingress {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: "web",
      namespace: "shop",
      ...(opts.annotation === undefined
        ? {}
        : { annotations: { [INGRESS_CLASS_ANNOTATION]: opts.annotation } }),
    },
    spec: opts.className === undefined ? {} : { ingressClassName: opts.className },
  };
}

const DEFAULT = ingressClass({ isDefault: true });
const PLAIN = ingressClass();
const FOREIGN_CONTROLLER = ingressClass({ controller: "example.com/other" });

describe("matchIngressClass", () => {
  it.each([
    ["spec.ingressClassName kong, class deleted", { className: "kong" }, undefined, true],
    ["annotation kong, class deleted", { annotation: "kong" }, undefined, true],
    ["classless, class deleted", {}, undefined, false],
    ["classless, class not the default", {}, PLAIN, false],
    ["classless, class the default", {}, DEFAULT, true],
    ["spec.ingressClassName kong, class present", { className: "kong" }, PLAIN, true],
    [
      "spec.ingressClassName kong, class of another controller",
      { className: "kong" },
      FOREIGN_CONTROLLER,
      true,
    ],
    ["spec.ingressClassName nginx", { className: "nginx" }, DEFAULT, false],
    [
      "annotation nginx beats spec kong",
      { annotation: "nginx", className: "kong" },
      DEFAULT,
      false,
    ],
    [
      "annotation kong beats spec nginx",
      { annotation: "kong", className: "nginx" },
      undefined,
      true,
    ],
  ] as const)("%s: ours=%s", (_name, given, cls, ours) => {
    const classes = new Map(cls === undefined ? [] : [["kong", cls]]);
    const match = matchIngressClass(ingress(given), classes, "kong");
    expect(match.ours).toBe(ours);
    if (match.ours) expect(match.ingressClass).toBe(cls);
  });

  it("says why a classless Ingress is not ours once the class is gone", () => {
    expect(matchIngressClass(ingress({}), new Map(), "kong")).toEqual({
      ours: false,
      reason: 'it names no ingress class and IngressClass "kong" is not the cluster default',
    });
  });
});
