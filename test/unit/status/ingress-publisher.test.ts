import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Service } from "../../../src/model/k8s.ts";
import { refKey, type ObjectRef } from "../../../src/model/object-ref.ts";
import type { EventRequest } from "../../../src/status/events.ts";
import {
  IngressStatusPublisher,
  type AppliedConfigReport,
  type IngressStatusPublisherOptions,
} from "../../../src/status/ingress-publisher.ts";
import type { IngressDesiredStatus } from "../../../src/status/mutator.ts";

const ingress = (name: string): ObjectRef => ({
  group: "networking.k8s.io",
  version: "v1",
  kind: "Ingress",
  namespace: "shop",
  name,
});
const svc: ObjectRef = {
  group: "",
  version: "v1",
  kind: "Service",
  namespace: "shop",
  name: "api",
};

function setup(opts: Partial<IngressStatusPublisherOptions> = {}) {
  /** What the writer was last told, by key; released keys are removed. */
  const desired = new Map<string, IngressDesiredStatus>();
  const handed: string[] = [];
  const events: EventRequest[] = [];
  const publisher = new IngressStatusPublisher({
    statuses: {
      desire: d => {
        if (d.kind !== "Ingress") throw new Error(`not an Ingress: ${d.kind}`);
        const key = `${d.kind}/${d.namespace}/${d.name}`;
        desired.set(key, d);
        handed.push(key);
      },
      release: key => desired.delete(key),
    },
    problems: { report: (_source, list) => events.push(...list) },
    logger: pino({ level: "silent" }),
    updateStatus: true,
    statusAddresses: ["10.0.0.1"],
    ...opts,
  });
  /** What each Ingress should show now, by key; and the keys handed over since the last call. */
  const drain = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const key of handed.splice(0)) out[key] = desired.get(key)?.loadBalancer;
    return out;
  };
  return { desired, events, publisher, drain };
}

/** A report as the feed makes it, its configured objects keyed as the sender keys them. */
const report = (
  r: Partial<Omit<AppliedConfigReport, "configured">> & { configured?: readonly ObjectRef[] },
): AppliedConfigReport => ({
  source: "primary",
  excluded: [],
  ...r,
  configured: new Map((r.configured ?? []).map(ref => [refKey(ref), ref])),
});

function lbService(ingressIps: string[]): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: "kong", name: "proxy" },
    spec: { type: "LoadBalancer", clusterIPs: ["10.96.0.1"] },
    status: { loadBalancer: { ingress: ingressIps.map(ip => ({ ip })) } },
  };
}

describe("IngressStatusPublisher", () => {
  it("publishes nothing before Kong has accepted any config", () => {
    const { publisher, drain } = setup();
    publisher.resync();
    expect(drain()).toEqual({});
  });

  it.each<AppliedConfigReport["source"]>(["primary", "fallback", "last-known-good"])(
    "publishes addresses on every configured Ingress after a %s apply",
    source => {
      const { publisher, drain } = setup();
      publisher.onConfigApplied(
        report({ source, configured: [ingress("web"), ingress("api"), svc] }),
      );
      expect(drain()).toEqual({
        "Ingress/shop/web": [{ ip: "10.0.0.1" }],
        "Ingress/shop/api": [{ ip: "10.0.0.1" }],
      });
    },
  );

  it("clears the address of an excluded Ingress and records a Warning event saying why", () => {
    const { publisher, drain, events } = setup();
    publisher.onConfigApplied(
      report({
        source: "fallback",
        configured: [ingress("good")],
        excluded: [
          {
            ref: ingress("broken"),
            reason: "KongConfigurationApplyFailed",
            message: "Kong rejected route: bad regex",
          },
          { ref: svc, reason: "KongConfigurationTranslationFailed", message: "no ports" },
        ],
      }),
    );
    expect(drain()).toEqual({
      "Ingress/shop/good": [{ ip: "10.0.0.1" }],
      "Ingress/shop/broken": [],
    });
    expect(events).toEqual([
      {
        ref: ingress("broken"),
        type: "Warning",
        reason: "KongConfigurationApplyFailed",
        message: "Kong rejected route: bad regex",
      },
      {
        ref: svc,
        type: "Warning",
        reason: "KongConfigurationTranslationFailed",
        message: "no ports",
      },
    ]);
  });

  it("replaces the configured set with each accepted apply, releasing what left it", () => {
    const { publisher, drain, desired } = setup();
    publisher.onConfigApplied(report({ configured: [ingress("a"), ingress("b")] }));
    drain();
    publisher.onConfigApplied(report({ configured: [ingress("b")] }));
    publisher.resync();
    expect(Object.keys(drain())).toEqual(["Ingress/shop/b"]);
    expect([...desired.keys()]).toEqual(["Ingress/shop/b"]);
  });

  it("passes the object's uid along, so a re-created namesake is not written", () => {
    const { publisher, desired } = setup();
    publisher.onConfigApplied(report({ configured: [{ ...ingress("web"), uid: "u-web" }] }));
    expect(desired.get("Ingress/shop/web")).toEqual({
      kind: "Ingress",
      namespace: "shop",
      name: "web",
      uid: "u-web",
      loadBalancer: [{ ip: "10.0.0.1" }],
    });
  });

  it("waits for the publish Service's addresses, then publishes and follows their changes", () => {
    const { publisher, drain } = setup({
      statusAddresses: [],
      publishService: { namespace: "kong", name: "proxy" },
    });
    expect(publisher.addresses.kind).toBe("pending");
    publisher.onConfigApplied(report({ configured: [ingress("web")] }));
    expect(drain()).toEqual({});
    publisher.onPublishServiceChanged(lbService(["203.0.113.1"]));
    expect(drain()).toEqual({ "Ingress/shop/web": [{ ip: "203.0.113.1" }] });
    publisher.onPublishServiceChanged(lbService(["203.0.113.1"]));
    expect(drain()).toEqual({});
    publisher.onPublishServiceChanged(lbService(["203.0.113.2"]));
    expect(drain()).toEqual({ "Ingress/shop/web": [{ ip: "203.0.113.2" }] });
  });

  it("writes no status with --update-status=false but still records events", () => {
    const { publisher, drain, events } = setup({ updateStatus: false });
    publisher.onConfigApplied(
      report({
        configured: [ingress("web")],
        excluded: [{ ref: ingress("x"), reason: "R", message: "m" }],
      }),
    );
    expect(drain()).toEqual({});
    expect(events).toHaveLength(1);
  });
});
