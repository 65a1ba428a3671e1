/**
 * Which Gateway API routes are served once Kong's router has judged their routes (served.ts): a route
 * with every Kong route refused is not translated and its accepted parents say Accepted=False; one with
 * some refused says PartiallyInvalid and stays translated; one with none refused is simply translated.
 * The emissions come from the Gateway API evaluation and route translation of a store-built snapshot
 * (the gateway-stream-routes golden case, with a two-rule TLSRoute); which of them the router refuses
 * is chosen per case, as services.ts records it.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateGatewayApi } from "../../../src/translator/gateway/index.ts";
import { translateHttpRoute } from "../../../src/translator/gateway/http.ts";
import { translateGatewayRoutes } from "../../../src/translator/gateway/routes.ts";
import type { IrRoute, RouteEmission } from "../../../src/translator/ir/types.ts";
import { TranslatedHeldBack } from "../../../src/translator/ownership-apply.ts";
import { ResultsBuilder } from "../../../src/translator/results.ts";
import { markServed } from "../../../src/translator/served.ts";
import { DEFAULT_GATEWAY_CONTROLLER_NAME } from "../../../src/translator/types.ts";
import { loadSnapshot, readDocuments } from "../../support/golden.ts";

const TWO_RULES = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "TLSRoute",
  metadata: { name: "pair", namespace: "infra" },
  spec: {
    parentRefs: [{ name: "kong", sectionName: "tls" }],
    hostnames: ["c.example.com"],
    rules: [
      { backendRefs: [{ name: "secure", port: 443 }] },
      { backendRefs: [{ name: "secure", port: 443 }] },
    ],
  },
};

function setup() {
  const docs = readDocuments(
    join(import.meta.dirname, "..", "..", "golden", "gateway-stream-routes", "in.yaml"),
  );
  const snapshot = loadSnapshot([...docs, TWO_RULES]);
  const evaluation = evaluateGatewayApi(snapshot, {
    controllerName: DEFAULT_GATEWAY_CONTROLLER_NAME,
  });
  const results = new ResultsBuilder();
  const routed = translateGatewayRoutes({
    evaluation,
    results: new TranslatedHeldBack(results),
    translators: {},
    expressions: true,
  });
  return { evaluation, results, routed };
}

const LIMIT = "a reason Kong's router gives";
const WEB = { name: "web", port: 80 };

/** `routed` with the routes whose Kong route names `refuse` picks refused, then the TLSRoute's result. */
function judge(name: string, refuse: (routeName: string) => boolean) {
  const { evaluation, results, routed } = setup();
  const refused = new Map<IrRoute, readonly string[]>(
    routed.filter((e: RouteEmission) => refuse(e.route.name)).map(e => [e.route, [LIMIT]]),
  );
  expect(refused.size).toBeGreaterThan(0);
  markServed({ routed, sharing: [], refused, gatewayRoutes: evaluation.routes, results });
  const result = results.build().find(r => r.ref.kind === "TLSRoute" && r.ref.name === name);
  return {
    outcome: result?.outcome,
    conditions: (result?.parents ?? []).flatMap(p =>
      p.conditions.map(
        c =>
          `${p.parentRef.name}#${p.parentRef.sectionName ?? ""} ${c.type}=${c.status} ${c.reason}`,
      ),
    ),
    message: result?.parents?.[0]?.conditions[0]?.message,
  };
}

describe("markServed: Gateway API routes Kong's router refuses", () => {
  it("every route refused: not translated, not accepted by its parent", () => {
    const verdict = judge("pair", n => n.startsWith("tlsroute.infra.pair."));
    expect(verdict.outcome).not.toBe("translated");
    expect(verdict.conditions).toEqual(["kong#tls Accepted=False UnsupportedValue"]);
    expect(verdict.message).toContain(`route tlsroute.infra.pair.0.0: ${LIMIT}`);
    expect(verdict.message).toContain(`route tlsroute.infra.pair.1.0: ${LIMIT}`);
  });

  it("one of two rules' routes refused: translated, partially invalid", () => {
    const verdict = judge("pair", n => n === "tlsroute.infra.pair.1.0");
    expect(verdict.outcome).toBe("translated");
    expect(verdict.conditions).toEqual(["kong#tls PartiallyInvalid=True UnsupportedValue"]);
    expect(verdict.message).toBe(
      `Kong's router cannot take route tlsroute.infra.pair.1.0: ${LIMIT}`,
    );
  });

  it("another route's refusal: translated, nothing said on its parent", () => {
    const verdict = judge("pair", n => n.startsWith("tlsroute.infra.secure."));
    expect(verdict).toEqual({ outcome: "translated", conditions: [], message: undefined });
  });
});

describe("markServed after the rules' own drops", () => {
  /** An HTTPRoute with a rule the rules stage drops (its answers become 500) and two it routes. */
  const THREE_RULES = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "three", namespace: "default" },
    spec: {
      parentRefs: [{ name: "kong", sectionName: "http" }],
      hostnames: ["three.example.com"],
      rules: [
        { matches: [{ path: { type: "PathPrefix", value: "/a" } }], backendRefs: [WEB] },
        {
          matches: [{ path: { type: "PathPrefix", value: "/mirror" } }],
          filters: [{ type: "RequestMirror", requestMirror: { backendRef: WEB } }],
          backendRefs: [WEB],
        },
        { matches: [{ path: { type: "PathPrefix", value: "/c" } }], backendRefs: [WEB] },
      ],
    },
  };

  it("a rule refused by Kong's router adds to the PartiallyInvalid message, hiding no drop", () => {
    const docs = readDocuments(
      join(import.meta.dirname, "..", "..", "golden", "gateway-bad-input", "in.yaml"),
    );
    const evaluation = evaluateGatewayApi(loadSnapshot([...docs, THREE_RULES]), {
      controllerName: DEFAULT_GATEWAY_CONTROLLER_NAME,
    });
    const results = new ResultsBuilder();
    const routed = translateGatewayRoutes({
      evaluation,
      results: new TranslatedHeldBack(results),
      translators: { HTTPRoute: translateHttpRoute },
    });
    const refused = new Map<IrRoute, readonly string[]>(
      routed
        .filter(e => e.route.name.startsWith("httproute.default.three.2."))
        .map(e => [e.route, [LIMIT]]),
    );
    expect(refused.size).toBeGreaterThan(0);
    markServed({ routed, sharing: [], refused, gatewayRoutes: evaluation.routes, results });
    const three = results.build().find(r => r.ref.kind === "HTTPRoute" && r.ref.name === "three");
    const conditions = three?.parents?.[0]?.conditions ?? [];
    expect(conditions.map(c => `${c.type}=${c.status} ${c.reason}`)).toEqual([
      "PartiallyInvalid=True UnsupportedValue",
    ]);
    const message = conditions[0]?.message ?? "";
    expect(message).toMatch(
      /^Dropped Rule 1: .*; Kong's router cannot take route httproute\.default\.three\.2\./,
    );
    expect(message).toContain(LIMIT);
  });
});
