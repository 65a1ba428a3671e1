import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { refKey, type ObjectRef } from "../../../src/model/object-ref.ts";
import { AppliedStatusFeed, appliedReport } from "../../../src/runtime/applied-status.ts";
import type { GatewayState, SenderView } from "../../../src/sender/gateway-state.ts";
import type { AppliedConfigReport } from "../../../src/status/ingress-publisher.ts";
import {
  NO_GATEWAY_API_STATUSES,
  type GatewayApiStatuses,
  type ObjectResult,
  type TranslationResult,
} from "../../../src/translator/types.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { cluster as gatewayCluster } from "../status/gateway-api-fixtures.ts";

function ingress(name: string): ObjectRef {
  return { group: "networking.k8s.io", version: "v1", kind: "Ingress", namespace: "shop", name };
}

const service: ObjectRef = {
  group: "",
  version: "v1",
  kind: "Service",
  namespace: "shop",
  name: "web",
};

function result(
  ref: ObjectRef,
  outcome: ObjectResult["outcome"],
  problems: string[] = [],
): ObjectResult {
  return {
    ref,
    outcome,
    problems: problems.map(message => ({ reason: "ServiceNotFound", message })),
    dependsOn: [],
  };
}

function translation(results: ObjectResult[]): TranslationResult {
  return { config: { _format_version: "3.0" }, results, gatewayApi: NO_GATEWAY_API_STATUSES };
}

function gateway(overrides: Partial<GatewayState> = {}): GatewayState {
  return { url: "http://kong:8001", phase: "synced", since: 0, config: "primary", ...overrides };
}

function view(opts: {
  accepted?: readonly ObjectRef[];
  rejected?: readonly { ref: ObjectRef; messages: string[] }[];
  gateways?: readonly GatewayState[];
}): SenderView {
  return {
    gateways: opts.gateways ?? [gateway()],
    acceptedObjects:
      opts.accepted === undefined ? undefined : new Map(opts.accepted.map(r => [refKey(r), r])),
    rejectedObjects: opts.rejected ?? [],
  };
}

const keys = (refs: ReadonlyMap<string, ObjectRef> | undefined): string[] =>
  [...(refs?.values() ?? [])].map(refKey).sort();

describe("appliedReport", () => {
  it("reports nothing while no node's running config is known", () => {
    const latest = translation([result(ingress("a"), "translated")]);
    expect(appliedReport({ view: view({}), latest, degradedSinceRejection: false })).toBe(
      undefined,
    );
  });

  it("configures what the accepted config holds, even before any translation (after a restart)", () => {
    const report = appliedReport({
      view: view({ accepted: [ingress("a"), service], gateways: [gateway({ config: "kong" })] }),
      latest: undefined,
      degradedSinceRejection: false,
    });
    expect(report?.source).toBe("last-known-good");
    expect(keys(report?.configured)).toEqual(["Ingress/shop/a", "Service/shop/web"]);
    expect(report?.excluded).toEqual([]);
  });

  it.each<
    [
      string,
      ObjectResult,
      SenderView,
      boolean,
      Partial<AppliedConfigReport["excluded"][number]> | undefined,
    ]
  >([
    [
      "translation left it out",
      result(ingress("b"), "excluded", ["Service shop/gone not found"]),
      view({ accepted: [ingress("a")] }),
      false,
      { reason: "KongConfigurationTranslationFailed", message: "Service shop/gone not found" },
    ],
    [
      "Kong rejected it",
      result(ingress("b"), "translated"),
      view({
        accepted: [ingress("a")],
        rejected: [{ ref: ingress("b"), messages: ["route: bad"] }],
      }),
      false,
      { reason: "KongConfigurationApplyFailed", message: "route: bad" },
    ],
    [
      "a fallback left it out as a dependant of a rejected object",
      result(ingress("b"), "translated"),
      view({
        accepted: [ingress("a")],
        rejected: [{ ref: service, messages: ["service: bad"] }],
        gateways: [
          gateway({ config: "fallback", degraded: { code: "ERR_KONG_REJECTED", reason: "x" } }),
        ],
      }),
      true,
      { reason: "KongConfigurationApplyFailed" },
    ],
    [
      "its push is still under way (neither configured nor excluded)",
      result(ingress("b"), "translated"),
      view({ accepted: [ingress("a")] }),
      false,
      undefined,
    ],
  ])("an Ingress missing from the accepted config when %s", (_what, r, v, degraded, expected) => {
    const latest = translation([result(ingress("a"), "translated"), r]);
    const report = appliedReport({ view: v, latest, degradedSinceRejection: degraded });
    expect(keys(report?.configured)).toEqual(["Ingress/shop/a"]);
    if (expected === undefined) {
      expect(report?.excluded).toEqual([]);
    } else {
      expect(report?.excluded).toEqual([expect.objectContaining({ ref: r.ref, ...expected })]);
    }
  });

  it("leaves Ingresses of other classes alone", () => {
    const latest = translation([
      result(ingress("a"), "translated"),
      result(ingress("x"), "ignored"),
    ]);
    const report = appliedReport({
      view: view({ accepted: [ingress("a")] }),
      latest,
      degradedSinceRejection: true,
    });
    expect(report?.excluded).toEqual([]);
  });
});

