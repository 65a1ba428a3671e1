/**
 * KIC's start-up deadline for reaching Kong (--kong-admin-init-retries × --kong-admin-init-retry-delay)
 * ends the controller only for a fixed --kong-admin-url list: discovered Kongs come and go.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.ts";
import { kongReachedWithin } from "../../../src/runtime/kong-side.ts";
import { ManualClock } from "../../support/manual-clock.ts";

/** A sender whose one Kong never answers. */
const unreachable = {
  gateways: () => [{ url: "http://kong-0:8001", phase: "failing" as const, since: 0 }],
  subscribe: (): (() => void) => () => undefined,
};

function configWith(flags: readonly string[]) {
  return loadConfig({
    argv: ["--publish-status-address=10.0.0.1", "--kong-admin-init-retries=3", ...flags],
    env: {},
  });
}

describe("kongReachedWithin", () => {
  it("with --kong-admin-url: gives up after retries × delay, naming the URLs", async () => {
    const clock = new ManualClock();
    const outcome = kongReachedWithin({
      sender: unreachable,
      config: configWith(["--kong-admin-url=http://kong-0:8001"]),
      clock,
      signal: new AbortController().signal,
    });
    await clock.advance(3000);
    const error = await outcome;
    expect(error?.code).toBe("ERR_KONG_NEVER_REACHED");
    expect(error?.message).toContain("http://kong-0:8001");
  });

  it("with --kong-admin-svc: sets no deadline at all", async () => {
    const clock = new ManualClock();
    const outcome = await kongReachedWithin({
      sender: unreachable,
      config: configWith(["--kong-admin-svc=kong/kong-admin"]),
      clock,
      signal: new AbortController().signal,
    });
    expect(outcome).toBeUndefined();
    expect(clock.sleeps).toEqual([]);
  });
});
