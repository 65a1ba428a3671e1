import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Service } from "../../../src/model/k8s.ts";
import type { ObjectRef } from "../../../src/model/object-ref.ts";
import type { EventRequest } from "../../../src/status/events.ts";
import {
  IngressStatusPublisher,
  type AppliedConfigReport,
  type IngressStatusPublisherOptions,
} from "../../../src/status/ingress-publisher.ts";
import { CoalescingQueue } from "../../../src/status/queue.ts";
import type { DesiredStatus } from "../../../src/status/writer.ts";
import { ManualClock } from "../../support/manual-clock.ts";

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
  const clock = new ManualClock();
  const queue = new CoalescingQueue<DesiredStatus>({ clock, maxDelayMs: 1000 });
  const events: EventRequest[] = [];
  const publisher = new IngressStatusPublisher({
    queue,
    events: { record: e => events.push(e) },
    logger: pino({ level: "silent" }),
    updateStatus: true,
    statusAddresses: ["10.0.0.1"],
    ...opts,
  });
  /** Everything waiting in the queue, by key. */
  const drain = async (): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = {};
    const signal = new AbortController().signal;
    while (queue.depth > 0) {
      const item = await queue.take(signal);
      out[item.key] = item.value.loadBalancer;
      queue.done(item.key);
    }
    return out;
  };
  return { queue, events, publisher, drain };
}

const report = (r: Partial<AppliedConfigReport>): AppliedConfigReport => ({
  source: "primary",
  configured: [],
  excluded: [],
  ...r,
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
  it("publishes nothing before Kong has accepted any config", async () => {
    const { publisher, drain } = setup();
    publisher.resync();
    expect(await drain()).toEqual({});
  });

  it.each<AppliedConfigReport["source"]>(["primary", "fallback", "last-known-good"])(
    "publishes addresses on every configured Ingress after a %s apply",
    async source => {
      const { publisher, drain } = setup();
      publisher.onConfigApplied(
        report({ source, configured: [ingress("web"), ingress("api"), svc] }),
      );
      expect(await drain()).toEqual({
        "Ingress/shop/web": [{ ip: "10.0.0.1" }],
        "Ingress/shop/api": [{ ip: "10.0.0.1" }],
      });
    },
  );

  it("clears the address of an excluded Ingress and records a Warning event saying why", async () => {
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
    expect(await drain()).toEqual({
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

  it("replaces the configured set with each accepted apply", async () => {
    const { publisher, drain } = setup();
    publisher.onConfigApplied(report({ configured: [ingress("a"), ingress("b")] }));
    await drain();
    publisher.onConfigApplied(report({ configured: [ingress("b")] }));
    publisher.resync();
    expect(Object.keys(await drain())).toEqual(["Ingress/shop/b"]);
  });

  it("waits for the publish Service's addresses, then publishes and follows their changes", async () => {
    const { publisher, drain } = setup({
      statusAddresses: [],
      publishService: { namespace: "kong", name: "proxy" },
    });
    expect(publisher.addresses.kind).toBe("pending");
    publisher.onConfigApplied(report({ configured: [ingress("web")] }));
    expect(await drain()).toEqual({});
    publisher.onPublishServiceChanged(lbService(["203.0.113.1"]));
    expect(await drain()).toEqual({ "Ingress/shop/web": [{ ip: "203.0.113.1" }] });
    publisher.onPublishServiceChanged(lbService(["203.0.113.1"]));
    expect(await drain()).toEqual({});
    publisher.onPublishServiceChanged(lbService(["203.0.113.2"]));
    expect(await drain()).toEqual({ "Ingress/shop/web": [{ ip: "203.0.113.2" }] });
  });

  it("writes no status with --update-status=false but still records events", async () => {
    const { publisher, drain, events } = setup({ updateStatus: false });
    publisher.onConfigApplied(
      report({
        configured: [ingress("web")],
        excluded: [{ ref: ingress("x"), reason: "R", message: "m" }],
      }),
    );
    expect(await drain()).toEqual({});
    expect(events).toHaveLength(1);
  });
});