describe("appliedReport: Gateway API objects", () => {
  const route = (name: string): ObjectRef => ({
    group: "gateway.networking.k8s.io",
    version: "v1",
    kind: "HTTPRoute",
    namespace: "shop",
    name,
  });

  it("names the routes Kong rejected, with Kong's words, but not those translation left out", () => {
    const report = appliedReport({
      view: view({
        accepted: [route("kept")],
        rejected: [{ ref: route("broken"), messages: ["route: invalid regex"] }],
      }),
      latest: translation([
        result(route("kept"), "translated"),
        result(route("broken"), "translated"),
        // Attached nowhere: its own status says why, no event on top.
        result(route("unattached"), "excluded", ["no listener allows it"]),
      ]),
      degradedSinceRejection: true,
    });
    expect(report?.excluded).toEqual([
      {
        ref: route("broken"),
        reason: "KongConfigurationApplyFailed",
        message: "route: invalid regex",
      },
    ]);
  });
});

describe("AppliedStatusFeed", () => {
  function setup() {
    const clock = new ManualClock();
    const reports: AppliedConfigReport[] = [];
    const feed = new AppliedStatusFeed({
      publisher: { onConfigApplied: r => reports.push(r) },
      clock,
      logger: pino({ level: "silent" }),
    });
    return { clock, reports, feed };
  }

  it("tells the publisher only when what the report is made from changes", () => {
    const { reports, feed } = setup();
    const translated = translation([result(ingress("a"), "translated")]);
    feed.translated(translated);
    expect(reports).toEqual([]);
    // The sender hands out the running config's own map: polls that change only the state's time
    // carry the very same one.
    const running = view({ accepted: [ingress("a")] });
    feed.viewChanged(running);
    feed.viewChanged({ ...running, gateways: [gateway({ since: 5 })] });
    expect(reports).toHaveLength(1);
    // A new translation is a new input, even when its report is the same.
    feed.translated(translation([result(ingress("a"), "translated")]));
    expect(reports).toHaveLength(2);
    feed.viewChanged(view({ accepted: [] }));
    expect(reports.map(r => keys(r.configured))).toEqual([
      ["Ingress/shop/a"],
      ["Ingress/shop/a"],
      [],
    ]);
  });

  it("counts fallback dependants as left out only once a node confirmed a fallback after the rejection", async () => {
    const { clock, reports, feed } = setup();
    const degraded = { code: "ERR_KONG_REJECTED", reason: "rejected" };
    feed.translated(
      translation([result(ingress("a"), "translated"), result(ingress("c"), "translated")]),
    );
    // The view right after Kong rejected the newest config still shows an older fallback.
    const olderFallback = gateway({ config: "fallback", degraded, since: clock.now() - 1 });
    feed.viewChanged(
      view({
        accepted: [ingress("a")],
        rejected: [{ ref: service, messages: ["service: bad"] }],
        gateways: [olderFallback],
      }),
    );
    expect(reports.at(-1)?.excluded).toEqual([]);

    await clock.advance(10);
    feed.viewChanged(
      view({
        accepted: [ingress("a")],
        rejected: [{ ref: service, messages: ["service: bad"] }],
        gateways: [gateway({ config: "fallback", degraded, since: clock.now() })],
      }),
    );
    expect(reports.at(-1)?.excluded.map(x => refKey(x.ref))).toEqual(["Ingress/shop/c"]);
  });
});

describe("AppliedStatusFeed: Gateway API statuses", () => {
  function setup() {
    const translated: GatewayApiStatuses[] = [];
    const applied: GatewayApiStatuses[] = [];
    const reports: AppliedConfigReport[] = [];
    const feed = new AppliedStatusFeed({
      publisher: { onConfigApplied: () => undefined },
      gatewayApi: {
        onTranslated: s => translated.push(s),
        onConfigApplied: s => applied.push(s),
        onAppliedReport: r => reports.push(r),
      },
      clock: new ManualClock(),
      logger: pino({ level: "silent" }),
    });
    return { feed, translated, applied, reports };
  }

  it("hands on every translation's statuses, and the accepted config's once per change", () => {
    const { feed, translated, applied } = setup();
    const first = { ...translation([]), gatewayApi: gatewayCluster() };
    feed.translated(first);
    expect(translated).toEqual([first.gatewayApi]);
    // Nothing confirmed yet: Gateways and routes wait.
    feed.viewChanged(view({ accepted: [] }));
    expect(applied).toEqual([]);
    const confirmed = { ...view({ accepted: [] }), acceptedGatewayApi: first.gatewayApi };
    feed.viewChanged(confirmed);
    feed.viewChanged({ ...confirmed, gateways: [gateway({ since: 5 })] });
    expect(applied).toEqual([first.gatewayApi]);
    const second = gatewayCluster();
    feed.viewChanged({ ...confirmed, acceptedGatewayApi: second });
    expect(applied).toEqual([first.gatewayApi, second]);
  });

  it("tells the Gateway API publisher what Kong holds whenever the report changes", () => {
    const { feed, reports } = setup();
    feed.translated({ ...translation([result(ingress("a"), "translated")]) });
    expect(reports).toEqual([]);
    feed.viewChanged(view({ accepted: [ingress("a")] }));
    expect(reports.map(r => keys(r.configured))).toEqual([["Ingress/shop/a"]]);
  });
});
