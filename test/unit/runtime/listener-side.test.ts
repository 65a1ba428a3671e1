import { describe, expect, it } from "vitest";
import type { KongListenersView, PublishService } from "../../../src/kong/listeners.ts";
import { supportFrom } from "../../../src/runtime/listener-side.ts";

const known = (
  proxy: { port: number; ssl: boolean }[],
  stream: { port: number; ssl: boolean; udp: boolean }[] = [],
): KongListenersView => ({
  state: "known",
  listeners: { proxy: proxy.map(p => ({ ...p, http2: false })), stream },
});

const none: PublishService = { kind: "none" };
const proxyService: PublishService = {
  kind: "service",
  name: "kong/kong-proxy",
  ports: [
    { name: "http", port: 80, targetPort: 8000, protocol: "TCP" },
    { name: "https", port: 443, targetPort: 8443, protocol: "TCP" },
  ],
};

describe("supportFrom: Kong's listens as translation asks about Gateway listeners", () => {
  it.each([
    [
      "unknown listens",
      { state: "unknown", reason: "no Kong is ready" },
      none,
      80,
      "HTTP",
      "pending",
    ],
    [
      "an HTTP proxy listen, no publish Service",
      known([{ port: 8000, ssl: false }]),
      none,
      80,
      "HTTP",
      "programmable",
    ],
    [
      "no ssl listen for HTTPS",
      known([{ port: 8000, ssl: false }]),
      none,
      443,
      "HTTPS",
      "unsupported",
    ],
    [
      "HTTPS behind the publish Service's 443",
      known([
        { port: 8000, ssl: false },
        { port: 8443, ssl: true },
      ]),
      proxyService,
      443,
      "HTTPS",
      "programmable",
    ],
    [
      "HTTP on a port the publish Service lacks",
      known([{ port: 8000, ssl: false }]),
      proxyService,
      8080,
      "HTTP",
      "unsupported",
    ],
    [
      "a publish Service not seen yet",
      known([{ port: 8000, ssl: false }]),
      { kind: "missing", name: "kong/kong-proxy" },
      80,
      "HTTP",
      "pending",
    ],
    ["a protocol translation refuses itself", known([]), none, 80, "SCTP", "programmable"],
  ] as const)("%s", (_what, view, publish, port, protocol, state) => {
    expect(supportFrom(view, publish)({ port, protocol }).state).toBe(state);
  });

  it("names the reason and keeps KIC's message when Kong has no such listen", () => {
    const answer = supportFrom(
      known([{ port: 8000, ssl: false }]),
      none,
    )({ port: 443, protocol: "HTTPS" });
    expect(answer).toMatchObject({
      state: "unsupported",
      reason: "UnsupportedProtocol",
      message: expect.stringContaining(
        "no Kong listen with the requested protocol is configured",
      ) as unknown,
    });
  });
});
